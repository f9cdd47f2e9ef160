"""hw1: learning a neural network.

Everything is vectorized over the batch: arrays are float64, batch first, so a
batch of N samples is an (N, D) array and layer k computes Z = Y_prev @ W + b.
"""

import numpy as np

# ----------------------------------------------------------------------------
# Activations and their derivatives (elementwise, derivative taken at z)
# ----------------------------------------------------------------------------


def identity(z):
    # copy, so that Z and Y in forward() are not the same array
    return np.array(z, dtype=float)


def identity_derivative(z):
    return np.ones_like(z, dtype=float)


def sigmoid(z):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    # 1 / (1 + exp(-z)) overflows for very negative z, so for z < 0 use the
    # equivalent exp(z) / (1 + exp(z)) instead
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    exp_z = np.exp(z[~pos])
    out[~pos] = exp_z / (1.0 + exp_z)
    return out


def sigmoid_derivative(z):
    s = sigmoid(z)
    return s * (1 - s)


def tanh(z):
    return np.tanh(np.asarray(z, dtype=float))


def tanh_derivative(z):
    t = np.tanh(np.asarray(z, dtype=float))
    return 1 - t**2


def relu(z):
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def relu_derivative(z):
    z = np.asarray(z, dtype=float)
    # the derivative at exactly 0 is taken to be 0
    return (z > 0).astype(float)


# ----------------------------------------------------------------------------
# Softmax
# ----------------------------------------------------------------------------


def softmax(z):
    z = np.asarray(z, dtype=float)
    # subtracting the row max doesn't change the result but keeps exp from
    # overflowing for big entries
    z_shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(z_shifted)
    return e / e.sum(axis=1, keepdims=True)


def softmax_jacobian(z):
    s = softmax(z)
    N, L = s.shape
    J = np.zeros((N, L, L))
    for n in range(N):
        # dy_i/dz_j = y_i (1[i == j] - y_j)
        J[n] = np.diag(s[n]) - np.outer(s[n], s[n])
    return J


# ----------------------------------------------------------------------------
# Divergences: one value per sample, derivatives per sample (no 1/N)
# ----------------------------------------------------------------------------


def l2_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    return 0.5 * np.sum((Y - d) ** 2, axis=1)


def l2_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    return Y - d


def bce_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    return -np.sum(d * np.log(Y) + (1 - d) * np.log(1 - Y), axis=1)


def bce_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    return -d / Y + (1 - d) / (1 - Y)


def kl_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    # 0 log 0 = 0: where d is 0 use log(1 / 1) = 0, not log(0 / y)
    safe_d = np.where(d > 0, d, 1.0)
    safe_Y = np.where(d > 0, Y, 1.0)
    return np.sum(d * np.log(safe_d / safe_Y), axis=1)


def kl_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    # the d log d part doesn't depend on Y
    return -d / Y


def cross_entropy(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    # same trick as in kl: entries with d = 0 contribute nothing
    log_Y = np.log(np.where(d > 0, Y, 1.0))
    return -np.sum(d * log_Y, axis=1)


def cross_entropy_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    dY = -d / Y
    return dY


def softmax_cross_entropy(Z, d):
    Z = np.asarray(Z, dtype=float)
    d = np.asarray(d, dtype=float)
    # log softmax with the log-sum-exp trick: no overflow and no log(0)
    Z_max = Z.max(axis=1, keepdims=True)
    log_sum = np.log(np.sum(np.exp(Z - Z_max), axis=1, keepdims=True))
    log_probs = Z - Z_max - log_sum
    return -np.sum(d * log_probs, axis=1)


def softmax_cross_entropy_derivative(Z, d):
    d = np.asarray(d, dtype=float)
    return softmax(Z) - d


ACTIVATIONS = {
    "identity": identity,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "softmax": softmax,
}

ACTIVATION_DERIVATIVES = {
    "identity": identity_derivative,
    "sigmoid": sigmoid_derivative,
    "tanh": tanh_derivative,
    "relu": relu_derivative,
}

DIVERGENCES = {
    "l2": l2_divergence,
    "bce": bce_divergence,
    "kl": kl_divergence,
    "cross_entropy": cross_entropy,
}

DIVERGENCE_DERIVATIVES = {
    "l2": l2_divergence_derivative,
    "bce": bce_divergence_derivative,
    "kl": kl_divergence_derivative,
    "cross_entropy": cross_entropy_derivative,
}


def empirical_risk(Y, d, divergence):
    values = DIVERGENCES[divergence](Y, d)
    return float(np.mean(values))


# ----------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------


def forward(X, weights, biases, activations):
    Y = np.asarray(X, dtype=float)
    layers = []
    for k in range(len(weights)):
        W, b = weights[k], biases[k]
        Z = Y @ W + b
        Y = ACTIVATIONS[activations[k]](Z)
        layers.append((Z, Y))
    return layers


def backward(X, d, weights, biases, activations, divergence):
    X = np.asarray(X, dtype=float)
    d = np.asarray(d, dtype=float)
    N = X.shape[0]
    K = len(weights)
    layers = forward(X, weights, biases, activations)

    # derivative of the mean divergence w.r.t. the network output
    Y_out = layers[-1][1]
    dY = DIVERGENCE_DERIVATIVES[divergence](Y_out, d) / N

    dweights = [None] * K
    dbiases = [None] * K
    for k in reversed(range(K)):
        Z, Y = layers[k]
        Y_prev = X if k == 0 else layers[k - 1][1]

        # dY -> dZ through the activation of layer k
        if activations[k] == "softmax":
            delta = np.einsum("ni,nij->nj", dY, softmax_jacobian(Z))
        else:
            delta = dY * ACTIVATION_DERIVATIVES[activations[k]](Z)

        dW = Y_prev.T @ delta
        db = delta.sum(axis=0)
        dweights[k] = dW
        dbiases[k] = db

        # dZ -> dY of the layer below
        dY = delta @ weights[k].T
    return dweights, dbiases


def gradient_descent_step(weights, biases, dweights, dbiases, eta):
    new_weights = []
    for W, dW in zip(weights, dweights, strict=True):
        new_weights.append(W - eta * dW)
    new_biases = []
    for b, db in zip(biases, dbiases, strict=True):
        new_biases.append(b - eta * db)
    return new_weights, new_biases


def train(X, d, weights, biases, activations, divergence, eta, epochs):
    losses = []
    for _ in range(epochs):
        Y = forward(X, weights, biases, activations)[-1][1]
        losses.append(empirical_risk(Y, d, divergence))
        dweights, dbiases = backward(X, d, weights, biases, activations, divergence)
        weights, biases = gradient_descent_step(weights, biases, dweights, dbiases, eta)
    return weights, biases, losses
