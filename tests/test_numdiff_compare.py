"""Finite differences and the comparison messages."""

from __future__ import annotations

import numpy as np
import pytest

from checker.compare import (
    CheckFailed,
    derivative_mismatch,
    expect_array,
    expect_close,
    expect_float,
    mismatch,
)
from checker.numdiff import central_differences, default_step


def many(f):
    return lambda points: [f(x) for x in points]


def test_the_step_follows_the_coordinate_magnitude_and_is_exact():
    x = np.array([0.0, 1e-3, 2.0, -500.0])
    h = default_step(x)
    np.testing.assert_allclose(h[:2], np.finfo(float).eps ** (1 / 3), rtol=1e-3)
    np.testing.assert_allclose(
        h[2:] / np.abs(x[2:]), np.finfo(float).eps ** (1 / 3), rtol=1e-3
    )
    assert np.all((x + h) - x == h)


@pytest.mark.parametrize(
    "f, derivative, x",
    [
        (np.sin, np.cos, np.array([0.3, -1.2, 2.0])),
        (np.exp, np.exp, np.array([[0.1, 2.0], [-3.0, 5.0]])),
        (lambda x: x**3, lambda x: 3 * x**2, np.array([100.0, -40.0])),
    ],
    ids=["sin", "exp-2d", "cube-large"],
)
def test_central_differences_of_elementwise_functions(f, derivative, x):
    J = central_differences(many(f), x)
    assert J.shape == x.shape + x.shape
    diagonal = J.reshape(x.size, x.size).diagonal().reshape(x.shape)
    error = np.abs(diagonal - derivative(x)) / np.maximum(1, np.abs(derivative(x)))
    assert error.max() < 1e-8
    off_diagonal = J.reshape(x.size, x.size) - np.diag(diagonal.ravel())
    assert np.abs(off_diagonal).max() == 0


def test_the_jacobian_of_a_vector_function_is_laid_out_output_first():
    A = np.arange(6.0).reshape(2, 3)
    J = central_differences(many(lambda x: A @ x), np.ones(3))
    np.testing.assert_allclose(J, A, atol=1e-9)


def test_a_scalar_function_gives_a_gradient_shaped_like_the_input():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    J = central_differences(many(lambda x: float(np.sum(x**2))), x)
    np.testing.assert_allclose(J, 2 * x, atol=1e-8)


def test_a_wrong_number_of_values_is_an_error():
    with pytest.raises(ValueError, match="returned 1 values for 4 points"):
        central_differences(lambda points: [0.0], np.ones(2))


def test_a_mismatch_reads_like_assert_allclose():
    expected = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    got = expected.copy()
    got[1, 2] = 6.5
    text = mismatch(got, expected, "Y")
    assert text.splitlines() == [
        "Y: not equal to tolerance rtol=1e-07, atol=1e-10",
        "  mismatched elements: 1 / 6 (16.7%)",
        "  worst at [1, 2]: expected 6, got 6.5",
        "  max absolute difference: 0.5, max relative difference: 0.0833333",
        "  shape (2, 3)",
    ]
    assert mismatch(expected * (1 + 1e-12), expected, "Y") is None


def test_nan_and_inf_are_reported_with_where_they_are():
    expected = np.array([0.5, 0.25, 0.25])
    text = mismatch(np.array([0.5, np.nan, np.inf]), expected, "softmax(z)")
    assert "got inf/nan in 2 of them, first at [1]: expected 0.25" in text
    assert mismatch(np.array([np.nan]), np.array([np.nan]), "x") is None


@pytest.mark.parametrize(
    "got, expected, message",
    [
        ([1.0, 2.0], np.zeros(2), "expected an ndarray of shape (2,), got a list"),
        (
            np.zeros((3, 2)),
            np.zeros((2, 3)),
            "expected shape (2, 3), got shape (3, 2) (transposed?)",
        ),
        (np.zeros((4, 1)), np.zeros(4), "a trailing axis of length 1"),
        (np.zeros(4), np.zeros((4, 1)), "a trailing axis of length 1"),
    ],
    ids=["list", "transposed", "column", "flat"],
)
def test_wrong_types_and_shapes_are_one_sentence(got, expected, message):
    with pytest.raises(CheckFailed) as failure:
        expect_array(got, expected, "value")
    assert message in failure.value.message
    assert "\n" not in failure.value.message


def test_float32_results_are_compared_at_float32_precision():
    expected = np.array([0.1, 0.2, 0.3])
    expect_array(expected.astype(np.float32), expected, "Y")
    with pytest.raises(CheckFailed, match="compared at the looser tolerance"):
        expect_array((expected + 1e-3).astype(np.float32), expected, "Y")


def test_a_float_must_be_one_number():
    expect_float(np.float64(0.5), 0.5, "risk")
    expect_float(np.array(0.5), 0.5, "risk")
    for bad in (np.array([0.5]), "0.5", True, None):
        with pytest.raises(CheckFailed, match="expected a float"):
            expect_float(bad, 0.5, "risk")


def test_nested_values_are_named_by_their_index():
    expected = [np.zeros(2), (np.ones(1), 1.0)]
    expect_close([np.zeros(2), [np.ones(1), 1.0]], expected, "out")
    with pytest.raises(CheckFailed, match=r"out\[1\]\[1\]"):
        expect_close([np.zeros(2), (np.ones(1), 2.0)], expected, "out")
    with pytest.raises(CheckFailed, match="expected a list of 2 items, got 3 items"):
        expect_close([1, 2, 3], expected, "out")


def test_derivatives_are_judged_against_the_scale_of_their_array():
    numeric = np.array([1000.0, 1e-3])
    # Off by 1e-4 absolute: small against the array's scale of 1000.
    close = numeric + np.array([1e-5, 1e-4])
    assert derivative_mismatch(close, numeric, "g", 1e-6) is None
    text = derivative_mismatch(np.array([1000.0, 2e-3 + 1e-2]), numeric, "g", 1e-6)
    assert "mismatched elements: 1 / 2" in text
    assert "worst at [1]: finite differences 0.001, yours 0.012" in text
    excluded = np.array([False, True])
    assert (
        derivative_mismatch(np.array([1000.0, 5.0]), numeric, "g", 1e-6, 0.0, excluded)
        is None
    )


def test_the_estimates_error_widens_the_bound():
    numeric = np.array([1.0, 2.0])
    analytic = numeric + 1e-3
    assert derivative_mismatch(analytic, numeric, "g", 1e-6) is not None
    assert derivative_mismatch(analytic, numeric, "g", 1e-6, error=1e-3) is None
