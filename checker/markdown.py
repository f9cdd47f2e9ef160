"""The Markdown report: a summary for a pull request or a GitHub step summary.

It opens with the total, then a table of points per problem, then each
failure folded in a ``<details>`` block with its explanation in a code block,
then what the submission printed, folded too. Text from the submission (its
messages, what it printed) only ever appears inside fenced code blocks whose
fence is longer than any run of backticks in the text, so it cannot close the
block, a ``<details>`` element or anything around it; names and notes outside
code blocks are escaped.
"""

from __future__ import annotations

import html
import re

from ._escape import one_line, visible
from .report import (
    failures_to_explain,
    fraction,
    functions_all_ended,
    hidden_line,
    not_run_line,
    plural,
    summary_line,
)
from .results import GradeReport, Status

__all__ = ["render_markdown", "markdown_overview", "printed_section", "fenced"]

#: How many lines of a failure's explanation the summary shows.
_MAX_FAILURE_LINES = 40

#: How many characters of the submission's printed output the summary shows.
_MAX_PRINTED_CHARS = 4000

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")


def _md(text: str) -> str:
    """Inline Markdown showing ``text`` literally, on one line."""
    escaped = html.escape(one_line(text), quote=False)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", escaped)


def _html(text: str) -> str:
    """Text for inside an HTML element (where Markdown is not interpreted)."""
    return html.escape(one_line(text))


def fenced(text: str, info: str = "text") -> str:
    """``text`` in a fenced code block that nothing in it can close.

    The fence is one backtick longer than the longest run of backticks in
    the text (three at least): a closing fence must be at least as long as
    the opening one, so no line of the text can end the block.
    """
    body = visible(text).rstrip("\n")
    runs = [len(run) for run in re.findall(r"`+", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def _cut(text: str, max_lines: int) -> str:
    lines = text.splitlines()
    if len(lines) <= max_lines:
        return text
    return "\n".join(lines[:max_lines] + [f"[... {len(lines) - max_lines} more lines]"])


def _points_table(report: GradeReport) -> list[str]:
    lines = ["| Problem | Points | Checks |", "| :-- | --: | --: |"]
    for totals in report.by_problem():
        mark = "✅" if not totals.failed else "❌"
        lines.append(
            f"| {mark} {_md(totals.problem)} "
            f"| {fraction(totals.score, totals.max_score)} "
            f"| {totals.passed} of {totals.checks} passed |"
        )
    passed = sum(r.passed for r in report.results)
    lines.append(
        f"| **Total** | **{fraction(report.score, report.max_score)}** "
        f"| {passed} of {len(report.results)} passed |"
    )
    return lines


def markdown_overview(report: GradeReport) -> str:
    """The total, the points per problem, and the remarks on the whole file.

    This is the part of the Markdown report that does not list failures;
    results.json carries it as its overall output, next to its own tests.
    """
    lines = [f"**{_md(summary_line(report))}**", ""]
    lines += _points_table(report)
    if report.load_error:
        lines += ["", "Your file could not be loaded:", "", fenced(report.load_error)]
        lines += [
            "",
            "No function could be checked. Fix this first, then submit again.",
        ]
    for status, title in (
        (Status.NOT_IMPLEMENTED, "Not implemented yet"),
        (Status.MISSING, "Missing from your file"),
    ):
        names = functions_all_ended(report, status)
        if names and not report.load_error:
            listing = ", ".join(_md(name) for name in names)
            lines += ["", f"{title} ({plural(len(names), 'function')}): {listing}."]
    for note in report.notes:
        lines += ["", f"Note: {_md(note)}"]
    if report.hidden_not_run:
        lines += ["", _md(hidden_line(report))]
    if report.not_run:
        lines += ["", _md(not_run_line(report))]
    return "\n".join(lines) + "\n"


def printed_section(report: GradeReport, folded: bool = True) -> str:
    """What the submission printed, in a code block; empty if nothing."""
    if not report.printed.strip():
        return ""
    printed = report.printed
    if len(printed) > _MAX_PRINTED_CHARS:
        printed = printed[:_MAX_PRINTED_CHARS] + "\n[... output cut]"
    block = fenced(printed)
    if folded:
        return (
            f"<details><summary>Your code printed</summary>\n\n{block}\n\n</details>\n"
        )
    return f"Your code printed:\n\n{block}\n"


def render_markdown(report: GradeReport) -> str:
    """Render the report as GitHub-flavoured Markdown.

    Returns
    -------
    str
        A heading with the assignment and the points, the overview of
        `markdown_overview`, one folded block per failure, and what the
        submission printed.
    """
    title = report.title or report.assignment
    points = fraction(report.score, report.max_score)
    heading = f"## {_md(title)} ({points} points)"
    parts = [heading + "\n", markdown_overview(report)]

    grouped = set()
    if not report.load_error:
        for status in (Status.NOT_IMPLEMENTED, Status.MISSING):
            grouped.update(functions_all_ended(report, status))
    failures = failures_to_explain(report, grouped)
    if failures:
        blocks = ["### Failures\n"]
        for r in failures:
            summary = _html(
                f"{r.name} ({fraction(r.score, r.max_score)}, {r.status.value})"
            )
            explanation = _cut(visible(r.message) or r.status.value, _MAX_FAILURE_LINES)
            blocks.append(
                f"<details><summary>❌ {summary}</summary>\n\n"
                f"{fenced(explanation)}\n\n</details>\n"
            )
        parts.append("\n".join(blocks))

    printed = printed_section(report)
    if printed:
        parts.append(printed)
    return "\n".join(parts)
