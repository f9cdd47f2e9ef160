"""Known wrong ways to compute the hw1 functions, for the grader's hints.

Each function returns what a student who holds one misconception would
return, given the same arguments as the function of the contract; when a
wrong answer equals one of them, the grader names the mistake. They live
with the reference rather than with the checks because most are one step
from the right answer (a whole backward pass with one mistake in it), and
the student handout carries the checks but never the reference. A handout
therefore shows no such hint; the autograder does.

``MISCONCEPTIONS`` maps each function's name to it. Notation as in
``reference.network``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reference.activations import ACTIVATIONS
from reference.divergences import DIVERGENCES
from reference.network import forward
from reference.softmax import softmax, softmax_jacobian

__all__ = ["MISCONCEPTIONS"]


# -- activations --------------------------------------------------------------


def sigmoid_derivative_at_output(z):
    """sigmoid'(sigmoid(z)): the derivative evaluated at the output."""
    sigmoid, derivative = ACTIVATIONS["sigmoid"]
    return derivative(sigmoid(z))


def tanh_derivative_at_output(z):
    """tanh'(tanh(z)): the derivative evaluated at the output."""
    tanh, derivative = ACTIVATIONS["tanh"]
    return derivative(tanh(z))


def tanh_derivative_plus_square(z):
    """1 + tanh(z)**2: the sign of the square flipped."""
    return 1 + np.tanh(z) ** 2


def relu_derivative_one_at_zero(z):
    """1 where z >= 0: a derivative of 1 at the kink."""
    return (np.asarray(z) >= 0).astype(float)


# -- softmax ------------------------------------------------------------------


def softmax_over_batch(z):
    """Softmax normalised over axis 0, the batch, instead of each row."""
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_jacobian_diagonal_only(z):
    """Only the diagonal y_i (1 - y_i) of each sample's Jacobian."""
    Y = softmax(z)
    return np.stack([np.diag(row * (1 - row)) for row in Y])


# -- divergences and risk -----------------------------------------------------


def softmax_cross_entropy_derivative_shortcut_twice(Z, d):
    """The fused shortcut softmax(Z) - d times the softmax Jacobian again."""
    delta = softmax(Z) - d
    return np.einsum("ni,nij->nj", delta, softmax_jacobian(Z))


def empirical_risk_summed(Y, d, divergence):
    """The divergences summed over the batch instead of averaged."""
    return float(np.sum(DIVERGENCES[divergence][0](Y, d)))


# -- backpropagation ----------------------------------------------------------


def _backward_with(mistake: str):
    """Backpropagation with one known mistake: ``"shortcut twice"`` or
    ``"at output"``."""

    def backward(X, d, weights, biases, activations, divergence):
        layers = forward(X, weights, biases, activations)
        N, K = X.shape[0], len(weights)
        if mistake == "shortcut twice" and activations[-1] != "softmax":
            raise ValueError("the shortcut needs a softmax output")
        dY = DIVERGENCES[divergence][1](layers[-1][1], d) / N
        dweights, dbiases = [None] * K, [None] * K
        for k in reversed(range(K)):
            Z, Y = layers[k]
            below = X if k == 0 else layers[k - 1][1]
            if activations[k] == "softmax":
                if mistake == "shortcut twice" and k == K - 1:
                    dY = (Y - d) / N
                delta = np.einsum("ni,nij->nj", dY, softmax_jacobian(Z))
            else:
                derivative = ACTIVATIONS[activations[k]][1]
                delta = dY * derivative(Y if mistake == "at output" else Z)
            dweights[k] = below.T @ delta
            dbiases[k] = delta.sum(axis=0)
            dY = delta @ weights[k].T
        return dweights, dbiases

    return backward


backward_shortcut_twice = _backward_with("shortcut twice")
backward_shortcut_twice.__name__ = "backward_shortcut_twice"
backward_shortcut_twice.__doc__ = (
    "Backpropagation that applies the fused shortcut Y - d at a softmax output "
    "and then the softmax Jacobian again."
)

backward_at_output = _backward_with("at output")
backward_at_output.__name__ = "backward_at_output"
backward_at_output.__doc__ = (
    "Backpropagation with the activation derivatives evaluated at the layer "
    "outputs Y_k instead of at Z_k."
)


MISCONCEPTIONS: dict[str, Callable] = {
    function.__name__: function
    for function in (
        sigmoid_derivative_at_output,
        tanh_derivative_at_output,
        tanh_derivative_plus_square,
        relu_derivative_one_at_zero,
        softmax_over_batch,
        softmax_jacobian_diagonal_only,
        softmax_cross_entropy_derivative_shortcut_twice,
        empirical_risk_summed,
        backward_shortcut_twice,
        backward_at_output,
    )
}
