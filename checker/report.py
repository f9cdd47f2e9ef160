"""Report writers: the terminal table and Gradescope's results.json.

Each writer takes a finished `checker.results.GradeReport` and returns text;
none of them prints. The CLI decides where the text goes.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter

from tabulate import tabulate

from .results import CheckResult, GradeReport, Status

__all__ = ["render_terminal", "render_gradescope", "format_points"]

#: How many lines of a failure's explanation the terminal shows.
_MAX_FAILURE_LINES = 20

#: How many characters of the submission's printed output the terminal shows.
_MAX_PRINTED_CHARS = 2000


def format_points(points: float) -> str:
    """Whole points without decimals, others with at most two."""
    return f"{points:.0f}" if float(points).is_integer() else f"{points:.2f}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _status_text(result: CheckResult) -> str:
    return "ok" if result.passed else result.status.value.upper()


def _all_checks_ended(report: GradeReport, status: Status) -> list[str]:
    """Functions, in report order, all of whose checks ended with ``status``."""
    statuses: dict[str, set[Status]] = {}
    for r in report.results:
        statuses.setdefault(r.function, set()).add(r.status)
    return [f for f, s in statuses.items() if s == {status}]


def render_terminal(report: GradeReport, verbose: bool = False) -> str:
    """Render the report as a table, the failures explained, and the total.

    Parameters
    ----------
    report : GradeReport
        The finished grading.
    verbose : bool
        Also show the notes of passing checks and each check's time.
    """
    lines = [f"{report.assignment}: grading {report.submission}", ""]
    rows = []
    for r in report.results:
        row = [
            r.name,
            f"{format_points(r.score)}/{format_points(r.max_score)}",
            _status_text(r),
        ]
        if verbose:
            row.append(f"{r.seconds:.2f}s")
        rows.append(row)
    headers = ["check", "points", "status"] + (["time"] if verbose else [])
    lines.append(
        tabulate(rows, headers=headers, tablefmt="simple", maxcolwidths=[72, None])
    )

    if report.load_error:
        lines += [
            "",
            f"Your file could not be loaded: {report.load_error}",
            "No function could be checked. Fix this first, then run the checker again.",
        ]

    # Functions that are all stubs, or all missing, are listed once.
    grouped: set[str] = set()
    for status, title, advice in (
        (
            Status.NOT_IMPLEMENTED,
            "Not implemented yet",
            "Replace the `raise NotImplementedError` in each with your code.",
        ),
        (
            Status.MISSING,
            "Missing from your file",
            "Define each at the top level of your file, with the handout's name.",
        ),
    ):
        names = _all_checks_ended(report, status)
        if names and not report.load_error:
            grouped.update(names)
            listing = f"{title} ({_plural(len(names), 'function')}): "
            lines += ["", *textwrap.wrap(listing + ", ".join(names) + ".", 88)]
            lines.append(advice)

    failures = [
        r
        for r in report.results
        if not r.passed
        and r.function not in grouped
        and r.status is not Status.NOT_LOADED
    ]
    if failures:
        lines += ["", "Failures", "--------"]
        for r in failures:
            lines.append(
                f"{r.name} ({format_points(r.score)}/"
                f"{format_points(r.max_score)}, {r.status.value})"
            )
            explanation = r.message.splitlines() or [r.status.value]
            if len(explanation) > _MAX_FAILURE_LINES:
                hidden = len(explanation) - _MAX_FAILURE_LINES
                explanation = explanation[:_MAX_FAILURE_LINES] + [
                    f"[... {hidden} more lines]"
                ]
            lines += ["    " + line for line in explanation]
            lines.append("")
        lines.pop()

    notes = [r for r in report.results if r.passed and r.message]
    if verbose and notes:
        lines += ["", "Notes", "-----"]
        for r in notes:
            lines.append(f"{r.name}: {r.message}")

    if report.printed.strip():
        printed = report.printed
        if len(printed) > _MAX_PRINTED_CHARS:
            printed = printed[:_MAX_PRINTED_CHARS] + "\n[... output cut]"
        lines += ["", "Your code printed:"]
        lines += ["  | " + line for line in printed.rstrip().splitlines()]

    for note in report.notes:
        lines += ["", *textwrap.wrap(f"Note: {note}", 88)]
    if report.hidden_not_run:
        lines += ["", *textwrap.wrap(hidden_line(report), 88)]
    lines += ["", summary_line(report)]
    return "\n".join(lines) + "\n"


def hidden_line(report: GradeReport) -> str:
    """Say how many hidden checks exist when they were not run."""
    count = report.hidden_not_run
    verb = "it was" if count == 1 else "they were"
    return (
        f"{_plural(count, 'hidden check')} (the same checks on inputs you have "
        f"not seen) run only with the instructor's secret; {verb} not run here."
    )


def summary_line(report: GradeReport) -> str:
    """One line: the total and how many checks passed and failed."""
    counts = Counter(r.passed for r in report.results)
    total = len(report.results)
    return (
        f"Total: {format_points(report.score)}/{format_points(report.max_score)} "
        f"({counts[True]} of {_plural(total, 'check')} passed, "
        f"{counts[False]} failed) in {report.execution_time:.1f} s"
    )


def render_gradescope(report: GradeReport) -> str:
    """Render the report in Gradescope's results.json format.

    The top level holds ``score``, ``execution_time`` and ``tests``; each test
    has ``name``, ``score``, ``max_score``, ``status`` ("passed" or
    "failed") and ``output``.
    """
    tests = []
    for r in report.results:
        output = r.message
        if not r.passed:
            output = f"{r.status.value}: {r.message}" if r.message else r.status.value
        test = {
            "name": r.name,
            "score": r.score,
            "max_score": r.max_score,
            "status": "passed" if r.passed else "failed",
            "output": output,
        }
        if r.hidden:
            test["visibility"] = "after_due_date"
        tests.append(test)

    document = {
        "score": report.score,
        "execution_time": round(report.execution_time, 3),
        "output": summary_line(report),
        "tests": tests,
    }
    if report.load_error:
        document["output"] += f"\nYour file could not be loaded: {report.load_error}"
    for note in report.notes:
        document["output"] += f"\nNote: {note}"
    if report.hidden_not_run:
        document["output"] += "\n" + hidden_line(report)
    return json.dumps(document, indent=2) + "\n"
