"""Building blocks for an assignment's checks.

An assignment describes each function it grades by a `FunctionSpec` (its
argument names, the reference implementation and the known misconceptions)
and builds its checks with:

- `values_check`: the submission against the reference on some `Case`s;
- `derivative_check`: a derivative against finite differences of the
  submission's own function, with a verdict that says which half to fix;
- `property_check`: any other logic.

A derivative is judged with three facts: does the submitted function match
the reference, does the submitted derivative match finite differences of the
submitted function, and does it match the reference derivative. The verdicts:

- "the function is wrong": the derivative is right, the function is not;
- "the derivative does not match your function": the function is right (or
  not) but the derivative is not its derivative;
- "a consistently wrong pair": derivative and function agree with each
  other but not with the reference, so both need the same fix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np

from .assignment import Check, Context
from .compare import (
    CheckFailed,
    derivative_bound,
    derivative_mismatch,
    describe_value,
    expect_array,
    expect_close,
    is_hidden,
    mismatch,
)
from .diagnose import Misconception, case_pattern, diagnose
from .numdiff import EPS, EPS32, richardson, taylor_sweep
from .sandbox import SubmissionError
from .stored import ReferenceUnavailable

__all__ = [
    "Case",
    "FunctionSpec",
    "Verdict",
    "values_check",
    "derivative_check",
    "property_check",
    "call_cases",
    "fail_on_cases",
    "judge_derivative",
    "DERIVATIVE_RTOL",
    "FLOAT32_DERIVATIVE_RTOL",
]

#: Relative tolerance of a derivative against finite differences (float64).
DERIVATIVE_RTOL = 1e-6

#: The same for a function that computes in float32.
FLOAT32_DERIVATIVE_RTOL = 1e-3


@dataclass(frozen=True)
class Case:
    """One input of a check.

    Attributes
    ----------
    label : str
        Names the input for the student, e.g. ``"a batch of one"``.
    args : tuple
        The positional arguments.
    tags : frozenset of str
        Kinds of input, for `checker.diagnose.case_pattern`: ``"batch of
        one"``, ``"square"``.
    """

    label: str
    args: tuple
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FunctionSpec:
    """What the checks need to know of one submitted function.

    Attributes
    ----------
    name : str
        The function's name in the submission.
    arguments : tuple of str
        Its argument names, used in messages: ``softmax(z)``.
    reference : callable
        The reference implementation.
    misconceptions : tuple of Misconception
        Known wrong ways to compute it, recognised in failures.
    """

    name: str
    arguments: tuple[str, ...]
    reference: Callable[..., Any]
    misconceptions: tuple[Misconception, ...] = field(default=())

    @property
    def call_text(self) -> str:
        return f"{self.name}({', '.join(self.arguments)})"


def _shapes(args: Sequence[Any], names: Sequence[str]) -> str:
    parts = [
        f"{name} shape {arg.shape}"
        for name, arg in zip(names, args)
        if isinstance(arg, np.ndarray)
    ]
    return ", ".join(parts)


def fail_on_cases(
    failures: list[tuple[Case, str]],
    names: Sequence[str],
    passed: Sequence[Case] = (),
) -> None:
    """Raise one `CheckFailed` that explains the first failing case fully.

    The other failing cases are listed by label, and a hint is added when the
    cases that passed and those that failed differ in kind (only a batch of
    one passed, only square shapes passed).
    """
    if not failures:
        return
    case, text = failures[0]
    shapes = _shapes(case.args, names)
    lines = [f"on {case.label}" + (f" ({shapes})" if shapes else "") + ":", text]
    if len(failures) > 1:
        others = "; ".join(c.label for c, _ in failures[1:])
        lines.append(f"also wrong on: {others}")
    pattern = case_pattern([c.tags for c in passed], [c.tags for c, _ in failures])
    if pattern:
        lines.append(f"hint: {pattern}")
    raise CheckFailed("\n".join(lines))


def call_cases(ctx: Context, function: str, cases: Sequence[Case]) -> list[Any]:
    """Call the submission on every case in one batch; errors name the case."""
    values = []
    for case, outcome in zip(cases, ctx.outcomes(function, [c.args for c in cases])):
        if outcome.error is not None:
            error = outcome.error
            raise SubmissionError(
                error.kind, f"{error.message} (on {case.label})", error.function
            )
        values.append(outcome.value)
    return values


def _hints(spec: FunctionSpec, got: Any, expected: Any, case: Case) -> list[str]:
    first = case.args[0] if case.args else None
    inputs = first if isinstance(first, np.ndarray) else None
    batch = inputs.shape[0] if inputs is not None and inputs.ndim >= 1 else None
    return diagnose(
        got,
        expected,
        inputs=inputs,
        batch_size=batch,
        misconceptions=spec.misconceptions,
        args=case.args,
    )


# --------------------------------------------------------------------------
# Derivatives and their verdicts


class Verdict(str, Enum):
    """How a submitted derivative relates to its function and the reference."""

    RIGHT = "right"
    FUNCTION_WRONG = "the function is wrong"
    DERIVATIVE_WRONG = "the derivative does not match your function"
    CONSISTENT_PAIR = "a consistently wrong pair"
    BOTH_WRONG = "both are wrong"


@dataclass
class Judgement:
    """A derivative's verdict on one case, with what the report says."""

    verdict: Verdict
    text: str = ""
    note: str = ""


def _arrange(array: np.ndarray, layout: str, x: np.ndarray) -> np.ndarray:
    """Pick, from a full finite-difference Jacobian, the part the contract's
    derivative holds."""
    if layout == "elementwise":
        return array.reshape(x.size, x.size).diagonal().reshape(x.shape)
    n = np.arange(x.shape[0])
    if layout == "per-sample":  # f: (N, L) -> (N,), J: (N, N, L)
        return array[n, n, :]
    if layout == "jacobian":  # f: (N, L) -> (N, L), J: (N, L, N, L)
        return np.stack([array[k, :, k, :] for k in n])
    raise ValueError(f"unknown layout {layout!r}")


def _output_and_input(index: tuple, layout: str) -> tuple[tuple, tuple]:
    """For an element of the derivative, the output element and the input
    coordinate it relates."""
    if layout == "elementwise":
        return index, index
    if layout == "per-sample":
        return index[:1], index
    return index[:2], (index[0], index[2])


def judge_derivative(
    ctx: Context,
    derivative: FunctionSpec,
    function: FunctionSpec,
    case: Case,
    layout: str,
    got: np.ndarray,
) -> Judgement:
    """Decide how a submitted derivative relates to the submitted function.

    Parameters
    ----------
    ctx : Context
        The running check.
    derivative, function : FunctionSpec
        The derivative and the function it differentiates (with respect to
        its first argument).
    case : Case
        The input.
    layout : {"elementwise", "per-sample", "jacobian"}
        How the derivative is laid out: the diagonal of the Jacobian, one
        gradient row per sample, or one Jacobian per sample.
    got : ndarray
        The submitted derivative, already of the right shape.

    Returns
    -------
    Judgement
        The verdict, the failure text (when it is a failure) and a note.
    """
    x, rest = case.args[0], case.args[1:]
    quantity = derivative.call_text
    reference = derivative.reference(*case.args)
    matches_reference = mismatch(got, reference, quantity) is None

    # The submitted function at x, and whether it is right.
    try:
        f0 = ctx.call(function.name, *case.args)
    except SubmissionError as error:
        if matches_reference:
            return Judgement(
                Verdict.FUNCTION_WRONG,
                note=f"your {function.name} could not be evaluated ({error.message});"
                f" {derivative.name} matches the reference, so it is not charged",
            )
        raise
    expected_f = function.reference(*case.args)
    if not isinstance(f0, np.ndarray) or f0.shape != np.shape(expected_f):
        if matches_reference:
            return Judgement(
                Verdict.FUNCTION_WRONG,
                note=f"your {function.name} returned {describe_value(f0)}; "
                f"{derivative.name} matches the reference, so it is not charged",
            )
        raise CheckFailed(
            f"your {function.name} returned {describe_value(f0)}, so "
            f"{derivative.name} cannot be compared with its finite differences; "
            f"fix {function.name} first"
        )
    function_right = mismatch(f0, expected_f, function.name) is None

    # Finite differences of the submitted function.
    float32 = f0.dtype == np.float32
    eps = EPS32 if float32 else EPS
    rtol = FLOAT32_DERIVATIVE_RTOL if float32 else DERIVATIVE_RTOL

    probed: list[tuple[np.ndarray, np.ndarray]] = []

    def evaluate_many(points: list[np.ndarray]) -> list[np.ndarray]:
        outputs = ctx.call_many(function.name, [(p, *rest) for p in points])
        for output in outputs:
            if not isinstance(output, np.ndarray) or output.shape != f0.shape:
                raise CheckFailed(
                    f"your {function.name} returned {describe_value(output)} near "
                    "the input, so it cannot be differentiated numerically"
                )
        probed.extend(zip(points, outputs))
        return outputs

    estimate = richardson(evaluate_many, x, eps)
    numeric = _arrange(estimate.value, layout, x)
    error = _arrange(estimate.error, layout, x)
    kinks = _arrange(estimate.kinks, layout, x)
    notes = []
    if kinks.any():
        notes.append(f"{int(kinks.sum())} element(s) at a kink were not compared")
    if float32:
        notes.append(
            f"your {function.name} computes in float32, so its finite differences "
            f"used float32 steps and the tolerance rtol={rtol:g}"
        )
    text = derivative_mismatch(got, numeric, quantity, rtol, error, kinks)
    sweep_text = ""

    if text is not None:
        # Confirm with a step sweep on the worst element before failing.
        bound = derivative_bound(numeric, error, rtol)
        with np.errstate(invalid="ignore", divide="ignore"):
            badness = np.where(kinks, -1.0, np.abs(got - numeric) / bound)
        badness = np.nan_to_num(badness, nan=np.inf)
        index = np.unravel_index(int(np.argmax(badness)), got.shape)
        output, coordinate = _output_and_input(tuple(int(i) for i in index), layout)
        direction = np.zeros(x.shape)
        direction[coordinate] = 1.0
        steps = eps ** (1 / 5) / 4.0 ** np.arange(7)
        if np.isfinite(got[index]):
            sweep = taylor_sweep(
                lambda points: [v[output] for v in evaluate_many(points)],
                x,
                direction,
                float(got[index]),
                eps,
                steps,
            )
            if not sweep.wrong:
                notes.append(
                    "finite differences were too noisy to decide at "
                    f"{list(index)}, so it was not failed"
                )
                text = None
            elif not is_hidden():
                sweep_text = (
                    "\n  step sweep at that element (the error levels off, so it "
                    "is real):\n"
                    + "\n".join("    " + line for line in sweep.table().splitlines())
                )

    # The function is right only if it is right wherever it was probed: one
    # that is right at x and anything nearby would make any derivative agree.
    function_right = function_right and all(
        _right_at(function, point, rest, output) for point, output in probed
    )
    note = "; ".join(notes)
    if text is None:
        if function_right or matches_reference:
            return Judgement(Verdict.RIGHT, note=note)
        return Judgement(
            Verdict.CONSISTENT_PAIR,
            text=f"{quantity}: agrees with finite differences of your "
            f"{function.name}, but both differ from the reference\n"
            f"verdict: {Verdict.CONSISTENT_PAIR.value}; your {function.name} is "
            f"wrong and {derivative.name} follows it: fix {function.name}, then "
            f"{derivative.name} with it",
            note=note,
        )
    if matches_reference:
        return Judgement(
            Verdict.FUNCTION_WRONG,
            note=f"{derivative.name} matches the reference but not finite "
            f"differences of your {function.name}: {function.name} is wrong, "
            f"{derivative.name} is not charged",
        )
    if function_right:
        text += (
            f"\nverdict: {Verdict.DERIVATIVE_WRONG.value}; your {function.name} "
            f"matches the reference, so {derivative.name} is the one to fix"
        )
        return Judgement(Verdict.DERIVATIVE_WRONG, text=text + sweep_text, note=note)
    text += (
        f"\nverdict: {Verdict.BOTH_WRONG.value}; your {function.name} differs from "
        f"the reference and {derivative.name} is not its derivative: fix "
        f"{function.name} first"
    )
    return Judgement(Verdict.BOTH_WRONG, text=text + sweep_text, note=note)


def _right_at(
    function: FunctionSpec, point: np.ndarray, rest: tuple, output: Any
) -> bool:
    """Whether the submitted function's ``output`` at ``point`` is the
    reference's.

    Graded from stored outputs (a handout, which guards nothing), a point
    whose reference value was not stored counts as right. The points finite
    differences probe depend on the input and on the submission's precision
    only, so for a float64 submission these are the step sweep's points, met
    only when the derivative already fails: the verdict may then blame the
    other half of the pair, but no check passes for it. A float32 function is
    judged at its input only.
    """
    try:
        expected = function.reference(point, *rest)
    except ReferenceUnavailable:
        return True
    return mismatch(output, expected, function.name) is None


# --------------------------------------------------------------------------
# Check builders


def values_check(
    spec: FunctionSpec,
    what: str,
    points: int,
    cases: Callable[[np.random.Generator], list[Case]],
    *,
    derivative_of: tuple[FunctionSpec, str] | None = None,
) -> Check:
    """A check that compares a submitted function with the reference.

    Parameters
    ----------
    spec : FunctionSpec
        The function checked.
    what : str
        The rest of the check's name, after ``"<function>: "``.
    points : int
        Points of the check.
    cases : callable
        Draws the inputs from the check's seeded generator.
    derivative_of : (FunctionSpec, layout), optional
        For a derivative: the function it differentiates and the layout, so
        that a failure also gets its verdict (which half to fix).
    """

    def run(ctx: Context) -> None:
        chosen = cases(ctx.rng)
        values = call_cases(ctx, spec.name, chosen)
        failures = []
        passed = []
        for case, got in zip(chosen, values):
            expected = spec.reference(*case.args)
            try:
                expect_close(got, expected, spec.call_text)
            except CheckFailed as failure:
                text = failure.message
                text += "".join(
                    f"\nhint: {hint}" for hint in _hints(spec, got, expected, case)
                )
                if derivative_of is not None and not failures:
                    text += _verdict_line(ctx, spec, derivative_of, case, got)
                failures.append((case, text))
            else:
                passed.append(case)
        fail_on_cases(failures, spec.arguments, passed)

    return Check(f"{spec.name}: {what}", spec.name, points, run, _draws_from_rng(cases))


def _verdict_line(
    ctx: Context,
    spec: FunctionSpec,
    derivative_of: tuple[FunctionSpec, str],
    case: Case,
    got: Any,
) -> str:
    """The verdict of a wrong derivative, as one line (or nothing)."""
    function, layout = derivative_of
    x = case.args[0]
    if not isinstance(got, np.ndarray) or np.shape(got) != np.shape(
        spec.reference(*case.args)
    ):
        return ""
    if not np.isfinite(got).all() or np.abs(x).max(initial=0) > 50:
        return ""  # finite differences say nothing useful here
    try:
        judgement = judge_derivative(ctx, spec, function, case, layout, got)
    except (CheckFailed, SubmissionError, ReferenceUnavailable):
        return ""
    if judgement.verdict is Verdict.CONSISTENT_PAIR:
        return (
            f"\nverdict: {Verdict.CONSISTENT_PAIR.value}; {spec.name} agrees with "
            f"your {function.name}, but {function.name} differs from the "
            "reference: fix them together"
        )
    if judgement.verdict is Verdict.DERIVATIVE_WRONG:
        return (
            f"\nverdict: {Verdict.DERIVATIVE_WRONG.value}; your {function.name} is "
            f"right, so {spec.name} is the one to fix"
        )
    if judgement.verdict is Verdict.BOTH_WRONG:
        return (
            f"\nverdict: {Verdict.BOTH_WRONG.value}; fix {function.name} first, "
            f"then {spec.name}"
        )
    return ""


def derivative_check(
    derivative: FunctionSpec,
    function: FunctionSpec,
    points: int,
    cases: Callable[[np.random.Generator], list[Case]],
    layout: str,
) -> Check:
    """A check that a derivative matches finite differences of the submitted
    function (see `judge_derivative`).

    It passes for the verdicts "right" and "the function is wrong" (the
    derivative is not charged for its function's bug), with a note. It fails
    for "a consistently wrong pair", whose derivative is wrong too: a pair of
    trivial functions (zeros, say) must not earn points by agreeing.
    """

    def run(ctx: Context) -> str | None:
        chosen = cases(ctx.rng)
        analytic = call_cases(ctx, derivative.name, chosen)
        notes = []
        failures = []
        for case, got in zip(chosen, analytic):
            expected = derivative.reference(*case.args)
            if not isinstance(got, np.ndarray) or got.shape != expected.shape:
                expect_array(got, expected, derivative.call_text)  # raises
            judgement = judge_derivative(ctx, derivative, function, case, layout, got)
            if judgement.text:
                failures.append((case, judgement.text))
            if judgement.note:
                notes.append(judgement.note)
        fail_on_cases(failures, derivative.arguments)
        return "; ".join(dict.fromkeys(notes)) or None

    name = f"{derivative.name}: agrees with finite differences of your {function.name}"
    return Check(name, derivative.name, points, run, _draws_from_rng(cases))


def property_check(
    function: str,
    what: str,
    points: int,
    run: Callable[[Context], str | None],
    hidden_inputs: bool = True,
) -> Check:
    """A check with its own logic, for properties and structure.

    Such a check is taken to draw its inputs from ``ctx.rng`` (and so to have
    a hidden twin) unless ``hidden_inputs`` is false.
    """
    return Check(f"{function}: {what}", function, points, run, hidden_inputs)


def _draws_from_rng(cases: Callable[[np.random.Generator], list[Case]]) -> bool:
    """Whether a case generator uses its generator: two seeds, two draws."""
    first = cases(np.random.default_rng(1))
    second = cases(np.random.default_rng(2))
    for a, b in zip(first, second):
        for x, y in zip(a.args, b.args):
            if isinstance(x, np.ndarray) and (
                x.shape != np.shape(y) or not np.array_equal(x, y)
            ):
                return True
    return False
