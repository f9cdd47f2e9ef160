"""Realistic single-bug variants of ``correct_typical.py``, as data.

Each :class:`Bug` replaces one exact snippet of ``correct_typical.py`` (it must
occur there exactly once) by a wrong version, the way a student gets one thing
wrong in an otherwise good submission. ``apply(bug, source)`` builds the buggy
file's text.

``broken`` names the contract functions whose own code the bug edits: a grader
must take points off each of them. ``callers`` names the contract functions of
``correct_typical.py`` that call a broken one, directly or not (``backward``
reaches the activation derivatives through ``ACTIVATION_DERIVATIVES``, ``train``
calls ``forward``, ``empirical_risk``, ``backward`` and
``gradient_descent_step``): they may lose points too. Every other contract
function runs exactly the code of the correct file and must keep all its points.

Some bugs only show on particular inputs, which the ``description`` says: a
batch of several samples, rectangular layers, exact zeros, entries of +-1000,
one-hot targets, or read-only arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

BASE = Path(__file__).with_name("correct_typical.py")

CONTRACT = (
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
)


@dataclass(frozen=True)
class Bug:
    """One wrong edit of ``correct_typical.py``."""

    id: str
    description: str
    old: str
    new: str
    broken: frozenset[str]
    callers: frozenset[str]


def apply(bug: Bug, source: str) -> str:
    """Return ``source`` with the bug's snippet replaced by its wrong version."""
    count = source.count(bug.old)
    assert count == 1, f"{bug.id}: snippet {bug.old!r} occurs {count} times, not once"
    return source.replace(bug.old, bug.new)


def base_source() -> str:
    """Return the text of ``correct_typical.py``."""
    return BASE.read_text(encoding="utf-8")


# Callers shared by several bugs, from the call graph of correct_typical.py.
_SOFTMAX_CALLERS = frozenset(
    {
        "softmax_jacobian",
        "softmax_cross_entropy_derivative",
        "forward",
        "backward",
        "train",
    }
)
_BACKWARD_AND_TRAIN = frozenset({"backward", "train"})
_RISK_AND_TRAIN = frozenset({"empirical_risk", "train"})
_TRAIN = frozenset({"train"})


BUGS: tuple[Bug, ...] = (
    Bug(
        id="softmax_no_max_shift",
        description="softmax takes exp of the raw entries, so it overflows to nan "
        "for large entries such as 1000 (right for small ones).",
        old="z_shifted = z - z.max(axis=1, keepdims=True)",
        new="z_shifted = z",
        broken=frozenset({"softmax"}),
        callers=_SOFTMAX_CALLERS,
    ),
    Bug(
        id="softmax_wrong_axis",
        description="softmax normalises over the batch axis (axis=0) instead of "
        "over each row.",
        old="return e / e.sum(axis=1, keepdims=True)",
        new="return e / e.sum(axis=0, keepdims=True)",
        broken=frozenset({"softmax"}),
        callers=_SOFTMAX_CALLERS,
    ),
    Bug(
        id="softmax_shift_in_place",
        description="softmax subtracts the row max with -=, writing into its "
        "argument (raises on a read-only array).",
        old="z_shifted = z - z.max(axis=1, keepdims=True)",
        new="z -= z.max(axis=1, keepdims=True)\n    z_shifted = z",
        broken=frozenset({"softmax"}),
        callers=_SOFTMAX_CALLERS,
    ),
    Bug(
        id="softmax_jacobian_diagonal_only",
        description="softmax_jacobian treats softmax as elementwise: only the "
        "diagonal y_i (1 - y_i), no -y_i y_j off the diagonal.",
        old="J[n] = np.diag(s[n]) - np.outer(s[n], s[n])",
        new="J[n] = np.diag(s[n] * (1 - s[n]))",
        broken=frozenset({"softmax_jacobian"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="sigmoid_derivative_of_output",
        description="sigmoid_derivative applies sigmoid twice, s(s(z)) (1 - s(s(z))), "
        "as if its argument were already the layer output.",
        old="s = sigmoid(z)",
        new="s = sigmoid(sigmoid(z))",
        broken=frozenset({"sigmoid_derivative"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="tanh_derivative_plus",
        description="tanh_derivative returns 1 + tanh^2 instead of 1 - tanh^2.",
        old="return 1 - t**2",
        new="return 1 + t**2",
        broken=frozenset({"tanh_derivative"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="relu_derivative_one_at_zero",
        description="relu_derivative uses z >= 0, so it is 1 at exactly z = 0 "
        "where the contract says 0.",
        old="(z > 0).astype(float)",
        new="(z >= 0).astype(float)",
        broken=frozenset({"relu_derivative"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="l2_missing_half",
        description="l2_divergence forgets the factor 1/2.",
        old="return 0.5 * np.sum((Y - d) ** 2, axis=1)",
        new="return np.sum((Y - d) ** 2, axis=1)",
        broken=frozenset({"l2_divergence"}),
        callers=_RISK_AND_TRAIN,
    ),
    Bug(
        id="l2_derivative_sign_flipped",
        description="l2_divergence_derivative returns d - y instead of y - d.",
        old="return Y - d",
        new="return d - Y",
        broken=frozenset({"l2_divergence_derivative"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="bce_derivative_wrong_sign",
        description="bce_divergence_derivative subtracts (1 - d)/(1 - y) instead of "
        "adding it.",
        old="return -d / Y + (1 - d) / (1 - Y)",
        new="return -d / Y - (1 - d) / (1 - Y)",
        broken=frozenset({"bce_divergence_derivative"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="kl_no_zero_guard",
        description="kl_divergence computes d log(d / y) everywhere, so the zeros "
        "of a one-hot target give 0 * log 0 = nan.",
        old="    # 0 log 0 = 0: where d is 0 use log(1 / 1) = 0, not log(0 / y)\n"
        "    safe_d = np.where(d > 0, d, 1.0)\n"
        "    safe_Y = np.where(d > 0, Y, 1.0)\n"
        "    return np.sum(d * np.log(safe_d / safe_Y), axis=1)",
        new="    return np.sum(d * np.log(d / Y), axis=1)",
        broken=frozenset({"kl_divergence"}),
        callers=_RISK_AND_TRAIN,
    ),
    Bug(
        id="cross_entropy_derivative_over_n",
        description="cross_entropy_derivative divides by the batch size N, which "
        "belongs to the risk, not to the per-sample derivative.",
        old="dY = -d / Y",
        new="dY = -d / Y / len(Y)",
        broken=frozenset({"cross_entropy_derivative"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="softmax_cross_entropy_naive",
        description="softmax_cross_entropy takes the log of softmax(Z), which "
        "underflows to log 0 = -inf for logits far apart such as 0 and 1000.",
        old="    # log softmax with the log-sum-exp trick: no overflow and no log(0)\n"
        "    Z_max = Z.max(axis=1, keepdims=True)\n"
        "    log_sum = np.log(np.sum(np.exp(Z - Z_max), axis=1, keepdims=True))\n"
        "    log_probs = Z - Z_max - log_sum\n"
        "    return -np.sum(d * log_probs, axis=1)",
        new="    return cross_entropy(softmax(Z), d)",
        broken=frozenset({"softmax_cross_entropy"}),
        callers=frozenset(),
    ),
    Bug(
        id="empirical_risk_sum",
        description="empirical_risk sums the divergences over the batch instead "
        "of averaging them (right only for a batch of one).",
        old="return float(np.mean(values))",
        new="return float(np.sum(values))",
        broken=frozenset({"empirical_risk"}),
        callers=_TRAIN,
    ),
    Bug(
        id="forward_missing_bias",
        description="forward computes Z = Y @ W and never adds the bias.",
        old="Z = Y @ W + b",
        new="Z = Y @ W",
        broken=frozenset({"forward"}),
        callers=_BACKWARD_AND_TRAIN,
    ),
    Bug(
        id="backward_missing_1_over_n",
        description="backward returns the gradient of the summed divergence, "
        "without the 1/N of the mean (right only for a batch of one).",
        old="dY = DIVERGENCE_DERIVATIVES[divergence](Y_out, d) / N",
        new="dY = DIVERGENCE_DERIVATIVES[divergence](Y_out, d)",
        broken=frozenset({"backward"}),
        callers=_TRAIN,
    ),
    Bug(
        id="weight_gradient_transposed",
        description="backward computes dW as delta.T @ Y_prev, the transpose of "
        "the right gradient (wrong shape for rectangular layers).",
        old="dW = Y_prev.T @ delta",
        new="dW = delta.T @ Y_prev",
        broken=frozenset({"backward"}),
        callers=_TRAIN,
    ),
    Bug(
        id="bias_gradient_first_sample",
        description="backward takes the bias gradient of the first sample only, "
        "delta[0], instead of summing over the batch (right for a batch of one).",
        old="db = delta.sum(axis=0)",
        new="db = delta[0]",
        broken=frozenset({"backward"}),
        callers=_TRAIN,
    ),
    Bug(
        id="backward_derivative_at_output",
        description="backward evaluates the activation derivative at the layer "
        "output Y instead of at Z (wrong for sigmoid and tanh).",
        old="delta = dY * ACTIVATION_DERIVATIVES[activations[k]](Z)",
        new="delta = dY * ACTIVATION_DERIVATIVES[activations[k]](Y)",
        broken=frozenset({"backward"}),
        callers=_TRAIN,
    ),
    Bug(
        id="backward_weights_not_transposed",
        description="backward propagates delta @ W instead of delta @ W.T to the "
        "layer below (a shape error for rectangular layers).",
        old="dY = delta @ weights[k].T",
        new="dY = delta @ weights[k]",
        broken=frozenset({"backward"}),
        callers=_TRAIN,
    ),
    Bug(
        id="gradient_step_in_place",
        description="gradient_descent_step updates the weights with W -= eta * dW, "
        "changing the caller's arrays (raises on read-only ones).",
        old="new_weights.append(W - eta * dW)",
        new="W -= eta * dW\n        new_weights.append(W)",
        broken=frozenset({"gradient_descent_step"}),
        callers=_TRAIN,
    ),
    Bug(
        id="losses_after_step",
        description="train records the risk after each step instead of before it, "
        "so losses[0] is not the risk of the starting weights.",
        old="        Y = forward(X, weights, biases, activations)[-1][1]\n"
        "        losses.append(empirical_risk(Y, d, divergence))\n"
        "        dweights, dbiases = backward(X, d, weights, biases, activations, "
        "divergence)\n"
        "        weights, biases = gradient_descent_step(weights, biases, dweights, "
        "dbiases, eta)\n",
        new="        dweights, dbiases = backward(X, d, weights, biases, activations, "
        "divergence)\n"
        "        weights, biases = gradient_descent_step(weights, biases, dweights, "
        "dbiases, eta)\n"
        "        Y = forward(X, weights, biases, activations)[-1][1]\n"
        "        losses.append(empirical_risk(Y, d, divergence))\n",
        broken=frozenset({"train"}),
        callers=frozenset(),
    ),
)
