"""What the check audit of hw1 mutates, and where it compares a mutant.

``python -m checker audit hw1`` mutates the reference package (``reference``),
grades every mutant with the hw1 checks, and compares each mutant that no
check catches with the reference on the random inputs drawn here. The inputs
stay inside the contract of the handout (``assignments/hw1.py``), since a
mutant only has to agree with the reference where a submission must:

- activations: arrays of one, two and three dimensions, at scales from 0.1
  to 1000, with exact zeros;
- softmax and its Jacobian: batches ``(N, L)`` at scales up to 1e5;
- divergences: outputs and targets of each divergence's domain (any reals for
  L2, probabilities in (0, 1) and labels 0 or 1 for binary cross-entropy,
  probability rows and one-hot or probability targets for KL and
  cross-entropy, logits and targets whose rows sum to 1 for softmax
  cross-entropy), batches of one and several;
- the network: one to three layers of one to five units, every activation in
  every layer, each divergence with an output it accepts (a sigmoid output
  for binary cross-entropy, a softmax output for KL and cross-entropy), and
  train for zero to three epochs.

Known limit: inputs outside the contract (an unknown activation name, shapes
that do not fit) are not drawn, so a mutant that only changes how a wrong
call fails counts as equivalent.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

import reference as ref
from checker.audit import AuditTarget

from .hw1_checks import FUNCTIONS

__all__ = ["AUDIT", "equivalence_inputs"]

#: Random argument tuples drawn for each function.
DRAWS = 120

_ACTIVATIONS = ("identity", "sigmoid", "tanh", "relu", "softmax")
_DIVERGENCES = ("l2", "bce", "kl", "cross_entropy")


def _scaled(rng: np.random.Generator, shape, scales=(0.1, 1.0, 3.0, 30.0, 1000.0)):
    """Normal entries at a random scale, about a fifth of them exact zeros."""
    z = rng.normal(scale=rng.choice(scales), size=shape)
    z[rng.random(shape) < 0.2] = 0.0
    return z


def _batch(rng: np.random.Generator) -> tuple[int, int]:
    return int(rng.integers(1, 6)), int(rng.integers(1, 6))


def _probability_rows(rng: np.random.Generator, shape) -> np.ndarray:
    return ref.softmax(rng.normal(scale=2.0, size=shape))


def _one_hot(rng: np.random.Generator, shape) -> np.ndarray:
    n, L = shape
    d = np.zeros(shape)
    d[np.arange(n), rng.integers(0, L, size=n)] = 1.0
    return d


def _pair(rng: np.random.Generator, divergence: str, shape) -> tuple:
    """Outputs and targets in ``divergence``'s domain."""
    if divergence == "l2":
        return rng.normal(scale=2.0, size=shape), rng.normal(scale=2.0, size=shape)
    if divergence == "bce":
        Y = rng.uniform(0.01, 0.99, size=shape)
        return Y, rng.integers(0, 2, size=shape).astype(float)
    targets = _one_hot if rng.random() < 0.5 else _probability_rows
    return _probability_rows(rng, shape), targets(rng, shape)


def _activation(rng: np.random.Generator) -> tuple:
    rank = int(rng.integers(1, 4))
    shape = tuple(int(n) for n in rng.integers(1, 5, size=rank))
    return (_scaled(rng, shape),)


def _logits_of(rng: np.random.Generator, shape) -> np.ndarray:
    return _scaled(rng, shape, scales=(0.1, 1.0, 3.0, 30.0, 1000.0, 1e5))


def _logits(rng: np.random.Generator) -> tuple:
    return (_logits_of(rng, _batch(rng)),)


def _divergence(divergence: str) -> Callable[[np.random.Generator], tuple]:
    def draw(rng: np.random.Generator) -> tuple:
        return _pair(rng, divergence, _batch(rng))

    return draw


def _softmax_targets(rng: np.random.Generator) -> tuple:
    shape = _batch(rng)
    targets = _one_hot if rng.random() < 0.5 else _probability_rows
    return _logits_of(rng, shape), targets(rng, shape)


def _risk(rng: np.random.Generator) -> tuple:
    divergence = str(rng.choice(_DIVERGENCES))
    return (*_pair(rng, divergence, _batch(rng)), divergence)


def _network(rng: np.random.Generator, output: str | None = None) -> tuple:
    """``X, weights, biases, activations``: one to three layers, with the
    last layer's activation ``output`` when given."""
    layers = int(rng.integers(1, 4))
    sizes = [int(n) for n in rng.integers(1, 6, size=layers + 1)]
    if output == "softmax" and sizes[-1] == 1:
        sizes[-1] = 2
    X = rng.normal(size=(int(rng.integers(1, 6)), sizes[0]))
    weights = [rng.normal(size=shape) for shape in zip(sizes, sizes[1:])]
    biases = [rng.normal(size=n) for n in sizes[1:]]
    activations = [str(rng.choice(_ACTIVATIONS)) for _ in range(layers)]
    if output is not None:
        activations[-1] = output
    return X, weights, biases, activations


#: The output activation each divergence is drawn with (None: any).
_OUTPUT_OF = {"l2": None, "bce": "sigmoid", "kl": "softmax", "cross_entropy": "softmax"}


def _learning_problem(rng: np.random.Generator) -> tuple:
    """``X, d, weights, biases, activations, divergence``."""
    divergence = str(rng.choice(_DIVERGENCES))
    X, weights, biases, activations = _network(rng, _OUTPUT_OF[divergence])
    _, d = _pair(rng, divergence, (X.shape[0], weights[-1].shape[1]))
    return X, d, weights, biases, activations, divergence


def _forward(rng: np.random.Generator) -> tuple:
    return _network(rng)


def _backward(rng: np.random.Generator) -> tuple:
    return _learning_problem(rng)


def _step(rng: np.random.Generator) -> tuple:
    _, weights, biases, _ = _network(rng)
    dweights = [rng.normal(size=W.shape) for W in weights]
    dbiases = [rng.normal(size=b.shape) for b in biases]
    return weights, biases, dweights, dbiases, float(rng.uniform(0.01, 1.0))


def _train(rng: np.random.Generator) -> tuple:
    eta = float(rng.uniform(0.01, 0.5))
    return (*_learning_problem(rng), eta, int(rng.integers(0, 4)))


_DRAWERS: dict[str, Callable[[np.random.Generator], tuple]] = {
    **{
        name: _activation
        for base in ("identity", "sigmoid", "tanh", "relu")
        for name in (base, f"{base}_derivative")
    },
    "softmax": _logits,
    "softmax_jacobian": _logits,
    **{
        name: _divergence(divergence)
        for divergence, base in (
            ("l2", "l2_divergence"),
            ("bce", "bce_divergence"),
            ("kl", "kl_divergence"),
            ("cross_entropy", "cross_entropy"),
        )
        for name in (base, f"{base}_derivative")
    },
    "softmax_cross_entropy": _softmax_targets,
    "softmax_cross_entropy_derivative": _softmax_targets,
    "empirical_risk": _risk,
    "forward": _forward,
    "backward": _backward,
    "gradient_descent_step": _step,
    "train": _train,
}

if set(_DRAWERS) != set(FUNCTIONS):
    raise RuntimeError("hw1_audit: every hw1 function needs random inputs")


def equivalence_inputs(seed: int = 0, draws: int = DRAWS) -> dict[str, list[tuple]]:
    """Random argument tuples for every hw1 function, the same on every call.

    Parameters
    ----------
    seed : int, optional
        The seed of the draws.
    draws : int, optional
        Argument tuples per function.

    Returns
    -------
    dict of str to list of tuple
        By function, in handout order.
    """
    inputs = {}
    for position, function in enumerate(FUNCTIONS):
        rng = np.random.default_rng([seed, position])
        inputs[function] = [_DRAWERS[function](rng) for _ in range(draws)]
    return inputs


AUDIT = AuditTarget(
    assignment="hw1",
    package=Path(ref.__file__).resolve().parent,
    functions=FUNCTIONS,
    inputs=equivalence_inputs,
    # Wrong on purpose, for the hints: no check grades them.
    unmutated=("misconceptions.py",),
)
