"""Elementwise activations, each beside its derivative.

Notation follows the lecture: ``z`` is a pre-activation, an entry of
``Z_k = Y_{k-1} @ W[k] + b[k]``, and ``f(z)`` is the unit's output, an entry of
``Y_k``. Every activation ``f`` comes with ``f_derivative``, which returns
``f'(z) = df/dz`` at the same ``z``. Both accept arrays of any shape, work
entry by entry, cast their input to float64, and return a new array.

``ACTIVATIONS`` maps each name to its ``(function, derivative)`` pair. Softmax
is not in it: it couples the entries of a row, so its derivative is a Jacobian
(see ``reference.softmax``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ACTIVATIONS",
    "identity",
    "identity_derivative",
    "relu",
    "relu_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
]

Array = NDArray[np.float64]
Elementwise = Callable[[ArrayLike], Array]


def identity(z: ArrayLike) -> Array:
    """Return ``f(z) = z``, as a new float64 array.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        A copy of `z`, so the caller never shares memory with its input.
    """
    return np.array(z, dtype=float)


def identity_derivative(z: ArrayLike) -> Array:
    """Return ``f'(z) = 1`` for the identity.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        All ones.
    """
    return np.ones_like(np.asarray(z, dtype=float))


def sigmoid(z: ArrayLike) -> Array:
    """Return the logistic function ``f(z) = 1 / (1 + exp(-z))``.

    Finite and accurate for every finite `z`: ``1 / (1 + exp(-z))`` is
    evaluated as ``exp(-log(1 + exp(-z)))``, and ``np.logaddexp(0, -z)`` gives
    ``log(1 + exp(-z))`` without forming ``exp(1000)`` at ``z = -1000``.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        Values in [0, 1]; exactly 0 or 1 only where the true value rounds to
        it in float64 (below about ``z = -745`` and above about ``z = 37``).
    """
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))


def sigmoid_derivative(z: ArrayLike) -> Array:
    """Return ``f'(z) = s(z) (1 - s(z))`` for the sigmoid ``s``.

    Written as ``s(z) * s(-z)``, since ``1 - s(z) = s(-z)``: this keeps full
    relative accuracy for large positive `z`, where ``1 - s(z)`` would cancel
    to 0.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        Values in [0, 0.25], the largest at ``z = 0``.
    """
    z = np.asarray(z, dtype=float)
    return sigmoid(z) * sigmoid(-z)


def tanh(z: ArrayLike) -> Array:
    """Return the hyperbolic tangent ``f(z) = tanh(z)``.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        Values in [-1, 1].
    """
    return np.tanh(np.asarray(z, dtype=float))


def tanh_derivative(z: ArrayLike) -> Array:
    """Return ``f'(z) = 1 - tanh(z)**2``.

    The subtraction cancels for large ``|z|``: its relative error grows with
    ``|z|`` and from about ``|z| = 19`` the result is 0 (the true value is then
    below 2e-16). The absolute error stays at float64 rounding, about 2e-16,
    which is what gradients need.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        Values in [0, 1], the largest at ``z = 0``.
    """
    return 1.0 - np.tanh(np.asarray(z, dtype=float)) ** 2


def relu(z: ArrayLike) -> Array:
    """Return the rectifier ``f(z) = max(z, 0)``.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        Non-negative values.
    """
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def relu_derivative(z: ArrayLike) -> Array:
    """Return ``f'(z)``: 1 where ``z > 0``, else 0.

    The rectifier has no derivative at ``z = 0``; the value 0 is chosen there,
    as the contract says.

    Parameters
    ----------
    z : array_like, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as `z`
        Zeros and ones.
    """
    return (np.asarray(z, dtype=float) > 0.0).astype(float)


ACTIVATIONS: dict[str, tuple[Elementwise, Elementwise]] = {
    "identity": (identity, identity_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
}
