"""Property-based checks: hypothesis as a grading tool.

`property_check` turns a property of a submitted function into a graded
check. Hypothesis draws the examples from a strategy, seeded from the check's
name and the assignment's seed, so a grade never changes between two runs;
no example database is written anywhere. When the property fails, hypothesis
shrinks the example, and the failure shows the smallest one found as Python
that can be pasted into a prompt, with what was expected and what came back.

A property receives the running `checker.assignment.Context` and one drawn
example, calls the submission through the context and raises
`checker.compare.CheckFailed` when the property does not hold. An error of
the submission itself (not implemented, an exception, a timeout) stops the
search at once and ends the check with that error.

Graded from stored reference outputs, an example whose reference values were
not stored (one that shrinking made up, say) is set aside as if hypothesis
had drawn an invalid one: a failure is shown on the smallest example that
could be judged, and a search that judged nothing fails for lack of the
reference.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, reject, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException

from .assignment import Check, Context
from .compare import CheckFailed, is_hidden
from .sandbox import SubmissionError
from .stored import ReferenceUnavailable

__all__ = ["hypothesis_check", "pasteable", "pasteable_call"]


def pasteable(value: Any) -> str:
    """Render a value as Python source that rebuilds it (numpy as ``np``)."""
    if isinstance(value, np.ndarray):
        body = np.array2string(
            value,
            separator=", ",
            floatmode="unique",
            threshold=10**6,
            max_line_width=10**6,
        )
        return f"np.array({body})"
    if isinstance(value, list):
        return "[" + ", ".join(pasteable(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(pasteable(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return repr(value)


def pasteable_call(function: str, arguments: Any) -> str:
    """Render ``function(*arguments)`` as Python source."""
    return f"{function}({', '.join(pasteable(a) for a in arguments)})"


def hypothesis_check(
    function: str,
    what: str,
    points: int,
    examples: st.SearchStrategy,
    holds: Callable[[Context, Any], None],
    *,
    describe: Callable[[Any], str] | None = None,
    explain: Callable[[Context, Any], str] | None = None,
    max_examples: int = 12,
) -> Check:
    """A check that a property holds on examples drawn by hypothesis.

    Parameters
    ----------
    function : str
        The submitted function whose points the check carries.
    what : str
        The property, e.g. ``"rows sum to one"``.
    points : int
        Points of the check.
    examples : hypothesis strategy
        Draws one example (often a tuple of arguments).
    holds : callable
        ``holds(ctx, example)`` raises `CheckFailed` if the property fails.
    describe : callable, optional
        Renders an example for the report; by default the call
        ``function(*example)`` as pasteable Python.
    explain : callable, optional
        ``explain(ctx, example) -> str`` adds to the failure text, run once on
        the smallest failing example: the place for costly explanations that
        would slow the search down.
    max_examples : int
        How many examples hypothesis tries before shrinking.
    """
    render = describe or (lambda example: pasteable_call(function, example))

    def run(ctx: Context) -> None:
        last_failure: list[tuple[Any, str]] = []
        stopped: list[SubmissionError] = []
        unavailable: list[ReferenceUnavailable] = []

        @seed(zlib.crc32(f"{function}: {what}".encode()) ^ ctx.seed)
        @settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            derandomize=False,
            phases=(Phase.explicit, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
            print_blob=False,
            verbosity=Verbosity.quiet,
        )
        @given(examples)
        def search(example: Any) -> None:
            if stopped:
                return
            try:
                holds(ctx, example)
            except SubmissionError as error:
                stopped.append(error)
                return
            except CheckFailed as failure:
                last_failure.append((example, failure.message))
                raise AssertionError(failure.message) from None
            except ReferenceUnavailable as missing:
                unavailable.append(missing)
                reject()

        try:
            search()
        except (AssertionError, HypothesisException):
            pass
        if stopped:
            raise stopped[0]
        if unavailable and not last_failure:
            raise unavailable[0]
        if last_failure:
            example, message = last_failure[-1]
            if explain is not None:
                try:
                    message += explain(ctx, example)
                except (CheckFailed, SubmissionError, ReferenceUnavailable):
                    pass
            if is_hidden():
                raise CheckFailed(
                    "the property fails on a hidden example (its inputs and values "
                    "are not shown)"
                )
            raise CheckFailed(f"falsifying example: {render(example)}\n{message}")

    return Check(f"{function}: {what}", function, points, run, hidden_inputs=True)
