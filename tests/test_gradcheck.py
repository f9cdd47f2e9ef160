"""The finite-difference engine: accuracy, kinks, sweeps and the gradient check."""

from __future__ import annotations

import numpy as np
import pytest

import reference as ref
from checker.gradcheck import check_gradient
from checker.numdiff import (
    EPS32,
    central_differences,
    directional,
    richardson,
    taylor_sweep,
)


def many(f):
    return lambda points: [f(x) for x in points]


SMOOTH = [
    (lambda x: np.sin(x) * np.exp(x), lambda x: (np.cos(x) + np.sin(x)) * np.exp(x)),
    (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    (lambda x: np.log1p(x**2), lambda x: 2 * x / (1 + x**2)),
    (ref.sigmoid, ref.sigmoid_derivative),
]


@pytest.mark.parametrize(
    "f, derivative", SMOOTH, ids=["sinexp", "tanh", "log1p", "sigmoid"]
)
@pytest.mark.parametrize("scale", [1e-3, 1.0, 3.0])
def test_richardson_reaches_1e_9_relative_on_smooth_functions(f, derivative, scale):
    x = np.random.default_rng(1).normal(size=12) * scale
    estimate = richardson(many(f), x)
    diagonal = estimate.value.reshape(12, 12).diagonal()
    exact = derivative(x)
    relative = np.abs(diagonal - exact) / np.maximum(np.abs(exact), 1e-300)
    assert relative.max() < 1e-9
    # ... and far better than plain central differences with their own step.
    central = central_differences(many(f), x).reshape(12, 12).diagonal()
    assert np.abs(diagonal - exact).max() <= np.abs(central - exact).max()
    # Its error estimate bounds the true error.
    error = estimate.error.reshape(12, 12).diagonal()
    assert np.all(np.abs(diagonal - exact) <= error)
    assert not estimate.kinks.any()


def test_the_softmax_jacobian_comes_out_whole():
    z = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    estimate = richardson(many(ref.softmax), z)
    assert estimate.value.shape == (2, 3, 2, 3)
    blocks = np.stack([estimate.value[n, :, n, :] for n in range(2)])
    np.testing.assert_allclose(blocks, ref.softmax_jacobian(z), rtol=0, atol=1e-11)
    assert np.abs(estimate.value[0, :, 1, :]).max() == 0


def test_kinks_are_flagged_and_smooth_points_are_not():
    x = np.array([0.0, 1e-5, -1e-5, 3e-4, -3e-4, 0.5, -0.5, 2.0, 7e-4])
    estimate = richardson(many(ref.relu), x)
    kinks = estimate.kinks.reshape(9, 9).diagonal()
    value = estimate.value.reshape(9, 9).diagonal()
    error = estimate.error.reshape(9, 9).diagonal()
    assert kinks.tolist() == [True] * 5 + [False] * 4
    # A kink beyond h/2 (h is about 7.4e-4) leaves the estimate exact and only
    # widens its error estimate.
    np.testing.assert_allclose(value[5:], [1.0, 0.0, 1.0, 1.0], rtol=0, atol=1e-12)
    assert error[8] > 1e-3


def test_steep_smooth_functions_are_not_taken_for_kinks():
    # -log(y) near 0 has large higher derivatives, but no kink.
    y = np.array([0.02, 0.05, 0.1, 0.5])
    estimate = richardson(many(lambda v: -np.log(v)), y)
    assert not estimate.kinks.any()
    np.testing.assert_allclose(
        estimate.value.reshape(4, 4).diagonal(), -1 / y, rtol=1e-8
    )


def test_directional_cost_does_not_grow_with_the_number_of_coordinates():
    def loss(points):
        calls.append(len(points))
        return [float(np.sum(np.tanh(p) ** 2)) for p in points]

    for size in (10, 10_000):
        x = np.random.default_rng(0).normal(size=size)
        u = np.random.default_rng(1).choice([-1.0, 1.0], size=size)
        calls: list[int] = []
        estimate = directional(loss, x, [u])
        exact = float(np.sum(2 * np.tanh(x) * (1 - np.tanh(x) ** 2) * u))
        assert sum(calls) == 7
        assert (
            abs(estimate.value[0] - exact) <= 1e-9 * np.abs(exact) + estimate.error[0]
        )


def test_the_sweep_tells_a_wrong_derivative_from_a_right_one():
    x = np.array([0.3, -0.7, 1.1])
    u = np.array([1.0, -1.0, 1.0])
    loss = many(lambda p: float(np.sum(np.sin(p) ** 2)))
    exact = float(np.sum(2 * np.sin(x) * np.cos(x) * u))
    right = taylor_sweep(loss, x, u, exact)
    wrong = taylor_sweep(loss, x, u, exact * (1 + 1e-5))
    assert not right.wrong
    assert right.errors[0] > 100 * right.errors[2]  # second order: /16 per step
    assert wrong.wrong
    assert wrong.level == pytest.approx(abs(exact) * 1e-5, rel=0.1)
    assert "step 1e-01: error" in wrong.table()


def _network(sizes, activations, divergence, batch, seed):
    rng = np.random.default_rng(seed)
    W = [rng.normal(size=(m, n)) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]
    b = [rng.normal(size=n) * 0.1 for n in sizes[1:]]
    X = rng.normal(size=(batch, sizes[0]))
    d = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)]
    K = len(W)

    def loss_many(batch_of_params):
        return [
            ref.empirical_risk(
                ref.forward(X, p[:K], p[K:], activations)[-1][1], d, divergence
            )
            for p in batch_of_params
        ]

    dW, db = ref.backward(X, d, W, b, activations, divergence)
    names = [f"dweights[{k}]" for k in range(K)] + [f"dbiases[{k}]" for k in range(K)]
    return loss_many, W + b, dW + db, names


@pytest.mark.parametrize("mode", ["full", "directions", "sample"])
@pytest.mark.parametrize("hidden", ["tanh", "relu", "sigmoid"])
def test_a_correct_gradient_passes_in_every_mode(mode, hidden):
    loss_many, params, grads, names = _network(
        (6, 7, 4), [hidden, "softmax"], "cross_entropy", 5, seed=3
    )
    result = check_gradient(
        loss_many, params, grads, names, rng=np.random.default_rng(0), mode=mode
    )
    assert result.passed, [t.text for t in result.failures()]
    assert [t.name for t in result.tensors] == names


@pytest.mark.parametrize("k", [0, 1, 2, 3], ids=["W1", "W2", "b1", "b2"])
def test_one_wrong_entry_in_any_tensor_is_found_and_localised(k):
    loss_many, params, grads, names = _network(
        (20, 30, 5), ["tanh", "softmax"], "cross_entropy", 8, seed=4
    )
    rng = np.random.default_rng(k)
    bad = [g.copy() for g in grads]
    index = tuple(rng.integers(0, n) for n in bad[k].shape)
    bad[k][index] *= 1 + 1e-3
    result = check_gradient(loss_many, params, bad, names, rng=rng, mode="directions")
    failed = result.failures()
    assert [t.name for t in failed] == [names[k]]
    assert failed[0].worst_index == index
    assert "levels off as the step shrinks" in failed[0].text


def test_full_mode_names_the_worst_entry_and_shows_the_sweep():
    loss_many, params, grads, names = _network(
        (4, 5, 3), ["sigmoid", "softmax"], "kl", 4, seed=5
    )
    bad = [g.copy() for g in grads]
    bad[0] = bad[0].T.copy().reshape(bad[0].shape)  # a scrambled dW
    result = check_gradient(loss_many, params, bad, names, mode="full")
    (failed,) = result.failures()
    assert failed.name == "dweights[0]"
    assert "entries differ from finite differences" in failed.text
    assert "step 7e-04: error" in failed.text


def test_a_relu_network_near_kinks_is_not_failed():
    # Biases of 0 and inputs with zeros put many pre-activations at a kink.
    loss_many, params, grads, names = _network(
        (6, 8, 3), ["relu", "softmax"], "cross_entropy", 4, seed=6
    )
    params = [p.copy() for p in params]
    params[2][:] = 0.0
    K = 2
    rng = np.random.default_rng(6)
    X = rng.normal(size=(4, 6))
    X[:, :3] = 0.0
    d = np.eye(3)[[0, 1, 2, 0]]
    params[0][3:, :4] = 0.0

    def loss(batch):
        return [
            ref.empirical_risk(
                ref.forward(X, p[:K], p[K:], ["relu", "softmax"])[-1][1],
                d,
                "cross_entropy",
            )
            for p in batch
        ]

    dW, db = ref.backward(
        X, d, params[:K], params[K:], ["relu", "softmax"], "cross_entropy"
    )
    result = check_gradient(loss, params, dW + db, names, mode="full")
    assert result.passed
    assert result.excluded > 0  # counted, never failed


def test_the_directional_target_caught_in_99_percent_within_50_forwards():
    """One entry of dW off by 1e-3 relative in a 784-128-10 MLP."""
    loss_many, params, grads, names = _network(
        (784, 128, 10), ["tanh", "softmax"], "cross_entropy", 16, seed=7
    )
    rng = np.random.default_rng(7)
    trials, caught, forwards = 100, 0, []
    for _ in range(trials):
        k = int(rng.integers(0, 2))
        bad = [g.copy() for g in grads]
        index = tuple(int(rng.integers(0, n)) for n in bad[k].shape)
        bad[k][index] *= 1 + rng.choice([-1e-3, 1e-3])
        result = check_gradient(
            loss_many,
            params,
            bad,
            names,
            rng=rng,
            mode="directions",
            directions=1,
            localise=False,
        )
        caught += not result.passed
        forwards.append(sum(t.detection_evaluations for t in result.tensors))
    assert caught >= 0.99 * trials
    # Detection costs 7 forwards a tensor, whatever its size.
    assert max(forwards) == 28


def test_no_false_alarm_on_a_correct_backward():
    loss_many, params, grads, names = _network(
        (784, 128, 10), ["relu", "softmax"], "cross_entropy", 16, seed=8
    )
    rng = np.random.default_rng(8)
    for _ in range(40):
        result = check_gradient(
            loss_many, params, grads, names, rng=rng, mode="directions", directions=1
        )
        assert result.passed, [t.text for t in result.failures()]


def test_a_float32_loss_is_judged_at_float32_precision():
    loss_many, params, grads, names = _network(
        (5, 6, 3), ["tanh", "softmax"], "cross_entropy", 4, seed=9
    )

    def loss32(batch):
        return [np.float32(v) for v in loss_many(batch)]

    result = check_gradient(
        loss32, params, grads, names, mode="full", eps=EPS32, rtol=1e-3
    )
    assert result.passed, [t.text for t in result.failures()]
