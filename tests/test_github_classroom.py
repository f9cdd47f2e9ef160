"""The GitHub Classroom workflow template, read as text and its command run.

The template is YAML, but the project does not depend on a YAML parser: the
tests read the few lines that matter and run the grading command as the
workflow would, in a folder laid out like a student's repository.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys

from conftest import ROOT, typical_source

TEMPLATE = ROOT / "templates" / "github-classroom" / "classroom.yml"
GUIDE = ROOT / "docs" / "github-classroom.md"


def _value(text: str, key: str) -> str:
    (value,) = re.findall(rf"^\s+{key}: (.+)$", text, re.M)
    return value.strip()


def test_the_reporter_reads_the_grading_steps_result():
    text = TEMPLATE.read_text(encoding="utf-8")
    assert "\t" not in text
    assert re.search(r"^name: Autograding Tests$", text, re.M)
    step = _value(text, "id")
    runner = _value(text, "runners")
    assert runner == step
    # The reporter looks for <RUNNER>_RESULTS in its environment.
    assert f'{runner.upper()}_RESULTS: "${{{{ steps.{step}.outputs.result }}}}"' in text
    assert "uses: classroom-resources/autograding-grading-reporter@v1" in text
    # It must run when checks failed, which fails the grading step.
    reporter = text.split("autograding-grading-reporter")[0].rsplit("- name:", 1)[1]
    assert "if: always()" in reporter
    assert "checks: write" in text
    assert TEMPLATE.relative_to(ROOT).as_posix() in GUIDE.read_text(encoding="utf-8")


def test_the_workflow_command_grades_and_reports_the_points(tmp_path):
    text = TEMPLATE.read_text(encoding="utf-8")
    command = shlex.split(re.search(r"run: (python -m checker .+)$", text, re.M)[1])
    assert command[:3] == ["python", "-m", "checker"] and "--github" in command

    (tmp_path / "hw1.py").write_text(typical_source(), encoding="utf-8")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    summary.touch()
    output.touch()
    environment = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(output),
    )
    result = subprocess.run(
        [sys.executable, *command[1:]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "Points 100/100"
    assert summary.read_text(encoding="utf-8").startswith(
        "## hw1: learning a neural network (100/100 points)"
    )
    (line,) = output.read_text().splitlines()
    runner = json.loads(base64.b64decode(line.removeprefix("result=")))
    assert runner["status"] == "pass" and runner["max_score"] == 100
    assert sum(test["score"] for test in runner["tests"]) == 100
