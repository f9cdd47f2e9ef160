"""Divergences between network outputs and targets, each beside its derivative.

Notation follows the lecture: ``Y`` of shape ``(N, L)`` is the network output
for N samples and ``d`` the targets, of the same shape. A divergence
``div(Y, d)`` returns one value per sample, shape ``(N,)``; its derivative is
taken per sample with respect to ``Y`` and has shape ``(N, L)``. It is not
divided by N: the 1/N belongs to the empirical risk, the mean of the
divergences over the batch.

Terms ``d_i log y_i`` with ``d_i = 0`` count as 0, even where ``y_i = 0``
(the convention ``0 log 0 = 0``), and the matching terms ``d_i / y_i`` of the
derivatives count as 0 too.

``DIVERGENCES`` maps each name to its ``(function, derivative)`` pair.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference._names import lookup
from reference.softmax import log_softmax, softmax

__all__ = [
    "DIVERGENCES",
    "bce_divergence",
    "bce_divergence_derivative",
    "cross_entropy",
    "cross_entropy_derivative",
    "empirical_risk",
    "kl_divergence",
    "kl_divergence_derivative",
    "l2_divergence",
    "l2_divergence_derivative",
    "softmax_cross_entropy",
    "softmax_cross_entropy_derivative",
]

Array = NDArray[np.float64]
Divergence = Callable[[ArrayLike, ArrayLike], Array]


def _as_pair(Y: ArrayLike, d: ArrayLike) -> tuple[Array, Array]:
    """Cast `Y` and `d` to float64 and check that their shapes agree."""
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    if Y.shape != d.shape:
        raise ValueError(
            f"Y has shape {Y.shape} but d has shape {d.shape}; the output and "
            f"the targets must have the same shape (N, L)."
        )
    return Y, d


def _d_log_y(d: Array, y: Array) -> Array:
    """Return ``d * log(y)``, taking the product as 0 wherever ``d == 0``."""
    log_y = np.zeros(y.shape)
    np.log(y, out=log_y, where=d != 0)
    return d * log_y


def _d_over_y(d: Array, y: Array) -> Array:
    """Return ``d / y``, taking the quotient as 0 wherever ``d == 0``."""
    ratio = np.zeros(y.shape)
    np.divide(d, y, out=ratio, where=d != 0)
    return ratio


def l2_divergence(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return half the squared error of each sample, ``1/2 sum_i (y_i - d_i)^2``.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Network outputs, any real values.
    d : array_like, shape (N, L)
        Targets, any real values.

    Returns
    -------
    ndarray, shape (N,)
        Non-negative; 0 where a row of `Y` equals its target.
    """
    Y, d = _as_pair(Y, d)
    return 0.5 * ((Y - d) ** 2).sum(axis=-1)


def l2_divergence_derivative(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return the derivative of `l2_divergence` with respect to Y, ``y - d``.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Network outputs.
    d : array_like, shape (N, L)
        Targets.

    Returns
    -------
    ndarray, shape (N, L)
    """
    Y, d = _as_pair(Y, d)
    return Y - d


def bce_divergence(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return the binary cross-entropy of each sample.

    ``sum_i -d_i log y_i - (1 - d_i) log(1 - y_i)``: each output unit is the
    predicted probability that its binary label is 1.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Predicted probabilities, in (0, 1).
    d : array_like, shape (N, L)
        Labels, 0 or 1.

    Returns
    -------
    ndarray, shape (N,)
        Non-negative; infinite where a prediction of exactly 0 or 1 is wrong.
    """
    Y, d = _as_pair(Y, d)
    return -(_d_log_y(d, Y) + _d_log_y(1.0 - d, 1.0 - Y)).sum(axis=-1)


def bce_divergence_derivative(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return the derivative of `bce_divergence`, ``-d/y + (1 - d)/(1 - y)``.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Predicted probabilities, in (0, 1).
    d : array_like, shape (N, L)
        Labels, 0 or 1.

    Returns
    -------
    ndarray, shape (N, L)
    """
    Y, d = _as_pair(Y, d)
    return -_d_over_y(d, Y) + _d_over_y(1.0 - d, 1.0 - Y)


def kl_divergence(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return the Kullback-Leibler divergence of each sample, ``KL(d || y)``.

    ``sum_i d_i log(d_i / y_i)``, with ``0 log 0 = 0`` wherever ``d_i = 0``.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Predicted probability vectors, one per row.
    d : array_like, shape (N, L)
        Target probability vectors, one per row; zeros allowed.

    Returns
    -------
    ndarray, shape (N,)
        Non-negative when rows are probability vectors; 0 where ``y = d``.
    """
    Y, d = _as_pair(Y, d)
    return (_d_log_y(d, d) - _d_log_y(d, Y)).sum(axis=-1)


def kl_divergence_derivative(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return the derivative of `kl_divergence` with respect to Y, ``-d/y``.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Predicted probability vectors.
    d : array_like, shape (N, L)
        Target probability vectors; entries with ``d_i = 0`` give 0.

    Returns
    -------
    ndarray, shape (N, L)
    """
    Y, d = _as_pair(Y, d)
    return -_d_over_y(d, Y)


def cross_entropy(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return the cross-entropy of each sample, ``-sum_i d_i log y_i``.

    It differs from `kl_divergence` by the entropy of `d`, which does not
    depend on Y, so the two have the same derivative.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Predicted probability vectors, one per row.
    d : array_like, shape (N, L)
        Targets, usually one-hot rows; a term with ``d_i = 0`` is 0 even if
        ``y_i = 0``.

    Returns
    -------
    ndarray, shape (N,)
        Non-negative when Y holds probabilities.
    """
    Y, d = _as_pair(Y, d)
    return -_d_log_y(d, Y).sum(axis=-1)


def cross_entropy_derivative(Y: ArrayLike, d: ArrayLike) -> Array:
    """Return the derivative of `cross_entropy` with respect to Y, ``-d/y``.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Predicted probability vectors.
    d : array_like, shape (N, L)
        Targets; entries with ``d_i = 0`` give 0.

    Returns
    -------
    ndarray, shape (N, L)
    """
    Y, d = _as_pair(Y, d)
    return -_d_over_y(d, Y)


def softmax_cross_entropy(Z: ArrayLike, d: ArrayLike) -> Array:
    """Return ``cross_entropy(softmax(Z), d)``, computed from the logits.

    Evaluated as ``-sum_i d_i log_softmax(Z)_i`` with a log-sum-exp, so it
    stays finite and accurate for logits like 1000 or 1e5, where
    ``softmax(Z)`` rounds entries to 0 and taking their log would give -inf.

    Parameters
    ----------
    Z : array_like, shape (N, L)
        Logits, any finite values.
    d : array_like, shape (N, L)
        Targets, usually one-hot rows or probability vectors.

    Returns
    -------
    ndarray, shape (N,)
    """
    Z, d = _as_pair(Z, d)
    return -(d * log_softmax(Z)).sum(axis=-1)


def softmax_cross_entropy_derivative(Z: ArrayLike, d: ArrayLike) -> Array:
    """Return the derivative of `softmax_cross_entropy` with respect to Z.

    The exact gradient is ``softmax(Z) * sum_i d_i - d``, row by row. When each
    row of `d` sums to 1, as for one-hot targets, this is the familiar
    ``softmax(Z) - d`` of the contract; the general form is returned so that
    the result is the true gradient for any `d`.

    Parameters
    ----------
    Z : array_like, shape (N, L)
        Logits.
    d : array_like, shape (N, L)
        Targets.

    Returns
    -------
    ndarray, shape (N, L)
        Each row sums to 0 when the rows of `d` sum to 1.
    """
    Z, d = _as_pair(Z, d)
    return softmax(Z) * d.sum(axis=-1, keepdims=True) - d


DIVERGENCES: dict[str, tuple[Divergence, Divergence]] = {
    "l2": (l2_divergence, l2_divergence_derivative),
    "bce": (bce_divergence, bce_divergence_derivative),
    "kl": (kl_divergence, kl_divergence_derivative),
    "cross_entropy": (cross_entropy, cross_entropy_derivative),
}


def empirical_risk(Y: ArrayLike, d: ArrayLike, divergence: str) -> float:
    """Return the empirical risk: the mean over the batch of a divergence.

    Parameters
    ----------
    Y : array_like, shape (N, L)
        Network outputs.
    d : array_like, shape (N, L)
        Targets.
    divergence : str
        One of the names in `DIVERGENCES`: ``"l2"``, ``"bce"``, ``"kl"``,
        ``"cross_entropy"``.

    Returns
    -------
    float
        ``mean_n div(Y[n], d[n])``, a Python float.

    Raises
    ------
    ValueError
        If `divergence` is not a known name.
    """
    div, _ = lookup(DIVERGENCES, divergence, argument="divergence", kind="divergence")
    return float(np.mean(div(Y, d)))
