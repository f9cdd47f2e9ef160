"""hw1: learning a neural network, one derivative at a time.

In the lecture "Learning a neural network" a multi-layer perceptron computes
Y = f(X; W) from an input batch X, a divergence div(Y, d) measures how far each
output is from its target d, the empirical risk Err is the mean divergence over
the training samples, and gradient descent moves every weight a small step
against the derivative of Err. The derivatives come from a forward pass, which
stores what each layer computed, and a backward pass, which sends the
derivative of Err back through the layers.

In this assignment you implement all of it with NumPy: the activations and
their derivatives, softmax and its Jacobian, five divergences and their
derivatives, the empirical risk, the forward and backward passes, one gradient
descent step and a training loop. Replace every
``raise NotImplementedError(...)`` below with your code. Keep the names and the
argument order as they are; you may add helper functions of your own.

Notation
--------
The same symbols are used in every docstring of this file.

X        input batch, ndarray of shape (N, D): N samples, one per row.
K        number of layers. Layer k (k = 1..K) has D_k units, with D_0 = D.
W_k      weights of layer k, shape (D_{k-1}, D_k). Its entry w_ij^(k) connects
         unit i of layer k-1 to unit j of layer k.
b_k      bias of layer k, shape (D_k,).
f_k      activation of layer k.
Z_k      pre-activations: Z_k = Y_{k-1} W_k + b_k, shape (N, D_k).
Y_k      activations: Y_k = f_k(Z_k), with Y_0 = X. The output is Y = Y_K,
         of shape (N, L) with L = D_K.
d        targets, same shape as the output, (N, L).
div      divergence of one sample: div(Y_n, d_n) for row n.
Err      empirical risk: Err = (1/N) sum_n div(Y_n, d_n).
delta_k  derivative of Err with respect to Z_k, shape (N, D_k).
eta      learning rate of gradient descent.

Python lists count from zero, so W_k is ``weights[k - 1]``: ``weights[0]`` is
the first layer's W_1.

Rules every function follows
----------------------------
- Arrays are float64 and batch first: one sample per row.
- A divergence returns one value per sample, shape (N,). Its derivative is
  taken per sample, shape (N, L), and is NOT divided by N.
- ``backward`` returns gradients of the mean Err, so they DO include the 1/N.
- Functions return new arrays and never modify their arguments (no ``+=`` on
  an argument, no in-place writes into it).
- Only ``numpy`` and the Python standard library may be imported.

Checking your work
------------------
Run the checker on your file::

    python -m checker assignments/hw1.py

and add ``--json results.json`` to also write the results in the format
Gradescope reads::

    python -m checker assignments/hw1.py --json results.json

The report groups the checks by problem, the sections of this file:
activations, softmax, divergences, risk, forward, backward and training. To
check one problem, or one function, name it (repeat ``--problem`` for
several)::

    python -m checker assignments/hw1.py --problem softmax

A function that is missing or still raises NotImplementedError scores zero and
does not stop the other functions from being checked. The examples in the
docstrings show what a correct implementation prints.

Grading
-------
Each function's points are split among its checks: comparisons with the
reference implementation on fixed inputs and on random inputs (including a
batch of one, rectangular layers, exact zeros and entries of +-1000), and for
every derivative also a comparison with finite differences of your own
function, so a derivative is not charged for a bug in the function it
differentiates; a check earns all its points or none. Properties are checked
on many drawn inputs too (softmax rows sum to one, sigmoid(-z) = 1 -
sigmoid(z), ...); a failing one shows the smallest failing call. When a
function you call is wrong, your function is checked again with a correct
version answering in its place, so one mistake costs its points once. The
autograder also runs the same checks on inputs you have not seen.

    function                          points
    identity                               2
    identity_derivative                    2
    sigmoid                                3
    sigmoid_derivative                     3
    tanh                                   2
    tanh_derivative                        3
    relu                                   2
    relu_derivative                        3
    softmax                                6
    softmax_jacobian                       6
    l2_divergence                          3
    l2_divergence_derivative               3
    bce_divergence                         3
    bce_divergence_derivative              3
    kl_divergence                          3
    kl_divergence_derivative               3
    cross_entropy                          3
    cross_entropy_derivative               3
    softmax_cross_entropy                  4
    softmax_cross_entropy_derivative       4
    empirical_risk                         4
    forward                                8
    backward                              14
    gradient_descent_step                  4
    train                                  6

That is 100 points in total.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "identity",
    "identity_derivative",
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
    "relu",
    "relu_derivative",
    "softmax",
    "softmax_jacobian",
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
    "forward",
    "backward",
    "gradient_descent_step",
    "train",
]


# ---------------------------------------------------------------------------
# Activations
#
# Each activation f acts on every entry of Z on its own, so Y = f(Z) has the
# shape of Z, whatever that shape is. Its derivative returns df/dz evaluated
# at each entry, again with the shape of Z. The backward pass multiplies that
# entrywise with the derivative coming from the layer above.
# ---------------------------------------------------------------------------


def identity(z: np.ndarray) -> np.ndarray:
    """Return the identity activation, f(z) = z.

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations, for example Z_k of shape (N, D_k).

    Returns
    -------
    ndarray, same shape as z
        A new array equal to z. Return a copy, not z itself, so that a caller
        who changes the result does not change the input.

    Examples
    --------
    >>> z = np.array([[-1.0, 0.0, 2.0]])
    >>> print(identity(z))
    [[-1.  0.  2.]]
    """
    raise NotImplementedError("identity: not implemented yet")


def identity_derivative(z: np.ndarray) -> np.ndarray:
    """Return the derivative of the identity, df/dz = 1 at every entry.

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as z
        A float array of ones.

    Examples
    --------
    >>> z = np.array([[-1.0, 0.0, 2.0]])
    >>> print(identity_derivative(z))
    [[1. 1. 1.]]
    """
    raise NotImplementedError("identity_derivative: not implemented yet")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Return the logistic sigmoid, s(z) = 1 / (1 + exp(-z)), entrywise.

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as z
        Values in [0, 1]. They must be finite and correct for every finite z,
        including z = -1000 (where s(z) is 0 to double precision) and
        z = +1000 (where it is 1).

    Notes
    -----
    The formula as written computes exp(1000) when z = -1000, which overflows
    to inf with a RuntimeWarning. The same value can be written as
    exp(z) / (1 + exp(z)); use whichever form only takes exp of numbers that
    are zero or negative.

    Examples
    --------
    >>> z = np.array([-1000.0, 0.0, 2.0])
    >>> print(np.round(sigmoid(z), 4))
    [0.     0.5    0.8808]
    """
    raise NotImplementedError("sigmoid: not implemented yet")


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """Return the derivative of the sigmoid, ds/dz = s(z) (1 - s(z)).

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations (not the sigmoid's output: the argument is z).

    Returns
    -------
    ndarray, same shape as z
        Values in [0, 1/4], finite for every finite z, including z = -1000.

    Examples
    --------
    >>> z = np.array([-1000.0, 0.0, 2.0])
    >>> print(np.round(sigmoid_derivative(z), 4))
    [0.    0.25  0.105]
    """
    raise NotImplementedError("sigmoid_derivative: not implemented yet")


def tanh(z: np.ndarray) -> np.ndarray:
    """Return the hyperbolic tangent, tanh z, entrywise.

    ``np.tanh`` may be used. Written out with exponentials, tanh overflows at
    entries of +-1000, so if you write your own, take care there.

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as z
        Values in [-1, 1].

    Examples
    --------
    >>> z = np.array([-1.0, 0.0, 0.5])
    >>> print(np.round(tanh(z), 4))
    [-0.7616  0.      0.4621]
    """
    raise NotImplementedError("tanh: not implemented yet")


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """Return the derivative of tanh, d tanh(z) / dz = 1 - tanh^2 z.

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as z
        Values in [0, 1]; exactly 1 at z = 0.

    Examples
    --------
    >>> z = np.array([-1.0, 0.0, 0.5])
    >>> print(np.round(tanh_derivative(z), 4))
    [0.42   1.     0.7864]
    """
    raise NotImplementedError("tanh_derivative: not implemented yet")


def relu(z: np.ndarray) -> np.ndarray:
    """Return the rectified linear unit, max(z, 0), entrywise.

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as z
        A float array: z where z > 0, else 0.

    Examples
    --------
    >>> z = np.array([-2.0, 0.0, 3.0])
    >>> print(relu(z))
    [0. 0. 3.]
    """
    raise NotImplementedError("relu: not implemented yet")


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """Return the derivative of relu: 1 where z > 0, else 0.

    relu has no derivative at z = 0. This assignment, like the reference,
    uses 0 there, so an entry that is exactly 0 gets derivative 0.

    Parameters
    ----------
    z : ndarray, any shape
        Pre-activations.

    Returns
    -------
    ndarray, same shape as z
        A float array (not a boolean one) of zeros and ones.

    Examples
    --------
    >>> z = np.array([-2.0, 0.0, 3.0])
    >>> print(relu_derivative(z))
    [0. 0. 1.]
    """
    raise NotImplementedError("relu_derivative: not implemented yet")


# ---------------------------------------------------------------------------
# Softmax
#
# Softmax is not entrywise: every output of a row depends on every input of
# that row. Its derivative is therefore a matrix per sample, the Jacobian.
# ---------------------------------------------------------------------------


def softmax(z: np.ndarray) -> np.ndarray:
    """Return the softmax of each row of z.

    For one row z = (z_1, ..., z_L)::

        y_i = exp(z_i) / sum_j exp(z_j)

    Parameters
    ----------
    z : ndarray, shape (N, L)
        Pre-activations, one sample per row.

    Returns
    -------
    ndarray, shape (N, L)
        Each row is a probability vector: entries in [0, 1] summing to 1.

    Notes
    -----
    exp(1000) is inf in float64, so the formula as written fails for entries
    of 1000 or 1e5, which the checker uses. Softmax does not change when the
    same constant is subtracted from every entry of a row; subtract the row's
    largest entry first and no exponent is positive.

    Examples
    --------
    >>> z = np.array([[1000.0, 1000.0], [0.0, np.log(3.0)]])
    >>> print(np.round(softmax(z), 4))
    [[0.5  0.5 ]
     [0.25 0.75]]
    """
    raise NotImplementedError("softmax: not implemented yet")


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    """Return the Jacobian of softmax for each row of z.

    With y = softmax(z) for one row::

        J[i, j] = dy_i / dz_j = y_i (1[i == j] - y_j)

    that is diag(y) - y y^T. The first index is the output, the second the
    input.

    Parameters
    ----------
    z : ndarray, shape (N, L)
        Pre-activations, one sample per row.

    Returns
    -------
    ndarray, shape (N, L, L)
        ``J[n, i, j] = dy_i / dz_j`` for sample n. Must not overflow for large
        entries of z, just like ``softmax``.

    Examples
    --------
    Here softmax(z) = (0.25, 0.75), so J = [[0.25 - 0.0625, -0.1875],
    [-0.1875, 0.75 - 0.5625]]:

    >>> z = np.array([[0.0, np.log(3.0)]])
    >>> J = softmax_jacobian(z)
    >>> J.shape
    (1, 2, 2)
    >>> print(np.round(J, 4))
    [[[ 0.1875 -0.1875]
      [-0.1875  0.1875]]]
    """
    raise NotImplementedError("softmax_jacobian: not implemented yet")


# ---------------------------------------------------------------------------
# Divergences
#
# A divergence compares the network output Y with the targets d, both of
# shape (N, L). It returns div(Y_n, d_n) for every sample n, shape (N,). Its
# derivative returns d div(Y_n, d_n) / dY_n for every sample, shape (N, L),
# without any 1/N: the mean over samples is taken later, in empirical_risk
# and backward.
# ---------------------------------------------------------------------------


def l2_divergence(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the L2 divergence of each sample, div = 1/2 sum_i (y_i - d_i)^2.

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs, real values.
    d : ndarray, shape (N, L)
        Real-valued targets.

    Returns
    -------
    ndarray, shape (N,)
        One divergence per sample; note the factor 1/2.

    Examples
    --------
    >>> Y = np.array([[1.0, 2.0], [0.0, 0.0]])
    >>> d = np.array([[0.0, 2.0], [1.0, 1.0]])
    >>> print(l2_divergence(Y, d))
    [0.5 1. ]
    """
    raise NotImplementedError("l2_divergence: not implemented yet")


def l2_divergence_derivative(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the per-sample derivative of the L2 divergence, d div / dY = Y - d.

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs.
    d : ndarray, shape (N, L)
        Real-valued targets.

    Returns
    -------
    ndarray, shape (N, L)
        Row n is the derivative of div(Y_n, d_n). Not divided by N.

    Examples
    --------
    >>> Y = np.array([[1.0, 2.0], [0.0, 0.0]])
    >>> d = np.array([[0.0, 2.0], [1.0, 1.0]])
    >>> print(l2_divergence_derivative(Y, d))
    [[ 1.  0.]
     [-1. -1.]]
    """
    raise NotImplementedError("l2_divergence_derivative: not implemented yet")


def bce_divergence(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the binary cross-entropy of each sample.

    ::

        div = sum_i ( -d_i log y_i - (1 - d_i) log(1 - y_i) )

    Usually L = 1: one output, the probability that the class is 1.

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs, every entry strictly between 0 and 1 (for example
        the output of a sigmoid layer).
    d : ndarray, shape (N, L)
        Targets, 0 or 1.

    Returns
    -------
    ndarray, shape (N,)
        One divergence per sample, summed over the L outputs.

    Examples
    --------
    The first sample is a coin flip, -log 0.5; the second is confident and
    wrong, -log 0.1:

    >>> Y = np.array([[0.5], [0.9]])
    >>> d = np.array([[1.0], [0.0]])
    >>> print(np.round(bce_divergence(Y, d), 4))
    [0.6931 2.3026]
    """
    raise NotImplementedError("bce_divergence: not implemented yet")


def bce_divergence_derivative(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the per-sample derivative of binary cross-entropy.

    ::

        d div / d y_i = -d_i / y_i + (1 - d_i) / (1 - y_i)

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs, strictly between 0 and 1.
    d : ndarray, shape (N, L)
        Targets, 0 or 1.

    Returns
    -------
    ndarray, shape (N, L)
        Row n is the derivative of div(Y_n, d_n). Not divided by N.

    Examples
    --------
    >>> Y = np.array([[0.5], [0.9]])
    >>> d = np.array([[1.0], [0.0]])
    >>> print(np.round(bce_divergence_derivative(Y, d), 4))
    [[-2.]
     [10.]]
    """
    raise NotImplementedError("bce_divergence_derivative: not implemented yet")


def kl_divergence(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the Kullback-Leibler divergence KL(d || Y) of each sample.

    ::

        div = sum_i d_i log(d_i / y_i),   with 0 log 0 = 0

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs; each row a probability vector with positive entries
        (for example the output of a softmax layer).
    d : ndarray, shape (N, L)
        Targets; each row a probability vector. Entries may be exactly 0, as
        in one-hot rows.

    Returns
    -------
    ndarray, shape (N,)
        One divergence per sample, never negative, 0 when Y_n equals d_n.

    Notes
    -----
    A term with d_i = 0 contributes 0 (the limit of t log t as t goes to 0).
    Computing 0 * log(0 / y_i) directly gives 0 * (-inf) = nan, so take the
    logarithm only where d_i > 0. Beware that ``np.where(cond, a, b)``
    evaluates both a and b in full before choosing.

    Examples
    --------
    The first target is one-hot, so its zero entry adds nothing and the value
    is log(1 / 0.5):

    >>> Y = np.array([[0.5, 0.5], [0.25, 0.75]])
    >>> d = np.array([[1.0, 0.0], [0.5, 0.5]])
    >>> print(np.round(kl_divergence(Y, d), 4))
    [0.6931 0.1438]
    """
    raise NotImplementedError("kl_divergence: not implemented yet")


def kl_divergence_derivative(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the per-sample derivative of the KL divergence, d div / dY = -d / Y.

    The term d_i log d_i does not depend on Y, so only -d_i log y_i
    contributes to the derivative.

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs; each row a probability vector with positive entries.
    d : ndarray, shape (N, L)
        Targets; each row a probability vector.

    Returns
    -------
    ndarray, shape (N, L)
        Row n is the derivative of div(Y_n, d_n). Not divided by N.

    Examples
    --------
    >>> Y = np.array([[0.5, 0.5], [0.25, 0.75]])
    >>> d = np.array([[0.5, 0.5], [0.5, 0.5]])
    >>> print(np.round(kl_divergence_derivative(Y, d), 4))
    [[-1.     -1.    ]
     [-2.     -0.6667]]
    """
    raise NotImplementedError("kl_divergence_derivative: not implemented yet")


def cross_entropy(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the cross-entropy of each sample, div = -sum_i d_i log y_i.

    With a one-hot target this is -log of the probability given to the
    correct class.

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs; each row a probability vector with positive entries.
    d : ndarray, shape (N, L)
        Targets, usually one-hot rows.

    Returns
    -------
    ndarray, shape (N,)
        One divergence per sample.

    Examples
    --------
    >>> Y = np.array([[0.5, 0.5], [0.1, 0.9]])
    >>> d = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> print(np.round(cross_entropy(Y, d), 4))
    [0.6931 0.1054]
    """
    raise NotImplementedError("cross_entropy: not implemented yet")


def cross_entropy_derivative(Y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the per-sample derivative of cross-entropy, d div / dY = -d / Y.

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs; each row a probability vector with positive entries.
    d : ndarray, shape (N, L)
        Targets.

    Returns
    -------
    ndarray, shape (N, L)
        Row n is the derivative of div(Y_n, d_n). Not divided by N.

    Examples
    --------
    Soft targets here, so that every entry is non-zero:

    >>> Y = np.array([[0.25, 0.75], [0.5, 0.5]])
    >>> d = np.array([[0.5, 0.5], [0.2, 0.8]])
    >>> print(np.round(cross_entropy_derivative(Y, d), 4))
    [[-2.     -0.6667]
     [-0.4    -1.6   ]]
    """
    raise NotImplementedError("cross_entropy_derivative: not implemented yet")


def softmax_cross_entropy(Z: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return cross_entropy(softmax(Z), d) of each sample, computed from Z.

    For one row::

        div = -sum_i d_i log softmax(z)_i
            = -sum_i d_i (z_i - log sum_j exp(z_j))

    Parameters
    ----------
    Z : ndarray, shape (N, L)
        Logits: the pre-activations of a softmax output layer.
    d : ndarray, shape (N, L)
        Targets; each row sums to 1 (usually one-hot).

    Returns
    -------
    ndarray, shape (N,)
        One divergence per sample. Finite for logits of +-1000.

    Notes
    -----
    Computing softmax first and then its log fails when a probability
    underflows to 0: for Z = (1000, 0) softmax gives (1, 0) in float64 and
    log 0 = -inf, although the true divergence of the second class is 1000.
    Work with log softmax directly, after subtracting the row's largest entry
    as in ``softmax``.

    Examples
    --------
    >>> Z = np.array([[0.0, 0.0], [1000.0, 0.0]])
    >>> d = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> print(np.round(softmax_cross_entropy(Z, d), 4).tolist())
    [0.6931, 1000.0]
    """
    raise NotImplementedError("softmax_cross_entropy: not implemented yet")


def softmax_cross_entropy_derivative(Z: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return the per-sample derivative of softmax cross-entropy with respect to Z.

    The chain rule through the softmax Jacobian gives, when every row of d
    sums to 1::

        d div / dZ = softmax(Z) - d

    Parameters
    ----------
    Z : ndarray, shape (N, L)
        Logits.
    d : ndarray, shape (N, L)
        Targets; each row sums to 1.

    Returns
    -------
    ndarray, shape (N, L)
        Row n is the derivative of div(softmax(Z_n), d_n) with respect to
        Z_n. Not divided by N. Finite for logits of +-1000.

    Examples
    --------
    >>> Z = np.array([[0.0, 0.0], [1000.0, 0.0]])
    >>> d = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> print(softmax_cross_entropy_derivative(Z, d))
    [[-0.5  0.5]
     [ 1.  -1. ]]
    """
    raise NotImplementedError("softmax_cross_entropy_derivative: not implemented yet")


def empirical_risk(Y: np.ndarray, d: np.ndarray, divergence: str) -> float:
    """Return the empirical risk, the mean divergence over the batch.

    ::

        Err = (1/N) sum_n div(Y_n, d_n)

    Parameters
    ----------
    Y : ndarray, shape (N, L)
        Network outputs.
    d : ndarray, shape (N, L)
        Targets.
    divergence : str
        Which divergence: ``"l2"``, ``"bce"``, ``"kl"`` or ``"cross_entropy"``.

    Returns
    -------
    float
        The empirical risk, a single number (``float(...)`` of a NumPy scalar
        is fine).

    Examples
    --------
    The L2 divergences of these two samples are 0.5 and 1.0:

    >>> Y = np.array([[1.0, 2.0], [0.0, 0.0]])
    >>> d = np.array([[0.0, 2.0], [1.0, 1.0]])
    >>> print(empirical_risk(Y, d, "l2"))
    0.75
    """
    raise NotImplementedError("empirical_risk: not implemented yet")


# ---------------------------------------------------------------------------
# The network
#
# A network is three lists of the same length K: weights (W_1..W_K),
# biases (b_1..b_K) and activation names (f_1..f_K). The names are
# "identity", "sigmoid", "tanh", "relu" and "softmax", and any layer may use
# any of them. The forward pass stores (Z_k, Y_k) for every layer; the
# backward pass uses them to turn the derivative of Err with respect to the
# output into derivatives with respect to every W_k and b_k.
# ---------------------------------------------------------------------------


def forward(
    X: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    activations: list[str],
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Run the network on a batch and keep what every layer computed.

    ::

        Y_0 = X
        Z_k = Y_{k-1} W_k + b_k        for k = 1..K
        Y_k = f_k(Z_k)

    Entry by entry, unit j of layer k sums its inputs through the weights
    w_ij^(k): z_j^(k) = sum_i y_i^(k-1) w_ij^(k) + b_j^(k). Written with
    matrices, the whole batch goes through in one product.

    Parameters
    ----------
    X : ndarray, shape (N, D)
        Input batch, one sample per row.
    weights : list of K ndarrays
        ``weights[k - 1]`` is W_k, shape (D_{k-1}, D_k), with D_0 = D.
    biases : list of K ndarrays
        ``biases[k - 1]`` is b_k, shape (D_k,).
    activations : list of K str
        ``activations[k - 1]`` names f_k: ``"identity"``, ``"sigmoid"``,
        ``"tanh"``, ``"relu"`` or ``"softmax"``.

    Returns
    -------
    list of K tuples (Z_k, Y_k)
        Element k - 1 holds Z_k and Y_k, both of shape (N, D_k). X itself is
        not in the list. The network's output is the last Y_k:
        ``forward(...)[-1][1]``, shape (N, L).

    Examples
    --------
    Two inputs, two relu units, one identity output. The second relu unit
    gets z = 0 for the first sample and z = -3 for the second:

    >>> X = np.array([[1.0, 2.0], [2.0, 0.0]])
    >>> weights = [np.array([[1.0, -1.0], [0.5, 1.0]]), np.array([[1.0], [2.0]])]
    >>> biases = [np.array([0.0, -1.0]), np.array([0.5])]
    >>> layers = forward(X, weights, biases, ["relu", "identity"])
    >>> len(layers)
    2
    >>> Z1, Y1 = layers[0]
    >>> print(Z1)
    [[ 2.  0.]
     [ 2. -3.]]
    >>> print(Y1)
    [[2. 0.]
     [2. 0.]]
    >>> print(layers[-1][1])
    [[2.5]
     [2.5]]
    """
    raise NotImplementedError("forward: not implemented yet")


def backward(
    X: np.ndarray,
    d: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    activations: list[str],
    divergence: str,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Return the gradient of the empirical risk with respect to every parameter.

    Run ``forward``, then go back from the output layer K to layer 1::

        dErr/dY_K = (1/N) div'(Y_K, d)       row n: d div(Y_n, d_n) / dY_n

        for k = K, K-1, ..., 1:
            delta_k      = dErr/dY_k * f_k'(Z_k)     (entrywise product)
            dErr/dW_k    = Y_{k-1}^T delta_k         shape (D_{k-1}, D_k)
            dErr/db_k    = sum over the rows n of delta_k
            dErr/dY_{k-1} = delta_k W_k^T            shape (N, D_{k-1})

    Entry by entry, dErr/dw_ij^(k) = sum_n y_i^(k-1)[n] delta_j^(k)[n]: the
    input that the weight carries times the derivative at the unit it feeds.

    A softmax layer is not entrywise. Use its Jacobian J_n = softmax_jacobian
    of row n of Z_k: delta_k[n, j] = sum_i dErr/dY_k[n, i] J_n[i, j]. When a
    softmax output meets "cross_entropy" or "kl" and every row of d sums to
    1, this works out to delta_K = (softmax(Z_K) - d) / N, which also avoids
    dividing by outputs that have underflowed to 0; either route is accepted.

    Parameters
    ----------
    X : ndarray, shape (N, D)
        Input batch.
    d : ndarray, shape (N, L)
        Targets for the network's output.
    weights, biases, activations : lists of length K
        The network, as in ``forward``.
    divergence : str
        ``"l2"``, ``"bce"``, ``"kl"`` or ``"cross_entropy"``, as in
        ``empirical_risk``.

    Returns
    -------
    dweights : list of K ndarrays
        ``dweights[k - 1]`` is dErr/dW_k, same shape as ``weights[k - 1]``.
    dbiases : list of K ndarrays
        ``dbiases[k - 1]`` is dErr/db_k, same shape as ``biases[k - 1]``.

    Notes
    -----
    These are gradients of Err = empirical_risk(output, d, divergence), the
    mean over the batch, so they include the factor 1/N, while the divergence
    derivatives above do not. Doubling the batch by repeating every sample
    must leave the gradients unchanged. Use ``relu_derivative`` as given, with
    derivative 0 at z = 0.

    Examples
    --------
    The network from ``forward`` with L2 targets 3 and 1. The outputs are 2.5
    and 2.5, so dErr/dY_2 = (-0.5, 1.5) / 2. The second hidden unit has relu
    derivative 0 for both samples and receives no gradient:

    >>> X = np.array([[1.0, 2.0], [2.0, 0.0]])
    >>> d = np.array([[3.0], [1.0]])
    >>> weights = [np.array([[1.0, -1.0], [0.5, 1.0]]), np.array([[1.0], [2.0]])]
    >>> biases = [np.array([0.0, -1.0]), np.array([0.5])]
    >>> dW, db = backward(X, d, weights, biases, ["relu", "identity"], "l2")
    >>> print(dW[1])
    [[1.]
     [0.]]
    >>> print(db[1])
    [0.5]
    >>> print(dW[0])
    [[ 1.25  0.  ]
     [-0.5   0.  ]]
    >>> print(db[0])
    [0.5 0. ]
    """
    raise NotImplementedError("backward: not implemented yet")


def gradient_descent_step(
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    dweights: list[np.ndarray],
    dbiases: list[np.ndarray],
    eta: float,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Take one gradient descent step on every parameter.

    ::

        W_k <- W_k - eta dErr/dW_k
        b_k <- b_k - eta dErr/db_k

    Parameters
    ----------
    weights, biases : lists of K ndarrays
        The current parameters.
    dweights, dbiases : lists of K ndarrays
        Their gradients, shaped like weights and biases (as ``backward``
        returns them).
    eta : float
        Learning rate, eta > 0.

    Returns
    -------
    new_weights : list of K ndarrays
        New arrays W_k - eta dW_k.
    new_biases : list of K ndarrays
        New arrays b_k - eta db_k.

    Notes
    -----
    The inputs are left unchanged: ``W -= eta * dW`` would modify the
    caller's arrays, so build new ones and new lists.

    Examples
    --------
    >>> weights = [np.array([[1.0, 2.0]])]
    >>> biases = [np.array([0.5, 0.0])]
    >>> dweights = [np.array([[0.5, -1.0]])]
    >>> dbiases = [np.array([1.0, 0.0])]
    >>> new_w, new_b = gradient_descent_step(weights, biases, dweights, dbiases, 0.1)
    >>> print(new_w[0])
    [[0.95 2.1 ]]
    >>> print(new_b[0])
    [0.4 0. ]
    >>> print(weights[0])
    [[1. 2.]]
    """
    raise NotImplementedError("gradient_descent_step: not implemented yet")


def train(
    X: np.ndarray,
    d: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    activations: list[str],
    divergence: str,
    eta: float,
    epochs: int,
) -> tuple[list[np.ndarray], list[np.ndarray], list[float]]:
    """Train the network by full-batch gradient descent.

    Starting from the given weights and biases, repeat for t = 0..epochs-1::

        losses[t] = Err at the current parameters
        compute the gradients with backward on the whole batch X
        take one gradient_descent_step with learning rate eta

    Parameters
    ----------
    X : ndarray, shape (N, D)
        Training inputs.
    d : ndarray, shape (N, L)
        Training targets.
    weights, biases, activations : lists of length K
        The network to start from, as in ``forward``. Left unchanged.
    divergence : str
        ``"l2"``, ``"bce"``, ``"kl"`` or ``"cross_entropy"``.
    eta : float
        Learning rate.
    epochs : int
        Number of gradient descent steps.

    Returns
    -------
    weights : list of K ndarrays
        The weights after all the steps.
    biases : list of K ndarrays
        The biases after all the steps.
    losses : list of float
        ``losses[t]`` is the empirical risk BEFORE step t, so
        ``len(losses) == epochs``, ``losses[0]`` is the risk of the starting
        parameters, and the risk of the returned parameters is not in the
        list.

    Examples
    --------
    One identity unit y = w x + b learning d = 2 x from w = 0, b = 0. Each
    step removes half of the remaining error in w, so the risk drops by a factor of 4:

    >>> X = np.array([[1.0], [-1.0]])
    >>> d = np.array([[2.0], [-2.0]])
    >>> weights, biases = [np.array([[0.0]])], [np.array([0.0])]
    >>> W, b, losses = train(X, d, weights, biases, ["identity"], "l2", 0.5, 3)
    >>> print(np.round(losses, 4))
    [2.    0.5   0.125]
    >>> print(W[0])
    [[1.75]]
    """
    raise NotImplementedError("train: not implemented yet")
