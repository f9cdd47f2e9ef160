"""The property-based checks of hw1.

Each property is a mathematical fact about one function of the handout
(sigmoid(-z) = 1 - sigmoid(z), softmax rows sum to one, the divergence of Y
from itself is zero, ...). Hypothesis draws the inputs, seeded, and shrinks a
failing one; the report shows the smallest failing call as Python to paste.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import reference as ref
from checker.assignment import Check, Context
from checker.compare import (
    CheckFailed,
    as_float,
    describe_value,
    expect_close,
    float32_seen,
    mismatch,
)
from checker.properties import hypothesis_check, pasteable
from checker.strategies import (
    batch_shapes,
    binary_rows,
    float_arrays,
    networks,
    one_hot_rows,
    probability_rows,
)

__all__ = ["PROPERTY_CHECKS", "describe_network"]

#: Entries drawn for activations: ordinary values, exact zeros and +-1000.
_ACTIVATION_INPUTS = float_arrays(
    hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
    -40.0,
    40.0,
    large=(-1000.0, 1000.0),
)


def _array(ctx: Context, function: str, *args: Any) -> np.ndarray:
    """Call ``function``; it must return an array shaped like its first input
    (or one value per row for a divergence)."""
    got = ctx.call(function, *args)
    if not isinstance(got, np.ndarray):
        raise CheckFailed(f"{function} returned {describe_value(got)}, not an ndarray")
    if got.dtype.kind not in "biuf":
        raise CheckFailed(f"{function} returned an array of dtype {got.dtype}")
    return got


def _atol(got: np.ndarray, default: float = 1e-12) -> float:
    """Absolute tolerance of an identity: looser for float32 results."""
    if got.dtype in (np.float32, np.float16) or float32_seen():
        return 1e-6
    return default


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality, up to float32 rounding for float32 results."""
    if a.dtype in (np.float32, np.float16) or b.dtype in (np.float32, np.float16):
        return np.isclose(a, b, rtol=1e-6, atol=1e-30)
    return a == b


def _show(x: Any) -> str:
    return repr(float(x))


def _first_bad(bad: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(bad)[0])


def _require_shape(function: str, got: np.ndarray, shape: tuple) -> None:
    if got.shape != shape:
        raise CheckFailed(f"{function} returned shape {got.shape}, expected {shape}")


def _also_right(function: str, got: np.ndarray, *args: Any) -> None:
    """A property holds for trivial answers too (zeros are even, uniform rows
    sum to one), so the value must also match the reference."""
    text = mismatch(got, getattr(ref, function)(*args), f"{function}(...)")
    if text is not None:
        raise CheckFailed(f"the property holds, but the values are wrong:\n{text}")


# --------------------------------------------------------------------------
# Activations


def _identity(ctx: Context, example) -> None:
    (z,) = example
    got = _array(ctx, "identity", z)
    _require_shape("identity", got, z.shape)
    if not _same(got, z).all():
        i = _first_bad(~_same(got, z))
        raise CheckFailed(
            f"identity(z) must equal z; at {list(i)}: z {_show(z[i])}, "
            f"got {_show(got[i])}"
        )


def _identity_derivative(ctx: Context, example) -> None:
    (z,) = example
    got = _array(ctx, "identity_derivative", z)
    _require_shape("identity_derivative", got, z.shape)
    if not np.all(got == 1):
        i = _first_bad(got != 1)
        raise CheckFailed(
            f"identity_derivative(z) must be 1 everywhere; at {list(i)} "
            f"got {_show(got[i])}"
        )


def _sigmoid(ctx: Context, example) -> None:
    (z,) = example
    s = _array(ctx, "sigmoid", z)
    _require_shape("sigmoid", s, z.shape)
    outside = ~((s >= 0) & (s <= 1))
    if outside.any():
        i = _first_bad(outside)
        raise CheckFailed(
            f"sigmoid(z) must lie in [0, 1]; at {list(i)}: z {_show(z[i])}, "
            f"got {_show(s[i])}"
        )
    mirrored = _array(ctx, "sigmoid", -z)
    bad = ~np.isclose(mirrored, 1 - s, rtol=0, atol=_atol(s))
    if bad.any():
        i = _first_bad(bad)
        raise CheckFailed(
            f"sigmoid(-z) must equal 1 - sigmoid(z); at {list(i)}: z {_show(z[i])}, "
            f"sigmoid(-z) {_show(mirrored[i])}, 1 - sigmoid(z) {_show(1 - s[i])}"
        )
    _also_right("sigmoid", s, z)


def _even_and_bounded(function: str, upper: float):
    def holds(ctx: Context, example) -> None:
        (z,) = example
        g = _array(ctx, function, z)
        _require_shape(function, g, z.shape)
        outside = ~((g >= 0) & (g <= upper * (1 + 1e-12)))
        if outside.any():
            i = _first_bad(outside)
            raise CheckFailed(
                f"{function}(z) must lie in [0, {upper:g}]; at {list(i)}: "
                f"z {_show(z[i])}, "
                f"got {_show(g[i])}"
            )
        mirrored = _array(ctx, function, -z)
        bad = ~np.isclose(mirrored, g, rtol=1e-9, atol=_atol(g))
        if bad.any():
            i = _first_bad(bad)
            raise CheckFailed(
                f"{function} must be even, {function}(-z) = {function}(z); at "
                f"{list(i)}: z {_show(z[i])}, {function}(-z) {_show(mirrored[i])}, "
                f"{function}(z) {_show(g[i])}"
            )
        _also_right(function, g, z)

    return holds


def _tanh(ctx: Context, example) -> None:
    (z,) = example
    t = _array(ctx, "tanh", z)
    _require_shape("tanh", t, z.shape)
    outside = ~((t >= -1) & (t <= 1))
    if outside.any():
        i = _first_bad(outside)
        raise CheckFailed(
            f"tanh(z) must lie in [-1, 1]; at {list(i)}: z {_show(z[i])}, "
            f"got {_show(t[i])}"
        )
    mirrored = _array(ctx, "tanh", -z)
    bad = ~np.isclose(mirrored, -t, rtol=1e-12, atol=_atol(t))
    if bad.any():
        i = _first_bad(bad)
        raise CheckFailed(
            f"tanh must be odd, tanh(-z) = -tanh(z); at {list(i)}: z {_show(z[i])}, "
            f"tanh(-z) {_show(mirrored[i])}, -tanh(z) {_show(-t[i])}"
        )
    _also_right("tanh", t, z)


def _relu(ctx: Context, example) -> None:
    (z,) = example
    r = _array(ctx, "relu", z)
    _require_shape("relu", r, z.shape)
    bad = (r < 0) | ((z > 0) & ~_same(r, z)) | ((z <= 0) & (r != 0))
    if bad.any():
        i = _first_bad(bad)
        raise CheckFailed(
            f"relu(z) must be z where z > 0 and 0 elsewhere; at {list(i)}: z "
            f"{_show(z[i])}, got {_show(r[i])}"
        )


def _relu_derivative(ctx: Context, example) -> None:
    (z,) = example
    g = _array(ctx, "relu_derivative", z)
    _require_shape("relu_derivative", g, z.shape)
    want = (z > 0).astype(float)
    bad = g != want
    if bad.any():
        i = _first_bad(bad)
        raise CheckFailed(
            f"relu_derivative(z) must be 1 where z > 0 and 0 elsewhere (0 at z = 0); "
            f"at {list(i)}: z {_show(z[i])}, expected {_show(want[i])}, "
            f"got {_show(g[i])}"
        )


# --------------------------------------------------------------------------
# Softmax


_ROWS = batch_shapes(max_rows=4, min_columns=1, max_columns=5).flatmap(
    lambda shape: float_arrays(shape, -30.0, 30.0, large=(-1e5, 1000.0, 1e5))
)


def _rows_sum_to_one(ctx: Context, example) -> None:
    (z,) = example
    Y = _array(ctx, "softmax", z)
    _require_shape("softmax", Y, z.shape)
    if not np.isfinite(Y).all():
        i = _first_bad(~np.isfinite(Y))
        raise CheckFailed(f"softmax(z) must be finite; at {list(i)} got {Y[i]!r}")
    sums = Y.sum(axis=1)
    # exp(z - logsumexp(z)) is exact only to the rounding of z near 1e5,
    # about 1e-11, so the sums are held to 1e-9, far from any real mistake.
    bad = ~np.isclose(sums, 1.0, rtol=0, atol=_atol(Y, 1e-9))
    if bad.any() or (Y < 0).any():
        n = int(np.argmax(bad)) if bad.any() else int(np.argmax((Y < 0).any(axis=1)))
        raise CheckFailed(
            f"each row of softmax(z) must be a probability vector; row {n} sums "
            f"to {_show(sums[n])}"
        )
    _also_right("softmax", Y, z)


def _shift_invariant(ctx: Context, example) -> None:
    z, c = example
    shifted = z + c[:, None]
    Y = _array(ctx, "softmax", z)
    Y_shifted = _array(ctx, "softmax", shifted)
    _require_shape("softmax", Y, z.shape)
    text = mismatch(Y_shifted, Y, "softmax(z + c[:, None])")
    if text is not None:
        raise CheckFailed(
            "adding a constant c[n] to row n must not change softmax; compared "
            f"with softmax(z):\n{text}"
        )
    _also_right("softmax", Y, z)


def _jacobian_symmetric(ctx: Context, example) -> None:
    (z,) = example
    J = _array(ctx, "softmax_jacobian", z)
    N, L = z.shape
    _require_shape("softmax_jacobian", J, (N, L, L))
    atol = _atol(J, 1e-9)
    asymmetric = ~np.isclose(J, np.swapaxes(J, 1, 2), rtol=0, atol=atol)
    if asymmetric.any():
        n, i, j = _first_bad(asymmetric)
        raise CheckFailed(
            f"softmax_jacobian(z)[n] must be symmetric; J[{n}, {i}, {j}] = "
            f"{_show(J[n, i, j])} but J[{n}, {j}, {i}] = {_show(J[n, j, i])}"
        )
    sums = J.sum(axis=2)
    bad = ~np.isclose(sums, 0.0, rtol=0, atol=atol * L)
    if bad.any():
        n, i = _first_bad(bad)
        raise CheckFailed(
            f"each row of softmax_jacobian(z)[n] must sum to 0 (softmax rows sum "
            f"to one whatever z is); row {i} of sample {n} sums to {_show(sums[n, i])}"
        )
    _also_right("softmax_jacobian", J, z)


# --------------------------------------------------------------------------
# Divergences


@st.composite
def _divergence_inputs(draw, kind: str):
    shape = draw(batch_shapes(max_rows=4, min_columns=1, max_columns=4))
    if kind == "l2":
        Y = draw(float_arrays(shape, -5.0, 5.0))
        d = draw(float_arrays(shape, -5.0, 5.0))
    elif kind == "bce":
        Y = draw(float_arrays(shape, 0.01, 0.99, zeros=False))
        d = draw(binary_rows(shape))
    else:
        Y = draw(probability_rows(shape))
        d = draw(one_hot_rows(shape) if kind == "one-hot" else probability_rows(shape))
    return Y, d


def _per_sample(ctx: Context, function: str, Y, d) -> np.ndarray:
    got = _array(ctx, function, Y, d)
    _require_shape(function, got, (Y.shape[0],))
    return got


def _non_negative_and_zero_at_d(function: str, zero_at_d: bool):
    def holds(ctx: Context, example) -> None:
        Y, d = example
        values = _per_sample(ctx, function, Y, d)
        if (values < -_atol(values, 1e-12)).any() or not np.isfinite(values).all():
            n = int(np.argmax(~(values >= -_atol(values, 1e-12))))
            raise CheckFailed(
                "a divergence must be finite and >= 0; sample "
                f"{n} gives {_show(values[n])}"
            )
        _also_right(function, values, Y, d)
        if zero_at_d:
            same = _per_sample(
                ctx,
                function,
                d if function != "l2_divergence" else Y,
                d if function != "l2_divergence" else Y.copy(),
            )
            if not np.allclose(same, 0.0, rtol=0, atol=_atol(same, 1e-12)):
                n = int(np.argmax(np.abs(same)))
                raise CheckFailed(
                    f"{function}(Y, d) must be 0 when Y equals d; sample {n} gives "
                    f"{_show(same[n])}"
                )

    return holds


def _cross_entropy_is_kl_for_one_hot(ctx: Context, example) -> None:
    Y, d = example
    values = _per_sample(ctx, "cross_entropy", Y, d)
    text = mismatch(values, ref.kl_divergence(Y, d), "cross_entropy(Y, d)")
    if text is not None:
        raise CheckFailed(
            "for one-hot d, cross_entropy(Y, d) must equal kl_divergence(Y, d) "
            f"(the entropy of d is 0):\n{text}"
        )


@st.composite
def _logits(draw):
    shape = draw(batch_shapes(max_rows=4, min_columns=1, max_columns=5))
    Z = draw(float_arrays(shape, -20.0, 20.0))
    d = draw(one_hot_rows(shape))
    return Z, d


def _softmax_cross_entropy(ctx: Context, example) -> None:
    Z, d = example
    values = _per_sample(ctx, "softmax_cross_entropy", Z, d)
    expected = ref.cross_entropy(ref.softmax(Z), d)
    text = mismatch(values, expected, "softmax_cross_entropy(Z, d)")
    if text is not None:
        raise CheckFailed(
            "softmax_cross_entropy(Z, d) must equal cross_entropy(softmax(Z), d):\n"
            + text
        )


# --------------------------------------------------------------------------
# Risk, network, descent


@st.composite
def _risk_inputs(draw):
    name = draw(st.sampled_from(["l2", "bce", "kl", "cross_entropy"]))
    kind = {"l2": "l2", "bce": "bce"}.get(name, "one-hot")
    Y, d = draw(_divergence_inputs(kind))
    return Y, d, name


def _risk_is_the_mean(ctx: Context, example) -> None:
    Y, d, name = example
    got = ctx.call("empirical_risk", Y, d, name)
    expect_close(got, ref.empirical_risk(Y, d, name), f"empirical_risk(Y, d, {name!r})")


def _forward_matches(ctx: Context, example) -> None:
    net = example
    got = ctx.call("forward", net.X, net.weights, net.biases, net.activations)
    expected = ref.forward(net.X, net.weights, net.biases, net.activations)
    expect_close(got, [list(pair) for pair in expected], "forward(...)")


def describe_network(function: str):
    def describe(net) -> str:
        return (
            f"{function}(X={pasteable(net.X)}, weights={pasteable(net.weights)}, "
            f"biases={pasteable(net.biases)}, activations={net.activations!r})"
        )

    return describe


@st.composite
def _step_inputs(draw):
    net = draw(networks(max_layers=2, max_width=4, max_rows=1))
    dweights = [draw(float_arrays(W.shape, -1.0, 1.0)) for W in net.weights]
    dbiases = [draw(float_arrays(b.shape, -1.0, 1.0)) for b in net.biases]
    eta = draw(st.sampled_from([0.0, 1e-3, 0.1, 1.0, 2.5]))
    return net.weights, net.biases, dweights, dbiases, eta


def _step_is_linear(ctx: Context, example) -> None:
    weights, biases, dweights, dbiases, eta = example
    got = ctx.call("gradient_descent_step", weights, biases, dweights, dbiases, eta)
    expected = (
        [W - eta * g for W, g in zip(weights, dweights)],
        [b - eta * g for b, g in zip(biases, dbiases)],
    )
    expect_close(got, [expected[0], expected[1]], "gradient_descent_step(...)")


@st.composite
def _convex_problems(draw):
    N = draw(st.integers(2, 6))
    D = draw(st.integers(1, 3))
    L = draw(st.integers(1, 3))
    X = draw(float_arrays((N, D), -2.0, 2.0))
    d = draw(float_arrays((N, L), -2.0, 2.0))
    W = draw(float_arrays((D, L), -1.0, 1.0))
    b = draw(float_arrays((L,), -1.0, 1.0))
    return X, d, W, b


def _train_descends(ctx: Context, example) -> None:
    X, d, W, b = example
    # A step of 1 / (2 * largest curvature) makes every step decrease the risk.
    curvature = np.linalg.eigvalsh(
        np.hstack([X, np.ones((len(X), 1))]).T
        @ np.hstack([X, np.ones((len(X), 1))])
        / len(X)
    )[-1]
    eta = 0.5 / max(curvature, 1e-3)
    args = (X, d, [W], [b], ["identity"], "l2", eta, 4)
    result = ctx.call("train", *args)
    if not isinstance(result, (list, tuple)) or len(result) != 3:
        raise CheckFailed(f"train returned {describe_value(result)}, expected 3 items")
    losses = result[2]
    if isinstance(losses, np.ndarray):
        losses = list(losses)
    if not isinstance(losses, (list, tuple)) or len(losses) != 4:
        raise CheckFailed(
            f"losses must be a list of epochs = 4 values, got {describe_value(losses)}"
        )
    losses = [as_float(v, f"losses[{t}]") for t, v in enumerate(losses)]
    initial = ref.empirical_risk(ref.forward(X, [W], [b], ["identity"])[-1][1], d, "l2")
    loose = float32_seen()
    rtol, atol = (1e-5, 1e-6) if loose else (1e-7, 1e-10)
    if not np.isclose(losses[0], initial, rtol=rtol, atol=atol):
        raise CheckFailed(
            f"losses[0] must be the risk of the starting weights, {initial!r}; got "
            f"{losses[0]!r}"
        )
    slack = 1e-6 if loose else 1e-12  # rounding near convergence
    rising = [t for t in range(3) if losses[t + 1] > losses[t] * (1 + slack) + 1e-15]
    if rising:
        t = rising[0]
        raise CheckFailed(
            f"on a convex problem with a small step (eta = {eta:.4g}) the risk must "
            f"not rise; losses[{t}] = {losses[t]!r}, losses[{t + 1}] = "
            f"{losses[t + 1]!r}"
        )


def _describe_train(example) -> str:
    X, d, W, b = example
    return (
        f"train(X={pasteable(X)}, d={pasteable(d)}, weights=[{pasteable(W)}], "
        f"biases=[{pasteable(b)}], activations=['identity'], divergence='l2', "
        "eta=..., epochs=4)"
    )


_SINGLE = _ACTIVATION_INPUTS.map(lambda z: (z,))

PROPERTY_CHECKS: list[Check] = [
    hypothesis_check(
        "identity", "returns z unchanged, any shape", 1, _SINGLE, _identity
    ),
    hypothesis_check(
        "identity_derivative",
        "is 1 everywhere, any shape",
        1,
        _SINGLE,
        _identity_derivative,
    ),
    hypothesis_check(
        "sigmoid", "in [0, 1] and sigmoid(-z) = 1 - sigmoid(z)", 1, _SINGLE, _sigmoid
    ),
    hypothesis_check(
        "sigmoid_derivative",
        "in [0, 1/4] and even",
        1,
        _SINGLE,
        _even_and_bounded("sigmoid_derivative", 0.25),
    ),
    hypothesis_check("tanh", "in [-1, 1] and odd", 1, _SINGLE, _tanh),
    hypothesis_check(
        "tanh_derivative",
        "in [0, 1] and even",
        1,
        _SINGLE,
        _even_and_bounded("tanh_derivative", 1.0),
    ),
    hypothesis_check("relu", "z where z > 0, 0 elsewhere", 1, _SINGLE, _relu),
    hypothesis_check(
        "relu_derivative",
        "1 where z > 0, 0 elsewhere (0 at z = 0)",
        1,
        _SINGLE,
        _relu_derivative,
    ),
    hypothesis_check(
        "softmax",
        "rows sum to one, finite up to 1e5",
        1,
        _ROWS.map(lambda z: (z,)),
        _rows_sum_to_one,
    ),
    hypothesis_check(
        "softmax",
        "unchanged by adding a constant to a row",
        1,
        _ROWS.flatmap(
            lambda z: float_arrays((z.shape[0],), -50.0, 50.0).map(lambda c: (z, c))
        ),
        _shift_invariant,
        describe=lambda e: (
            f"softmax({pasteable(e[0])}) against softmax of "
            f"the rows shifted by c = {pasteable(e[1])}"
        ),
    ),
    hypothesis_check(
        "softmax_jacobian",
        "symmetric, with rows summing to 0",
        1,
        _ROWS.map(lambda z: (z,)),
        _jacobian_symmetric,
    ),
    hypothesis_check(
        "l2_divergence",
        ">= 0, and 0 when Y equals d",
        1,
        _divergence_inputs("l2"),
        _non_negative_and_zero_at_d("l2_divergence", True),
    ),
    hypothesis_check(
        "bce_divergence",
        ">= 0 for binary targets",
        1,
        _divergence_inputs("bce"),
        _non_negative_and_zero_at_d("bce_divergence", False),
    ),
    hypothesis_check(
        "kl_divergence",
        ">= 0, and 0 at Y = d",
        1,
        _divergence_inputs("probability"),
        _non_negative_and_zero_at_d("kl_divergence", True),
    ),
    hypothesis_check(
        "cross_entropy",
        "equals KL for one-hot d",
        1,
        _divergence_inputs("one-hot"),
        _cross_entropy_is_kl_for_one_hot,
    ),
    hypothesis_check(
        "softmax_cross_entropy",
        "equals cross_entropy of softmax",
        1,
        _logits(),
        _softmax_cross_entropy,
    ),
    hypothesis_check(
        "empirical_risk",
        "the mean divergence for every name and batch size",
        1,
        _risk_inputs(),
        _risk_is_the_mean,
    ),
    hypothesis_check(
        "forward",
        "matches the reference on random networks",
        1,
        networks(max_layers=3, max_width=4, max_rows=3),
        _forward_matches,
        describe=describe_network("forward"),
    ),
    hypothesis_check(
        "gradient_descent_step",
        "new = old - eta * gradient, any eta and shapes",
        1,
        _step_inputs(),
        _step_is_linear,
        describe=lambda e: f"gradient_descent_step{pasteable(tuple(e))}",
    ),
    hypothesis_check(
        "train",
        "losses[0] is the starting risk and losses fall on a convex problem",
        1,
        _convex_problems(),
        _train_descends,
        describe=_describe_train,
        max_examples=6,
    ),
]
