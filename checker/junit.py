"""JUnit XML, the test report CI dashboards read.

One ``<testsuite>`` per problem, named ``<assignment>.<problem>``, and one
``<testcase>`` per check, its ``classname`` ending with the function checked.
A failed check carries a ``<failure>`` whose ``message`` is the first line of
the explanation and whose text is the whole of it; a check the grader itself
could not run carries an ``<error>`` instead (as in pytest, a mistake in the
submission is a failure, whatever the exception). Checks left out by
``--problem`` are ``<skipped>``. Points travel as properties of each case
and suite. The first suite's ``<system-out>`` holds the remarks on the whole
file and what the submission printed.

The document is built with `xml.etree.ElementTree`, which escapes markup;
characters XML 1.0 forbids (most control characters, lone surrogates) are
written as visible escapes first, so the file always parses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ._escape import one_line, visible
from .report import format_points, hidden_line, not_run_line, summary_line
from .results import CheckResult, GradeReport, Status

__all__ = ["render_junit"]

#: Longest ``message`` attribute, in characters; the text has the rest.
_MAX_MESSAGE = 200


def _properties(parent: ET.Element, **values: str) -> None:
    properties = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=value)


def _first_line(text: str) -> str:
    line = one_line(text.strip().split("\n", 1)[0]) if text.strip() else ""
    return line if len(line) <= _MAX_MESSAGE else line[: _MAX_MESSAGE - 3] + "..."


def _testcase(suite: ET.Element, classname: str, result: CheckResult) -> None:
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"{classname}.{result.function}",
        name=one_line(result.name),
        time=f"{result.seconds:.3f}",
    )
    _properties(
        case,
        function=result.function,
        points=format_points(result.score),
        max_points=format_points(result.max_score),
        hidden="true" if result.hidden else "false",
    )
    if result.passed:
        return
    tag = "error" if result.status is Status.INTERNAL else "failure"
    explanation = visible(result.message) or result.status.value
    problem = ET.SubElement(
        case,
        tag,
        message=_first_line(result.message) or result.status.value,
        type=result.status.value,
    )
    problem.text = explanation


def _remarks(report: GradeReport) -> str:
    lines = [summary_line(report)]
    if report.load_error:
        lines.append(f"Your file could not be loaded: {report.load_error}")
    lines += [f"Note: {note}" for note in report.notes]
    if report.hidden_not_run:
        lines.append(hidden_line(report))
    if report.not_run:
        lines.append(not_run_line(report))
    if report.printed.strip():
        lines += ["", "Your code printed:", report.printed.rstrip()]
    return visible("\n".join(lines)) + "\n"


def render_junit(report: GradeReport) -> str:
    """Render the report as a JUnit XML document.

    Returns
    -------
    str
        The document, with its XML declaration, ending with a newline. Write
        it as UTF-8.
    """
    order = list(report.problems)
    order += [r.problem for r in report.results if r.problem not in order]
    not_run = {n.problem: n for n in report.not_run}
    failures = sum(
        not r.passed and r.status is not Status.INTERNAL for r in report.results
    )
    errors = sum(r.status is Status.INTERNAL for r in report.results)
    root = ET.Element(
        "testsuites",
        name=report.assignment,
        tests=str(len(report.results) + report.checks_not_run),
        failures=str(failures),
        errors=str(errors),
        skipped=str(report.checks_not_run),
        time=f"{report.execution_time:.3f}",
    )

    suites = []
    for problem in dict.fromkeys(order):
        results = [r for r in report.results if r.problem == problem]
        skipped = not_run[problem].checks if problem in not_run else ()
        if not results and not skipped:
            continue
        classname = f"{report.assignment}.{problem}"
        suite = ET.SubElement(
            root,
            "testsuite",
            name=classname,
            tests=str(len(results) + len(skipped)),
            failures=str(
                sum(not r.passed and r.status is not Status.INTERNAL for r in results)
            ),
            errors=str(sum(r.status is Status.INTERNAL for r in results)),
            skipped=str(len(skipped)),
            time=f"{sum(r.seconds for r in results):.3f}",
        )
        suites.append(suite)
        _properties(
            suite,
            points=format_points(sum(r.score for r in results)),
            max_points=format_points(sum(r.max_score for r in results)),
        )
        for result in results:
            _testcase(suite, classname, result)
        for name in skipped:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{classname}.{name.split(':', 1)[0]}",
                name=one_line(name),
                time="0.000",
            )
            ET.SubElement(
                case, "skipped", message="not run: only some problems were asked for"
            )

    if suites:
        ET.SubElement(suites[0], "system-out").text = _remarks(report)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
