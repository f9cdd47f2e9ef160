"""A second assignment, written as the authoring guide says, graded for real.

The test writes, in a temporary folder, everything an instructor writes for a
new assignment: a reference, a checks file with a rubric, problems and
limits, and two submissions; then grades them through the command line with
``--assignment PATH``, as the guide shows.
"""

from __future__ import annotations

import json
from pathlib import Path

from checker.cli import main

REFERENCE = '''
"""Reference of hw2: a leaky relu and its derivative."""

import numpy as np


def leaky_relu(z, alpha=0.01):
    return np.where(z > 0, z, alpha * z)


def leaky_relu_derivative(z, alpha=0.01):
    return np.where(z > 0, 1.0, alpha)
'''

CHECKS = '''
"""Checks and rubric of hw2."""

import numpy as np

import hw2_reference as ref
from checker.assignment import Assignment
from checker.checks import (
    Case,
    FunctionSpec,
    derivative_check,
    property_check,
    values_check,
)
from checker.compare import CheckFailed

LEAKY = FunctionSpec("leaky_relu", ("z",), ref.leaky_relu)
LEAKY_DERIVATIVE = FunctionSpec(
    "leaky_relu_derivative", ("z",), ref.leaky_relu_derivative
)


def fixed(rng):
    return [Case("a fixed batch", (np.array([[-2.0, -0.5, 0.5, 3.0]]),))]


def drawn(rng):
    z = rng.uniform(0.1, 3.0, size=(4, 5)) * rng.choice([-1.0, 1.0], size=(4, 5))
    return [Case("a random batch", (z,)), Case("a batch of one", (z[:1],))]


def keeps_the_sign(ctx):
    z = ctx.rng.normal(size=(3, 4))
    got = np.asarray(ctx.call("leaky_relu", z))
    if np.any(np.sign(got) != np.sign(z)):
        raise CheckFailed("leaky_relu(z) must have the sign of z")


ASSIGNMENT = Assignment(
    name="hw2",
    title="hw2: a leaky relu",
    functions=("leaky_relu", "leaky_relu_derivative"),
    checks=(
        values_check(LEAKY, "matches the reference on fixed inputs", 2, fixed),
        values_check(LEAKY, "matches the reference on random inputs", 2, drawn),
        property_check("leaky_relu", "keeps the sign of z", 1, keeps_the_sign),
        values_check(
            LEAKY_DERIVATIVE,
            "matches the reference",
            2,
            drawn,
            derivative_of=(LEAKY, "elementwise"),
        ),
        derivative_check(
            LEAKY_DERIVATIVE, LEAKY, 3, drawn, layout="elementwise"
        ),
    ),
    seed=7,
    calls={"leaky_relu_derivative": frozenset()},
    answers={"leaky_relu": ref.leaky_relu},
    problems={"activation": ("leaky_relu", "leaky_relu_derivative")},
    limits={"call_seconds": 2},
)
'''

RIGHT = """
import numpy as np


def leaky_relu(z):
    return np.maximum(z, 0.01 * z)


def leaky_relu_derivative(z):
    return np.where(z > 0, 1.0, 0.01)
"""

WRONG_DERIVATIVE = RIGHT.replace(
    "np.where(z > 0, 1.0, 0.01)", "np.where(z > 0, 1.0, 0.0)"
)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_new_assignment_in_its_own_folder_grades_submissions(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    _write(course, "hw2_reference.py", REFERENCE)
    checks = _write(course, "hw2_checks.py", CHECKS)
    right = _write(tmp_path, "hw2.py", RIGHT)
    wrong = _write(tmp_path, "hw2_wrong.py", WRONG_DERIVATIVE)
    results = tmp_path / "results.json"

    status = main([str(right), "--assignment", str(checks), "--json", str(results)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert out.rstrip().splitlines()[-1].startswith("Total: 10/10 (5 of 5 checks")
    document = json.loads(results.read_text())
    assert document["score"] == 10
    assert [t["name"] for t in document["tests"]][0] == (
        "leaky_relu: matches the reference on fixed inputs"
    )

    status = main([str(wrong), "--assignment", str(checks), "-q"])
    out = capsys.readouterr().out
    assert status == 1
    # Only the derivative's points are lost: 2 + 3 of 10.
    assert out.startswith("Total: 5/10")


def test_a_checks_file_that_fails_to_load_is_one_line(tmp_path, capsys):
    broken = _write(tmp_path, "hw3_checks.py", "import nothing_of_that_name\n")
    submission = _write(tmp_path, "hw3.py", "x = 1\n")
    status = main([str(submission), "--assignment", str(broken)])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1
    assert "the checks of" in error and "ModuleNotFoundError" in error
    empty = _write(tmp_path, "hw4_checks.py", "X = 1\n")
    assert main([str(submission), "--assignment", str(empty)]) == 2
    assert "defines no ASSIGNMENT" in capsys.readouterr().err
