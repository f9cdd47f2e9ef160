"""Comparing a submission's values with expected ones, and saying how they differ.

Every comparison happens in the grader, on values decoded from the worker.
A mismatch is explained in the manner of ``numpy.testing.assert_allclose``:
the quantity, the tolerances, how many elements are off out of how many, the
worst element with its index, expected and got, and the largest absolute and
relative differences. A wrong type or shape is one sentence of its own.

Two error measures are used:

- values: ``|got - expected| <= atol + rtol * |expected|`` elementwise, as in
  ``numpy.isclose``;
- derivatives against finite differences: ``|a - n| <= rtol * max(|n|, s) +
  4 E``, with ``a`` the analytic and ``n`` the numerical derivative, ``s`` the
  largest ``|n|`` of the array and ``E`` the estimate's error. Entries are
  judged relative to their array's scale, so a derivative near zero is not
  held to a relative error it cannot have; ``rtol`` is 1e-6 in float64, where
  the estimates are good to about 1e-10.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np

from ._channel import Unsupported

__all__ = [
    "CheckFailed",
    "Precision",
    "precision_scope",
    "hidden_scope",
    "is_hidden",
    "float32_seen",
    "Tolerance",
    "VALUE_TOLERANCE",
    "FLOAT32_TOLERANCE",
    "mismatch",
    "expect_close",
    "expect_array",
    "expect_float",
    "as_float",
    "expect_sequence",
    "derivative_bound",
    "derivative_mismatch",
    "describe_value",
]


class CheckFailed(Exception):
    """A check's verdict against the submission, with the explanation."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Tolerance:
    """Relative and absolute tolerance of a value comparison."""

    __slots__ = ("rtol", "atol")

    def __init__(self, rtol: float, atol: float) -> None:
        self.rtol = rtol
        self.atol = atol

    def __repr__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


#: Values computed in float64 by a correct formula agree far below this.
VALUE_TOLERANCE = Tolerance(rtol=1e-7, atol=1e-10)

#: Used instead when the submission returns float32 arrays (atol is about
#: eight float32 epsilons: 1 - t**2 near t = 1 loses that much).
FLOAT32_TOLERANCE = Tolerance(rtol=1e-5, atol=1e-6)


class Precision:
    """Whether the submission being graded has returned float32 arrays.

    Once it has, every value comparison made under `precision_scope` uses
    `FLOAT32_TOLERANCE`, even for float64 arrays: a float64 result computed
    from float32 intermediates is only as precise as float32.
    """

    def __init__(self) -> None:
        self.float32 = False

    def observe(self, value: Any) -> None:
        """Note a decoded value; lists, tuples and dicts are searched."""
        stack = [value]
        while stack and not self.float32:
            item = stack.pop()
            if isinstance(item, (np.ndarray, np.generic)):
                self.float32 = item.dtype in (np.float32, np.float16)
            elif isinstance(item, (list, tuple)):
                stack.extend(item)
            elif isinstance(item, dict):
                stack.extend(item.values())


_precision: ContextVar[Precision | None] = ContextVar("precision", default=None)


@contextmanager
def precision_scope(precision: Precision) -> Iterator[None]:
    """Make comparisons in the block follow ``precision``."""
    token = _precision.set(precision)
    try:
        yield
    finally:
        _precision.reset(token)


_hidden: ContextVar[bool] = ContextVar("hidden", default=False)


@contextmanager
def hidden_scope() -> Iterator[None]:
    """Within the block, explanations leave out every value: the inputs of a
    hidden check must not leak through what is expected or what came back."""
    token = _hidden.set(True)
    try:
        yield
    finally:
        _hidden.reset(token)


def is_hidden() -> bool:
    """Whether a hidden check is running."""
    return _hidden.get()


def float32_seen() -> bool:
    """Whether the submission being graded has returned float32 arrays."""
    precision = _precision.get()
    return precision is not None and precision.float32


def _precision_note(got: Any, quantity: str) -> tuple[Tolerance | None, str]:
    """The tolerance and sentence to use for a float32 submission, if any."""
    dtype = getattr(got, "dtype", None)
    if dtype in (np.float32, np.float16):
        return FLOAT32_TOLERANCE, (
            f"\n  note: {quantity} is {dtype}; the contract asks for float64, so "
            f"it is compared at the looser tolerance {FLOAT32_TOLERANCE}"
        )
    precision = _precision.get()
    if precision is not None and precision.float32:
        return FLOAT32_TOLERANCE, (
            "\n  note: your code returns float32 arrays, so values are compared at "
            f"float32 precision ({FLOAT32_TOLERANCE}); the contract asks for float64"
        )
    return None, ""


#: What may cross from the worker to the grader, said to the student.
PLAIN_DATA = (
    "it accepts only numbers, strings, lists, tuples, dicts and plain numeric ndarrays"
)


def describe_value(value: Any) -> str:
    """Name the type (and shape) of a value in a few words."""
    if isinstance(value, Unsupported):
        return f"{value.description}, which the grader refuses ({PLAIN_DATA})"
    if isinstance(value, np.ndarray):
        return f"an ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, np.generic):
        return f"a numpy scalar of dtype {value.dtype}"
    if value is None:
        return "None"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    name = type(value).__name__
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1e308:
        return "an int too large for a float"
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _index(flat: int, shape: tuple[int, ...]) -> str:
    if not shape:
        return ""
    return "[" + ", ".join(str(i) for i in np.unravel_index(flat, shape)) + "]"


def _number(x: float) -> str:
    return f"{x:.6g}"


def mismatch(
    got: np.ndarray,
    expected: np.ndarray,
    quantity: str,
    tolerance: Tolerance | None = None,
) -> str | None:
    """Explain how ``got`` differs from ``expected``, or return None if close.

    Both must be arrays of the same shape. NaN and infinities match only the
    same value at the same place. Without a ``tolerance``, float32 values, or
    any value of a submission that returns float32 arrays (see `Precision`),
    are compared at `FLOAT32_TOLERANCE` and the text says so; others at
    `VALUE_TOLERANCE`.

    Parameters
    ----------
    got, expected : ndarray
        The submission's value and the expected one.
    quantity : str
        What is compared, e.g. ``"dweights[1]"``, used in the text.
    tolerance : Tolerance, optional
        Elementwise ``|got - expected| <= atol + rtol * |expected|``.

    Returns
    -------
    str or None
        A multi-line explanation, or None when every element is close.
    """
    note = ""
    if tolerance is None:
        loose, note = _precision_note(got, quantity)
        tolerance = loose or VALUE_TOLERANCE
    got = np.asarray(got, dtype=float)
    expected = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(
            got, expected, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True
        )
    if close.all():
        return None

    bad = ~close
    total = close.size
    count = int(bad.sum())
    if is_hidden():
        return (
            f"{quantity}: not equal to tolerance {tolerance}\n"
            f"  mismatched elements: {count} / {total} (values of hidden checks "
            "are not shown)"
        ) + note
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        difference = np.abs(got - expected)
        relative = difference / np.abs(expected)
    lines = [
        f"{quantity}: not equal to tolerance {tolerance}",
        f"  mismatched elements: {count} / {total} ({100 * count / total:.3g}%)",
    ]

    not_finite = bad & ~np.isfinite(got)
    if not_finite.any():
        first = int(np.flatnonzero(not_finite)[0])
        kinds = sorted({_number(v) for v in got.ravel()[not_finite.ravel()]})
        lines.append(
            f"  got {'/'.join(kinds)} in {int(not_finite.sum())} of them, first at "
            f"{_index(first, got.shape) or 'the value'}: expected "
            f"{_number(expected.ravel()[first])}"
        )
    finite_bad = bad & np.isfinite(difference)
    if finite_bad.any():
        masked = np.where(finite_bad, difference, -1.0)
        worst = int(np.argmax(masked))
        lines.append(
            f"  worst at {_index(worst, got.shape) or 'the value'}: expected "
            f"{_number(expected.ravel()[worst])}, got {_number(got.ravel()[worst])}"
        )
        max_relative = np.nanmax(np.where(finite_bad, relative, np.nan))
        lines.append(
            f"  max absolute difference: {_number(difference[finite_bad].max())}, "
            f"max relative difference: {_number(max_relative)}"
        )
    if got.shape:
        lines.append(f"  shape {got.shape}")
    return "\n".join(lines) + note


def _shape_sentence(got_shape: tuple, expected_shape: tuple, quantity: str) -> str:
    text = f"{quantity}: expected shape {expected_shape}, got shape {got_shape}"
    if len(got_shape) == 2 and got_shape[::-1] == expected_shape:
        text += " (transposed?)"
    elif got_shape == expected_shape + (1,) or got_shape + (1,) == expected_shape:
        text += " (a trailing axis of length 1 too many or too few)"
    return text


def expect_array(
    got: Any,
    expected: np.ndarray,
    quantity: str,
    tolerance: Tolerance | None = None,
) -> None:
    """Raise `CheckFailed` unless ``got`` is an array close to ``expected``.

    Boolean and integer arrays are accepted and compared by value; float32
    arrays are compared at `FLOAT32_TOLERANCE` with a sentence that says so.
    """
    expected = np.asarray(expected)
    if not isinstance(got, np.ndarray):
        raise CheckFailed(
            f"{quantity}: expected an ndarray of shape {expected.shape}, "
            f"got {describe_value(got)}"
        )
    if got.shape != expected.shape:
        raise CheckFailed(_shape_sentence(got.shape, expected.shape, quantity))
    text = mismatch(got, expected, quantity, tolerance)
    if text is not None:
        raise CheckFailed(text)


def expect_float(
    got: Any, expected: float, quantity: str, tolerance: Tolerance | None = None
) -> None:
    """Raise `CheckFailed` unless ``got`` is one real number close to ``expected``.

    Python floats and ints, numpy real scalars and 0-d arrays are accepted.
    """
    as_float(got, quantity)
    text = mismatch(np.asarray(got), np.asarray(expected), quantity, tolerance)
    if text is not None:
        raise CheckFailed(text)


def as_float(got: Any, quantity: str) -> float:
    """Return ``got`` as a float if it is one real number, else raise
    `CheckFailed` saying what it was.

    Python floats and ints, numpy real scalars and 0-d arrays are numbers;
    an int too large for a float is not.
    """
    is_number = isinstance(got, (int, float, np.integer, np.floating)) and not (
        isinstance(got, bool)
    )
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "iuf":
        is_number = True
    if is_number:
        try:
            return float(got)
        except OverflowError:
            pass
    raise CheckFailed(f"{quantity}: expected a float, got {describe_value(got)}")


def expect_close(
    got: Any,
    expected: Any,
    quantity: str,
    tolerance: Tolerance | None = None,
) -> None:
    """Compare nested values: arrays, floats, and lists or tuples of them.

    The expected value gives the structure: a list or tuple expects a list or
    a tuple of the same length (either kind is accepted), compared element by
    element with the element's index in the quantity's name.
    """
    if isinstance(expected, (list, tuple)):
        items = expect_sequence(got, len(expected), quantity)
        for index, (g, e) in enumerate(zip(items, expected)):
            expect_close(g, e, f"{quantity}[{index}]", tolerance)
    elif isinstance(expected, np.ndarray):
        expect_array(got, expected, quantity, tolerance)
    else:
        expect_float(got, float(expected), quantity, tolerance)


def expect_sequence(got: Any, length: int, quantity: str) -> list:
    """Return ``got`` as a list if it is a list or tuple of ``length`` items."""
    if not isinstance(got, (list, tuple)):
        raise CheckFailed(
            f"{quantity}: expected a list of {length} items, got {describe_value(got)}"
        )
    if len(got) != length:
        raise CheckFailed(
            f"{quantity}: expected a list of {length} items, got {len(got)} items"
        )
    return list(got)


def derivative_bound(
    numeric: np.ndarray, error: np.ndarray | float, rtol: float
) -> np.ndarray:
    """How far a derivative may be from its finite-difference estimate.

    ``rtol * max(|n|, s) + 4 E``, where ``s`` is the largest ``|n|`` of the
    array (small entries are judged against the array's scale, so a
    derivative near zero is not held to a relative error it cannot have) and
    ``E`` the estimate's own error.
    """
    numeric = np.asarray(numeric, dtype=float)
    finite = np.abs(numeric[np.isfinite(numeric)])
    scale = float(finite.max()) if finite.size else 0.0
    return rtol * np.maximum(np.abs(numeric), scale) + 4 * np.asarray(error)


def derivative_mismatch(
    analytic: np.ndarray,
    numeric: np.ndarray,
    quantity: str,
    rtol: float,
    error: np.ndarray | float = 0.0,
    excluded: np.ndarray | None = None,
) -> str | None:
    """Compare a derivative with finite differences, or return None if close.

    An element agrees when ``|a - n|`` is within `derivative_bound`; elements
    marked in ``excluded`` (coordinates at a kink, where finite differences
    are not a derivative) are left out and counted in the text.

    Parameters
    ----------
    analytic, numeric : ndarray
        The derivative and its finite-difference estimate, same shape.
    quantity : str
        What is compared, used in the text.
    rtol : float
        Relative tolerance, against the larger of the entry and the array's
        largest entry; 1e-6 suits float64, where estimates are good to 1e-10.
    error : ndarray or float
        The estimate's error, from `checker.numdiff.Estimate`.
    excluded : ndarray of bool, optional
        Elements not to compare.

    Returns
    -------
    str or None
        A multi-line explanation, or None.
    """
    analytic = np.asarray(analytic, dtype=float)
    numeric = np.asarray(numeric, dtype=float)
    keep = np.ones(analytic.shape, bool) if excluded is None else ~excluded
    bound = derivative_bound(numeric, error, rtol)
    with np.errstate(invalid="ignore", over="ignore"):
        difference = np.abs(analytic - numeric)
    bad = keep & ~(difference <= bound)
    if not bad.any():
        return None

    count = int(bad.sum())
    if is_hidden():
        return (
            f"{quantity}: differs from finite differences of your function\n"
            f"  mismatched elements: {count} / {int(keep.sum())} (values of hidden "
            "checks are not shown)"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        badness = np.where(bad, difference / bound, -1.0)
    badness = np.where(np.isnan(badness), np.inf, badness)
    worst = int(np.argmax(badness))
    lines = [
        f"{quantity}: differs from finite differences of your function "
        f"(tolerance rtol={rtol:g} of the larger of the entry and the largest "
        "entry)",
        f"  mismatched elements: {count} / {int(keep.sum())}",
        f"  worst at {_index(worst, analytic.shape) or 'the value'}: finite "
        f"differences {_number(numeric.ravel()[worst])}, yours "
        f"{_number(analytic.ravel()[worst])}",
    ]
    skipped = analytic.size - int(keep.sum())
    if skipped:
        lines.append(f"  {skipped} element(s) at a kink were not compared")
    return "\n".join(lines)
