"""The terminal report, and the sentences every writer shares.

A writer takes a finished `checker.results.GradeReport` and returns text; none
of them prints, and none decides anything the result model does not say. The
other writers are `checker.gradescope` (results.json), `checker.junit` (JUnit
XML) and `checker.markdown` (pull requests and GitHub step summaries). The CLI
decides where each text goes.
"""

from __future__ import annotations

import textwrap

from tabulate import tabulate

from ._escape import one_line, visible
from .results import CheckResult, GradeReport, ProblemTotals, Status

__all__ = [
    "render_terminal",
    "format_points",
    "summary_line",
    "hidden_line",
    "not_run_line",
    "points_line",
    "functions_all_ended",
    "plural",
    "fraction",
]

#: How many lines of a failure's explanation the terminal shows.
_MAX_FAILURE_LINES = 20

#: How many characters of the submission's printed output the terminal shows.
_MAX_PRINTED_CHARS = 2000

#: Width of the check names in the terminal table, before their indent.
_NAME_WIDTH = 66

#: Select Graphic Rendition codes of the few styles the terminal report uses.
_BOLD, _RED, _GREEN, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[32m", "\x1b[0m"


def format_points(points: float) -> str:
    """Whole points without decimals, others with at most two."""
    return f"{points:.0f}" if float(points).is_integer() else f"{points:.2f}"


def plural(count: int, word: str) -> str:
    """``1 check``, ``2 checks``."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def fraction(score: float, max_score: float) -> str:
    """``earned/possible`` in points, e.g. ``7/12``."""
    return f"{format_points(score)}/{format_points(max_score)}"


def _listing(names: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def summary_line(report: GradeReport) -> str:
    """One line: the total, how many checks passed and failed, and how many
    were not run when only some problems were asked for."""
    passed = sum(r.passed for r in report.results)
    failed = len(report.results) - passed
    counts = (
        f"{passed} of {plural(len(report.results), 'check')} passed, {failed} failed"
    )
    if report.not_run:
        counts += f"; {plural(report.checks_not_run, 'check')} not run"
    return (
        f"Total: {fraction(report.score, report.max_score)} ({counts}) "
        f"in {report.execution_time:.1f} s"
    )


def points_line(report: GradeReport) -> str:
    """``Points X/Y``, the line GitHub Classroom's autograding reports carry."""
    return f"Points {fraction(report.score, report.max_score)}"


def hidden_line(report: GradeReport) -> str:
    """Say how many hidden checks exist when they were not run."""
    count = report.hidden_not_run
    verb = "it was" if count == 1 else "they were"
    return (
        f"{plural(count, 'hidden check')} (the same checks on inputs you have "
        f"not seen) run only with the instructor's secret; {verb} not run here."
    )


def not_run_line(report: GradeReport) -> str:
    """Say which problems were left out and that the totals do not count them."""
    ran = {r.problem for r in report.results}
    problems = [
        n.problem + (" (in part)" if n.problem in ran else "") for n in report.not_run
    ]
    points = sum(n.points for n in report.not_run)
    worth = format_points(points) + (" point" if points == 1 else " points")
    return (
        f"Not run: {plural(report.checks_not_run, 'check')} worth {worth}, "
        f"of {_listing(problems)}; the total counts only the checks that ran."
    )


class _Painter:
    """Wrap text in terminal colours, or leave it alone."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not text:
            return text
        return "".join(styles) + text + _RESET


def _status_cell(result: CheckResult, paint: _Painter) -> str:
    if result.passed:
        return paint("ok", _GREEN)
    return paint(result.status.value.upper(), _RED)


def _problem_row(totals: ProblemTotals, paint: _Painter) -> list[str]:
    if totals.failed:
        status = paint(f"{totals.failed} failed", _BOLD, _RED)
    else:
        status = paint("ok", _BOLD, _GREEN)
    points = paint(fraction(totals.score, totals.max_score), _BOLD)
    return [paint(totals.problem, _BOLD), points, status]


def _table(report: GradeReport, verbose: bool, paint: _Painter) -> str:
    """The checks grouped by problem, each problem headed by its points.

    Without ``verbose``, hidden checks that passed are left out (a line under
    the table counts them). tabulate lays out the columns; the check rows are
    then indented under their problem, and a blank line set before each
    problem but the first. For that the names are wrapped here, so that the
    lines of each row are known.
    """
    rows: list[list[str]] = []
    heads: list[str | None] = []  # each row's problem cell, None for a check
    heights: list[int] = []
    for totals in report.by_problem():
        row = _problem_row(totals, paint)
        rows.append(row + ([""] if verbose else []))
        heads.append(row[0])
        heights.append(1)
        for r in report.results:
            if r.problem != totals.problem or (r.hidden and r.passed and not verbose):
                continue
            name = textwrap.wrap(one_line(r.name), _NAME_WIDTH) or [""]
            row = [
                "\n".join(name),
                fraction(r.score, r.max_score),
                _status_cell(r, paint),
            ]
            if verbose:
                row.append(f"{r.seconds:.2f}s")
            rows.append(row)
            heads.append(None)
            heights.append(len(name))
    headers = ["check", "points", "status"] + (["time"] if verbose else [])
    table = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)

    header, rule, *body = table.splitlines()
    lines = [header[:5] + "  " + header[5:], "--" + rule]
    start = 0
    for head, height in zip(heads, heights):
        for line in body[start : start + height]:
            if head is None:
                lines.append("  " + line)
            else:
                if start:
                    lines.append("")
                lines.append(head + "  " + line[len(head) :])
        start += height
    return "\n".join(line.rstrip() for line in lines)


def functions_all_ended(report: GradeReport, status: Status) -> list[str]:
    """Functions, in report order, all of whose checks ended with ``status``."""
    statuses: dict[str, set[Status]] = {}
    for r in report.results:
        statuses.setdefault(r.function, set()).add(r.status)
    return [f for f, s in statuses.items() if s == {status}]


def failures_to_explain(report: GradeReport, grouped: set[str]) -> list[CheckResult]:
    """The failed checks a writer explains one by one: not those of the
    ``grouped`` functions (listed once as not implemented or missing), nor
    those that failed because the file could not be loaded."""
    return [
        r
        for r in report.results
        if not r.passed
        and r.function not in grouped
        and r.status is not Status.NOT_LOADED
    ]


def _hidden_ran_line(report: GradeReport) -> str | None:
    hidden = [r for r in report.results if r.hidden]
    if not hidden:
        return None
    passed = sum(r.passed for r in hidden)
    failed = len(hidden) - passed
    return (
        f"{plural(len(hidden), 'hidden check')} (the same checks on inputs you "
        f"have not seen) ran: {passed} passed, {failed} failed; -v lists them all."
    )


def render_terminal(
    report: GradeReport, verbose: bool = False, color: bool = False
) -> str:
    """Render the report for a terminal: the checks grouped by problem with
    their points, the failures explained, and the total.

    Parameters
    ----------
    report : GradeReport
        The finished grading.
    verbose : bool
        Also list the hidden checks that passed, show the notes of passing
        checks, and each check's time.
    color : bool
        Colour the statuses and the total with terminal escape codes. The
        caller decides (only on a terminal, never when NO_COLOR is set).
    """
    paint = _Painter(color)
    lines = [f"{report.assignment}: grading {one_line(report.submission)}", ""]
    lines.append(_table(report, verbose, paint))
    if not verbose and (line := _hidden_ran_line(report)):
        lines += ["", *textwrap.wrap(line, 88)]

    if report.load_error:
        lines += [
            "",
            f"Your file could not be loaded: {visible(report.load_error)}",
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
        names = functions_all_ended(report, status)
        if names and not report.load_error:
            grouped.update(names)
            listing = f"{title} ({plural(len(names), 'function')}): "
            lines += ["", *textwrap.wrap(listing + ", ".join(names) + ".", 88)]
            lines.append(advice)

    failures = failures_to_explain(report, grouped)
    if failures:
        lines += ["", paint("Failures", _BOLD), "--------"]
        for r in failures:
            heading = (
                f"{one_line(r.name)} ({fraction(r.score, r.max_score)}, "
                f"{r.status.value})"
            )
            lines.append(paint(heading, _BOLD))
            explanation = visible(r.message).splitlines() or [r.status.value]
            if len(explanation) > _MAX_FAILURE_LINES:
                cut = len(explanation) - _MAX_FAILURE_LINES
                explanation = explanation[:_MAX_FAILURE_LINES] + [
                    f"[... {cut} more lines]"
                ]
            lines += ["    " + line for line in explanation]
            lines.append("")
        lines.pop()

    notes = [r for r in report.results if r.passed and r.message]
    if verbose and notes:
        lines += ["", "Notes", "-----"]
        for r in notes:
            lines.append(f"{one_line(r.name)}: {visible(r.message)}")

    if report.printed.strip():
        printed = report.printed
        if len(printed) > _MAX_PRINTED_CHARS:
            printed = printed[:_MAX_PRINTED_CHARS] + "\n[... output cut]"
        lines += ["", "Your code printed:"]
        lines += ["  | " + line for line in visible(printed).rstrip().splitlines()]

    for note in report.notes:
        lines += ["", *textwrap.wrap(f"Note: {visible(note)}", 88)]
    if report.hidden_not_run:
        lines += ["", *textwrap.wrap(hidden_line(report), 88)]
    if report.not_run:
        lines += ["", *textwrap.wrap(not_run_line(report), 88)]
    total = summary_line(report)
    lines += ["", paint(total, _BOLD, _GREEN if report.all_passed else _RED)]
    return "\n".join(lines) + "\n"
