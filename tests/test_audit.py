"""The check audit: mutants of the reference, graded, and compared with it."""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest
from conftest import ROOT, edit, run_checker, typical_source

from checker.audit import (
    AuditReport,
    MutantResult,
    Verdict,
    audit_mutant,
    compare_module,
    load_target,
    render_audit,
)
from checker.grader import grade
from checker.mutate import OPERATORS, Mutant, inline_package, mutants_of

SAMPLE = '''\
import numpy as np


def f(x, y, N, k, layers):
    """Docstring: 1 + 2 is not code."""
    a = x + y
    b = -x * 2
    s = np.mean(x, axis=0)
    m = np.maximum(x, 0.5)
    t = x.T @ y
    if k > 1:
        raise ValueError(f"k={k + 1} is too big")
    for i in range(k):
        pass
    q = x.sum(axis=-1, keepdims=True) / N
    return layers[k - 1] - 1


LEFT_ALONE = 1 + 2
'''


@pytest.fixture(scope="module")
def sample_mutants():
    return mutants_of(SAMPLE, "sample.py")


# --------------------------------------------------------------------------
# The mutants


def test_every_operator_has_mutants_on_the_sample(sample_mutants):
    made = {m.operator for m in sample_mutants}
    assert made == set(OPERATORS)


@pytest.mark.parametrize(
    "description",
    [
        "sample.py:6 f: `x + y` -> `x - y`",
        "sample.py:6 f: `x + y` -> `-(x + y)`",
        "sample.py:6 f: `x + y` -> `y`",
        "sample.py:7 f: `-x` -> `x`",
        "sample.py:7 f: `-x * 2` -> `-x * 1`",
        "sample.py:8 f: `axis=0` -> `axis=1`",
        "sample.py:8 f: `np.mean(x, axis=0)` -> `np.sum(x, axis=0)`",
        "sample.py:9 f: `np.maximum(x, 0.5)` -> `np.minimum(x, 0.5)`",
        "sample.py:9 f: `np.maximum(x, 0.5)` -> `np.maximum(x, 1.0)`",
        "sample.py:10 f: `x.T` -> `x`",
        "sample.py:10 f: `x.T @ y` -> `x.T @ y.T`",
        "sample.py:11 f: `k > 1` -> `k >= 1`",
        "sample.py:13 f: `range(k)` -> `range(k - 1)`",
        "sample.py:13 f: `range(k)` -> `range(k + 1)`",
        "sample.py:15 f: `x.sum(axis=-1, keepdims=True)` -> `x.sum(axis=-1)`",
        "sample.py:15 f: `axis=-1` -> `axis=0`",
        "sample.py:15 f: `x.sum(axis=-1, keepdims=True) / N` -> "
        "`x.sum(axis=-1, keepdims=True)`",
        "sample.py:16 f: `layers[k - 1]` -> `layers[k - 1 - 1]`",
        "sample.py:16 f: `layers[k - 1]` -> `layers[k - 1 + 1]`",
        "sample.py:16 f: `layers[k - 1] - 1` -> `layers[k - 1] - 0`",
    ],
)
def test_a_mutant_is_one_readable_change(sample_mutants, description):
    assert description in [m.description for m in sample_mutants]


def test_docstrings_messages_and_module_code_are_left_alone(sample_mutants):
    original = ast.unparse(ast.parse(SAMPLE))
    for mutant in sample_mutants:
        assert "1 + 2 is not code" in mutant.source
        assert "k={k + 1} is too big" in mutant.source
        assert "LEFT_ALONE = 1 + 2" in mutant.source
        assert mutant.source != original
        compile(mutant.source, mutant.path, "exec")
    texts = [m.source for m in sample_mutants]
    assert len(set(texts)) == len(texts)
    # A constant inside an index or an axis is left to their own operators.
    assert not any(m.after in ("axis=-0", "layers[k - 0]") for m in sample_mutants)


def test_an_unknown_operator_is_refused():
    with pytest.raises(ValueError, match="unknown mutation operator"):
        mutants_of(SAMPLE, "sample.py", operators=("swap everything",))


def test_the_reference_gives_mutants_of_every_kind():
    mutants = load_target("hw1").mutants()
    assert {m.operator for m in mutants} == set(OPERATORS)
    descriptions = [m.description for m in mutants]
    assert len(set(descriptions)) == len(descriptions)
    assert (
        "reference/network.py:137 _gradients: "
        "`div_derivative(layers[-1][1], d) / X.shape[0]` -> "
        "`div_derivative(layers[-1][1], d)`" in descriptions
    )


@pytest.mark.parametrize(
    "function, reaching",
    [
        ("_gradients", {"backward", "train"}),
        ("log_softmax", {"softmax_cross_entropy"}),
        # forward reaches the activations through the ACTIVATIONS table.
        ("sigmoid", {"sigmoid", "sigmoid_derivative", "forward", "backward", "train"}),
    ],
)
def test_a_change_reaches_the_public_functions_that_call_it(function, reaching):
    assert load_target("hw1").reaching(function) == reaching


# --------------------------------------------------------------------------
# One file from the reference


def _namespace(text: str) -> dict:
    namespace: dict = {"__name__": "inlined"}
    exec(compile(text, "inlined.py", "exec"), namespace)
    return namespace


def test_the_inlined_reference_is_the_reference(hw1):
    import reference as ref

    target = load_target("hw1")
    namespace = _namespace(inline_package(target.package))
    assert set(target.functions) <= set(namespace["__all__"])
    compared, differences = compare_module(namespace, ref, target.inputs())
    assert differences == []
    assert compared == 120 * len(hw1.functions)


def test_the_inlined_reference_earns_full_marks_in_a_confined_worker(
    hw1, write_submission
):
    path = write_submission(inline_package(load_target("hw1").package))
    report = grade(path, hw1)
    assert report.score == report.max_score == 100, [
        r.message for r in report.results if not r.passed
    ]


def test_two_different_definitions_of_a_name_cannot_share_a_file(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("__all__ = ['f']\n")
    (package / "a.py").write_text("def f():\n    return 1\n")
    (package / "b.py").write_text("def f():\n    return 2\n")
    with pytest.raises(ValueError, match="f is defined differently"):
        inline_package(package)


# --------------------------------------------------------------------------
# The equivalence test


def test_a_function_that_differs_is_named_with_its_difference():
    import reference as ref

    namespace = _namespace(inline_package(load_target("hw1").package))
    namespace["relu"] = lambda z: np.maximum(z, 0.0) + 0.5 * (np.asarray(z) == 0)
    namespace["tanh"] = lambda z: 1 / 0
    namespace["identity"] = lambda z: np.atleast_2d(z)
    inputs = {
        "identity": [(np.zeros(3),)],
        "tanh": [(np.ones(2),)],
        "relu": [(np.array([0.0, 1.0]),), (np.array([-1.0]),)],
        "sigmoid": [(np.zeros(2),)],
    }
    compared, differences = compare_module(namespace, ref, inputs)
    assert compared == 5
    assert differences == [
        "identity (shape (1, 3) where the reference gives (3,))",
        "tanh (raises ZeroDivisionError where the reference does not)",
        "relu (max difference 0.5)",
    ]


def test_a_slow_function_counts_as_different():
    import time

    import reference as ref

    namespace = {"sigmoid": lambda z: time.sleep(5)}
    _, differences = compare_module(
        namespace, ref, {"sigmoid": [(np.zeros(1),)]}, call_seconds=0.2
    )
    assert differences == ["sigmoid (slower than 0.2 s)"]


# --------------------------------------------------------------------------
# Grading mutants


def _mutant_of(module: str, old: str, new: str) -> Mutant:
    """A hand-made mutant of the reference module ``module``."""
    source = (ROOT / "reference" / module).read_text(encoding="utf-8")
    assert source.count(old) == 1
    return Mutant(
        path=f"reference/{module}",
        line=1,
        function="hand-made",
        operator="by hand",
        before=old,
        after=new,
        source=source.replace(old, new),
    )


def test_a_sign_flip_in_sigmoid_is_killed():
    mutant = next(
        m
        for m in load_target("hw1").mutants()
        if m.function == "sigmoid" and m.after == "np.logaddexp(0.0, -z)"
    )
    result = audit_mutant("hw1", mutant)
    assert result.verdict is Verdict.KILLED
    assert result.killed_by.startswith("sigmoid: ")


def test_a_mutant_that_changes_nothing_is_equivalent():
    mutant = _mutant_of(
        "activations.py",
        "return np.tanh(np.asarray(z, dtype=float))",
        "return np.tanh(np.asarray(z, dtype=float)) * 1",
    )
    result = audit_mutant("hw1", mutant)
    assert result.verdict is Verdict.EQUIVALENT
    assert result.describe() == "equivalent on 3000 random inputs"


def test_a_generated_survivor_inside_the_contract_is_equivalent():
    # The targets' rows sum to 1 in the contract, so dividing by their sum
    # changes nothing there.
    mutant = next(
        m
        for m in load_target("hw1").mutants()
        if m.after == "softmax(Z) / d.sum(axis=-1, keepdims=True)"
    )
    assert audit_mutant("hw1", mutant).verdict is Verdict.EQUIVALENT


def test_a_survivor_that_differs_is_reported_as_not_equivalent(monkeypatch):
    # A mutant right wherever the checks run it (in a worker, whose
    # environment is scrubbed) and wrong in the equivalence test, which runs
    # here: a survivor that differs, whatever the checks cover.
    monkeypatch.setenv("NNCHECK_TEST_DIFFERS", "1")
    mutant = _mutant_of(
        "activations.py",
        "return np.tanh(np.asarray(z, dtype=float))",
        "return np.tanh(np.asarray(z, dtype=float)) * (2.0 if "
        "__import__('os').environ.get('NNCHECK_TEST_DIFFERS') else 1.0)",
    )
    result = audit_mutant("hw1", mutant)
    assert result.verdict is Verdict.NOT_EQUIVALENT
    assert result.describe().startswith(
        "NOT equivalent: differs on tanh (max difference "
    )

    report = AuditReport("hw1", [result], mutants_made=1)
    text = render_audit(report)
    assert not report.all_equivalent
    assert re.search(r"\n    NOT equivalent +1\n", text)
    assert "reference/activations.py:1 hand-made: `return np.tanh(" in text
    assert "the checks miss these mistakes" in text


def test_the_report_counts_and_concludes():
    mutant = _mutant_of("activations.py", "return np.tanh(", "return np.tanh(+")
    results = [
        MutantResult(mutant, Verdict.KILLED, killed_by="tanh: matches"),
        MutantResult(mutant, Verdict.EQUIVALENT, inputs=3000),
    ]
    report = AuditReport(
        "hw1", results, mutants_made=9, only=("tanh",), selected=3, sampled=2, jobs=2
    )
    text = render_audit(report)
    assert text.startswith(
        "Check audit of hw1: 9 mutants made, 3 in tanh, 2 drawn (--max 2); "
        "graded 2 in 0.0 s with 2 job(s)\n"
    )
    assert re.search(r"\n  killed +1\n  survived +1\n    equivalent +1\n", text)
    assert "equivalent on 3000 random inputs" in text
    assert "killed by" not in text
    assert "killed by tanh: matches" in render_audit(report, verbose=True)
    assert report.all_equivalent


# --------------------------------------------------------------------------
# What the audit of hw1 found


def test_train_is_checked_for_zero_epochs(hw1, write_submission):
    # The audit's survivor `epochs < 0` -> `epochs <= 0`: a train that
    # refuses zero epochs used to earn full marks.
    source = edit(
        typical_source(),
        "    losses = []\n",
        "    if epochs <= 0:\n"
        "        raise ValueError('epochs must be positive')\n"
        "    losses = []\n",
    )
    report = grade(write_submission(source), hw1, functions={"train"})
    failed = [r for r in report.results if not r.passed]
    assert [r.name for r in failed] == [
        "train: matches the reference on one identity layer with L2, for 5 "
        "epochs and for 0"
    ]
    assert "epochs must be positive" in failed[0].message


# --------------------------------------------------------------------------
# The command line


def test_audit_of_sigmoid_runs_end_to_end():
    result = run_checker("audit", "hw1", "--only", "sigmoid", "--max", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Check audit of hw1: ")
    assert ", 4 in sigmoid; graded 4 in " in result.stdout
    assert re.search(r"\n  killed +4\n  survived +0\n", result.stdout)
    assert "The checks caught every mutant." in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    "arguments, message",
    [
        ([], "the following arguments are required: NAME"),
        (["hw9"], "no audit for assignment 'hw9'; known: hw1"),
        (["hw1", "--jobs", "0"], "argument --jobs: 0 is below 1"),
        (["hw1", "--jobs", "two"], "argument --jobs: 'two' is not a whole number"),
        (["hw1", "--max", "-3"], "argument --max: -3 is below 1"),
        (["hw1", "--only"], "argument --only: expected at least one argument"),
        (["hw1", "--only", "nope"], "--only nope: not a function of reference"),
        (["hw1", "--bogus"], "unrecognized arguments: --bogus"),
    ],
    ids=[
        "no-name",
        "unknown",
        "jobs-0",
        "jobs-text",
        "max-negative",
        "only-empty",
        "only-unknown",
        "unknown-option",
    ],
)
def test_bad_audit_arguments_exit_2_with_one_line(arguments, message):
    result = run_checker("audit", *arguments)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("checker: error: audit: ")
    assert result.stderr.count("\n") == 1 and message in result.stderr
