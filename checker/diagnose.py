"""Saying what kind of wrong a wrong value looks like.

When a submitted value differs from the expected one, `diagnose` looks for
the shape of the mistake and returns hints, one sentence each:

- off by a constant factor: the batch size N (a sum for a mean, or the
  reverse), 2 or 1/2, or -1 (a flipped sign);
- transposed;
- ``(N, 1)`` where ``(N,)`` is expected, or the reverse, with right values;
- broadcast to ``(N, N)``, the trace of an ``(N,)`` array meeting an
  ``(N, 1)`` one;
- NaN or infinity, and where: only for large inputs, only at zero, or
  everywhere;
- wrong only where the input is exactly zero;
- equal to a known misconception the assignment lists for the function.

`case_pattern` compares the cases a check passed with those it failed: right
for a batch of one only, or right on square shapes only.

Hints name the likely mistake; they never contain expected values, so they
can be shown for hidden checks too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Misconception", "diagnose", "case_pattern"]

#: How close a rescaled, reshaped or recomputed value must be to count as a
#: match for a diagnosis.
_RTOL = 1e-6
_ATOL = 1e-9


@dataclass(frozen=True)
class Misconception:
    """A known wrong way to compute a function.

    Attributes
    ----------
    function : str
        The function it is a mistake in.
    description : str
        What the student did, completing "this looks like ...", e.g. "the
        derivative evaluated at the output sigmoid(z) instead of at z".
    compute : callable
        Takes the function's arguments and returns the wrong value.
    """

    function: str
    description: str
    compute: Callable[..., Any]


def _close(a: Any, b: Any) -> bool:
    """True if two values (arrays or nested lists of arrays) agree closely."""
    if isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and len(a) == len(b)
            and all(_close(x, y) for x, y in zip(a, b))
        )
    try:
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
    except (TypeError, ValueError, OverflowError):
        return False
    if a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.allclose(a, b, rtol=_RTOL, atol=_ATOL, equal_nan=True))


def _factor_hint(got: np.ndarray, expected: np.ndarray, N: int | None) -> str | None:
    if not (np.isfinite(got).all() and np.isfinite(expected).all()):
        return None
    norm = float(np.sum(expected * expected))
    if norm == 0:
        return None
    c = float(np.sum(got * expected)) / norm
    if not _close(got, c * expected):
        return None
    candidates = [(-1.0, "the sign is flipped (off by a factor of -1)")]
    if N is not None and N > 2:
        candidates += [
            (
                float(N),
                f"off by a factor of N = {N}, the batch size: a sum where "
                "a mean is needed, or a missing division by N",
            ),
            (
                1.0 / N,
                f"off by a factor of 1/N = 1/{N}: divided by the batch "
                "size once too often",
            ),
        ]
    candidates += [
        (2.0, "off by a factor of 2: a missing 1/2, or a term counted twice"),
        (0.5, "off by a factor of 1/2: an extra 1/2"),
    ]
    for value, text in candidates:
        if abs(c - value) <= 1e-6 * abs(value):
            return f"the values are {text}"
    return None


def _not_finite_hint(got: np.ndarray, inputs: np.ndarray | None) -> str | None:
    bad = ~np.isfinite(got)
    if not bad.any():
        return None
    kind = "NaN" if np.isnan(got).any() else "infinity"
    if np.isnan(got).any() and np.isinf(got).any():
        kind = "NaN and infinity"
    if inputs is not None and inputs.shape[: bad.ndim] == bad.shape[: inputs.ndim]:
        where = bad
        if inputs.shape != bad.shape:
            # Row functions: a row is bad if any of its outputs is.
            where = bad.reshape(bad.shape[: inputs.ndim - 1] + (-1,)).any(axis=-1)
            large = (np.abs(inputs) >= 100).any(axis=-1)
            zero = (inputs == 0).any(axis=-1)
        else:
            large = np.abs(inputs) >= 100
            zero = inputs == 0
        if large.any() and not (where & ~large).any():
            return (
                f"{kind} appears only where the input is large (|z| >= 100): "
                "an overflow, e.g. exp of a large number; use a stable formula"
            )
        if zero.any() and not (where & ~zero).any():
            return (
                f"{kind} appears only where the input is exactly 0: a division "
                "by zero or log(0)?"
            )
    share = int(bad.sum())
    return f"{kind} in {share} of {bad.size} elements"


def diagnose(
    got: Any,
    expected: Any,
    *,
    inputs: np.ndarray | None = None,
    batch_size: int | None = None,
    misconceptions: Sequence[Misconception] = (),
    args: tuple = (),
) -> list[str]:
    """Return hints on what kind of mistake turns ``expected`` into ``got``.

    Parameters
    ----------
    got : object
        The submission's value, as decoded from the worker.
    expected : object
        The reference value.
    inputs : ndarray, optional
        The main input (z, Y or Z), to locate NaN and zero-only mistakes.
    batch_size : int, optional
        N, to recognise a factor of N.
    misconceptions : sequence of Misconception
        Known wrong ways to compute the function.
    args : tuple
        The function's arguments, passed to each misconception.

    Returns
    -------
    list of str
        Hints, most specific first; empty when nothing is recognised.
    """
    hints: list[str] = []
    for wrong in misconceptions:
        try:
            value = wrong.compute(*args)
        except Exception:  # a misconception that does not apply to these args
            continue
        if _close(got, value) and not _close(value, expected):
            hints.append(f"this looks like {wrong.description}")
    if not isinstance(got, np.ndarray) or not isinstance(expected, np.ndarray):
        return hints
    if got.dtype.kind not in "biuf":
        return hints
    got_f = got.astype(float)
    expected_f = expected.astype(float)

    if got.shape != expected.shape:
        if (
            got_f.ndim == 2
            and got_f.T.shape == expected.shape
            and _close(got_f.T, expected_f)
        ):
            hints.append("the values are right but transposed")
        elif got.size == expected.size and _close(
            got_f.reshape(expected.shape), expected_f
        ):
            hints.append(
                f"the values are right but the shape is {got.shape} instead of "
                f"{expected.shape}: look for keepdims=True, a missing .ravel(), "
                "or a slice that keeps an axis"
            )
        elif (
            expected.ndim == 1
            and got.ndim == 2
            and got.shape == (expected.shape[0], expected.shape[0])
        ):
            hints.append(
                f"an ({expected.shape[0]},) array was combined with an "
                f"({expected.shape[0]}, 1) one and broadcast to {got.shape}"
            )
        return hints

    factor = _factor_hint(got_f, expected_f, batch_size)
    if factor:
        hints.append(factor)
    if (
        got_f.ndim == 2
        and got_f.shape[0] == got_f.shape[1]
        and not _close(got_f, expected_f)
        and _close(got_f.T, expected_f)
    ):
        hints.append("the values are right but transposed")
    not_finite = _not_finite_hint(got_f, inputs)
    if not_finite and np.isfinite(expected_f).all():
        hints.append(not_finite)
    if inputs is not None and inputs.shape == got.shape and np.isfinite(got_f).all():
        with np.errstate(invalid="ignore"):
            wrong = ~np.isclose(got_f, expected_f, rtol=_RTOL, atol=_ATOL)
        zero = inputs == 0
        if wrong.any() and zero.any() and not (wrong & ~zero).any():
            hints.append(
                "right everywhere except where the input is exactly 0: check "
                "the value your code gives at 0"
            )
    return hints


def case_pattern(
    passed: Sequence[frozenset[str]], failed: Sequence[frozenset[str]]
) -> str | None:
    """A hint from which kinds of case passed and which failed.

    Parameters
    ----------
    passed, failed : sequence of frozenset of str
        The tags of the cases that passed and of those that failed; the tags
        understood are ``"batch of one"`` and ``"square"``.
    """
    if not passed or not failed:
        return None
    if all("batch of one" in t for t in passed) and not any(
        "batch of one" in t for t in failed
    ):
        return (
            "right for a batch of one only: look for an operation over the "
            "wrong axis, or a sum over the batch that is missing"
        )
    if all("square" in t for t in passed) and not any("square" in t for t in failed):
        return (
            "right on square shapes only: look for a transposed matrix or an "
            "axis confused with another of the same length"
        )
    return None
