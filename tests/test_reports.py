"""The report writers on real gradings and on hostile text.

A correct, a buggy and a broken submission are graded once (with the hidden
checks on) and every writer renders each; a submission that prints and raises
text built to break the reports, and a report holding such text unsanitised,
check that no writer can be broken by what a student's code says.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET

import pytest
from bugs import BUGS, apply
from conftest import NASTY, markdown_outside_code, typical_source, validate_gradescope

from checker import (
    CheckResult,
    GradeReport,
    Status,
    grade,
    render_gradescope,
    render_junit,
    render_markdown,
    render_terminal,
)
from checker.classroom import render_classroom
from checker.cli import use_color
from checker.report import summary_line

KINDS = ["correct", "buggy", "broken"]

#: Characters no report may let through raw (ours are added after this check
#: only when colour is asked for).
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _source(kind: str) -> str:
    if kind == "correct":
        return typical_source()
    if kind == "buggy":
        bug = next(b for b in BUGS if b.id == "softmax_no_max_shift")
        return apply(bug, typical_source())
    if kind == "broken":
        return "import numpy as np\n\ndef sigmoid(z)\n    return z\n"
    # A correct file that prints hostile text and whose sigmoid raises it.
    source = typical_source() + f"\nprint({NASTY!r})\n"
    return source.replace(
        "def sigmoid(z):", f"def sigmoid(z):\n    raise ValueError({NASTY!r})", 1
    )


@pytest.fixture(scope="module")
def graded(hw1, tmp_path_factory):
    """Reports of the correct, buggy, broken and nasty files, graded once."""
    reports = {}
    for kind in KINDS + ["nasty"]:
        path = tmp_path_factory.mktemp(kind) / "hw1.py"
        path.write_text(_source(kind), encoding="utf-8")
        reports[kind] = grade(path, hw1, secret="course secret")
    return reports


@pytest.fixture(scope="module")
def partial(hw1, tmp_path_factory):
    """The buggy file graded on the softmax problem and sigmoid only."""
    path = tmp_path_factory.mktemp("partial") / "hw1.py"
    path.write_text(_source("buggy"), encoding="utf-8")
    return grade(path, hw1, functions=hw1.select(["softmax", "sigmoid"]))


def hostile_report() -> GradeReport:
    """A report holding hostile text as it is, as if nothing had cleaned it."""
    lone = "\udc80"

    def result(name, problem, score, max_score, status, message, hidden=False):
        return CheckResult(
            name=name,
            function=name.split(":")[0],
            max_score=max_score,
            score=score,
            status=status,
            message=message,
            hidden=hidden,
            problem=problem,
        )

    return GradeReport(
        assignment="hw1",
        submission="hw1.py",
        title="hw1: learning a neural network",
        problems=("activations", "softmax"),
        results=[
            result(
                "sigmoid: raises",
                "activations",
                0,
                1,
                Status.ERROR,
                f"{NASTY}\nsecond line {lone}\n{NASTY}",
            ),
            result("sigmoid: noted", "activations", 1, 1, Status.PASSED, NASTY),
            result(
                "softmax: fenced", "softmax", 0, 2, Status.FAILED, f"```\n{NASTY}\n````"
            ),
            result(
                "softmax: hidden", "softmax", 0, 0, Status.INTERNAL, NASTY, hidden=True
            ),
        ],
        printed=f"{NASTY}\n```\n</details>\n{lone}\n",
        notes=[NASTY],
        execution_time=1.25,
    )


def assert_escaped(lines: list[str]) -> None:
    """Hostile text on these Markdown lines (outside code blocks) is inert:
    no raw angle bracket, no backtick or bracket without its backslash."""
    for line in lines:
        if "EVIL" in line:
            assert "<" not in line and ">" not in line, line
            assert not re.search(r"(?<!\\)[`\[\]]", line), line


# --------------------------------------------------------------------------
# Terminal


def test_the_terminal_table_groups_checks_under_their_problem(graded, hw1):
    text = render_terminal(graded["correct"])
    problem = None
    seen = []
    for line in text.splitlines():
        head = re.match(r"^([a-z]+)\s+(\d+/\d+)\s+ok$", line)
        if head:
            problem = head[1]
            seen.append(problem)
            totals = sum(hw1.points_by_function()[f] for f in hw1.problems[problem])
            assert head[2] == f"{totals}/{totals}"
        elif re.match(r"^  [a-z_0-9]+: ", line):
            function = line.split(":")[0].strip()
            assert hw1.problem_of(function) == problem, line
    assert seen == list(hw1.problems)


def test_the_terminal_explains_failures_and_counts_hidden_checks(graded):
    text = render_terminal(graded["buggy"])
    assert re.search(r"^softmax\s+\d+/12\s+\d+ failed$", text, re.M)
    assert "Failures\n--------\n" in text
    assert "softmax: no overflow for entries of 1000 and 1e5 (0/2, failed)" in text
    assert "got nan in 8 of them" in text
    # Passing hidden checks are counted, not listed; failing ones are listed.
    hidden = [r for r in graded["buggy"].results if r.hidden]
    failed = [r for r in hidden if not r.passed]
    assert failed and len(failed) < len(hidden)
    assert f"{len(hidden)} hidden checks" in text
    assert f"{len(hidden) - len(failed)} passed, {len(failed)} failed" in text
    listed = [line for line in text.splitlines() if "(hidden inputs)" in line]
    assert {r.name in text for r in failed} == {True}
    assert len(listed) < len(hidden)


def test_verbose_lists_every_check_with_its_time(graded):
    quiet = render_terminal(graded["correct"])
    loud = render_terminal(graded["correct"], verbose=True)
    assert "inputs)" not in quiet
    # A long name wraps, "(hidden" ending one line and "inputs)" the next.
    assert loud.count("inputs)") == sum(r.hidden for r in graded["correct"].results)
    assert re.search(r"^check\s+points\s+status\s+time$", loud, re.M)
    assert re.search(r"\d+\.\d\ds$", loud, re.M)


@pytest.mark.parametrize(
    "outcomes, expected",
    [
        ([True], "(1 of 1 check passed, 0 failed)"),
        ([True, False], "(1 of 2 checks passed, 1 failed)"),
        ([False, False, False], "(0 of 3 checks passed, 3 failed)"),
    ],
    ids=["one", "two", "three"],
)
def test_the_summary_line_is_pluralised(outcomes, expected):
    report = GradeReport("hw1", "hw1.py")
    for i, passed in enumerate(outcomes):
        status = Status.PASSED if passed else Status.FAILED
        report.results.append(
            CheckResult(f"sigmoid: {i}", "sigmoid", 1, float(passed), status)
        )
    line = summary_line(report)
    assert expected in line
    assert line.startswith(f"Total: {sum(outcomes)}/{len(outcomes)} ")


def test_colour_is_added_only_when_asked(graded):
    plain = render_terminal(graded["buggy"])
    colored = render_terminal(graded["buggy"], color=True)
    assert "\x1b" not in plain
    assert "\x1b[32mok\x1b[0m" in colored and "\x1b[31mFAILED\x1b[0m" in colored
    # Colour changes nothing else.
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


class _Stream:
    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    "tty, environ, expected",
    [
        (True, {}, True),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": "anything"}, False),
        (True, {"NO_COLOR": ""}, True),
        (False, {}, False),
    ],
    ids=["terminal", "no-color", "no-color-any", "no-color-empty", "pipe"],
)
def test_colour_only_on_a_terminal_and_never_with_no_color(tty, environ, expected):
    assert use_color(_Stream(tty), environ) is expected


def test_hostile_text_cannot_reach_the_terminal_raw(graded):
    for report in (graded["nasty"], hostile_report()):
        text = render_terminal(report, verbose=True)
        assert not RAW_CONTROLS.search(text), RAW_CONTROLS.search(text)
        assert "\\x1b[31mred" in text or "?[31mred" in text
        assert "EVIL" in text


# --------------------------------------------------------------------------
# Gradescope results.json


@pytest.mark.parametrize("kind", KINDS)
def test_results_json_is_valid_and_complete(graded, hw1, kind):
    report = graded[kind]
    document = json.loads(render_gradescope(report))
    validate_gradescope(document)

    assert document["score"] == report.score
    assert document["output_format"] == "md"
    assert document["visibility"] == "visible"
    assert document["stdout_visibility"] == "hidden"
    assert sum(t["max_score"] for t in document["tests"]) == 100
    assert len(document["tests"]) == len(report.results)
    problems = list(hw1.problems)
    last = (0, 0)
    for test in document["tests"]:
        function = test["name"].split(":")[0]
        assert test["tags"] == [function]
        assert test["output_format"] == "text"
        hidden = test["name"].endswith("(hidden inputs)")
        assert test["visibility"] == ("after_due_date" if hidden else "visible")
        problem, position = map(int, test["number"].split("."))
        assert problems[problem - 1] == hw1.problem_of(function)
        assert (problem, position) > last
        last = (problem, position)


def test_results_json_explains_failures_and_hides_hidden_checks(graded):
    document = json.loads(render_gradescope(graded["buggy"]))
    by_name = {t["name"]: t for t in document["tests"]}
    overflow = by_name["softmax: no overflow for entries of 1000 and 1e5"]
    assert overflow["status"] == "failed" and overflow["score"] == 0
    assert overflow["output"].startswith("failed: on entries of +-1000")
    hidden = [t for t in document["tests"] if t["visibility"] == "after_due_date"]
    assert hidden and all(t["max_score"] == 0 for t in hidden)
    assert any(t["status"] == "failed" for t in hidden)
    assert "| ❌ softmax |" in document["output"]
    assert "| ✅ activations | 20/20 |" in document["output"]


def test_results_json_of_a_broken_file_says_why(graded):
    document = json.loads(render_gradescope(graded["broken"]))
    assert document["score"] == 0
    assert {t["status"] for t in document["tests"]} == {"failed"}
    assert "Your file could not be loaded" in document["output"]
    assert "SyntaxError" in document["output"]


def test_hostile_text_cannot_break_results_json(graded):
    for report in (graded["nasty"], hostile_report()):
        text = render_gradescope(report)
        document = json.loads(text)
        validate_gradescope(document)
        strings = [document["output"]] + [t["output"] for t in document["tests"]]
        assert any("EVIL" in s for s in strings)
        for string in strings:
            assert not RAW_CONTROLS.search(string)
            string.encode("utf-8")  # no lone surrogate left
        # The Markdown overview keeps what was printed inside its code block.
        assert_escaped(markdown_outside_code(document["output"]))


# --------------------------------------------------------------------------
# JUnit XML


@pytest.mark.parametrize("kind", KINDS)
def test_junit_has_one_case_per_check_grouped_by_problem(graded, hw1, kind):
    report = graded[kind]
    root = ET.fromstring(render_junit(report).encode("utf-8"))
    assert root.tag == "testsuites"
    cases = root.findall("testsuite/testcase")
    assert len(cases) == len(report.results) == int(root.get("tests"))
    failed = [r for r in report.results if not r.passed]
    assert int(root.get("failures")) + int(root.get("errors")) == len(failed)
    assert [s.get("name") for s in root.findall("testsuite")] == [
        f"hw1.{p}" for p in hw1.problems
    ]
    for suite in root.findall("testsuite"):
        problem = suite.get("name").removeprefix("hw1.")
        for case in suite.findall("testcase"):
            function = case.get("classname").rsplit(".", 1)[1]
            assert hw1.problem_of(function) == problem
            assert case.get("name").startswith(function + ": ")
    by_name = {c.get("name"): c for c in cases}
    for r in failed:
        failure = by_name[r.name].find("failure")
        assert failure is not None and failure.get("type") == r.status.value
        assert failure.text.strip() == (r.message or r.status.value).strip()
        assert failure.get("message").removesuffix("...") in failure.text


def test_junit_carries_points_and_the_printed_output(graded):
    root = ET.fromstring(render_junit(graded["buggy"]).encode("utf-8"))
    softmax = root.find("testsuite[@name='hw1.softmax']")
    points = {p.get("name"): p.get("value") for p in softmax.find("properties")}
    assert points["max_points"] == "12" and points["points"] != "12"
    out = root.find("testsuite").find("system-out").text
    assert "RuntimeWarning: overflow encountered in exp" in out
    assert out.startswith("Total: ")


def test_hostile_text_cannot_break_junit(graded):
    for report in (graded["nasty"], hostile_report()):
        text = render_junit(report)
        assert not RAW_CONTROLS.search(text)
        root = ET.fromstring(text.encode("utf-8"))  # expat refuses bad XML
        texts = [e.text or "" for e in root.iter()] + [
            value for e in root.iter() for value in e.attrib.values()
        ]
        joined = "\n".join(texts)
        # The hostile markup comes back as text, not as elements.
        assert "]]> </details>" in joined and "</failure></testcase>" in joined
        assert {e.tag for e in root.iter()} <= {
            "testsuites",
            "testsuite",
            "testcase",
            "properties",
            "property",
            "failure",
            "error",
            "skipped",
            "system-out",
        }
    report = hostile_report()
    root = ET.fromstring(render_junit(report).encode("utf-8"))
    assert root.find(".//error") is not None  # the grader's own failure
    assert "\\x1b[31mred" in root.find(".//failure").text
    assert "\\udc80" in root.find(".//failure").text


# --------------------------------------------------------------------------
# Markdown


def test_markdown_has_the_points_table_and_folded_failures(graded):
    text = render_markdown(graded["buggy"])
    report = graded["buggy"]
    assert text.startswith(
        f"## hw1: learning a neural network ({report.score:.0f}/100 points)\n"
    )
    assert "| Problem | Points | Checks |" in text
    assert re.search(
        r"^\| ✅ activations \| 20/20 \| (\d+) of \1 passed \|$", text, re.M
    )
    failures = [r for r in report.results if not r.passed]
    outside = markdown_outside_code(text)
    opened = [line for line in outside if line.startswith("<details>")]
    assert len(opened) == len(failures) + 1  # and what the code printed
    assert outside.count("</details>") == len(opened)
    assert (
        "<details><summary>❌ softmax: no overflow for entries of 1000 and 1e5 "
        "(0/2, failed)</summary>" in outside
    )


def test_markdown_of_a_correct_and_a_broken_file(graded):
    correct = render_markdown(graded["correct"])
    assert "### Failures" not in correct and "<details>" not in correct
    assert "| **Total** | **100/100** |" in correct
    broken = render_markdown(graded["broken"])
    assert "Your file could not be loaded:" in broken
    # One cause, not one folded block per check.
    assert "### Failures" not in broken


def test_hostile_text_cannot_break_the_markdown(graded):
    for report in (graded["nasty"], hostile_report()):
        text = render_markdown(report)
        assert not RAW_CONTROLS.search(text)
        outside = markdown_outside_code(text)
        assert_escaped(outside)
        shown = [r for r in report.results if not r.passed]
        opened = [line for line in outside if line.startswith("<details>")]
        assert len(opened) == outside.count("</details>") == len(shown) + 1
        assert "EVIL" in text  # still shown, inside code blocks


# --------------------------------------------------------------------------
# GitHub Classroom


def test_the_classroom_result_carries_the_points(graded):
    report = graded["buggy"]
    document = json.loads(base64.b64decode(render_classroom(report)))
    assert document["version"] == 1
    assert document["status"] == "fail"
    assert document["max_score"] == 100
    assert sum(t["score"] for t in document["tests"]) == report.score < 100
    hidden = [t for t in document["tests"] if t["name"].endswith("(hidden inputs)")]
    assert hidden and all(t["message"] == "" for t in hidden)


# --------------------------------------------------------------------------
# Part of the checks


def test_every_writer_says_what_was_not_run(partial, hw1):
    ran = {r.problem for r in partial.results}
    assert ran == {"activations", "softmax"}
    assert [n.problem for n in partial.not_run] == [
        p for p in hw1.problems if p != "softmax"
    ]
    chosen = hw1.select(["softmax", "sigmoid"])
    assert chosen == {"softmax", "softmax_jacobian", "sigmoid"}
    left_out = sum(1 for c in hw1.checks if c.function not in chosen)
    assert partial.checks_not_run == left_out
    points = hw1.points_by_function()
    assert partial.max_score == sum(points[f] for f in chosen)

    terminal = render_terminal(partial)
    assert f"; {left_out} checks not run)" in terminal
    assert "Not run: " in terminal and "activations (in part)" in terminal
    assert "the total counts only the checks that ran" in terminal

    document = json.loads(render_gradescope(partial))
    validate_gradescope(document)
    assert {t["tags"][0] for t in document["tests"]} == {
        "sigmoid",
        "softmax",
        "softmax_jacobian",
    }
    assert "Not run: " in document["output"]

    root = ET.fromstring(render_junit(partial).encode("utf-8"))
    assert int(root.get("skipped")) == left_out
    assert len(root.findall(".//testcase/skipped")) == left_out

    assert "the total counts only the checks that ran" in render_markdown(partial)
