"""Tests of the reference implementation in ``reference/``.

Every derivative is checked against central finite differences of its own
function, ``backward`` against finite differences of the loss on small random
networks, and the numerically delicate functions at extreme inputs.

Derivative checks use ``assert_allclose`` with ``rtol=1e-6`` and ``atol=1e-8``:
with steps of about 1e-6 the central difference is accurate to about 1e-10 on
these inputs, so a correct derivative passes with a wide margin and a wrong
one (a missing factor, a transposed index) fails by orders of magnitude.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import reference
from reference import (
    ACTIVATIONS,
    DIVERGENCES,
    backward,
    bce_divergence,
    cross_entropy,
    cross_entropy_derivative,
    empirical_risk,
    forward,
    gradient_descent_step,
    kl_divergence,
    kl_divergence_derivative,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_derivative,
    softmax_jacobian,
    tanh,
    tanh_derivative,
    train,
)

RTOL = 1e-6
ATOL = 1e-8

ACTIVATION_NAMES = ["identity", "sigmoid", "tanh", "relu", "softmax"]

# The output activations each divergence is tested with: bce needs outputs in
# (0, 1), kl and cross-entropy need probability rows.
OUTPUTS_FOR = {
    "l2": ACTIVATION_NAMES,
    "bce": ["sigmoid"],
    "kl": ["softmax"],
    "cross_entropy": ["softmax"],
}
OUTPUT_SIZE = {"l2": 3, "bce": 2, "kl": 3, "cross_entropy": 3}


# ---------------------------------------------------------------------------
# Helpers


def numerical_jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray):
    """Return ``J[..., idx] = df/dx[idx]`` by central differences.

    Each entry of `x` in turn moves by ``h = 1e-6 * max(1, |x[idx]|)`` either
    way; the result has shape ``f(x).shape + x.shape``.
    """
    x = np.array(x, dtype=float)
    J = np.empty(np.shape(f(x)) + x.shape)
    for idx in np.ndindex(x.shape):
        h = 1e-6 * max(1.0, abs(x[idx]))
        x_plus, x_minus = x.copy(), x.copy()
        x_plus[idx] += h
        x_minus[idx] -= h
        # Divide by the step actually taken, after rounding of x +- h.
        J[(...,) + idx] = (f(x_plus) - f(x_minus)) / (x_plus[idx] - x_minus[idx])
    return J


def read_only(*arrays: np.ndarray) -> list[np.ndarray]:
    """Return float64 copies that raise on any attempt to write into them."""
    frozen = []
    for array in arrays:
        array = np.array(array, dtype=float)
        array.flags.writeable = False
        frozen.append(array)
    return frozen


def random_targets(divergence: str, N: int, L: int, rng: np.random.Generator):
    """Return targets of shape (N, L) that suit `divergence`."""
    if divergence == "l2":
        return rng.normal(size=(N, L))
    if divergence == "bce":
        return rng.integers(0, 2, size=(N, L)).astype(float)
    if divergence == "kl":
        # Probability rows with a zero in each, to exercise 0 log 0 = 0.
        d = rng.dirichlet(np.ones(L), size=N)
        d[np.arange(N), rng.integers(0, L, size=N)] = 0.0
        return d / d.sum(axis=1, keepdims=True)
    return np.eye(L)[rng.integers(0, L, size=N)]


def random_outputs(divergence: str, N: int, L: int, rng: np.random.Generator):
    """Return outputs Y of shape (N, L) inside the domain of `divergence`."""
    if divergence == "l2":
        return rng.normal(size=(N, L))
    if divergence == "bce":
        return rng.uniform(0.1, 0.9, size=(N, L))
    return softmax(rng.normal(size=(N, L)))


# ---------------------------------------------------------------------------
# The public surface

# The functions of one array: elementwise activations, softmax and its Jacobian.
ONE_ARGUMENT_NAMES = [
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
]
CONTRACT_NAMES = ONE_ARGUMENT_NAMES + [
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


def test_every_contract_name_is_exported_and_callable():
    missing = [name for name in CONTRACT_NAMES if name not in reference.__all__]
    assert missing == []
    assert all(callable(getattr(reference, name)) for name in CONTRACT_NAMES)
    assert set(reference.__all__) == set(CONTRACT_NAMES) | {
        "ACTIVATIONS",
        "DIVERGENCES",
        "MISCONCEPTIONS",
    }


def test_lookup_tables_pair_each_name_with_its_functions():
    assert list(ACTIVATIONS) == ["identity", "sigmoid", "tanh", "relu"]
    assert list(DIVERGENCES) == ["l2", "bce", "kl", "cross_entropy"]
    for name, (f, f_derivative) in ACTIVATIONS.items():
        assert f is getattr(reference, name)
        assert f_derivative is getattr(reference, f"{name}_derivative")
    assert DIVERGENCES["bce"] == (
        reference.bce_divergence,
        reference.bce_divergence_derivative,
    )
    assert DIVERGENCES["cross_entropy"][1] is cross_entropy_derivative


# ---------------------------------------------------------------------------
# Values the contract pins down


def test_activation_values_at_known_points():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(reference.identity(z), z)
    np.testing.assert_array_equal(reference.identity_derivative(z), np.ones(3))
    np.testing.assert_allclose(sigmoid(z), 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_allclose(sigmoid_derivative(0.0), 0.25, rtol=1e-15)
    np.testing.assert_array_equal(reference.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(tanh_derivative(0.0), 1.0)


def test_relu_derivative_is_zero_at_zero():
    np.testing.assert_array_equal(relu_derivative([-1.0, 0.0, 1e-300]), [0, 0, 1])


def test_outputs_are_float64_for_integer_inputs():
    z = np.array([[1, 2, 3]])
    for name in ONE_ARGUMENT_NAMES:
        assert getattr(reference, name)(z).dtype == np.float64, name
    assert reference.l2_divergence(z, z).dtype == np.float64
    layers = forward(
        z, [np.ones((3, 2), dtype=int)], [np.zeros(2, dtype=int)], ["relu"]
    )
    assert layers[0][1].dtype == np.float64


def test_divergence_values_on_a_small_example():
    Y = np.array([[0.25, 0.75], [0.5, 0.5]])
    d = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(reference.l2_divergence(Y, d), [0.0625, 0.25])
    np.testing.assert_allclose(cross_entropy(Y, d), [-np.log(0.75), np.log(2)])
    np.testing.assert_allclose(kl_divergence(Y, d), cross_entropy(Y, d))
    expected_bce = [-np.log(0.75) - np.log(0.75), -2 * np.log(0.5)]
    np.testing.assert_allclose(bce_divergence(Y, d), expected_bce)


def test_empirical_risk_is_a_python_float_mean():
    Y = np.array([[1.0], [3.0]])
    d = np.zeros((2, 1))
    risk = empirical_risk(Y, d, "l2")
    assert type(risk) is float
    assert risk == pytest.approx((0.5 + 4.5) / 2)


def test_softmax_rows_are_probabilities_and_shift_invariant():
    Z = np.random.default_rng(0).normal(size=(6, 4))
    Y = softmax(Z)
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-15)
    np.testing.assert_allclose(softmax(Z + 50.0), Y, rtol=1e-12)
    np.testing.assert_allclose(Y[0], np.exp(Z[0]) / np.exp(Z[0]).sum(), rtol=1e-14)


def test_softmax_jacobian_shape_and_structure():
    Z = np.random.default_rng(1).normal(size=(5, 3))
    J = softmax_jacobian(Z)
    assert J.shape == (5, 3, 3)
    np.testing.assert_allclose(J, J.transpose(0, 2, 1), atol=1e-16)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-16)


def test_softmax_cross_entropy_equals_cross_entropy_of_softmax():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(5, 4))
    d = rng.dirichlet(np.ones(4), size=5)
    np.testing.assert_allclose(
        softmax_cross_entropy(Z, d), cross_entropy(softmax(Z), d), rtol=1e-13
    )
    np.testing.assert_allclose(
        softmax_cross_entropy_derivative(Z, d), softmax(Z) - d, atol=1e-15
    )


# ---------------------------------------------------------------------------
# Derivatives against central differences


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_derivative_matches_central_differences(name):
    f, f_derivative = ACTIVATIONS[name]
    z = np.random.default_rng(3).uniform(-4.0, 4.0, size=12)
    z[np.abs(z) < 0.1] += 0.5  # keep away from the kink of relu

    J = numerical_jacobian(f, z)

    np.testing.assert_allclose(f_derivative(z), np.diag(J), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(J - np.diag(np.diag(J)), 0.0, atol=ATOL)


def test_softmax_jacobian_matches_central_differences():
    Z = np.random.default_rng(4).normal(scale=2.0, size=(4, 5))

    J = numerical_jacobian(softmax, Z)  # shape (N, L, N, L)
    per_sample = np.einsum("ninj->nij", J)

    np.testing.assert_allclose(softmax_jacobian(Z), per_sample, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("divergence", list(DIVERGENCES))
def test_divergence_derivative_matches_central_differences(divergence):
    rng = np.random.default_rng(5)
    div, div_derivative = DIVERGENCES[divergence]
    Y = random_outputs(divergence, 4, 3, rng)
    d = random_targets(divergence, 4, 3, rng)

    J = numerical_jacobian(lambda Y: div(Y, d), Y)  # shape (N, N, L)
    per_sample = np.einsum("nnl->nl", J)

    np.testing.assert_allclose(div_derivative(Y, d), per_sample, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(
    "row_sums",
    [pytest.param(1.0, id="rows-sum-to-1"), pytest.param(2.5, id="rows-sum-to-2.5")],
)
def test_softmax_cross_entropy_derivative_matches_central_differences(row_sums):
    rng = np.random.default_rng(6)
    Z = rng.normal(scale=3.0, size=(4, 5))
    d = row_sums * rng.dirichlet(np.ones(5), size=4)

    J = numerical_jacobian(lambda Z: softmax_cross_entropy(Z, d), Z)
    per_sample = np.einsum("nnl->nl", J)

    np.testing.assert_allclose(
        softmax_cross_entropy_derivative(Z, d), per_sample, rtol=RTOL, atol=ATOL
    )


# ---------------------------------------------------------------------------
# Backpropagation against central differences of the loss


def random_network(activations: list[str], divergence: str, seed: int):
    """Return X, d, weights, biases for a small random network.

    Layer widths cycle through 5, 3, 6 above an input of 4 units, so no weight
    matrix is square. The draw is repeated until every relu pre-activation is
    at least 1e-3 from 0, so that finite differences never straddle the kink.
    """
    rng = np.random.default_rng(seed)
    N = 6
    sizes = [4] + [[5, 3, 6][k % 3] for k in range(len(activations) - 1)]
    sizes.append(OUTPUT_SIZE[divergence])

    while True:
        X = rng.normal(size=(N, sizes[0]))
        weights = [
            rng.normal(size=(m, n)) / np.sqrt(m)
            for m, n in zip(sizes[:-1], sizes[1:], strict=True)
        ]
        biases = [rng.normal(scale=0.5, size=n) for n in sizes[1:]]
        layers = forward(X, weights, biases, activations)
        relu_Z = [
            Z
            for (Z, _), name in zip(layers, activations, strict=True)
            if name == "relu"
        ]
        if all(np.abs(Z).min() > 1e-3 for Z in relu_Z):
            break

    d = random_targets(divergence, N, sizes[-1], rng)
    return X, d, weights, biases


def network_cases():
    """Every depth, hidden activation, divergence and allowed output, with ids
    like ``depth3-hidden_tanh-out_softmax-kl`` and a fixed seed for each."""
    cases = []
    for depth in [1, 2, 3, 4]:
        for hidden in ACTIVATION_NAMES if depth > 1 else [None]:
            for divergence, outputs in OUTPUTS_FOR.items():
                for output in outputs:
                    hidden_id = f"-hidden_{hidden}" if hidden else ""
                    case_id = f"depth{depth}{hidden_id}-out_{output}-{divergence}"
                    seed = len(cases)
                    cases.append(
                        pytest.param(
                            depth, hidden, output, divergence, seed, id=case_id
                        )
                    )
    return cases


@pytest.mark.parametrize("depth, hidden, output, divergence, seed", network_cases())
def test_backward_matches_central_differences_of_the_loss(
    depth, hidden, output, divergence, seed
):
    activations = [hidden] * (depth - 1) + [output]
    X, d, weights, biases = random_network(activations, divergence, seed)

    def loss(weights, biases):
        Y = forward(X, weights, biases, activations)[-1][1]
        return empirical_risk(Y, d, divergence)

    dweights, dbiases = backward(X, d, weights, biases, activations, divergence)

    assert len(dweights) == len(dbiases) == depth
    for k in range(depth):

        def loss_of_W(W, k=k):
            return loss(weights[:k] + [W] + weights[k + 1 :], biases)

        def loss_of_b(b, k=k):
            return loss(weights, biases[:k] + [b] + biases[k + 1 :])

        assert dweights[k].shape == weights[k].shape
        assert dbiases[k].shape == biases[k].shape
        np.testing.assert_allclose(
            dweights[k],
            numerical_jacobian(loss_of_W, weights[k]),
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"dW[{k + 1}]",
        )
        np.testing.assert_allclose(
            dbiases[k],
            numerical_jacobian(loss_of_b, biases[k]),
            rtol=RTOL,
            atol=ATOL,
            err_msg=f"db[{k + 1}]",
        )


def test_backward_through_mixed_activations_with_a_hidden_softmax():
    activations = ["relu", "softmax", "tanh", "sigmoid"]
    X, d, weights, biases = random_network(activations, "bce", seed=7)

    dweights, _ = backward(X, d, weights, biases, activations, "bce")

    def loss_of_W1(W):
        Y = forward(X, [W] + weights[1:], biases, activations)[-1][1]
        return empirical_risk(Y, d, "bce")

    numeric = numerical_jacobian(loss_of_W1, weights[0])
    assert np.abs(numeric).max() > 1e-4  # the check below is not vacuous
    np.testing.assert_allclose(dweights[0], numeric, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# Numerical stability
#
# np.errstate(all="raise", under="ignore") turns any overflow, division by
# zero or invalid operation into an exception. Underflow is left alone: e^-1000
# is below the smallest float64, so rounding it to 0 is the correct answer, and
# NumPy ignores underflow by default.

EXTREMES = np.array([-1e5, -1000.0, -40.0, 0.0, 40.0, 1000.0, 1e5])


def test_sigmoid_and_its_derivative_at_extreme_inputs():
    with np.errstate(all="raise", under="ignore"):
        s = sigmoid(EXTREMES)
        s_derivative = sigmoid_derivative(EXTREMES)

    np.testing.assert_allclose(s, [0, 0, np.exp(-40), 0.5, 1, 1, 1], rtol=1e-14)
    expected_derivative = [0, 0, np.exp(-40), 0.25, np.exp(-40), 0, 0]
    np.testing.assert_allclose(s_derivative, expected_derivative, rtol=1e-12)


def test_tanh_and_its_derivative_at_extreme_inputs():
    with np.errstate(all="raise", under="ignore"):
        t = tanh(EXTREMES)
        t_derivative = tanh_derivative(EXTREMES)

    np.testing.assert_array_equal(t, [-1, -1, -1, 0, 1, 1, 1])
    np.testing.assert_allclose(t_derivative, [0, 0, 0, 1, 0, 0, 0], atol=1e-15)


def test_softmax_and_its_jacobian_at_extreme_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [1e5, 1e5, 0.0], [1e5, 1e5, 1e5]])
    with np.errstate(all="raise", under="ignore"):
        Y = softmax(Z)
        J = softmax_jacobian(Z)

    expected = [[1, 0, 0], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]]
    np.testing.assert_allclose(Y, expected, rtol=1e-15, atol=1e-300)
    assert np.isfinite(J).all()
    np.testing.assert_allclose(J[1, 0], [0.25, -0.25, 0], atol=1e-16)


def test_softmax_cross_entropy_at_extreme_logits():
    Z = np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0], [0.0, 1e5, 0.0]])
    d = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    with np.errstate(all="raise", under="ignore"):
        values = softmax_cross_entropy(Z, d)
        gradient = softmax_cross_entropy_derivative(Z, d)

    np.testing.assert_allclose(values, [1000.0, 0.0, 1e5], rtol=1e-15, atol=1e-300)
    expected_gradient = [[1, -1, 0], [0, 0, 0], [0, 1, -1]]
    np.testing.assert_allclose(gradient, expected_gradient, atol=1e-300)


def test_kl_and_cross_entropy_treat_zero_targets_as_absent():
    Y = np.array([[0.2, 0.5, 0.3], [0.0, 1.0, 0.0]])
    d = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    with np.errstate(all="raise"):
        kl = kl_divergence(Y, d)
        kl_derivative = kl_divergence_derivative(Y, d)
        ce = cross_entropy(Y, d)
        ce_derivative = cross_entropy_derivative(Y, d)

    np.testing.assert_allclose(kl, [np.log(2), 0.0], atol=1e-16)
    np.testing.assert_allclose(ce, kl, atol=1e-16)
    expected_derivative = [[0, -2, 0], [0, -1, 0]]
    np.testing.assert_allclose(kl_derivative, expected_derivative, atol=1e-16)
    np.testing.assert_allclose(ce_derivative, expected_derivative, atol=1e-16)


def test_kl_is_positive_and_zero_only_at_the_target():
    rng = np.random.default_rng(8)
    d = random_targets("kl", 5, 4, rng)
    Y = softmax(rng.normal(size=(5, 4)))
    assert (kl_divergence(Y, d) > 0).all()
    np.testing.assert_allclose(kl_divergence(d, d), 0.0, atol=1e-15)


# ---------------------------------------------------------------------------
# Purity: arguments are never modified


def test_elementwise_and_divergence_functions_leave_inputs_untouched():
    rng = np.random.default_rng(9)
    Z, d = read_only(rng.normal(size=(3, 4)), rng.dirichlet(np.ones(4), size=3))
    Y = softmax(Z)

    for name in ONE_ARGUMENT_NAMES:
        getattr(reference, name)(Z)
    for div, div_derivative in DIVERGENCES.values():
        div(Y, d), div_derivative(Y, d)
    softmax_cross_entropy(Z, d), softmax_cross_entropy_derivative(Z, d)

    # identity must return a copy, not its argument.
    out = reference.identity(Z)
    out[0, 0] = 123.0
    assert Z[0, 0] != 123.0


def test_network_functions_leave_inputs_untouched():
    activations = ["tanh", "tanh", "identity"]
    X, d, weights, biases = random_network(activations, "l2", seed=10)
    X, d = read_only(X, d)
    weights, biases = read_only(*weights), read_only(*biases)
    saved = [W.copy() for W in weights + biases]

    backward(X, d, weights, biases, activations, "l2")
    # Passing the parameters as their own gradients makes the step W - 0.1 W.
    new_weights, new_biases = gradient_descent_step(
        weights, biases, weights, biases, 0.1
    )
    train(X, d, weights, biases, activations, "l2", 0.1, 3)

    assert all(
        np.array_equal(a, b) for a, b in zip(weights + biases, saved, strict=True)
    )
    assert new_weights is not weights and new_weights[0] is not weights[0]
    np.testing.assert_allclose(new_weights[1], 0.9 * weights[1])
    np.testing.assert_allclose(new_biases[2], 0.9 * biases[2])


# ---------------------------------------------------------------------------
# Training


def convex_problem():
    """Linear regression with one identity layer: the L2 risk is convex."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(20, 3))
    d = X @ rng.normal(size=(3, 2)) + 0.1 * rng.normal(size=(20, 2))
    return X, d, [np.zeros((3, 2))], [np.zeros(2)]


def test_train_records_the_risk_before_each_step_and_the_risk_falls():
    X, d, weights, biases = convex_problem()

    trained_weights, trained_biases, losses = train(
        X, d, weights, biases, ["identity"], "l2", eta=0.5, epochs=200
    )

    assert len(losses) == 200 and all(type(loss) is float for loss in losses)
    assert losses[0] == empirical_risk(X @ weights[0] + biases[0], d, "l2")
    # The risk falls at every step until it settles at the minimum in float64.
    assert (np.diff(losses[:20]) < 0).all()
    assert (np.diff(losses) <= 1e-15).all()
    assert losses[-1] < 0.05 * losses[0]

    # At the minimum, W and b solve the least-squares problem.
    X1 = np.hstack([X, np.ones((20, 1))])
    solution = np.linalg.lstsq(X1, d, rcond=None)[0]
    np.testing.assert_allclose(trained_weights[0], solution[:3], atol=1e-6)
    np.testing.assert_allclose(trained_biases[0], solution[3], atol=1e-6)


def test_train_takes_the_same_steps_as_backward_and_gradient_descent_step():
    activations = ["sigmoid", "softmax"]
    X, d, weights, biases = random_network(activations, "kl", seed=12)
    W, b = weights, biases
    for _ in range(3):
        dW, db = backward(X, d, W, b, activations, "kl")
        W, b = gradient_descent_step(W, b, dW, db, 0.5)

    trained_weights, trained_biases, losses = train(
        X, d, weights, biases, activations, "kl", 0.5, 3
    )

    assert len(losses) == 3
    for expected, got in zip(W + b, trained_weights + trained_biases, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-14)


def test_train_with_zero_epochs_returns_copies_and_no_losses():
    X, d, weights, biases = convex_problem()
    trained_weights, _, losses = train(
        X, d, weights, biases, ["identity"], "l2", 0.1, 0
    )
    assert losses == []
    assert trained_weights[0] is not weights[0]
    np.testing.assert_array_equal(trained_weights[0], weights[0])


# ---------------------------------------------------------------------------
# Bad arguments


@pytest.mark.parametrize(
    "call, message",
    [
        pytest.param(
            lambda: empirical_risk(np.ones((2, 1)), np.ones((2, 1)), "hinge"),
            r"divergence='hinge' is not a known divergence; use one of 'l2', 'bce', "
            r"'kl', 'cross_entropy'",
            id="unknown-divergence",
        ),
        pytest.param(
            lambda: forward(
                np.ones((2, 3)), [np.ones((3, 2))], [np.ones(2)], ["softmx"]
            ),
            r"activations\[0\]='softmx' is not a known activation; use one of "
            r"'identity', 'sigmoid', 'tanh', 'relu', 'softmax'",
            id="unknown-activation",
        ),
        pytest.param(
            lambda: backward(
                np.ones((2, 3)),
                np.ones((2, 2)),
                [np.ones((3, 2))],
                [np.ones(2)],
                ["identity"],
                "L2",
            ),
            r"divergence='L2' is not a known divergence",
            id="backward-unknown-divergence",
        ),
        pytest.param(
            lambda: forward(np.ones((2, 3)), [np.ones((3, 2))], [], ["identity"]),
            r"describe 1, 0 and 1 layers",
            id="missing-bias",
        ),
        pytest.param(
            lambda: backward(np.ones((2, 3)), np.ones((2, 3)), [], [], [], "l2"),
            r"a network needs at least one layer",
            id="no-layers",
        ),
        pytest.param(
            lambda: forward(np.ones((2, 3)), [np.ones((4, 2))], [np.ones(2)], ["relu"]),
            r"weights\[0\] has shape \(4, 2\).*receives 3 inputs",
            id="weights-do-not-fit-input",
        ),
        pytest.param(
            lambda: reference.l2_divergence(np.ones((2, 3)), np.ones((2, 1))),
            r"Y has shape \(2, 3\) but d has shape \(2, 1\)",
            id="targets-of-another-shape",
        ),
        pytest.param(
            lambda: train(np.ones((2, 1)), np.ones((2, 1)), [], [], [], "l2", 0.1, -1),
            r"epochs=-1 is negative",
            id="negative-epochs",
        ),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()
