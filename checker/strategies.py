"""Hypothesis strategies for neural-network homework.

Each strategy draws plain float64 NumPy data of the kinds the checks need:
batch shapes and layer widths, arrays within a range that may include large
magnitudes and exact zeros, probability rows, one-hot and binary targets,
and whole random networks with rectangular layers.

They are ordinary hypothesis strategies, usable in an instructor's own tests::

    @given(batches(max_rows=4), ...)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "batch_shapes",
    "widths",
    "float_arrays",
    "probability_rows",
    "one_hot_rows",
    "binary_rows",
    "RandomNetwork",
    "networks",
]


def widths(min_width: int = 1, max_width: int = 6) -> st.SearchStrategy[int]:
    """Layer widths (numbers of units)."""
    return st.integers(min_width, max_width)


def batch_shapes(
    max_rows: int = 5, min_columns: int = 1, max_columns: int = 6
) -> st.SearchStrategy[tuple[int, int]]:
    """Shapes ``(N, L)`` of a batch: one row or several, N equal to L or not."""
    return st.tuples(st.integers(1, max_rows), st.integers(min_columns, max_columns))


def float_arrays(
    shape: tuple[int, ...] | st.SearchStrategy[tuple[int, ...]],
    low: float = -10.0,
    high: float = 10.0,
    large: Sequence[float] = (),
    zeros: bool = True,
) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays with entries in ``[low, high]``.

    Parameters
    ----------
    shape : tuple or strategy of tuples
        The array's shape.
    low, high : float
        Range of the ordinary entries.
    large : sequence of float
        Extra values that entries may take, e.g. ``(-1000, 1000, 1e5)``.
    zeros : bool
        Whether exact zeros are drawn on purpose (they are the usual kinks);
        entries smaller than 1e-6 in magnitude are zeros either way.
    """
    # Magnitudes below 1e-6 become exact zeros: tiny values test nothing a
    # zero does not, and a float32 submission would flush them to zero.
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False).map(
        lambda v: 0.0 if abs(v) < 1e-6 else v
    )
    if not zeros:
        elements = elements.filter(lambda v: v != 0.0)
    extra = list(large) + ([0.0] if zeros else [])
    if extra:
        elements = st.one_of(elements, st.sampled_from(extra))
    return hnp.arrays(np.float64, shape, elements=elements)


@st.composite
def probability_rows(draw, shape: tuple[int, int], floor: float = 1e-3) -> np.ndarray:
    """Rows that are probability vectors with entries of at least ``floor``."""
    weights = draw(float_arrays(shape, 0.0, 1.0, zeros=False))
    rows = weights + floor
    return rows / rows.sum(axis=1, keepdims=True)


@st.composite
def one_hot_rows(draw, shape: tuple[int, int]) -> np.ndarray:
    """One-hot rows: one 1 per row, zeros elsewhere."""
    n, L = shape
    hot = draw(st.lists(st.integers(0, L - 1), min_size=n, max_size=n))
    d = np.zeros(shape)
    d[np.arange(n), hot] = 1.0
    return d


def binary_rows(shape: tuple[int, int]) -> st.SearchStrategy[np.ndarray]:
    """Targets of 0 and 1."""
    return hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0]))


@dataclass(frozen=True)
class RandomNetwork:
    """A network and a batch for it.

    Attributes
    ----------
    X : ndarray, shape (N, D_0)
    weights : list of ndarray, shapes (D_{k-1}, D_k)
    biases : list of ndarray, shapes (D_k,)
    activations : list of str
    """

    X: np.ndarray
    weights: list
    biases: list
    activations: list

    @property
    def sizes(self) -> list[int]:
        return [self.X.shape[1]] + [W.shape[1] for W in self.weights]


@st.composite
def networks(
    draw,
    hidden: Sequence[str] = ("identity", "sigmoid", "tanh", "relu"),
    output: Sequence[str] = ("identity", "sigmoid", "tanh", "relu", "softmax"),
    max_layers: int = 3,
    max_width: int = 5,
    max_rows: int = 4,
) -> RandomNetwork:
    """Random networks with rectangular layers and a batch of inputs.

    Weights are scaled by ``1 / sqrt(fan-in)`` so that activations stay in a
    useful range.
    """
    K = draw(st.integers(1, max_layers))
    sizes = draw(st.lists(widths(1, max_width), min_size=K + 1, max_size=K + 1))
    N = draw(st.integers(1, max_rows))
    names = draw(
        st.lists(st.sampled_from(list(hidden)), min_size=K - 1, max_size=K - 1)
    )
    names.append(draw(st.sampled_from(list(output))))
    weights = [
        draw(float_arrays((m, n), -2.0, 2.0, zeros=False)) / np.sqrt(m)
        for m, n in zip(sizes[:-1], sizes[1:])
    ]
    biases = [draw(float_arrays((n,), -1.0, 1.0)) for n in sizes[1:]]
    X = draw(float_arrays((N, sizes[0]), -3.0, 3.0))
    return RandomNetwork(X, weights, biases, names)
