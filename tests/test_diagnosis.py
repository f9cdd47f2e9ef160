"""Each kind of diagnosis, triggered by a submission built to show it."""

from __future__ import annotations

import numpy as np
import pytest
from bugs import BUGS, apply
from conftest import edit, typical_source

from checker import grade
from checker.diagnose import Misconception, case_pattern, diagnose


def _bug(name):
    return lambda source: apply(next(b for b in BUGS if b.id == name), source)


def _edit(old, new):
    return lambda source: edit(source, old, new)


DIAGNOSES = [
    pytest.param(
        _bug("backward_missing_1_over_n"),
        "backward",
        "off by a factor of N = 4, the batch size",
        id="factor-N",
    ),
    pytest.param(
        _bug("cross_entropy_derivative_over_n"),
        "cross_entropy_derivative",
        "off by a factor of 1/N",
        id="factor-1/N",
    ),
    pytest.param(
        _bug("l2_missing_half"), "l2_divergence", "off by a factor of 2", id="factor-2"
    ),
    pytest.param(
        _edit("    return Y - d\n", "    return 0.5 * (Y - d)\n"),
        "l2_divergence_derivative",
        "off by a factor of 1/2",
        id="factor-1/2",
    ),
    pytest.param(
        _bug("l2_derivative_sign_flipped"),
        "l2_divergence_derivative",
        "the sign is flipped",
        id="sign",
    ),
    pytest.param(
        _bug("weight_gradient_transposed"),
        "backward",
        "right but transposed",
        id="transposed",
    ),
    pytest.param(
        _edit(
            "    return 0.5 * np.sum((Y - d) ** 2, axis=1)",
            "    return 0.5 * np.sum((Y - d) ** 2, axis=1, keepdims=True)",
        ),
        "l2_divergence",
        "shape is (2, 1) instead of (2,)",
        id="column",
    ),
    pytest.param(
        _edit(
            "    return 0.5 * np.sum((Y - d) ** 2, axis=1)",
            "    return 0.5 * np.sum((Y - d) ** 2, axis=1) * np.ones((len(Y), 1))",
        ),
        "l2_divergence",
        "broadcast to (2, 2)",
        id="broadcast",
    ),
    pytest.param(
        _bug("softmax_no_max_shift"),
        "softmax",
        "only where the input is large",
        id="nan-large",
    ),
    pytest.param(
        _edit("    return (z > 0).astype(float)", "    return (z / np.abs(z) + 1) / 2"),
        "relu_derivative",
        "only where the input is exactly 0",
        id="nan-zero",
    ),
    pytest.param(
        _edit("    return e / e.sum(axis=1, keepdims=True)", "    return e / e.sum()"),
        "softmax",
        "right for a batch of one only",
        id="batch-of-one",
    ),
    pytest.param(
        _edit(
            "    return Y - d\n", "    return (Y - d).reshape(Y.shape[1], Y.shape[0])\n"
        ),
        "l2_divergence_derivative",
        "right on square shapes only",
        id="square",
    ),
    pytest.param(
        _bug("relu_derivative_one_at_zero"),
        "relu_derivative",
        "except where the input is exactly 0",
        id="zero-only",
    ),
    pytest.param(
        _bug("sigmoid_derivative_of_output"),
        "sigmoid_derivative",
        "evaluated at the output sigmoid(z) instead of at z",
        id="sigmoid-at-output",
    ),
    pytest.param(
        _edit(
            "    t = np.tanh(np.asarray(z, dtype=float))\n",
            "    t = np.tanh(np.tanh(np.asarray(z, dtype=float)))\n",
        ),
        "tanh_derivative",
        "evaluated at the output tanh(z)",
        id="tanh-at-output",
    ),
    pytest.param(
        _bug("tanh_derivative_plus"),
        "tanh_derivative",
        "1 + tanh(z)**2",
        id="tanh-plus",
    ),
    pytest.param(
        _bug("softmax_jacobian_diagonal_only"),
        "softmax_jacobian",
        "only the diagonal",
        id="diagonal-jacobian",
    ),
    pytest.param(
        _bug("empirical_risk_sum"),
        "empirical_risk",
        "summed over the batch instead of averaged",
        id="risk-summed",
    ),
    pytest.param(
        _edit(
            "    return softmax(Z) - d\n",
            "    return np.einsum('ni,nij->nj', softmax(Z) - d, softmax_jacobian(Z))\n",
        ),
        "softmax_cross_entropy_derivative",
        "shortcut softmax(Z) - d multiplied",
        id="shortcut-twice",
    ),
    pytest.param(
        _edit(
            '            delta = np.einsum("ni,nij->nj", dY, softmax_jacobian(Z))',
            '            delta = np.einsum("ni,nij->nj", (Y - d) / N, '
            "softmax_jacobian(Z))",
        ),
        "backward",
        "shortcut Y - d at a softmax output",
        id="backward-shortcut-twice",
    ),
    pytest.param(
        _bug("backward_derivative_at_output"),
        "backward",
        "evaluated at the layer outputs Y_k",
        id="backward-at-output",
    ),
]


@pytest.mark.parametrize("change, function, hint", DIAGNOSES)
def test_each_diagnosis_is_shown_for_a_submission_that_has_it(
    hw1, write_submission, change, function, hint
):
    report = grade(
        write_submission(change(typical_source())), hw1, functions={function}
    )
    messages = [
        r.message for r in report.results if r.function == function and not r.passed
    ]
    assert messages, f"{function} lost no points"
    assert any(hint in m for m in messages), messages[0]


def test_hints_never_carry_expected_values():
    expected = np.array([0.123456, 0.654321])
    hints = diagnose(-expected, expected) + diagnose(expected[::-1].copy(), expected)
    assert hints == ["the values are the sign is flipped (off by a factor of -1)"]
    for hint in hints:
        assert "0.12" not in hint and "0.65" not in hint


def test_a_misconception_equal_to_the_right_answer_is_not_claimed():
    same = Misconception("f", "a mistake that changes nothing here", lambda z: z)
    assert (
        diagnose(np.ones(2) * 3, np.ones(2), misconceptions=[same], args=(np.ones(2),))
        == []
    )


def test_case_patterns():
    one, square, other = frozenset({"batch of one"}), frozenset({"square"}), frozenset()
    assert "batch of one only" in case_pattern([one], [square, other])
    assert "square shapes only" in case_pattern([square], [one, other])
    assert case_pattern([one, other], [square]) is None
    assert case_pattern([], [one]) is None
