"""The command line, run as a student and a CI job run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from bugs import CONTRACT
from conftest import HANDOUT, ROOT, SUBMISSIONS


def run_checker(*arguments, cwd=ROOT):
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
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
    ],
    ids=[
        "missing",
        "not-python",
        "folder",
        "unknown",
        "unnamed",
        "json-dir",
        "timeout",
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
