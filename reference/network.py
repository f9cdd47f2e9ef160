"""A multilayer perceptron: forward pass, backpropagation, gradient descent.

Notation follows the lecture. ``X`` of shape ``(N, D_0)`` holds N samples, one
per row, and ``d`` their targets, shape ``(N, D_K)``. Layer k, for k = 1..K,
has weights ``W[k]`` of shape ``(D_{k-1}, D_k)``, where ``W[k][i, j]``
connects unit i of layer k-1 to unit j of layer k, and a bias ``b[k]`` of
shape ``(D_k,)``. It computes

    Z_k = Y_{k-1} @ W[k] + b[k],    Y_k = f_k(Z_k),    Y_0 = X,

and the network's output is ``Y_K``. The loss is the empirical risk, the mean
over the batch of a divergence ``div(Y_K, d)``. Backpropagation carries
``delta_k = dLoss / dZ_k``, shape ``(N, D_k)``, from the output down, and
gradient descent moves every parameter by ``-eta`` times its gradient.

Python lists are zero-based: ``weights[0]`` is ``W[1]``, the first layer's
weights. Every function returns new arrays and lists and leaves its arguments
untouched.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference._names import lookup
from reference.activations import ACTIVATIONS
from reference.divergences import DIVERGENCES, empirical_risk
from reference.softmax import softmax, softmax_jacobian

__all__ = ["backward", "forward", "gradient_descent_step", "train"]

Array = NDArray[np.float64]
Layer = tuple[Array, Array]

# Softmax is allowed as a layer activation, but its derivative is a Jacobian,
# not an elementwise function; `_gradients` treats it on its own.
_LAYER_ACTIVATIONS = {**ACTIVATIONS, "softmax": (softmax, softmax_jacobian)}


def _check_layers(
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    activations: Sequence[str],
) -> None:
    """Check that there is one W, b and activation name per layer."""
    counts = (len(weights), len(biases), len(activations))
    if len(set(counts)) != 1:
        raise ValueError(
            f"weights, biases and activations describe {counts[0]}, {counts[1]} "
            f"and {counts[2]} layers; give one weight matrix, one bias vector "
            f"and one activation name per layer."
        )
    if counts[0] == 0:
        raise ValueError(
            "weights, biases and activations are empty; a network needs at "
            "least one layer."
        )

    for k, name in enumerate(activations):
        lookup(
            _LAYER_ACTIVATIONS, name, argument=f"activations[{k}]", kind="activation"
        )


def forward(
    X: ArrayLike,
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    activations: Sequence[str],
) -> list[Layer]:
    """Run the network on a batch and return every layer's Z and Y.

    Parameters
    ----------
    X : array_like, shape (N, D_0)
        Inputs, one sample per row.
    weights : sequence of K array_like, shapes (D_{k-1}, D_k)
        ``weights[k - 1]`` is ``W[k]``.
    biases : sequence of K array_like, shapes (D_k,)
        ``biases[k - 1]`` is ``b[k]``.
    activations : sequence of K str
        Each one of ``"identity"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ``"softmax"``.

    Returns
    -------
    list of K pairs (Z_k, Y_k)
        Pre-activations and outputs of layers 1..K, each of shape (N, D_k).
        The network's output is ``layers[-1][1]``.

    Raises
    ------
    ValueError
        If the three sequences differ in length, an activation name is
        unknown, or a layer's shapes do not fit its input.
    """
    _check_layers(weights, biases, activations)

    Y = np.asarray(X, dtype=float)
    layers = []
    for k, (W, b, name) in enumerate(zip(weights, biases, activations, strict=True)):
        W = np.asarray(W, dtype=float)
        b = np.asarray(b, dtype=float)
        if W.ndim != 2 or W.shape[0] != Y.shape[-1] or b.shape != W.shape[1:]:
            raise ValueError(
                f"weights[{k}] has shape {W.shape} and biases[{k}] shape "
                f"{b.shape}, but layer {k + 1} receives {Y.shape[-1]} inputs; "
                f"expected shapes ({Y.shape[-1]}, D) and (D,)."
            )

        f, _ = _LAYER_ACTIVATIONS[name]
        Z = Y @ W + b
        Y = f(Z)
        layers.append((Z, Y))
    return layers


def _gradients(
    X: ArrayLike,
    d: ArrayLike,
    weights: Sequence[ArrayLike],
    layers: Sequence[Layer],
    activations: Sequence[str],
    divergence: str,
) -> tuple[list[Array], list[Array]]:
    """Backpropagate through `layers`, the result of ``forward`` on `X`."""
    _, div_derivative = lookup(
        DIVERGENCES, divergence, argument="divergence", kind="divergence"
    )
    X = np.asarray(X, dtype=float)
    K = len(layers)

    # dLoss/dY_K: the loss is the mean over N samples of the divergence.
    dY = div_derivative(layers[-1][1], d) / X.shape[0]

    dweights: list[Array] = [np.empty(0)] * K
    dbiases: list[Array] = [np.empty(0)] * K
    for k in reversed(range(K)):
        Z, _ = layers[k]
        if activations[k] == "softmax":
            # delta_j = sum_i dLoss/dy_i * dy_i/dz_j, one Jacobian per sample.
            delta = np.einsum("ni,nij->nj", dY, softmax_jacobian(Z))
        else:
            _, f_derivative = ACTIVATIONS[activations[k]]
            delta = dY * f_derivative(Z)

        Y_previous = X if k == 0 else layers[k - 1][1]
        dweights[k] = Y_previous.T @ delta
        dbiases[k] = delta.sum(axis=0)
        if k > 0:
            dY = delta @ np.asarray(weights[k], dtype=float).T
    return dweights, dbiases


def backward(
    X: ArrayLike,
    d: ArrayLike,
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    activations: Sequence[str],
    divergence: str,
) -> tuple[list[Array], list[Array]]:
    """Return the gradient of the empirical risk with respect to every W and b.

    Runs ``forward`` and then backpropagation. At the output,
    ``dLoss/dY_K = div_derivative(Y_K, d) / N``; at each layer
    ``delta_k = dLoss/dY_k * f_k'(Z_k)`` for an elementwise activation, or the
    product with ``softmax_jacobian(Z_k)`` for a softmax layer (output or
    hidden); then ``dLoss/dW[k] = Y_{k-1}^T delta_k``,
    ``dLoss/db[k] = sum_n delta_k[n]`` and
    ``dLoss/dY_{k-1} = delta_k W[k]^T``.

    Parameters
    ----------
    X : array_like, shape (N, D_0)
        Inputs, one sample per row.
    d : array_like, shape (N, D_K)
        Targets.
    weights, biases, activations
        The network, as for `forward`.
    divergence : str
        One of ``"l2"``, ``"bce"``, ``"kl"``, ``"cross_entropy"``.

    Returns
    -------
    dweights : list of K ndarray, shapes (D_{k-1}, D_k)
        ``dweights[k - 1] = dLoss / dW[k]``.
    dbiases : list of K ndarray, shapes (D_k,)
        ``dbiases[k - 1] = dLoss / db[k]``.

    Raises
    ------
    ValueError
        If `divergence` or an activation name is unknown, or shapes disagree.
    """
    lookup(DIVERGENCES, divergence, argument="divergence", kind="divergence")
    layers = forward(X, weights, biases, activations)
    return _gradients(X, d, weights, layers, activations, divergence)


def gradient_descent_step(
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    dweights: Sequence[ArrayLike],
    dbiases: Sequence[ArrayLike],
    eta: float,
) -> tuple[list[Array], list[Array]]:
    """Return the parameters after one step, ``W - eta * dW`` and ``b - eta * db``.

    Parameters
    ----------
    weights, biases : sequences of K array_like
        The current parameters; left unchanged.
    dweights, dbiases : sequences of K array_like
        Their gradients, shaped like `weights` and `biases`.
    eta : float
        The learning rate, positive.

    Returns
    -------
    new_weights, new_biases : lists of K ndarray
        New arrays, shaped like `weights` and `biases`.

    Raises
    ------
    ValueError
        If the four sequences differ in length.
    """
    counts = (len(weights), len(biases), len(dweights), len(dbiases))
    if len(set(counts)) != 1:
        raise ValueError(
            f"weights, biases, dweights and dbiases have lengths {counts}; give "
            f"one entry per layer in each."
        )

    new_weights = [
        np.asarray(W, dtype=float) - eta * np.asarray(dW, dtype=float)
        for W, dW in zip(weights, dweights, strict=True)
    ]
    new_biases = [
        np.asarray(b, dtype=float) - eta * np.asarray(db, dtype=float)
        for b, db in zip(biases, dbiases, strict=True)
    ]
    return new_weights, new_biases


def train(
    X: ArrayLike,
    d: ArrayLike,
    weights: Sequence[ArrayLike],
    biases: Sequence[ArrayLike],
    activations: Sequence[str],
    divergence: str,
    eta: float,
    epochs: int,
) -> tuple[list[Array], list[Array], list[float]]:
    """Run full-batch gradient descent for `epochs` steps.

    Each step evaluates the loss at the current parameters, backpropagates,
    and takes one `gradient_descent_step` of size `eta`.

    Parameters
    ----------
    X : array_like, shape (N, D_0)
        Inputs.
    d : array_like, shape (N, D_K)
        Targets.
    weights, biases, activations
        The starting network, as for `forward`; left unchanged.
    divergence : str
        One of ``"l2"``, ``"bce"``, ``"kl"``, ``"cross_entropy"``.
    eta : float
        The learning rate, positive.
    epochs : int
        The number of steps, at least 0.

    Returns
    -------
    weights, biases : lists of K ndarray
        The parameters after the last step (copies of the start if
        ``epochs == 0``).
    losses : list of `epochs` floats
        ``losses[t]`` is the empirical risk before step t, so ``losses[0]``
        is the risk of the starting network. With a small enough `eta` the
        losses fall.

    Raises
    ------
    ValueError
        If `epochs` is negative, or for the reasons `backward` gives.
    """
    if epochs < 0:
        raise ValueError(f"epochs={epochs!r} is negative; pass 0 or more steps.")
    lookup(DIVERGENCES, divergence, argument="divergence", kind="divergence")

    weights = [np.array(W, dtype=float) for W in weights]
    biases = [np.array(b, dtype=float) for b in biases]
    losses = []
    for _ in range(epochs):
        layers = forward(X, weights, biases, activations)
        losses.append(empirical_risk(layers[-1][1], d, divergence))

        dweights, dbiases = _gradients(X, d, weights, layers, activations, divergence)
        weights, biases = gradient_descent_step(weights, biases, dweights, dbiases, eta)
    return weights, biases, losses
