"""The checks and the rubric of hw1: learning a neural network.

Each function of the handout (``assignments/hw1.py``) carries the points of
the rubric below, split among its checks; a check earns all its points or
none. The expected values come from the reference implementation
(``reference``), evaluated in the grader; the submission runs in the worker.

Three kinds of check:

- values against the reference, on fixed inputs and on seeded random inputs
  chosen to expose the common bugs: a batch of one and of several, N equal to
  L and different from it, rectangular layers (4 -> 5 -> 3), exact zeros,
  entries of +-1000 and 1e5, one-hot, binary and probability targets;
- derivatives against central finite differences of the submission's OWN
  function, so that a correct derivative is not charged for a bug in the
  function it differentiates (a derivative that matches the reference passes
  this check too, with a note);
- properties: softmax rows sum to one, the divergence of Y from itself is
  zero, functions leave their arguments unchanged, and the structure of what
  forward and train return.

Known limit: when a function is wrong, the functions that call it in the
submission (forward calls the activations, backward nearly everything) lose
their points too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

import reference as ref
from checker.assignment import Assignment, Check, Context
from checker.checks import (
    Case,
    FunctionSpec,
    derivative_check,
    property_check,
    values_check,
)
from checker.compare import (
    CheckFailed,
    as_float,
    expect_array,
    expect_close,
    expect_float,
    expect_sequence,
    mismatch,
)
from checker.diagnose import Misconception, diagnose
from checker.gradcheck import check_gradient
from checker.properties import hypothesis_check, pasteable
from checker.sandbox import SubmissionError
from checker.stored import ReferenceUnavailable
from checker.strategies import float_arrays, networks

from .hw1_properties import PROPERTY_CHECKS

__all__ = ["ASSIGNMENT", "FUNCTIONS", "PROBLEMS", "RUBRIC", "SPECS"]

#: Points of each function; the checks below add up to exactly these.
RUBRIC: dict[str, int] = {
    "identity": 2,
    "identity_derivative": 2,
    "sigmoid": 3,
    "sigmoid_derivative": 3,
    "tanh": 2,
    "tanh_derivative": 3,
    "relu": 2,
    "relu_derivative": 3,
    "softmax": 6,
    "softmax_jacobian": 6,
    "l2_divergence": 3,
    "l2_divergence_derivative": 3,
    "bce_divergence": 3,
    "bce_divergence_derivative": 3,
    "kl_divergence": 3,
    "kl_divergence_derivative": 3,
    "cross_entropy": 3,
    "cross_entropy_derivative": 3,
    "softmax_cross_entropy": 4,
    "softmax_cross_entropy_derivative": 4,
    "empirical_risk": 4,
    "forward": 8,
    "backward": 14,
    "gradient_descent_step": 4,
    "train": 6,
}

FUNCTIONS = tuple(RUBRIC)

_ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu")
#: The divergences of Y and d (softmax_cross_entropy takes logits instead).
_DIVERGENCE_NAMES = (
    "l2_divergence",
    "bce_divergence",
    "kl_divergence",
    "cross_entropy",
)
_ALL_DIVERGENCE_NAMES = _DIVERGENCE_NAMES + ("softmax_cross_entropy",)

#: The handout's sections as problems, in its order: reports group checks by
#: problem, and ``--problem NAME`` runs the checks of one.
PROBLEMS: dict[str, tuple[str, ...]] = {
    "activations": tuple(
        name for base in _ACTIVATION_NAMES for name in (base, f"{base}_derivative")
    ),
    "softmax": ("softmax", "softmax_jacobian"),
    "divergences": tuple(
        name for base in _ALL_DIVERGENCE_NAMES for name in (base, f"{base}_derivative")
    ),
    "risk": ("empirical_risk",),
    "forward": ("forward",),
    "backward": ("backward",),
    "training": ("gradient_descent_step", "train"),
}

# --------------------------------------------------------------------------
# Inputs


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale=1.0):
    return rng.normal(scale=scale, size=shape)


def _away_from_zero(rng: np.random.Generator, shape, low=0.1, high=3.0):
    """Entries with |z| in [low, high]: random inputs kept off relu's kink."""
    return rng.uniform(low, high, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _probabilities(rng: np.random.Generator, shape) -> np.ndarray:
    return ref.softmax(rng.normal(size=shape))


def _one_hot(rng: np.random.Generator, shape) -> np.ndarray:
    n, L = shape
    d = np.zeros(shape)
    d[np.arange(n), rng.integers(0, L, size=n)] = 1.0
    return d


def _binary(rng: np.random.Generator, shape) -> np.ndarray:
    return rng.integers(0, 2, size=shape).astype(float)


#: Batch shapes that hide common bugs: one sample, N == L, N != L.
_BATCHES = (
    ("a batch of one", (1, 4), frozenset({"batch of one"})),
    ("N equal to L", (3, 3), frozenset({"square"})),
    ("N > L", (5, 2), frozenset()),
)


# --------------------------------------------------------------------------
# Known misconceptions


#: The wrong computations live with the reference (reference/misconceptions.py),
#: which a student handout leaves out: most are one step from the answer.
_WRONG = ref.MISCONCEPTIONS

MISCONCEPTIONS: dict[str, tuple[Misconception, ...]] = {
    "sigmoid_derivative": (
        Misconception(
            "sigmoid_derivative",
            "the derivative evaluated at the output sigmoid(z) instead of at z",
            _WRONG["sigmoid_derivative_at_output"],
        ),
    ),
    "tanh_derivative": (
        Misconception(
            "tanh_derivative",
            "the derivative evaluated at the output tanh(z) instead of at z",
            _WRONG["tanh_derivative_at_output"],
        ),
        Misconception(
            "tanh_derivative",
            "1 + tanh(z)**2: the sign of the square is wrong",
            _WRONG["tanh_derivative_plus_square"],
        ),
    ),
    "relu_derivative": (
        Misconception(
            "relu_derivative",
            "a derivative of 1 at z = 0 (z >= 0 where z > 0 is meant)",
            _WRONG["relu_derivative_one_at_zero"],
        ),
    ),
    "softmax": (
        Misconception(
            "softmax",
            "softmax normalised over the batch (axis 0) instead of each row",
            _WRONG["softmax_over_batch"],
        ),
    ),
    "softmax_jacobian": (
        Misconception(
            "softmax_jacobian",
            "only the diagonal y_i (1 - y_i): the terms -y_i y_j for i != j are "
            "missing",
            _WRONG["softmax_jacobian_diagonal_only"],
        ),
    ),
    "softmax_cross_entropy_derivative": (
        Misconception(
            "softmax_cross_entropy_derivative",
            "the fused shortcut softmax(Z) - d multiplied by the softmax Jacobian "
            "again: the shortcut already includes it",
            _WRONG["softmax_cross_entropy_derivative_shortcut_twice"],
        ),
    ),
    "empirical_risk": (
        Misconception(
            "empirical_risk",
            "the divergences summed over the batch instead of averaged",
            _WRONG["empirical_risk_summed"],
        ),
    ),
}

BACKWARD_MISCONCEPTIONS = (
    Misconception(
        "backward",
        "the fused shortcut Y - d at a softmax output, multiplied by the softmax "
        "Jacobian again: the shortcut already includes it",
        _WRONG["backward_shortcut_twice"],
    ),
    Misconception(
        "backward",
        "activation derivatives evaluated at the layer outputs Y_k instead of at Z_k",
        _WRONG["backward_at_output"],
    ),
)

_ARGUMENTS = {
    "activation": ("z",),
    "divergence": ("Y", "d"),
    "logits": ("Z", "d"),
}


def _spec(name: str, arguments: tuple[str, ...]) -> FunctionSpec:
    return FunctionSpec(
        name, arguments, getattr(ref, name), MISCONCEPTIONS.get(name, ())
    )


#: How each elementwise or row function of hw1 is called and judged.
SPECS: dict[str, FunctionSpec] = {
    **{
        name: _spec(name, _ARGUMENTS["activation"])
        for base in _ACTIVATION_NAMES
        for name in (base, f"{base}_derivative")
    },
    "softmax": _spec("softmax", ("z",)),
    "softmax_jacobian": _spec("softmax_jacobian", ("z",)),
    **{
        name: _spec(name, _ARGUMENTS["divergence"])
        for base in _DIVERGENCE_NAMES
        for name in (base, f"{base}_derivative")
    },
    **{
        name: _spec(name, _ARGUMENTS["logits"])
        for name in ("softmax_cross_entropy", "softmax_cross_entropy_derivative")
    },
}

#: Each derivative: the function it differentiates and how it is laid out.
DERIVATIVE_OF: dict[str, tuple[str, str]] = {
    **{f"{base}_derivative": (base, "elementwise") for base in _ACTIVATION_NAMES},
    "softmax_jacobian": ("softmax", "jacobian"),
    **{f"{base}_derivative": (base, "per-sample") for base in _ALL_DIVERGENCE_NAMES},
}


# --------------------------------------------------------------------------
# Check builders bound to the reference


def _values(function: str, what: str, points: int, cases, kind=None) -> Check:
    """Compare ``function`` with the reference on the cases."""
    return values_check(
        SPECS[function], what, points, cases, derivative_of=_derivative_of(function)
    )


def _derivative(derivative: str, function: str, points: int, cases, kind, layout):
    """Compare ``derivative`` with finite differences of the submission's
    ``function``."""
    return derivative_check(SPECS[derivative], SPECS[function], points, cases, layout)


def _derivative_of(function: str) -> tuple[FunctionSpec, str] | None:
    if function not in DERIVATIVE_OF:
        return None
    of, layout = DERIVATIVE_OF[function]
    return SPECS[of], layout


# --------------------------------------------------------------------------
# Activations


_FIXED_Z = np.array(
    [[-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], [2.0, -2.0, 0.25, -0.25, 0.0, 4.0, -4.0]]
)
_LARGE_Z = np.array([[-1000.0, -100.0, -40.0, 0.0, 40.0, 100.0, 1000.0]])
_ZEROS_Z = np.array([[0.0, -1.0, 0.0, 2.0], [0.0, 0.0, -0.5, 0.5]])


def _fixed_activation(rng) -> list[Case]:
    return [
        Case("fixed inputs", (_FIXED_Z,)),
        Case("a 1-D input", (np.array([-2.0, 0.0, 1.5]),)),
    ]


def _random_activation(rng) -> list[Case]:
    cases = [
        Case(f"random inputs, {label}", (_normal(rng, shape, 3.0),), tags)
        for label, shape, tags in _BATCHES
    ]
    cases.append(Case("a 3-D input", (_normal(rng, (2, 3, 4), 3.0),)))
    return cases


def _large_activation(rng) -> list[Case]:
    return [Case("entries of +-1000", (_LARGE_Z,))]


def _zeros_activation(rng) -> list[Case]:
    return [Case("exact zeros", (_ZEROS_Z,))]


def _smooth_points(rng) -> list[Case]:
    return [Case("random inputs", (_normal(rng, (2, 3), 2.0),))]


def _kink_free_points(rng) -> list[Case]:
    return [Case("random inputs away from 0", (_away_from_zero(rng, (2, 3)),))]


def _activation_checks() -> list[Check]:
    A = "activation"

    def fixed_and_random(rng):
        return _fixed_activation(rng) + _random_activation(rng)

    def fixed_and_large(rng):
        return _fixed_activation(rng) + _large_activation(rng)

    def everything(rng):
        return fixed_and_random(rng) + _large_activation(rng) + _zeros_activation(rng)

    return [
        _values(
            "identity", "matches the reference on fixed inputs", 1, _fixed_activation, A
        ),
        _derivative(
            "identity_derivative", "identity", 1, _smooth_points, A, "elementwise"
        ),
        _values(
            "sigmoid",
            "matches the reference on fixed and random inputs of several shapes",
            1,
            fixed_and_random,
            A,
        ),
        _values("sigmoid", "finite and correct at +-1000", 1, _large_activation, A),
        _values(
            "sigmoid_derivative",
            "matches the reference on fixed inputs and at +-1000",
            1,
            fixed_and_large,
            A,
        ),
        _derivative(
            "sigmoid_derivative", "sigmoid", 1, _smooth_points, A, "elementwise"
        ),
        _values(
            "tanh",
            "matches the reference on fixed and random inputs and at +-1000",
            1,
            lambda rng: fixed_and_random(rng) + _large_activation(rng),
            A,
        ),
        _values(
            "tanh_derivative",
            "matches the reference on fixed inputs and at +-1000",
            1,
            fixed_and_large,
            A,
        ),
        _derivative("tanh_derivative", "tanh", 1, _smooth_points, A, "elementwise"),
        _values(
            "relu",
            "matches the reference on fixed and random inputs and exact zeros",
            1,
            everything,
            A,
        ),
        _values(
            "relu_derivative",
            "matches the reference on fixed inputs and exact zeros",
            1,
            lambda rng: _fixed_activation(rng) + _zeros_activation(rng),
            A,
        ),
        _derivative("relu_derivative", "relu", 1, _kink_free_points, A, "elementwise"),
    ]


# --------------------------------------------------------------------------
# Softmax


_FIXED_SOFTMAX = np.array(
    [[1.0, 2.0, 3.0, 4.0], [0.0, 0.0, 0.0, 0.0], [-1.0, 0.5, 2.0, -3.0]]
)
_LARGE_SOFTMAX = np.array(
    [
        [1000.0, 1000.0, 999.0],
        [-1000.0, 0.0, 1000.0],
        [1e5, 0.0, -1e5],
        [1e5, 1e5 - 1.0, 1e5 - 2.0],
    ]
)


def _fixed_softmax(rng) -> list[Case]:
    return [Case("fixed inputs", (_FIXED_SOFTMAX,))]


def _batch_of_one(rng) -> list[Case]:
    return [
        Case(
            "a batch of one", (_normal(rng, (1, 5), 2.0),), frozenset({"batch of one"})
        )
    ]


def _softmax_batches(rng) -> list[Case]:
    return [
        Case(f"random inputs, {label}", (_normal(rng, shape, 2.0),), tags)
        for label, shape, tags in _BATCHES
    ] + [Case("random inputs, N < L", (_normal(rng, (2, 5), 2.0),))]


def _large_softmax(rng) -> list[Case]:
    return [Case("entries of +-1000 and 1e5", (_LARGE_SOFTMAX,))]


def _softmax_checks() -> list[Check]:
    S = "softmax"
    return [
        _values(
            "softmax", "matches the reference on fixed inputs", 1, _fixed_softmax, S
        ),
        _values(
            "softmax",
            "matches the reference on random batches of one and "
            "several, N equal to L and not",
            1,
            lambda rng: _batch_of_one(rng) + _softmax_batches(rng),
            S,
        ),
        _values(
            "softmax", "no overflow for entries of 1000 and 1e5", 2, _large_softmax, S
        ),
        _values(
            "softmax_jacobian",
            "matches the reference on fixed inputs",
            1,
            _fixed_softmax,
            S,
        ),
        _values(
            "softmax_jacobian",
            "matches the reference on random batches of one and several",
            2,
            lambda rng: _batch_of_one(rng) + _softmax_batches(rng),
            S,
        ),
        _derivative(
            "softmax_jacobian",
            "softmax",
            2,
            lambda rng: [Case("random inputs", (_normal(rng, (3, 4), 2.0),))],
            S,
            "jacobian",
        ),
    ]


# --------------------------------------------------------------------------
# Divergences


def _targets(kind: str, rng, shape) -> np.ndarray:
    return {
        "real": _normal,
        "binary": _binary,
        "one-hot": _one_hot,
        "probability": _probabilities,
    }[kind](rng, shape)


def _outputs(divergence: str, rng, shape) -> np.ndarray:
    if divergence == "l2":
        return _normal(rng, shape)
    if divergence == "bce":
        return rng.uniform(0.1, 0.9, size=shape)
    return _probabilities(rng, shape)


_FIXED_DIVERGENCE = {
    "l2": (
        np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]]),
        np.array([[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]]),
    ),
    "bce": (
        np.array([[0.9, 0.2, 0.5], [0.3, 0.6, 0.99]]),
        np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]),
    ),
    "kl": (
        np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]]),
        np.array([[1.0, 0.0, 0.0], [0.5, 0.25, 0.25]]),
    ),
    "cross_entropy": (
        np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]]),
        np.array([[1.0, 0.0, 0.0], [0.5, 0.25, 0.25]]),
    ),
}
_TARGET_KIND = {
    "l2": "real",
    "bce": "binary",
    "kl": "one-hot",
    "cross_entropy": "one-hot",
}
_FUNCTION_OF = {
    "l2": "l2_divergence",
    "bce": "bce_divergence",
    "kl": "kl_divergence",
    "cross_entropy": "cross_entropy",
}


def _divergence_cases(divergence: str, which: str):
    def cases(rng) -> list[Case]:
        if which == "fixed":
            return [Case("fixed inputs", _FIXED_DIVERGENCE[divergence])]
        if which == "random":
            kind = _TARGET_KIND[divergence]
            return [
                Case(
                    f"random {kind} targets, {label}",
                    (_outputs(divergence, rng, shape), _targets(kind, rng, shape)),
                    tags,
                )
                for label, shape, tags in _BATCHES
            ]
        if which == "fd":
            # Outputs kept away from 0 and 1, so that finite-difference steps
            # (up to 0.04 for a float32 submission) stay inside the domain.
            shape = (3, 4)
            kind = (
                "probability"
                if divergence in ("kl", "cross_entropy")
                else (_TARGET_KIND[divergence])
            )
            Y = _outputs(divergence, rng, shape)
            if divergence in ("kl", "cross_entropy"):
                Y = 0.5 * Y + 0.5 / shape[1]  # probabilities of at least 1/8
            return [Case(f"random {kind} targets", (Y, _targets(kind, rng, shape)))]
        raise ValueError(which)

    return cases


def _special_divergence_cases(divergence: str):
    """The third value check of each divergence, each on its own trap."""

    def cases(rng) -> list[Case]:
        if divergence == "l2":
            Y = _normal(rng, (4, 3))
            return [Case("Y equal to d", (Y, Y.copy()))]
        if divergence == "bce":
            shape = (6, 1)
            return [
                Case(
                    "binary targets with L = 1",
                    (_outputs("bce", rng, shape), _binary(rng, shape)),
                )
            ]
        if divergence == "kl":
            shape = (5, 4)
            return [
                Case(
                    "one-hot targets (0 log 0 = 0)",
                    (_outputs("kl", rng, shape), _one_hot(rng, shape)),
                )
            ]
        shape = (5, 4)
        return [
            Case(
                "probability targets",
                (_outputs(divergence, rng, shape), _probabilities(rng, shape)),
            )
        ]

    return cases


_SPECIAL_TITLE = {
    "l2": "Y equal to d",
    "bce": "binary targets with L = 1",
    "kl": "one-hot targets (0 log 0 = 0)",
    "cross_entropy": "probability targets",
}


def _divergence_checks() -> list[Check]:
    D = "divergence"
    checks = []
    for divergence, function in _FUNCTION_OF.items():
        derivative = f"{function}_derivative"
        random = _divergence_cases(divergence, "random")
        special = _special_divergence_cases(divergence)
        checks += [
            _values(
                function,
                "matches the reference on fixed inputs",
                1,
                _divergence_cases(divergence, "fixed"),
                D,
            ),
            _values(
                function,
                "matches the reference on random batches, "
                + _SPECIAL_TITLE[divergence],
                1,
                lambda rng, r=random, x=special: r(rng) + x(rng),
                D,
            ),
            _values(
                derivative,
                "matches the reference on fixed inputs",
                1,
                _divergence_cases(divergence, "fixed"),
                D,
            ),
            _values(
                derivative, "matches the reference on random batches", 1, random, D
            ),
            _derivative(
                derivative,
                function,
                1,
                _divergence_cases(divergence, "fd"),
                D,
                "per-sample",
            ),
        ]
    return checks


_FIXED_LOGIT_TARGETS = np.array(
    [[0.0, 0.0, 0.0, 1.0], [0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]]
)


# Targets on logits whose softmax underflows to 0: log(softmax(Z)) gives -inf.
_LARGE_LOGIT_TARGETS = np.array(
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
)


def _logit_cases(which: str):
    def cases(rng) -> list[Case]:
        if which == "fixed":
            return [Case("fixed inputs", (_FIXED_SOFTMAX, _FIXED_LOGIT_TARGETS))]
        if which == "random":
            return [
                Case(
                    f"random one-hot targets, {label}",
                    (_normal(rng, shape, 2.0), _one_hot(rng, shape)),
                    tags,
                )
                for label, shape, tags in _BATCHES
            ]
        if which == "large":
            return [
                Case(
                    "logits of +-1000 and 1e5, targets on small logits",
                    (_LARGE_SOFTMAX, _LARGE_LOGIT_TARGETS),
                )
            ]
        shape = (3, 4)
        return [
            Case(
                "random probability targets",
                (_normal(rng, shape, 2.0), _probabilities(rng, shape)),
            )
        ]

    return cases


def _softmax_cross_entropy_checks() -> list[Check]:
    G = "logits"
    return [
        _values(
            "softmax_cross_entropy",
            "matches the reference on fixed inputs",
            1,
            _logit_cases("fixed"),
            G,
        ),
        _values(
            "softmax_cross_entropy",
            "no overflow for logits of 1000 and 1e5",
            2,
            _logit_cases("large"),
            G,
        ),
        _values(
            "softmax_cross_entropy_derivative",
            "matches the reference on fixed and random inputs",
            1,
            lambda rng: _logit_cases("fixed")(rng) + _logit_cases("random")(rng),
            G,
        ),
        _values(
            "softmax_cross_entropy_derivative",
            "no overflow for logits of 1000 and 1e5",
            1,
            _logit_cases("large"),
            G,
        ),
        _derivative(
            "softmax_cross_entropy_derivative",
            "softmax_cross_entropy",
            2,
            _logit_cases("fd"),
            G,
            "per-sample",
        ),
    ]


def _risk_check(divergence: str) -> Check:
    def run(ctx: Context) -> None:
        shape = (5, 3) if divergence != "bce" else (5, 1)
        Y = _outputs(divergence, ctx.rng, shape)
        d = _targets(_TARGET_KIND[divergence], ctx.rng, shape)
        got = ctx.call("empirical_risk", Y, d, divergence)
        expected = ref.empirical_risk(Y, d, divergence)
        try:
            expect_float(got, expected, f"empirical_risk(Y, d, {divergence!r})")
        except CheckFailed as failure:
            hints = diagnose(
                got,
                expected,
                misconceptions=MISCONCEPTIONS["empirical_risk"],
                args=(Y, d, divergence),
            )
            raise CheckFailed(
                f"on a batch of 5 (Y shape {shape}):\n"
                + failure.message
                + "".join(f"\nhint: {hint}" for hint in hints)
            ) from None

    return property_check(
        "empirical_risk", f"mean {divergence} divergence over the batch", 1, run
    )


# --------------------------------------------------------------------------
# The network


@dataclass(frozen=True)
class Network:
    """A random network and a batch for it, described for the student."""

    label: str
    X: np.ndarray
    d: np.ndarray
    weights: list
    biases: list
    activations: list
    divergence: str

    def describe(self) -> str:
        sizes = [self.X.shape[1]] + [W.shape[1] for W in self.weights]
        arrows = " -> ".join(str(s) for s in sizes)
        return (
            f"{self.label}: layers {arrows}, activations {self.activations}, "
            f"divergence {self.divergence!r}, batch of {self.X.shape[0]}"
        )


def make_network(
    rng, sizes, activations, divergence="l2", batch=4, label="a random network"
) -> Network:
    """Draw weights, biases, inputs and targets; keep relu inputs off 0."""
    for _ in range(50):
        weights = [
            _normal(rng, (m, n), 1 / np.sqrt(m)) for m, n in zip(sizes[:-1], sizes[1:])
        ]
        biases = [_normal(rng, (n,), 0.5) for n in sizes[1:]]
        X = _normal(rng, (batch, sizes[0]))
        layers = ref.forward(X, weights, biases, activations)
        near_kink = any(
            name == "relu" and np.abs(Z).min() < 1e-3
            for name, (Z, _) in zip(activations, layers)
        )
        if not near_kink:
            break
    shape = (batch, sizes[-1])
    kind = _TARGET_KIND.get(divergence, "real")
    if divergence in ("kl", "cross_entropy") and sizes[-1] > 1:
        kind = "one-hot"
    d = _targets(kind, rng, shape)
    return Network(label, X, d, weights, biases, list(activations), divergence)


def _forward_check(what: str, points: int, sizes, activations, batch=4) -> Check:
    def run(ctx: Context) -> None:
        net = make_network(ctx.rng, sizes, activations, batch=batch)
        got = ctx.call("forward", net.X, net.weights, net.biases, net.activations)
        expected = ref.forward(net.X, net.weights, net.biases, net.activations)
        try:
            pairs = expect_sequence(got, len(expected), "forward(...)")
            for k, (pair, (Z, Y)) in enumerate(zip(pairs, expected), start=1):
                Z_got, Y_got = expect_sequence(pair, 2, f"layer {k}'s (Z_{k}, Y_{k})")
                expect_array(Z_got, Z, f"Z_{k}")
                expect_array(Y_got, Y, f"Y_{k}")
        except CheckFailed as failure:
            raise CheckFailed(f"on {net.describe()}:\n{failure.message}") from None

    return property_check("forward", what, points, run)


def _gradient_names(K: int) -> list[str]:
    return [f"dweights[{k}]" for k in range(K)] + [f"dbiases[{k}]" for k in range(K)]


def _expect_gradients(got: Any, net: Network) -> list[np.ndarray]:
    """Check the structure of backward's result; return the 2K arrays."""
    K = len(net.weights)
    pair = expect_sequence(got, 2, "backward(...)")
    dweights = expect_sequence(pair[0], K, "dweights")
    dbiases = expect_sequence(pair[1], K, "dbiases")
    arrays = dweights + dbiases
    shapes = [W.shape for W in net.weights] + [b.shape for b in net.biases]
    for name, array, shape in zip(_gradient_names(K), arrays, shapes):
        expect_array(
            array,
            np.zeros(shape)
            if not isinstance(array, np.ndarray) or array.shape != shape
            else array,
            name,
        )
    return arrays


def _backward_args(net: Network) -> tuple:
    return (net.X, net.d, net.weights, net.biases, net.activations, net.divergence)


def _own_loss(ctx: Context, net: Network, probed: list | None = None):
    """The submission's loss, empirical_risk of its forward's output, as a
    function of many parameter lists at once (two round trips per batch).
    Each parameter list and its loss are added to ``probed`` if given."""
    K = len(net.weights)

    def loss_chunk(batch: list[list[np.ndarray]]) -> list[float]:
        calls = [(net.X, p[:K], p[K:], net.activations) for p in batch]
        risks = []
        for layers in ctx.call_many("forward", calls):
            last = expect_sequence(layers, K, "forward(...)")[-1]
            Y = expect_sequence(last, 2, "forward(...)[-1]")[1]
            risks.append((Y, net.d, net.divergence))
        values = ctx.call_many("empirical_risk", risks)
        losses = [as_float(v, "empirical_risk(...)") for v in values]
        if probed is not None:
            probed.extend(zip(batch, losses))
        return losses

    def loss_many(batch: list[list[np.ndarray]]) -> list[float]:
        # In chunks, so that the grader never holds many outputs at once.
        values: list[float] = []
        for start in range(0, len(batch), 32):
            values += loss_chunk(batch[start : start + 32])
        return values

    return loss_many


def _gradient_of_own_loss(
    ctx: Context, net: Network, arrays: list[np.ndarray], probed: list | None = None
):
    """Check backward's arrays against finite differences of the submission's
    own loss, tensor by tensor (the losses it probed added to ``probed``)."""
    names = _gradient_names(len(net.weights))
    return check_gradient(
        _own_loss(ctx, net, probed),
        net.weights + net.biases,
        arrays,
        names,
        rng=ctx.rng,
        mode="auto",
    )


def _own_loss_is_right(ctx: Context, net: Network, probed: list = ()) -> bool:
    """Whether the submission's forward and empirical_risk give the right loss
    at the network's parameters and at every parameter list in ``probed``
    (pairs of parameters and the loss the submission gave there): a loss right
    at one point and anything nearby would make any gradient agree with it."""
    try:
        (value,) = _own_loss(ctx, net)([net.weights + net.biases])
    except (SubmissionError, CheckFailed):
        return False
    K = len(net.weights)
    for parameters, loss in [(net.weights + net.biases, value), *probed]:
        expected = ref.empirical_risk(
            ref.forward(net.X, parameters[:K], parameters[K:], net.activations)[-1][1],
            net.d,
            net.divergence,
        )
        if mismatch(np.asarray(loss), np.asarray(expected), "loss") is not None:
            return False
    return True


def _backward_verdict(ctx: Context, net: Network, arrays: list[np.ndarray]) -> str:
    """Which half to fix, when backward differs from the reference (nothing
    when that needs reference values the stored outputs lack)."""
    try:
        own = _gradient_of_own_loss(ctx, net, arrays)
        loss_right = _own_loss_is_right(ctx, net)
    except (SubmissionError, CheckFailed, ReferenceUnavailable):
        return ""
    if own.passed and not loss_right:
        return (
            "\nverdict: a consistently wrong pair; backward agrees with finite "
            "differences of your forward and empirical_risk, which differ from "
            "the reference: fix them, and backward with them"
        )
    if not own.passed and loss_right:
        return (
            "\nverdict: the derivative does not match your function; your "
            "forward and empirical_risk are right, so backward is the one to fix"
        )
    return ""


def _backward_hints(got: Any, expected: tuple, net: Network) -> str:
    """Hints from the known misconceptions of backward."""
    hints = diagnose(
        got,
        expected,
        misconceptions=BACKWARD_MISCONCEPTIONS,
        args=_backward_args(net),
    )
    return "".join(f"\nhint: {hint}" for hint in hints)


def _tensor_hints(got: Any, expected: tuple) -> str:
    """Hints for the first gradient tensor of the wrong shape."""
    try:
        dweights, dbiases = got
        arrays = list(dweights) + list(dbiases)
    except (TypeError, ValueError):
        return ""
    names = _gradient_names(len(expected[0]))
    for name, array, want in zip(names, arrays, expected[0] + expected[1]):
        if isinstance(array, np.ndarray) and array.shape != want.shape:
            return "".join(f"\nhint: {name}: {h}" for h in diagnose(array, want))
    return ""


def _wrong_gradients(
    net: Network, arrays: list[np.ndarray], expected: tuple
) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """Backward's tensors that differ from the reference's ``expected``, as
    (name, array, expected array, explanation), in order."""
    names = _gradient_names(len(net.weights))
    return [
        (name, array, want, text)
        for name, array, want in zip(names, arrays, expected[0] + expected[1])
        if (text := mismatch(array, want, name)) is not None
    ]


def _backward_check(
    what: str, points: int, sizes, activations, divergence, batch=4
) -> Check:
    def run(ctx: Context) -> None:
        net = make_network(ctx.rng, sizes, activations, divergence, batch)
        got = ctx.call("backward", *_backward_args(net))
        expected = ref.backward(*_backward_args(net))
        try:
            arrays = _expect_gradients(got, net)
        except CheckFailed as failure:
            hints = _backward_hints(got, expected, net) + _tensor_hints(got, expected)
            raise CheckFailed(
                f"on {net.describe()}:\n{failure.message}{hints}"
            ) from None
        wrong = _wrong_gradients(net, arrays, expected)
        if wrong:
            name, array, want, text = wrong[0]
            text += _backward_hints(got, expected, net)
            for hint in diagnose(array, want, batch_size=net.X.shape[0]):
                text += f"\nhint: {name}: {hint}"
            text += _backward_verdict(ctx, net, arrays)
            raise CheckFailed(f"on {net.describe()}:\n{text}")

    return property_check("backward", what, points, run)


def _backward_fd_check(what: str, points: int, sizes, activations, divergence):
    def run(ctx: Context) -> str | None:
        net = make_network(ctx.rng, sizes, activations, divergence, batch=3)
        got = ctx.call("backward", *_backward_args(net))
        try:
            arrays = _expect_gradients(got, net)
        except CheckFailed as failure:
            raise CheckFailed(f"on {net.describe()}:\n{failure.message}") from None
        probed: list = []
        try:
            result = _gradient_of_own_loss(ctx, net, arrays, probed)
        except (SubmissionError, CheckFailed) as problem:
            result = None
            reason = getattr(problem, "message", str(problem)).splitlines()[0]
        expected = ref.backward(*_backward_args(net))
        wrong = [w[3] for w in _wrong_gradients(net, arrays, expected)]
        if result is not None and result.passed:
            notes = [t.text for t in result.tensors if t.text]
            if result.excluded:
                notes.append(f"{result.excluded} probe(s) at a kink were not compared")
            if wrong and not _own_loss_is_right(ctx, net, probed):
                # Agreeing with a wrong loss earns nothing: zeros agree with zeros.
                raise CheckFailed(
                    f"on {net.describe()}:\nbackward agrees with finite "
                    "differences of your forward and empirical_risk, but both differ "
                    "from the reference\nverdict: a consistently wrong pair; fix "
                    "forward or empirical_risk, then backward with them"
                )
            return "; ".join(notes) or None

        if not wrong:
            why = reason if result is None else "they disagree with backward"
            return (
                f"finite differences of your forward and empirical_risk were not "
                f"usable ({why}), but backward matches the reference: fix forward "
                "or empirical_risk; backward is not charged"
            )
        if result is None:
            raise CheckFailed(
                f"on {net.describe()}:\nyour forward and empirical_risk could not "
                f"be differentiated ({reason}), and backward differs from the "
                f"reference:\n{wrong[0]}"
            )
        texts = [t.text for t in result.failures()]
        try:
            loss_right = _own_loss_is_right(ctx, net, probed)
        except ReferenceUnavailable:  # graded from stored outputs: no verdict
            loss_right = False
        if loss_right:
            texts.append(
                "verdict: the derivative does not match your function; your "
                "forward and empirical_risk are right, so backward is the one to fix"
            )
        raise CheckFailed(f"on {net.describe()}:\n" + "\n".join(texts))

    return property_check("backward", what, points, run)


@st.composite
def _small_networks(draw) -> Network:
    net = draw(
        networks(max_layers=3, max_width=4, max_rows=3, output=("identity", "tanh"))
    )
    d = draw(float_arrays((net.X.shape[0], net.sizes[-1]), -1.0, 1.0))
    return Network(
        "a drawn network", net.X, d, net.weights, net.biases, net.activations, "l2"
    )


def _backward_is_the_gradient(ctx: Context, net: Network) -> None:
    """Backward must be the gradient of the loss (checked fast, against the
    reference, so that hypothesis can shrink a failure quickly)."""
    got = ctx.call("backward", *_backward_args(net))
    arrays = _expect_gradients(got, net)
    wrong = _wrong_gradients(net, arrays, ref.backward(*_backward_args(net)))
    if wrong:
        raise CheckFailed(wrong[0][3])


def _explain_backward(ctx: Context, net: Network) -> str:
    """Which half to fix, from finite differences of the submission's loss."""
    got = ctx.call("backward", *_backward_args(net))
    result = _gradient_of_own_loss(ctx, net, _expect_gradients(got, net))
    if not result.passed:
        return "\n" + "\n".join(t.text for t in result.failures())
    return (
        "\nverdict: a consistently wrong pair; backward agrees with finite "
        "differences of your forward and empirical_risk: fix them, then backward"
    )


def _describe_backward(net: Network) -> str:
    return (
        f"backward(X={pasteable(net.X)}, d={pasteable(net.d)}, weights="
        f"{pasteable(net.weights)}, biases={pasteable(net.biases)}, activations="
        f"{net.activations!r}, divergence='l2')"
    )


def _step_args(ctx: Context, eta: float) -> tuple[Network, tuple]:
    net = make_network(ctx.rng, (4, 5, 3), ["tanh", "identity"])
    dweights = [_normal(ctx.rng, W.shape) for W in net.weights]
    dbiases = [_normal(ctx.rng, b.shape) for b in net.biases]
    return net, (net.weights, net.biases, dweights, dbiases, eta)


def _expect_parameters(got: Any, expected: tuple, quantity: str) -> None:
    weights, biases = expect_sequence(got, len(expected), quantity)[:2]
    expect_close(weights, expected[0], "weights")
    expect_close(biases, expected[1], "biases")


def _step_values(eta: float):
    def run(ctx: Context) -> None:
        net, args = _step_args(ctx, eta)
        got = ctx.call("gradient_descent_step", *args)
        expected = ref.gradient_descent_step(*args)
        try:
            _expect_parameters(got, expected, "gradient_descent_step(...)")
        except CheckFailed as failure:
            raise CheckFailed(
                f"with eta = {eta} on {net.describe()}:\n" + failure.message
            ) from None

    return run


def _arguments_unchanged(function: str, make_args: Callable[[Context], tuple]):
    argument_names = {
        "gradient_descent_step": ["weights", "biases", "dweights", "dbiases", "eta"],
        "train": [
            "X",
            "d",
            "weights",
            "biases",
            "activations",
            "divergence",
            "eta",
            "epochs",
        ],
    }[function]

    def run(ctx: Context) -> None:
        args = make_args(ctx)
        outcome = ctx.sandbox.call(function, *args)
        got = outcome.get()
        if outcome.changed_args:
            names = ", ".join(argument_names[i] for i in outcome.changed_args)
            raise CheckFailed(
                f"{function} replaced items of the list(s) {names} it was given; "
                "build and return new lists instead"
            )
        # Leaving the arguments alone earns nothing unless the result is right.
        expected = getattr(ref, function)(*args)
        result = expect_sequence(got, len(expected), f"{function}(...)")
        _expect_parameters(result, expected, f"{function}(...)")

    return run


def _train_args(ctx: Context, which: str, epochs: int = 5) -> tuple[Network, tuple]:
    if which == "convex":
        net = make_network(
            ctx.rng, (3, 2), ["identity"], "l2", batch=6, label="one identity layer"
        )
        eta = 0.1
    else:
        net = make_network(
            ctx.rng,
            (4, 5, 3),
            ["tanh", "softmax"],
            "cross_entropy",
            batch=6,
            label="a softmax classifier",
        )
        eta = 0.5
    return net, (
        net.X,
        net.d,
        net.weights,
        net.biases,
        net.activations,
        net.divergence,
        eta,
        epochs,
    )


def _train_values(which: str, epochs: tuple[int, ...] = (5,)):
    """Train on one drawn network for each count of ``epochs`` in turn; zero
    epochs must give back the starting parameters and no losses."""

    def run(ctx: Context) -> None:
        net, drawn = _train_args(ctx, which, epochs[0])
        for count in epochs:
            args = (*drawn[:-1], count)
            got = ctx.call("train", *args)
            expected = ref.train(*args)
            try:
                result = expect_sequence(got, 3, "train(...)")
                _expect_parameters(result, expected, "train(...)")
                losses = result[2]
                if isinstance(losses, np.ndarray) and losses.ndim == 1:
                    losses = list(losses)
                expect_close(losses, expected[2], "losses")
            except CheckFailed as failure:
                raise CheckFailed(
                    f"after {count} epochs with eta = {args[6]} on "
                    f"{net.describe()}:\n{failure.message}"
                ) from None

    return run


def _network_checks() -> list[Check]:
    tanh_net = ["tanh", "identity"]
    return [
        _forward_check("one identity layer", 1, (3, 2), ["identity"]),
        _forward_check(
            "4 -> 5 -> 3 with a sigmoid hidden layer",
            1,
            (4, 5, 3),
            ["sigmoid", "identity"],
        ),
        _forward_check("4 -> 5 -> 3 with a tanh hidden layer", 1, (4, 5, 3), tanh_net),
        _forward_check(
            "4 -> 5 -> 3 with a relu hidden layer", 1, (4, 5, 3), ["relu", "identity"]
        ),
        _forward_check("softmax output layer", 1, (4, 5, 3), ["relu", "softmax"]),
        _forward_check("a batch of one", 1, (4, 5, 3), ["sigmoid", "softmax"], batch=1),
        _forward_check(
            "three layers mixing activations",
            1,
            (2, 6, 4, 3),
            ["tanh", "relu", "sigmoid"],
        ),
        _backward_check(
            "L2 with an identity output, 4 -> 5 -> 3", 2, (4, 5, 3), tanh_net, "l2"
        ),
        _backward_check(
            "binary cross-entropy with a sigmoid output",
            2,
            (4, 5, 1),
            ["relu", "sigmoid"],
            "bce",
        ),
        _backward_check(
            "KL with a softmax output", 2, (4, 5, 3), ["sigmoid", "softmax"], "kl"
        ),
        _backward_check(
            "cross-entropy with a softmax output, three layers",
            2,
            (2, 6, 4, 3),
            ["tanh", "relu", "softmax"],
            "cross_entropy",
        ),
        _backward_check("a batch of one", 1, (4, 5, 3), tanh_net, "l2", batch=1),
        _backward_check(
            "N equal to L and square layers",
            1,
            (3, 3, 3),
            ["sigmoid", "identity"],
            "l2",
            batch=3,
        ),
        hypothesis_check(
            "backward",
            "agrees with finite differences of your forward and empirical_risk "
            "on drawn networks",
            2,
            _small_networks(),
            _backward_is_the_gradient,
            describe=_describe_backward,
            explain=_explain_backward,
            max_examples=6,
        ),
        _backward_fd_check(
            "agrees with finite differences of your forward and "
            "empirical_risk (cross-entropy, relu and softmax)",
            2,
            (4, 5, 3),
            ["relu", "softmax"],
            "cross_entropy",
        ),
        property_check(
            "gradient_descent_step", "matches the reference", 2, _step_values(0.1)
        ),
        property_check(
            "gradient_descent_step",
            "leaves its arguments unchanged",
            1,
            _arguments_unchanged(
                "gradient_descent_step", lambda ctx: _step_args(ctx, 0.1)[1]
            ),
        ),
        property_check(
            "train",
            "matches the reference on one identity layer with L2, for 5 epochs "
            "and for 0",
            2,
            _train_values("convex", epochs=(5, 0)),
        ),
        property_check(
            "train",
            "matches the reference on a softmax classifier",
            2,
            _train_values("classifier"),
        ),
        property_check(
            "train",
            "leaves its arguments unchanged",
            1,
            _arguments_unchanged("train", lambda ctx: _train_args(ctx, "convex", 2)[1]),
        ),
    ]


def _checks() -> tuple[Check, ...]:
    checks = (
        _activation_checks()
        + _softmax_checks()
        + _divergence_checks()
        + _softmax_cross_entropy_checks()
        + [_risk_check(name) for name in ("l2", "bce", "kl")]
        + _network_checks()
        + PROPERTY_CHECKS
    )
    order = {name: i for i, name in enumerate(FUNCTIONS)}
    return tuple(sorted(checks, key=lambda c: order[c.function]))


#: The functions each hw1 function may reasonably call.
CALLS: dict[str, frozenset[str]] = {
    **{f"{a}_derivative": frozenset({a}) for a in _ACTIVATION_NAMES},
    "softmax_jacobian": frozenset({"softmax"}),
    "kl_divergence": frozenset({"cross_entropy"}),
    **{f"{d}_derivative": frozenset({d}) for d in _DIVERGENCE_NAMES},
    "softmax_cross_entropy": frozenset({"softmax", "cross_entropy"}),
    "softmax_cross_entropy_derivative": frozenset({"softmax", "softmax_jacobian"}),
    "empirical_risk": frozenset(_DIVERGENCE_NAMES),
    "forward": frozenset(_ACTIVATION_NAMES + ("softmax",)),
    "backward": frozenset(
        {"forward", "softmax_jacobian", "softmax_cross_entropy_derivative"}
        | {f"{a}_derivative" for a in _ACTIVATION_NAMES}
        | {f"{d}_derivative" for d in _DIVERGENCE_NAMES}
    ),
    "train": frozenset(
        {"forward", "backward", "empirical_risk", "gradient_descent_step"}
    ),
}

ASSIGNMENT = Assignment(
    name="hw1",
    title="hw1: learning a neural network",
    functions=FUNCTIONS,
    checks=_checks(),
    seed=20261204,
    calls=CALLS,
    answers={name: getattr(ref, name) for name in FUNCTIONS},
    problems=PROBLEMS,
)

for _function, _points in ASSIGNMENT.points_by_function().items():
    if _points != RUBRIC[_function]:
        raise RuntimeError(
            f"hw1: the checks of {_function} carry {_points} points, "
            f"the rubric says {RUBRIC[_function]}"
        )
