"""hw1: learning a neural network.

Vectorized, float64, batch first. I tried to write every formula so that it
stays accurate (not just finite) for large or tiny arguments:

- sigmoid(z) = exp(-log(1 + exp(-z))), with log(1 + exp(x)) = logaddexp(0, x),
  which numpy computes without overflow;
- s (1 - s) = sigmoid(z) sigmoid(-z) = exp(-logaddexp(0, z) - logaddexp(0, -z));
- tanh(z) = 2 sigmoid(2z) - 1 = (1 - exp(-2z)) / (1 + exp(-2z)), evaluated at
  |z| with expm1 (no cancellation near 0) and given the sign of z;
- 1 - tanh(z)^2 = 4 sigmoid(2z) sigmoid(-2z), no cancellation for large |z|;
- softmax(z) = exp(z - logsumexp(z)), logsumexp done by hand with the max.
"""

import numpy as np

# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------


def identity(z):
    return np.array(z, dtype=float, copy=True)


def identity_derivative(z):
    return np.ones(np.shape(z))


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    return np.exp(-np.logaddexp(0.0, -z))


def sigmoid_derivative(z):
    z = np.asarray(z, dtype=float)
    return np.exp(-(np.logaddexp(0.0, z) + np.logaddexp(0.0, -z)))


def tanh(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-2.0 * np.abs(z))
    return np.copysign(-np.expm1(-2.0 * np.abs(z)) / (1.0 + e), z)


def tanh_derivative(z):
    return 4.0 * sigmoid_derivative(2.0 * np.asarray(z, dtype=float))


def relu(z):
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, 0.0)


def relu_derivative(z):
    # heaviside(z, 0) is 1 for z > 0, 0 for z < 0 and the second argument at 0
    return np.heaviside(np.asarray(z, dtype=float), 0.0)


# ---------------------------------------------------------------------------
# Softmax
# ---------------------------------------------------------------------------


def _shifted_and_log_norm(z):
    """Return z - max(z) and log sum exp(z - max(z)), row by row."""
    z = np.asarray(z, dtype=float)
    shifted = z - np.max(z, axis=1, keepdims=True)
    log_norm = np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return shifted, log_norm


def softmax(z):
    # exp(z - logsumexp(z)), where z - logsumexp(z) = (z - max) - log_norm
    shifted, log_norm = _shifted_and_log_norm(z)
    return np.exp(shifted - log_norm)


def softmax_jacobian(z):
    y = softmax(z)
    L = y.shape[1]
    # J[n, i, j] = y_i [i == j] - y_i y_j
    return np.einsum("ni,ij->nij", y, np.eye(L)) - np.einsum("ni,nj->nij", y, y)


# ---------------------------------------------------------------------------
# Divergences: values (N,), derivatives w.r.t. Y (N, L), per sample
# ---------------------------------------------------------------------------


def l2_divergence(Y, d):
    r = np.asarray(Y, dtype=float) - np.asarray(d, dtype=float)
    return 0.5 * np.einsum("ni,ni->n", r, r)


def l2_divergence_derivative(Y, d):
    return np.subtract(np.asarray(Y, dtype=float), np.asarray(d, dtype=float))


def bce_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    # terms with a zero weight are left out (0 log 0 = 0); log1p(-y) = log(1 - y)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos = np.where(d != 0, d * np.log(Y), 0.0)
        neg = np.where(d != 1, (1.0 - d) * np.log1p(-Y), 0.0)
    return -np.sum(pos + neg, axis=1)


def bce_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    # -d/y + (1 - d)/(1 - y) over a common denominator
    return (Y - d) / (Y * (1.0 - Y))


def kl_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    # the ratio d / y only where d > 0; elsewhere 1, whose log is 0
    ratio = np.divide(d, Y, out=np.ones_like(d), where=d > 0)
    return np.sum(d * np.log(ratio), axis=1)


def kl_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    return -np.divide(d, Y)


def cross_entropy(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    # log y only where d > 0, 0 elsewhere (0 log 0 = 0)
    log_Y = np.log(Y, out=np.zeros_like(Y), where=d > 0)
    return -np.einsum("ni,ni->n", d, log_Y)


def cross_entropy_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    return -np.divide(d, Y)


def softmax_cross_entropy(Z, d):
    d = np.asarray(d, dtype=float)
    # -sum_i d_i log y_i with log y_i = shifted_i - log_norm
    shifted, log_norm = _shifted_and_log_norm(Z)
    return np.sum(d, axis=1) * log_norm[:, 0] - np.sum(d * shifted, axis=1)


def softmax_cross_entropy_derivative(Z, d):
    d = np.asarray(d, dtype=float)
    # derivative of sum(d) log_norm - d . z; sum(d) = 1 for a one-hot row
    return softmax(Z) * np.sum(d, axis=1, keepdims=True) - d


_DIVERGENCES = {
    "l2": (l2_divergence, l2_divergence_derivative),
    "bce": (bce_divergence, bce_divergence_derivative),
    "kl": (kl_divergence, kl_divergence_derivative),
    "cross_entropy": (cross_entropy, cross_entropy_derivative),
}


def _lookup_divergence(divergence):
    if divergence not in _DIVERGENCES:
        raise ValueError(
            f"divergence={divergence!r} is not one of {sorted(_DIVERGENCES)}"
        )
    return _DIVERGENCES[divergence]


def empirical_risk(Y, d, divergence):
    value, _ = _lookup_divergence(divergence)
    return float(np.mean(value(Y, d)))


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------

_ACTIVATIONS = {
    "identity": (identity, identity_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "softmax": (softmax, None),
}


def _lookup_activation(name):
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation={name!r} is not one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]


def forward(X, weights, biases, activations):
    Y = np.asarray(X, dtype=float)
    layers = []
    for W, b, name in zip(weights, biases, activations, strict=True):
        f, _ = _lookup_activation(name)
        Z = Y @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float)
        Y = f(Z)
        layers.append((Z, Y))
    return layers


def _dz_from_dy(name, Z, dY):
    """Chain rule through one activation: dL/dZ from dL/dY."""
    if name == "softmax":
        return np.einsum("ni,nij->nj", dY, softmax_jacobian(Z))
    _, fprime = _lookup_activation(name)
    return dY * fprime(Z)


def backward(X, d, weights, biases, activations, divergence):
    X = np.asarray(X, dtype=float)
    d = np.asarray(d, dtype=float)
    N = X.shape[0]
    layers = forward(X, weights, biases, activations)
    Z_out, Y_out = layers[-1]

    # delta = dL/dZ of the output layer, for the MEAN divergence (hence / N)
    if activations[-1] == "softmax" and divergence in ("cross_entropy", "kl"):
        # shortcut: softmax then -d log y gives softmax(Z) sum(d) - d, which is
        # the usual softmax(Z) - d for one-hot or probability targets
        delta = (Y_out * np.sum(d, axis=1, keepdims=True) - d) / N
    else:
        _, div_derivative = _lookup_divergence(divergence)
        delta = _dz_from_dy(activations[-1], Z_out, div_derivative(Y_out, d) / N)

    dweights = [None] * len(weights)
    dbiases = [None] * len(biases)
    for k in range(len(weights) - 1, -1, -1):
        Y_prev = X if k == 0 else layers[k - 1][1]
        dweights[k] = np.einsum("ni,nj->ij", Y_prev, delta)
        dbiases[k] = np.ones(N) @ delta
        if k > 0:
            dY_prev = delta @ np.asarray(weights[k], dtype=float).T
            delta = _dz_from_dy(activations[k - 1], layers[k - 1][0], dY_prev)
    return dweights, dbiases


def gradient_descent_step(weights, biases, dweights, dbiases, eta):
    pairs = zip(weights, dweights, strict=True)
    new_weights = [np.subtract(W, eta * dW) for W, dW in pairs]
    pairs = zip(biases, dbiases, strict=True)
    new_biases = [np.subtract(b, eta * db) for b, db in pairs]
    return new_weights, new_biases


def train(X, d, weights, biases, activations, divergence, eta, epochs):
    weights = [np.array(W, dtype=float) for W in weights]
    biases = [np.array(b, dtype=float) for b in biases]
    losses = []
    while len(losses) < epochs:
        Y_out = forward(X, weights, biases, activations)[-1][1]
        losses.append(empirical_risk(Y_out, d, divergence))
        grads = backward(X, d, weights, biases, activations, divergence)
        weights, biases = gradient_descent_step(weights, biases, *grads, eta)
    return weights, biases, losses
