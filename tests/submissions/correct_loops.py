"""hw1: learning a neural network.

I wrote this with plain for loops over the samples and the units, one index
at a time, so that every line matches a formula from the lecture:

    z_j^(k) = b_j^(k) + sum_i y_i^(k-1) w_ij^(k),    y_j^(k) = f_k(z_j^(k))

numpy is only used for the arrays and for exp/log. Arrays are batch first:
a batch of N samples with D features has shape (N, D).
"""

import numpy as np

# ---------------------------------------------------------------------------
# Scalar versions of the activations. The array functions further down call
# these on every entry.
# ---------------------------------------------------------------------------


def _sigmoid_scalar(x):
    # exp(-x) overflows for x around -1000, so only ever take exp of a
    # number <= 0
    if x >= 0:
        return 1.0 / (1.0 + np.exp(-x))
    e = np.exp(x)
    return e / (1.0 + e)


def _sigmoid_derivative_scalar(x):
    # s (1 - s) = e / (1 + e)^2 with e = exp(-|x|), the same for x and -x,
    # and this way (1 - s) is never computed as a difference of two numbers
    # close to 1
    e = np.exp(-abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def _tanh_scalar(x):
    return np.tanh(x)


def _tanh_derivative_scalar(x):
    t = np.tanh(x)
    return 1.0 - t * t


def _relu_scalar(x):
    if x > 0:
        return x
    return 0.0


def _relu_derivative_scalar(x):
    # at exactly 0 the derivative is taken to be 0
    if x > 0:
        return 1.0
    return 0.0


def _elementwise(scalar_function, z):
    """Apply scalar_function to every entry of z, whatever its shape."""
    z = np.asarray(z, dtype=float)
    out = np.zeros(z.shape)
    for index in np.ndindex(*z.shape):
        out[index] = scalar_function(z[index])
    return out


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------


def identity(z):
    return _elementwise(lambda x: x, z)


def identity_derivative(z):
    return _elementwise(lambda x: 1.0, z)


def sigmoid(z):
    return _elementwise(_sigmoid_scalar, z)


def sigmoid_derivative(z):
    return _elementwise(_sigmoid_derivative_scalar, z)


def tanh(z):
    return _elementwise(_tanh_scalar, z)


def tanh_derivative(z):
    return _elementwise(_tanh_derivative_scalar, z)


def relu(z):
    return _elementwise(_relu_scalar, z)


def relu_derivative(z):
    return _elementwise(_relu_derivative_scalar, z)


# ---------------------------------------------------------------------------
# Softmax
# ---------------------------------------------------------------------------


def softmax(z):
    z = np.asarray(z, dtype=float)
    N, L = z.shape
    out = np.zeros((N, L))
    for n in range(N):
        # shift by the largest entry of the row so that exp never overflows
        biggest = z[n, 0]
        for i in range(1, L):
            if z[n, i] > biggest:
                biggest = z[n, i]
        total = 0.0
        for i in range(L):
            out[n, i] = np.exp(z[n, i] - biggest)
            total += out[n, i]
        for i in range(L):
            out[n, i] = out[n, i] / total
    return out


def softmax_jacobian(z):
    y = softmax(z)
    N, L = y.shape
    J = np.zeros((N, L, L))
    for n in range(N):
        for i in range(L):
            for j in range(L):
                # dy_i/dz_j = y_i (1 - y_j) if i == j, else -y_i y_j
                if i == j:
                    J[n, i, j] = y[n, i] * (1.0 - y[n, j])
                else:
                    J[n, i, j] = -y[n, i] * y[n, j]
    return J


# ---------------------------------------------------------------------------
# Divergences. Each returns one number per sample, shape (N,); the derivatives
# are per sample, w.r.t. Y, shape (N, L), and NOT divided by N.
# ---------------------------------------------------------------------------


def l2_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros(N)
    for n in range(N):
        total = 0.0
        for i in range(L):
            total += (Y[n, i] - d[n, i]) ** 2
        out[n] = 0.5 * total
    return out


def l2_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros((N, L))
    for n in range(N):
        for i in range(L):
            out[n, i] = Y[n, i] - d[n, i]
    return out


def bce_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros(N)
    for n in range(N):
        total = 0.0
        for i in range(L):
            # skip a term whose weight is 0, so that 0 log 0 counts as 0
            if d[n, i] != 0:
                total -= d[n, i] * np.log(Y[n, i])
            if d[n, i] != 1:
                total -= (1.0 - d[n, i]) * np.log1p(-Y[n, i])
        out[n] = total
    return out


def bce_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros((N, L))
    for n in range(N):
        for i in range(L):
            out[n, i] = -d[n, i] / Y[n, i] + (1.0 - d[n, i]) / (1.0 - Y[n, i])
    return out


def kl_divergence(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros(N)
    for n in range(N):
        total = 0.0
        for i in range(L):
            # 0 log 0 = 0, so entries with d = 0 are simply left out
            if d[n, i] > 0:
                total += d[n, i] * np.log(d[n, i] / Y[n, i])
        out[n] = total
    return out


def kl_divergence_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros((N, L))
    for n in range(N):
        for i in range(L):
            # d log d does not depend on y, only -d log y does
            out[n, i] = -d[n, i] / Y[n, i]
    return out


def cross_entropy(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros(N)
    for n in range(N):
        total = 0.0
        for i in range(L):
            if d[n, i] > 0:
                total -= d[n, i] * np.log(Y[n, i])
        out[n] = total
    return out


def cross_entropy_derivative(Y, d):
    Y = np.asarray(Y, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Y.shape
    out = np.zeros((N, L))
    for n in range(N):
        for i in range(L):
            out[n, i] = -d[n, i] / Y[n, i]
    return out


def softmax_cross_entropy(Z, d):
    Z = np.asarray(Z, dtype=float)
    d = np.asarray(d, dtype=float)
    N, L = Z.shape
    out = np.zeros(N)
    for n in range(N):
        # log y_i = z_i - log sum_j exp(z_j)
        #         = (z_i - m) - log sum_j exp(z_j - m)   with m the row max
        m = Z[n, 0]
        for i in range(1, L):
            if Z[n, i] > m:
                m = Z[n, i]
        sum_exp = 0.0
        for j in range(L):
            sum_exp += np.exp(Z[n, j] - m)
        log_sum_exp = np.log(sum_exp)
        total = 0.0
        for i in range(L):
            total -= d[n, i] * ((Z[n, i] - m) - log_sum_exp)
        out[n] = total
    return out


def softmax_cross_entropy_derivative(Z, d):
    d = np.asarray(d, dtype=float)
    y = softmax(Z)
    N, L = y.shape
    out = np.zeros((N, L))
    for n in range(N):
        for i in range(L):
            out[n, i] = y[n, i] - d[n, i]
    return out


def _divergence_values(Y, d, divergence):
    if divergence == "l2":
        return l2_divergence(Y, d)
    if divergence == "bce":
        return bce_divergence(Y, d)
    if divergence == "kl":
        return kl_divergence(Y, d)
    if divergence == "cross_entropy":
        return cross_entropy(Y, d)
    raise ValueError(f"unknown divergence {divergence!r}")


def _divergence_derivative(Y, d, divergence):
    if divergence == "l2":
        return l2_divergence_derivative(Y, d)
    if divergence == "bce":
        return bce_divergence_derivative(Y, d)
    if divergence == "kl":
        return kl_divergence_derivative(Y, d)
    if divergence == "cross_entropy":
        return cross_entropy_derivative(Y, d)
    raise ValueError(f"unknown divergence {divergence!r}")


def empirical_risk(Y, d, divergence):
    values = _divergence_values(Y, d, divergence)
    total = 0.0
    for n in range(len(values)):
        total += values[n]
    return float(total / len(values))


# ---------------------------------------------------------------------------
# The network
# ---------------------------------------------------------------------------


def _activate(name, Z):
    if name == "identity":
        return identity(Z)
    if name == "sigmoid":
        return sigmoid(Z)
    if name == "tanh":
        return tanh(Z)
    if name == "relu":
        return relu(Z)
    if name == "softmax":
        return softmax(Z)
    raise ValueError(f"unknown activation {name!r}")


def _activation_derivative(name, z):
    # softmax is not elementwise, backward() uses its Jacobian instead
    if name == "identity":
        return identity_derivative(z)
    if name == "sigmoid":
        return sigmoid_derivative(z)
    if name == "tanh":
        return tanh_derivative(z)
    if name == "relu":
        return relu_derivative(z)
    raise ValueError(f"unknown activation {name!r}")


def forward(X, weights, biases, activations):
    Y = np.asarray(X, dtype=float)
    layers = []
    for k in range(len(weights)):
        W = np.asarray(weights[k], dtype=float)
        b = np.asarray(biases[k], dtype=float)
        N = Y.shape[0]
        D_in, D_out = W.shape
        Z = np.zeros((N, D_out))
        for n in range(N):
            for j in range(D_out):
                z = b[j]
                for i in range(D_in):
                    z += Y[n, i] * W[i, j]
                Z[n, j] = z
        Y = _activate(activations[k], Z)
        layers.append((Z, Y))
    return layers


def backward(X, d, weights, biases, activations, divergence):
    X = np.asarray(X, dtype=float)
    d = np.asarray(d, dtype=float)
    N = X.shape[0]
    K = len(weights)
    layers = forward(X, weights, biases, activations)
    Y_out = layers[-1][1]
    dY_out = _divergence_derivative(Y_out, d, divergence)

    dweights = []
    dbiases = []
    for k in range(K):
        dweights.append(np.zeros(np.shape(weights[k])))
        dbiases.append(np.zeros(np.shape(biases[k])))

    # one sample at a time: backpropagate the derivative of div(y_n, d_n) and
    # add 1/N of its gradient, since the risk is the mean over the samples
    for n in range(N):
        dy = [dY_out[n, i] for i in range(Y_out.shape[1])]
        for k in range(K - 1, -1, -1):
            W = np.asarray(weights[k], dtype=float)
            D_in, D_out = W.shape
            z = layers[k][0][n]
            if k == 0:
                y_prev = X[n]
            else:
                y_prev = layers[k - 1][1][n]

            # dy -> dz through the activation of layer k
            dz = [0.0] * D_out
            if activations[k] == "softmax":
                J = softmax_jacobian(z.reshape(1, D_out))[0]
                for j in range(D_out):
                    for i in range(D_out):
                        dz[j] += dy[i] * J[i, j]
            else:
                fprime = _activation_derivative(activations[k], z)
                for j in range(D_out):
                    dz[j] = dy[j] * fprime[j]

            # dz -> gradients of W and b of this layer
            for i in range(D_in):
                for j in range(D_out):
                    dweights[k][i, j] += y_prev[i] * dz[j] / N
            for j in range(D_out):
                dbiases[k][j] += dz[j] / N

            # dz -> dy of the layer below
            dy = [0.0] * D_in
            for i in range(D_in):
                for j in range(D_out):
                    dy[i] += W[i, j] * dz[j]
    return dweights, dbiases


def _minus_eta_times(p, dp, eta):
    p = np.asarray(p, dtype=float)
    dp = np.asarray(dp, dtype=float)
    new_p = np.zeros(p.shape)
    for index in np.ndindex(*p.shape):
        new_p[index] = p[index] - eta * dp[index]
    return new_p


def gradient_descent_step(weights, biases, dweights, dbiases, eta):
    # build new arrays, the old ones must not change
    new_weights = []
    new_biases = []
    for k in range(len(weights)):
        new_weights.append(_minus_eta_times(weights[k], dweights[k], eta))
        new_biases.append(_minus_eta_times(biases[k], dbiases[k], eta))
    return new_weights, new_biases


def train(X, d, weights, biases, activations, divergence, eta, epochs):
    losses = []
    for _ in range(epochs):
        # loss first: losses[t] is the risk BEFORE step t
        Y = forward(X, weights, biases, activations)[-1][1]
        losses.append(empirical_risk(Y, d, divergence))
        dweights, dbiases = backward(X, d, weights, biases, activations, divergence)
        weights, biases = gradient_descent_step(weights, biases, dweights, dbiases, eta)
    return list(weights), list(biases), losses
