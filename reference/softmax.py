"""Softmax over the rows of a batch, and its Jacobian.

Notation follows the lecture: ``Z`` of shape ``(N, L)`` holds the logits of N
samples, one row each, and ``Y = softmax(Z)`` holds their probability vectors,
``y_i = exp(z_i) / sum_j exp(z_j)`` within a row. Unlike the activations in
``reference.activations``, every ``y_i`` depends on every ``z_j`` of its row,
so the derivative is the Jacobian ``J[n, i, j] = dy_i / dz_j``.

All three functions subtract the row maximum before exponentiating. Softmax is
unchanged by that shift, and afterwards no entry of ``exp`` exceeds 1, so
logits of 1000 or 1e5 cannot overflow.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["log_softmax", "softmax", "softmax_jacobian"]

Array = NDArray[np.float64]


def softmax(z: ArrayLike) -> Array:
    """Return the softmax of each row, ``exp(z_i) / sum_j exp(z_j)``.

    Parameters
    ----------
    z : array_like, shape (N, L)
        Logits, one sample per row.

    Returns
    -------
    Y : ndarray, shape (N, L)
        Non-negative rows that sum to 1.
    """
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)

    exp_shifted = np.exp(shifted)
    return exp_shifted / exp_shifted.sum(axis=-1, keepdims=True)


def log_softmax(z: ArrayLike) -> Array:
    """Return ``log softmax(z)`` of each row, through log-sum-exp.

    Computed as ``z_i - m - log(sum_j exp(z_j - m))`` with ``m`` the row
    maximum, so entries stay finite where ``softmax(z)`` itself underflows to
    0. This is not part of the hw1 contract; the divergences use it.

    Parameters
    ----------
    z : array_like, shape (N, L)
        Logits, one sample per row.

    Returns
    -------
    ndarray, shape (N, L)
        Non-positive log-probabilities.
    """
    z = np.asarray(z, dtype=float)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_jacobian(z: ArrayLike) -> Array:
    """Return the Jacobian of softmax for each row.

    For one sample, ``dy_i / dz_j = y_i (delta_ij - y_j)``, where ``delta_ij``
    is 1 if ``i == j`` and 0 otherwise: the matrix ``diag(y) - y y^T``.

    Parameters
    ----------
    z : array_like, shape (N, L)
        Logits, one sample per row.

    Returns
    -------
    J : ndarray, shape (N, L, L)
        ``J[n, i, j] = dy_i / dz_j`` for sample n. Each ``J[n]`` is symmetric
        and its rows sum to 0.
    """
    Y = softmax(z)
    L = Y.shape[-1]
    return Y[..., :, None] * (np.eye(L) - Y[..., None, :])
