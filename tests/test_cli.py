"""The command line, run as a student and a CI job run it."""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from bugs import BUGS, CONTRACT, apply
from conftest import (
    HANDOUT,
    ROOT,
    SUBMISSIONS,
    markdown_outside_code,
    typical_source,
    validate_gradescope,
)

#: Variables of a GitHub Actions step, removed so that tests run alike there.
GITHUB_VARIABLES = ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")


def run_checker(*arguments, cwd=ROOT, env=None):
    base = {k: v for k, v in os.environ.items() if k not in GITHUB_VARIABLES}
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**base, **(env or {})},
    )


def test_the_handout_scores_zero_and_says_what_to_do():
    result = run_checker("assignments/hw1.py")
    assert result.returncode == 1
    assert "Not implemented yet (25 functions)" in result.stdout
    assert "Replace the `raise NotImplementedError`" in result.stdout
    assert "Total: 0/100" in result.stdout
    assert result.stderr == ""


def test_a_correct_submission_exits_0_and_writes_results_json(tmp_path):
    target = tmp_path / "hw1.py"
    target.write_text((SUBMISSIONS / "correct_stable.py").read_text())
    results = tmp_path / "results.json"
    result = run_checker(target, "--json", results)
    assert result.returncode == 0, result.stdout
    assert "Total: 100/100" in result.stdout

    document = json.loads(results.read_text())
    assert document["score"] == 100
    assert isinstance(document["execution_time"], float)
    functions = set(CONTRACT)
    for test in document["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output"}
        assert test["status"] == "passed"
        assert test["name"].split(":")[0] in functions
    assert sum(t["max_score"] for t in document["tests"]) == 100


def test_results_json_for_a_failing_submission_explains_each_failure(tmp_path):
    results = tmp_path / "results.json"
    result = run_checker(HANDOUT, "--json", results)
    assert result.returncode == 1
    document = json.loads(results.read_text())
    assert document["score"] == 0
    assert all(t["status"] == "failed" for t in document["tests"])
    assert all("not implemented" in t["output"] for t in document["tests"])


def test_quiet_prints_only_the_total():
    result = run_checker(HANDOUT, "-q")
    assert result.stdout.startswith("Total: 0/100")
    assert result.stdout.count("\n") == 1


def test_any_file_name_can_be_graded_with_assignment(tmp_path):
    target = tmp_path / "my_homework.py"
    target.write_text((SUBMISSIONS / "correct_typical.py").read_text())
    result = run_checker(target, "--assignment", "hw1", "-q")
    assert result.returncode == 0
    assert "100/100" in result.stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["nowhere/hw1.py"], "no such file: nowhere/hw1.py"),
        (["README.md"], "is not a Python file"),
        (["assignments"], "is a folder"),
        (["assignments/hw1.py", "--assignment", "hw9"], "unknown assignment 'hw9'"),
        (["tests/conftest.py"], "cannot tell which assignment conftest.py is for"),
        (["assignments/hw1.py", "--json", "no/such/dir/r.json"], "does not exist"),
        (["assignments/hw1.py", "--timeout", "0"], "--timeout 0"),
        (["assignments/hw1.py", "--junit", "no/such/dir/r.xml"], "--junit no/such"),
        (["assignments/hw1.py", "--markdown", "assignments"], "is a folder"),
        (
            ["assignments/hw1.py", "--json", "r.out", "--junit", "r.out"],
            "--junit r.out is also the file of --json",
        ),
        (["assignments/hw1.py", "--github"], "--github needs $GITHUB_STEP_SUMMARY"),
        (
            ["assignments/hw1.py", "--problem", "nope"],
            "--problem: unknown problem 'nope'; known problems: activations, "
            "softmax, divergences, risk, forward, backward, training; or a "
            "function: identity,",
        ),
    ],
    ids=[
        "missing",
        "not-python",
        "folder",
        "unknown",
        "unnamed",
        "json-dir",
        "timeout",
        "junit-dir",
        "markdown-folder",
        "same-file",
        "github-outside-actions",
        "unknown-problem",
    ],
)
def test_unusable_input_exits_2_with_one_clear_line(arguments, message):
    result = run_checker(*arguments)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("checker: error: ")
    assert message in lines[0]


def test_a_broken_file_is_graded_without_a_traceback(tmp_path):
    target = tmp_path / "hw1.py"
    target.write_text("import numpy as np\n\ndef sigmoid(z)\n    return z\n")
    result = run_checker(target)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "Your file could not be loaded" in result.stdout
    assert "SyntaxError" in result.stdout and "hw1.py, line 3" in result.stdout


def test_what_the_submission_prints_stays_out_of_results_json(tmp_path):
    source = (SUBMISSIONS / "correct_typical.py").read_text()
    fake = '{"score": 100, "tests": []}'
    source += f"\nprint({fake!r})\n"
    target = tmp_path / "hw1.py"
    target.write_text(source)
    results = tmp_path / "results.json"
    result = run_checker(target, "--json", results)
    assert result.returncode == 0
    assert "Your code printed:" in result.stdout and fake in result.stdout
    document = json.loads(results.read_text())
    assert len(document["tests"]) > 0
    assert fake not in results.read_text()


def test_the_console_script_is_declared():
    text = (ROOT / "pyproject.toml").read_text()
    assert 'nncheck = "checker.cli:main"' in text


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--timeout", "inf"], "at most 600"),
        (["--timeout", "nan"], "above 0"),
        (["--json", "assignments/hw1.py"], "is the submission itself"),
    ],
    ids=["inf", "nan", "json-is-submission"],
)
def test_more_unusable_options(arguments, message):
    result = run_checker("assignments/hw1.py", *arguments)
    assert result.returncode == 2
    assert message in result.stderr


def test_results_json_follows_the_umask(tmp_path):
    results = tmp_path / "results.json"
    previous = os.umask(0o022)
    try:
        run_checker(HANDOUT, "--json", results, "-q")
    finally:
        os.umask(previous)
    assert results.stat().st_mode & 0o777 == 0o644


def test_a_step_summary_in_no_folder_is_refused_before_grading():
    summary = "no/such/dir/summary"
    result = run_checker(HANDOUT, "--github", env={"GITHUB_STEP_SUMMARY": summary})
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"checker: error: --github: $GITHUB_STEP_SUMMARY is {summary}, in a folder "
        "that does not exist\n"
    )


def _submission(kind: str) -> str:
    if kind == "correct":
        return typical_source()
    if kind == "buggy":
        bug = next(b for b in BUGS if b.id == "backward_derivative_at_output")
        return apply(bug, typical_source())
    return "import numpy as np\n\ndef sigmoid(z)\n    return z\n"


@pytest.mark.parametrize("kind, status", [("correct", 0), ("buggy", 1), ("broken", 1)])
def test_one_run_writes_every_report(tmp_path, kind, status):
    target = tmp_path / "hw1.py"
    target.write_text(_submission(kind))
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier step\n")
    output.write_text("earlier=1\n")
    files = {f: tmp_path / f"report.{f}" for f in ("json", "xml", "md")}
    result = run_checker(
        target,
        "--json",
        files["json"],
        "--junit",
        files["xml"],
        "--markdown",
        files["md"],
        "--github",
        env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)},
    )
    assert result.returncode == status, result.stderr
    assert result.stderr == ""

    document = json.loads(files["json"].read_text())
    validate_gradescope(document)
    score = document["score"]
    assert (score == 100) is (kind == "correct")
    junit = ET.fromstring(files["xml"].read_bytes())
    assert int(junit.get("tests")) == len(document["tests"])
    failed = sum(t["status"] == "failed" for t in document["tests"])
    assert int(junit.get("failures")) + int(junit.get("errors")) == failed
    markdown = files["md"].read_text()
    markdown_outside_code(markdown)
    assert markdown.startswith(f"## hw1: learning a neural network ({score:g}/100")

    # GitHub: the summary appended, the reporter's result, the points line.
    assert summary.read_text() == "earlier step\n" + markdown
    lines = output.read_text().splitlines()
    assert lines[0] == "earlier=1" and lines[1].startswith("result=")
    runner = json.loads(base64.b64decode(lines[1].removeprefix("result=")))
    assert sum(t["score"] for t in runner["tests"]) == score
    assert runner["max_score"] == 100
    assert result.stdout.splitlines()[-1] == f"Points {score:g}/100"
    assert f"Total: {score:g}/100" in result.stdout


def test_problem_runs_part_of_the_checks_and_says_so():
    result = run_checker(
        SUBMISSIONS / "correct_typical.py",
        "--assignment",
        "hw1",
        "--problem",
        "softmax",
        "--problem",
        "risk",
    )
    assert result.returncode == 0, result.stdout
    assert "Total: 16/16 (" in result.stdout
    assert "checks not run) in" in result.stdout
    assert "Not run: " in result.stdout
    assert "of activations, divergences, forward, backward and training;" in (
        " ".join(result.stdout.split())
    )
    table = result.stdout.split("Total:")[0]
    assert "sigmoid:" not in table and "empirical_risk:" in table


def run_in_terminal(*arguments, env):
    """Run the checker with a pseudo-terminal as its output; return both."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "checker", *map(str, arguments)],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=120), b"".join(chunks).decode()


@pytest.mark.parametrize("no_color", [None, "1"], ids=["terminal", "no-color"])
def test_colour_on_a_terminal_unless_no_color(no_color):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    if no_color is not None:
        env["NO_COLOR"] = no_color
    status, text = run_in_terminal(HANDOUT, "--problem", "sigmoid", env=env)
    assert status == 1
    assert "Total: 0/3" in text
    if no_color is None:
        assert "\x1b[31mNOT IMPLEMENTED\x1b[0m" in text
    else:
        assert "\x1b" not in text


def test_every_report_command_in_the_readme_works(tmp_path):
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Reports", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"\| `(python -m checker [^`]+)` \|", section)
    assert len(commands) == 6
    (tmp_path / "hw1.py").write_text(typical_source())
    summary = tmp_path / "summary"
    summary.touch()
    environment = {k: v for k, v in os.environ.items() if k != "NNCHECK_SECRET"}
    environment.update(PYTHONPATH=str(ROOT), GITHUB_STEP_SUMMARY=str(summary))
    for command in commands:
        arguments = shlex.split(command)
        result = subprocess.run(
            [sys.executable, *arguments[1:]],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=120,
        )
        assert result.returncode == 0, (command, result.stderr)
    for name in ("results.json", "report.xml", "summary.md", "dist/hw1-autograder.zip"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert summary.read_text().startswith("## hw1")
