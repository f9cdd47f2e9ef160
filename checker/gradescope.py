"""Gradescope's results.json, the whole format.

The top level carries the ``score``, the ``execution_time``, an ``output`` in
Markdown (the totals per problem, notes, and what the submission printed),
its ``output_format``, the ``visibility`` of the results and the
``stdout_visibility`` of the autograder's own output (hidden: it is the
terminal report, for the instructor). Each test carries a ``number``
(``problem.check``, which orders and groups the tests), ``name``, ``score``,
``max_score``, ``status``, ``output`` with its ``output_format``, ``tags``
(the function it checks) and ``visibility``: hidden checks stay hidden until
after the due date, so that a student never sees them while submitting.

Gradescope shows a test's text output in a preformatted block, so the
explanations keep their alignment; the overview is Markdown.
"""

from __future__ import annotations

import json

from ._escape import visible
from .markdown import markdown_overview, printed_section
from .results import CheckResult, GradeReport

__all__ = ["render_gradescope", "grouped_results"]


def grouped_results(report: GradeReport) -> list[tuple[str, str, CheckResult]]:
    """``(number, problem, result)`` for every result, grouped by problem.

    Problems come in handout order and are numbered from 1; a problem's
    checks keep the report's order (public checks, then their hidden twins)
    and are numbered from 1 within it: ``"2.3"`` is the third check of the
    second problem.
    """
    order = list(report.problems)
    order += [r.problem for r in report.results if r.problem not in order]
    grouped = []
    for index, problem in enumerate(dict.fromkeys(order), start=1):
        results = [r for r in report.results if r.problem == problem]
        for position, result in enumerate(results, start=1):
            grouped.append((f"{index}.{position}", problem, result))
    return grouped


def _test_output(result: CheckResult) -> str:
    if result.passed:
        return visible(result.message)
    if not result.message:
        return result.status.value
    return f"{result.status.value}: {visible(result.message)}"


def render_gradescope(report: GradeReport) -> str:
    """Render the report as Gradescope's results.json.

    Returns
    -------
    str
        A JSON document ending with a newline. Every text in it passed
        through `checker._escape.visible`, and JSON's own escaping keeps any
        text from closing a string or the document.
    """
    tests = []
    for number, _, result in grouped_results(report):
        tests.append(
            {
                "number": number,
                "name": visible(result.name),
                "score": result.score,
                "max_score": result.max_score,
                "status": "passed" if result.passed else "failed",
                "output": _test_output(result),
                "output_format": "text",
                "tags": [result.function],
                "visibility": "after_due_date" if result.hidden else "visible",
            }
        )

    output = markdown_overview(report)
    printed = printed_section(report, folded=False)
    if printed:
        output += "\n" + printed
    document = {
        "score": report.score,
        "execution_time": round(report.execution_time, 3),
        "output": output,
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(document, indent=2) + "\n"
