"""Problems: the named groups of functions reports are grouped by."""

from __future__ import annotations

import pytest

from assignments.hw1_checks import FUNCTIONS, RUBRIC
from checker import Assignment, Check, CheckResult, Status


def _assignment(problems=None) -> Assignment:
    checks = tuple(
        Check(f"{name}: works", name, 1, lambda context: None) for name in "abc"
    )
    return Assignment("toy", "a toy", ("a", "b", "c"), checks, problems=problems or {})


def test_without_problems_each_function_is_one():
    toy = _assignment()
    assert toy.problems == {"a": ("a",), "b": ("b",), "c": ("c",)}
    assert toy.problem_of("b") == "b"


@pytest.mark.parametrize(
    "problems, message",
    [
        ({"one": ("a", "b"), "two": ("b", "c")}, "functions in two problems: ['b']"),
        ({"one": ("a", "b", "c", "d")}, "functions the assignment does not have"),
        ({"one": ("a", "b")}, "functions in no problem: ['c']"),
    ],
    ids=["twice", "stranger", "left-out"],
)
def test_problems_must_split_the_functions(problems, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        _assignment(problems)


def test_hw1_problems_follow_the_handout(hw1):
    grouped = [f for functions in hw1.problems.values() for f in functions]
    assert tuple(grouped) == FUNCTIONS
    points = {
        problem: sum(RUBRIC[f] for f in functions)
        for problem, functions in hw1.problems.items()
    }
    assert points == {
        "activations": 20,
        "softmax": 12,
        "divergences": 32,
        "risk": 4,
        "forward": 8,
        "backward": 14,
        "training": 10,
    }


def test_select_takes_problems_and_functions(hw1):
    assert hw1.select(["training"]) == {"gradient_descent_step", "train"}
    assert hw1.select(["sigmoid", "risk"]) == {"sigmoid", "empirical_risk"}
    # A name that is both stands for the problem.
    assert hw1.select(["softmax"]) == {"softmax", "softmax_jacobian"}
    with pytest.raises(ValueError) as error:
        hw1.select(["sigmoid", "convolution"])
    text = str(error.value)
    assert text.startswith(
        "unknown problem 'convolution'; known problems: activations,"
    )
    assert text.endswith("gradient_descent_step, train")


def test_a_result_belongs_to_its_functions_problem_unless_told():
    plain = CheckResult("relu: ok", "relu", 1, 1, Status.PASSED)
    assert plain.problem == "relu"
    grouped = CheckResult(
        "relu: ok", "relu", 1, 1, Status.PASSED, problem="activations"
    )
    assert grouped.problem == "activations"
