"""The hypothesis strategies draw what they promise."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.properties import pasteable, pasteable_call
from checker.strategies import (
    batch_shapes,
    binary_rows,
    float_arrays,
    networks,
    one_hot_rows,
    probability_rows,
)

FAST = settings(max_examples=30, deadline=None, database=None)


@FAST
@given(batch_shapes(max_rows=4, max_columns=5))
def test_batch_shapes(shape):
    n, L = shape
    assert 1 <= n <= 4 and 1 <= L <= 5


@FAST
@given(float_arrays((3, 4), -2.0, 2.0, large=(-1000.0, 1000.0)))
def test_float_arrays_stay_in_range_or_take_the_large_values(z):
    assert z.dtype == np.float64 and z.shape == (3, 4)
    ordinary = np.abs(z) <= 2.0
    assert np.all(ordinary | (np.abs(z) == 1000.0))
    assert np.all((z == 0) | (np.abs(z) >= 1e-6))


@FAST
@given(batch_shapes().flatmap(probability_rows))
def test_probability_rows(d):
    assert np.allclose(d.sum(axis=1), 1.0) and np.all(d > 0)


@FAST
@given(batch_shapes().flatmap(one_hot_rows))
def test_one_hot_rows(d):
    assert np.all(d.sum(axis=1) == 1.0) and set(np.unique(d)) <= {0.0, 1.0}


@FAST
@given(batch_shapes().flatmap(binary_rows))
def test_binary_rows(d):
    assert set(np.unique(d)) <= {0.0, 1.0}


@FAST
@given(networks(max_layers=3, max_width=4, max_rows=3))
def test_networks_have_matching_rectangular_layers(net):
    sizes = net.sizes
    assert len(net.weights) == len(net.biases) == len(net.activations) == len(sizes) - 1
    for k, (W, b) in enumerate(zip(net.weights, net.biases)):
        assert W.shape == (sizes[k], sizes[k + 1]) and b.shape == (sizes[k + 1],)
    assert all(a != "softmax" for a in net.activations[:-1])


@FAST
@given(st.lists(float_arrays((2, 2)), min_size=1, max_size=2))
def test_pasteable_values_rebuild_themselves(arrays):
    rebuilt = eval(pasteable(arrays), {"np": np})
    assert all(np.array_equal(a, b) for a, b in zip(rebuilt, arrays))
    assert pasteable_call("f", (arrays[0],)).startswith("f(np.array([[")
