"""Grading real submissions end to end: the handout, correct and buggy files."""

from __future__ import annotations

import re

import pytest
from bugs import BUGS, CONTRACT, apply
from conftest import HANDOUT, SUBMISSIONS, edit, typical_source

from assignments.hw1_checks import RUBRIC
from checker import Status, grade
from checker.sandbox import Limits

CORRECT = ["correct_loops.py", "correct_stable.py", "correct_typical.py"]


def lost_points(report) -> set[str]:
    return {
        f for f, (earned, possible) in report.by_function().items() if earned < possible
    }


def test_the_rubric_totals_100_and_covers_every_function(hw1):
    assert hw1.total_points == 100
    assert hw1.points_by_function() == RUBRIC
    assert set(RUBRIC) == set(CONTRACT)
    for check in hw1.checks:
        assert check.name.startswith(check.function + ": ")


def test_the_handout_documents_the_rubric():
    text = HANDOUT.read_text(encoding="utf-8")
    docstring = text.split('"""')[1]
    table = dict(
        (name, int(points))
        for name, points in re.findall(r"^\s+([a-z_0-9]+)\s+(\d+)\s*$", docstring, re.M)
    )
    assert table == RUBRIC


def test_the_untouched_handout_scores_zero_with_every_check_not_implemented(hw1):
    report = grade(HANDOUT, hw1)
    assert report.score == 0
    assert report.max_score == 100
    assert {r.status for r in report.results} == {Status.NOT_IMPLEMENTED}
    assert report.load_error is None


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_submission_scores_100(hw1, name):
    report = grade(SUBMISSIONS / name, hw1)
    failed = [(r.name, r.message) for r in report.results if not r.passed]
    assert failed == []
    assert report.score == 100


def test_grading_twice_gives_the_same_results(hw1, write_submission):
    path = write_submission(apply(BUGS[0], typical_source()))
    first, second = grade(path, hw1), grade(path, hw1)

    def strip(report):
        return [(r.name, r.score, r.status, r.message) for r in report.results]

    assert strip(first) == strip(second)


@pytest.mark.parametrize("bug", BUGS, ids=[b.id for b in BUGS])
def test_a_bug_costs_points_where_it_is_and_nowhere_else(hw1, write_submission, bug):
    report = grade(write_submission(apply(bug, typical_source())), hw1)
    lost = lost_points(report)
    assert bug.broken <= lost, f"not caught in {sorted(bug.broken - lost)}"
    innocent = lost - bug.broken - bug.callers
    assert not innocent, f"points lost in untouched functions {sorted(innocent)}"
    # Callers are graded with the reference answering for the broken function,
    # so the bug costs its points once.
    assert lost == bug.broken, f"callers charged too: {sorted(lost - bug.broken)}"
    for r in report.results:
        if not r.passed:
            assert r.message, f"{r.name} failed without an explanation"


# Broken submissions: what goes wrong, which functions it affects, how they fail.
BROKEN = [
    pytest.param(
        lambda s: s + "\ndef oops(:\n    pass\n",
        set(CONTRACT),
        Status.NOT_LOADED,
        "SyntaxError",
        id="syntax-error",
    ),
    pytest.param(
        lambda s: edit(
            s, "import numpy as np\n", "import numpy as np\nimport torch_x\n"
        ),
        set(CONTRACT),
        Status.NOT_LOADED,
        "ModuleNotFoundError: No module named 'torch_x'",
        id="import-error",
    ),
    pytest.param(
        lambda s: (
            edit(s, "import numpy as np\n", "import numpy as np\nimport sys\n")
            + "\nsys.exit(0)\n"
        ),
        set(CONTRACT),
        Status.NOT_LOADED,
        "SystemExit while being loaded",
        id="sys-exit-at-import",
    ),
    pytest.param(
        lambda s: edit(s, "def gradient_descent_step(", "def gradient_step("),
        {"gradient_descent_step", "train"},
        None,
        "does not define gradient_descent_step",
        id="missing-function",
    ),
    pytest.param(
        lambda s: edit(s, "np.outer(s[n], s[n])", "np.outer(s[n], s[n + 1])"),
        {"softmax_jacobian", "backward", "train"},
        Status.ERROR,
        "softmax_jacobian raised IndexError: index",
        id="exception",
    ),
    pytest.param(
        lambda s: edit(
            s, "    return np.ones_like(z, dtype=float)", "    return [1.0] * len(z)"
        ),
        {"identity_derivative", "backward", "train"},
        None,
        "expected an ndarray",
        id="wrong-type",
    ),
    pytest.param(
        lambda s: edit(
            s,
            "    return 0.5 * np.sum((Y - d) ** 2, axis=1)",
            "    return 0.5 * np.sum((Y - d) ** 2, axis=1, keepdims=True)",
        ),
        {"l2_divergence", "empirical_risk", "train"},
        None,
        "expected shape",
        id="wrong-shape",
    ),
    pytest.param(
        lambda s: edit(
            s,
            "    return np.tanh(np.asarray(z, dtype=float))",
            "    z = np.asarray(z, dtype=float)\n"
            "    return (np.exp(2 * z) - 1) / (np.exp(2 * z) + 1)",
        ),
        {"tanh"},
        None,
        "got nan",
        id="nan-output",
    ),
    pytest.param(
        lambda s: edit(
            s,
            "    s = sigmoid(z)\n    return s * (1 - s)",
            "    while True:\n        pass",
        ),
        {"sigmoid_derivative", "backward", "train"},
        Status.TIMED_OUT,
        "timed out after 1 s",
        id="infinite-loop",
    ),
    pytest.param(
        lambda s: edit(
            s, "import numpy as np\n", "import os\n\nimport numpy as np\n"
        ).replace("    # the d log d part doesn't depend on Y\n", "    os._exit(7)\n"),
        {"kl_divergence_derivative", "backward", "train"},
        Status.CRASHED,
        "exited with status 7",
        id="process-exit",
    ),
]


@pytest.mark.parametrize("change, affected, status, text", BROKEN)
def test_a_broken_submission_fails_only_what_it_affects(
    hw1, write_submission, change, affected, status, text
):
    path = write_submission(change(typical_source()))
    report = grade(path, hw1, Limits(call_seconds=1.0))
    lost = lost_points(report)
    assert lost <= affected, f"unexpected losses in {sorted(lost - affected)}"
    first = min(affected, key=CONTRACT.index)
    own = [r for r in report.results if r.function == first and not r.passed]
    assert own, f"{first} kept all its points"
    messages = "\n".join(r.message for r in report.results if not r.passed)
    assert text in messages
    assert "Traceback" not in messages
    if status is not None:
        assert status in {r.status for r in own}
    if status is Status.NOT_LOADED:
        assert report.load_error and text in report.load_error


def test_a_float32_submission_is_judged_at_float32_precision(hw1, write_submission):
    source = typical_source().replace("dtype=float)", "dtype=np.float32)")
    source = source.replace("astype(float)", "astype(np.float32)")
    assert source.count("float32") > 20
    report = grade(write_submission(source), hw1)
    failed = [(r.name, r.message) for r in report.results if not r.passed]
    assert failed == []
    assert any("float32 precision" in note for note in report.notes)


def test_a_float32_submission_with_a_bug_still_loses_its_points(hw1, write_submission):
    bug = next(b for b in BUGS if b.id == "sigmoid_derivative_of_output")
    source = apply(bug, typical_source()).replace("dtype=float)", "dtype=np.float32)")
    report = grade(write_submission(source), hw1)
    assert "sigmoid_derivative" in lost_points(report)
    assert lost_points(report) <= bug.broken | bug.callers


def test_a_risk_that_forgets_the_mean_is_a_student_error_not_a_grader_error(
    hw1, write_submission
):
    source = edit(typical_source(), "return float(np.mean(values))", "return values")
    report = grade(write_submission(source), hw1)
    assert Status.INTERNAL not in {r.status for r in report.results}
    assert "empirical_risk" in lost_points(report)
    messages = "\n".join(r.message for r in report.results if not r.passed)
    assert "expected a float, got an ndarray of shape" in messages


ZEROS = """
import numpy as np

def _zeros(z, *rest):
    return np.zeros_like(np.asarray(z, dtype=float))

def _per_sample(Y, d):
    return np.zeros(len(Y))

identity = sigmoid = tanh = relu = softmax = _zeros
identity_derivative = sigmoid_derivative = tanh_derivative = relu_derivative = _zeros
l2_divergence = bce_divergence = kl_divergence = cross_entropy = _per_sample
softmax_cross_entropy = _per_sample
l2_divergence_derivative = bce_divergence_derivative = _zeros
kl_divergence_derivative = cross_entropy_derivative = _zeros
softmax_cross_entropy_derivative = _zeros

def softmax_jacobian(z):
    N, L = np.shape(z)
    return np.zeros((N, L, L))

def empirical_risk(Y, d, divergence):
    return 0.0

def forward(X, weights, biases, activations):
    return [(np.zeros((len(X), len(b))),) * 2 for b in biases]

def backward(X, d, weights, biases, activations, divergence):
    return [np.zeros_like(W) for W in weights], [np.zeros_like(b) for b in biases]

def gradient_descent_step(weights, biases, dweights, dbiases, eta):
    return list(weights), list(biases)

def train(X, d, weights, biases, activations, divergence, eta, epochs):
    return list(weights), list(biases), [0.0] * epochs
"""


def test_zeros_everywhere_earns_next_to_nothing(hw1, write_submission):
    report = grade(write_submission(ZEROS), hw1)
    passed = [r.name for r in report.results if r.passed]
    # identity_derivative is not zero, so nothing trivial passes but the few
    # checks where zero is the right answer (relu_derivative of negatives...).
    assert report.score <= 5, passed


def test_a_caller_graded_with_the_reference_says_so(hw1, write_submission):
    bug = next(b for b in BUGS if b.id == "sigmoid_derivative_of_output")
    report = grade(write_submission(apply(bug, typical_source())), hw1)
    notes = [r.message for r in report.results if r.function == "backward"]
    assert any(
        "passed with the reference sigmoid_derivative answering in place of yours"
        in note
        for note in notes
    )
    assert report.by_function()["backward"] == (14.0, 14.0)
    assert report.by_function()["train"] == (6.0, 6.0)
    assert report.by_function()["forward"] == (8.0, 8.0)


def test_a_failing_property_shows_a_pasteable_falsifying_example(hw1, write_submission):
    bug = next(b for b in BUGS if b.id == "softmax_no_max_shift")
    report = grade(
        write_submission(apply(bug, typical_source())), hw1, functions={"softmax"}
    )
    (failure,) = [
        r
        for r in report.results
        if r.name == "softmax: rows sum to one, finite up to 1e5"
    ]
    first_line = failure.message.splitlines()[0]
    assert first_line.startswith("falsifying example: softmax(np.array([[")
    call = first_line.removeprefix("falsifying example: ")
    import numpy as np  # the example must run as written

    argument = eval(call[len("softmax(") : -1], {"np": np})
    assert isinstance(argument, np.ndarray) and np.abs(argument).max() >= 1000
    assert (
        "must be finite" in failure.message or "probability vector" in failure.message
    )


def test_the_same_file_graded_twice_gives_identical_text(hw1, write_submission):
    from checker import render_gradescope, render_terminal

    bug = next(b for b in BUGS if b.id == "backward_derivative_at_output")
    path = write_submission(apply(bug, typical_source()))
    first, second = (grade(path, hw1, secret="key") for _ in range(2))
    for report in (first, second):
        report.execution_time = 0.0
        for i, r in enumerate(report.results):
            report.results[i] = r.__class__(**{**r.__dict__, "seconds": 0.0})
    assert render_terminal(first) == render_terminal(second)
    assert render_gradescope(first) == render_gradescope(second)
    assert not (path.parent / ".hypothesis").exists()


def test_hidden_checks_run_only_with_the_secret(hw1, write_submission):
    bug = next(b for b in BUGS if b.id == "softmax_no_max_shift")
    path = write_submission(apply(bug, typical_source()))
    public = grade(path, hw1, functions={"softmax"})
    assert public.hidden_not_run > 0
    assert not any(r.hidden for r in public.results)

    hidden = grade(path, hw1, functions={"softmax"}, secret="instructor key")
    twins = [r for r in hidden.results if r.hidden]
    assert len(twins) == public.hidden_not_run
    assert all(r.max_score == 0 for r in twins)
    assert hidden.max_score == public.max_score
    failed = [r for r in twins if not r.passed]
    assert failed, "the hidden inputs include large entries too"
    for r in failed:
        # Nothing of the hidden inputs leaks: no values, no example.
        assert "expected" not in r.message and "np.array" not in r.message
    other = grade(path, hw1, functions={"softmax"}, secret="another key")
    assert [r.name for r in other.results] == [r.name for r in hidden.results]


@pytest.mark.parametrize("secret", ["course key 1", "course key 2"])
@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_submission_scores_100_on_hidden_inputs_too(hw1, name, secret):
    report = grade(SUBMISSIONS / name, hw1, secret=secret)
    failed = [(r.name, r.message) for r in report.results if not r.passed]
    assert failed == []
    assert any(r.hidden for r in report.results)


def test_a_hanging_callee_costs_only_its_own_points(hw1, write_submission):
    source = edit(
        typical_source(),
        "    s = sigmoid(z)\n    return s * (1 - s)",
        "    while True:\n        pass",
    )
    report = grade(write_submission(source), hw1, Limits(call_seconds=1.0))
    assert lost_points(report) == {"sigmoid_derivative"}


def test_a_stub_bound_to_two_names_earns_nothing_for_either(hw1, write_submission):
    source = typical_source() + (
        "\n\ndef _todo(*args):\n    raise NotImplementedError\n\n\n"
        "kl_divergence = cross_entropy = _todo\n"
    )
    report = grade(
        write_submission(source), hw1, functions={"kl_divergence", "cross_entropy"}
    )
    assert report.score == 0
