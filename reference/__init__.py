"""Reference implementation of the hw1 functions, vectorized with NumPy.

The grader compares submissions against these functions. Names, argument order
and shapes follow the hw1 contract; the notation follows the lecture
"Learning a neural network":

- ``X``, shape ``(N, D_0)``: a batch of N inputs, one per row.
- ``W[k]``, shape ``(D_{k-1}, D_k)``, and ``b[k]``, shape ``(D_k,)``: the
  weights and bias of layer k; in Python lists ``weights[k - 1]``.
- ``Z_k = Y_{k-1} @ W[k] + b[k]`` and ``Y_k = f_k(Z_k)``: pre-activations
  and outputs of layer k, with ``Y_0 = X``.
- ``d``, shape ``(N, D_K)``: the targets.
- ``div(Y, d)``: a divergence, one value per sample; the empirical risk (the
  loss) is its mean over the batch.
- ``delta_k = dLoss/dZ_k`` and ``eta``, the learning rate.

Everything works in float64 on whole batches at once (loops run over layers
only) and is pure: arguments are never modified.

The modules:

- ``reference.activations``: elementwise activations and derivatives.
- ``reference.softmax``: softmax and its Jacobian.
- ``reference.divergences``: divergences, their derivatives, empirical risk.
- ``reference.network``: forward, backward, gradient descent, training.

``ACTIVATIONS`` and ``DIVERGENCES`` map names to ``(function, derivative)``
pairs for the elementwise activations and the divergences. ``MISCONCEPTIONS``
maps names to known wrong ways of computing the functions
(``reference.misconceptions``), for the grader's hints.
"""

from __future__ import annotations

from reference.activations import (
    ACTIVATIONS,
    identity,
    identity_derivative,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    tanh,
    tanh_derivative,
)
from reference.divergences import (
    DIVERGENCES,
    bce_divergence,
    bce_divergence_derivative,
    cross_entropy,
    cross_entropy_derivative,
    empirical_risk,
    kl_divergence,
    kl_divergence_derivative,
    l2_divergence,
    l2_divergence_derivative,
    softmax_cross_entropy,
    softmax_cross_entropy_derivative,
)
from reference.misconceptions import MISCONCEPTIONS
from reference.network import backward, forward, gradient_descent_step, train
from reference.softmax import softmax, softmax_jacobian

__all__ = [
    # Activations
    "identity",
    "identity_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
    "relu",
    "relu_derivative",
    # Softmax
    "softmax",
    "softmax_jacobian",
    # Divergences
    "l2_divergence",
    "l2_divergence_derivative",
    "bce_divergence",
    "bce_divergence_derivative",
    "kl_divergence",
    "kl_divergence_derivative",
    "cross_entropy",
    "cross_entropy_derivative",
    "softmax_cross_entropy",
    "softmax_cross_entropy_derivative",
    "empirical_risk",
    # The network
    "forward",
    "backward",
    "gradient_descent_step",
    "train",
    # Lookup tables for the grader
    "ACTIVATIONS",
    "DIVERGENCES",
    "MISCONCEPTIONS",
]
