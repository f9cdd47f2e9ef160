"""The hw1 fixture submissions and the table of buggy variants built on them.

Three correct submissions (loops, stable formulas, typical vectorized) must
agree with each other and with finite differences of their own functions, and
every bug of ``submissions/bugs.py`` must be a real, well-described bug of
``correct_typical.py``: its snippet is there once, the mutated file compiles,
each function in ``broken`` gives a different answer on some probe input, and
every function outside ``broken | callers`` gives bit-for-bit the same answers.

The probe inputs follow what a grader uses: batches of one and of several,
rectangular layers 4 -> 5 -> 3, exact zeros, entries of +-1000 and 1e5,
one-hot, binary and probability targets, and read-only arrays, so that an
in-place write raises.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

SUBMISSIONS = Path(__file__).parent / "submissions"
CORRECT = ("correct_loops", "correct_stable", "correct_typical")


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_bugs():
    # registered in sys.modules so that the dataclass machinery can find it
    name = "nncheck_fixture_bugs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SUBMISSIONS / "bugs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


bugs = _load_bugs()
CONTRACT = bugs.CONTRACT


@functools.cache
def correct(name: str):
    return _load(SUBMISSIONS / f"{name}.py", f"nncheck_fixture_{name}")


# ---------------------------------------------------------------------------
# Probe inputs: fresh read-only arrays on every call
# ---------------------------------------------------------------------------


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def _one_hot(rng, N: int, L: int) -> np.ndarray:
    return np.eye(L)[rng.integers(0, L, size=N)]


def _probabilities(rng, N: int, L: int) -> np.ndarray:
    e = np.exp(rng.normal(size=(N, L)))
    return e / e.sum(axis=1, keepdims=True)


def _net_cases(seed: int, kink: bool = True) -> list[tuple]:
    """(X, d, weights, biases, activations, divergence) for a few networks.

    With ``kink``, one ReLU network has an input row of zeros and zero first
    biases, so that some first-layer Z are exactly 0.
    """
    rng = np.random.default_rng(seed)

    def params(sizes):
        pairs = zip(sizes[:-1], sizes[1:], strict=False)
        weights = [_ro(rng.normal(size=(a, b))) for a, b in pairs]
        biases = [_ro(0.3 * rng.normal(size=b)) for b in sizes[1:]]
        return weights, biases

    cases = []
    for acts, div, N, sizes in [
        (["sigmoid", "softmax"], "cross_entropy", 5, (4, 5, 3)),
        (["tanh", "softmax"], "kl", 5, (4, 5, 3)),
        (["relu", "identity"], "l2", 5, (4, 5, 3)),
        (["tanh", "sigmoid"], "bce", 5, (4, 5, 3)),
        (["softmax", "identity"], "l2", 5, (4, 5, 3)),
        (["sigmoid", "softmax"], "l2", 1, (4, 5, 3)),
        (["relu", "softmax"], "cross_entropy", 1, (4, 5, 3)),
        (["tanh", "relu", "softmax"], "cross_entropy", 4, (4, 5, 5, 3)),
    ]:
        weights, biases = params(sizes)
        X = rng.normal(size=(N, sizes[0]))
        L = sizes[-1]
        if div == "l2":
            d = rng.normal(size=(N, L))
        elif div == "bce":
            d = rng.integers(0, 2, size=(N, L)).astype(float)
        elif div == "kl":
            d = _probabilities(rng, N, L)
        else:
            d = _one_hot(rng, N, L)
        if kink and acts[0] == "relu" and N > 1:
            X[0] = 0.0
            biases[0] = _ro(np.zeros(sizes[1]))
        cases.append((_ro(X), _ro(d), weights, biases, acts, div))
    return cases


def probes(seed: int = 0) -> dict[str, list[tuple]]:
    """Argument tuples for every contract function."""
    rng = np.random.default_rng(seed)
    big = [[0.0, 1.0, -2.0, 0.5], [1000.0, -1000.0, 3.0, -0.25]]
    z_cases = [_ro(big), _ro(3 * rng.normal(size=(3, 5))), _ro([0.0, -1.5, 2.0])]
    softmax_cases = [
        _ro(rng.normal(size=(4, 3))),
        _ro([[1000.0, 999.0, 0.0], [1e5, 0.0, -1e5]]),
        _ro([[0.1, -0.2, 0.3]]),
    ]

    N, L = 5, 4
    Y_prob = _probabilities(rng, N, L)
    multi = [
        (_ro(Y_prob), _ro(_one_hot(rng, N, L))),
        (_ro(Y_prob), _ro(_probabilities(rng, N, L))),
        (_ro(_probabilities(rng, 1, L)), _ro(_one_hot(rng, 1, L))),
    ]
    l2 = [
        (_ro(rng.normal(size=(N, 3))), _ro(rng.normal(size=(N, 3)))),
        (_ro(rng.normal(size=(1, 3))), _ro(rng.normal(size=(1, 3)))),
    ]
    bce = [
        (_ro(rng.uniform(0.05, 0.95, size=(N, 3))), _ro(rng.integers(0, 2, (N, 3)))),
        (_ro(rng.uniform(0.05, 0.95, size=(6, 1))), _ro(rng.integers(0, 2, (6, 1)))),
    ]
    logits = [
        (_ro(rng.normal(size=(N, L))), _ro(_one_hot(rng, N, L))),
        (_ro(rng.normal(size=(N, L))), _ro(_probabilities(rng, N, L))),
        (_ro([[1000.0, 0.0, -1000.0], [0.0, 1e5, 0.0]]), _ro([[0, 1, 0], [1, 0, 0]])),
    ]

    nets = _net_cases(seed)
    risk = [(*l2[0], "l2"), (*bce[0], "bce"), (*multi[1], "kl")]
    risk += [(*multi[0], "cross_entropy"), (*multi[0], "kl")]
    steps = []
    for _, _, weights, biases, _, _ in nets[:3] + nets[-1:]:
        dweights = [_ro(rng.normal(size=W.shape)) for W in weights]
        dbiases = [_ro(rng.normal(size=b.shape)) for b in biases]
        steps.append((weights, biases, dweights, dbiases, 0.1))

    table = {
        "softmax": [(z,) for z in softmax_cases],
        "softmax_jacobian": [(z,) for z in softmax_cases],
        "l2_divergence": l2,
        "l2_divergence_derivative": l2,
        "bce_divergence": bce,
        "bce_divergence_derivative": bce,
        "kl_divergence": multi,
        "kl_divergence_derivative": multi,
        "cross_entropy": multi,
        "cross_entropy_derivative": multi,
        "softmax_cross_entropy": logits,
        "softmax_cross_entropy_derivative": logits,
        "empirical_risk": risk,
        "forward": [(X, w, b, acts) for X, _, w, b, acts, _ in nets],
        "backward": nets,
        "gradient_descent_step": steps,
        "train": [(*case, 0.5, 3) for case in nets[:4]] + [(*nets[6], 0.5, 1)],
    }
    for name in ("identity", "sigmoid", "tanh", "relu"):
        table[name] = [(z,) for z in z_cases]
        table[f"{name}_derivative"] = [(z,) for z in z_cases]
    assert set(table) == set(CONTRACT)
    return table


# ---------------------------------------------------------------------------
# Running and comparing
# ---------------------------------------------------------------------------


def _run(function, args) -> tuple[str, object]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return "ok", function(*args)
        except Exception as exc:
            return "error", type(exc).__name__


def _leaves(value) -> list[np.ndarray]:
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item)]
    return [np.asarray(value)]


def _identical(a, b) -> bool:
    if a[0] != b[0] or a[0] == "error":
        return a == b
    left, right = _leaves(a[1]), _leaves(b[1])
    return len(left) == len(right) and all(
        x.shape == y.shape and x.dtype == y.dtype and np.array_equal(x, y, True)
        for x, y in zip(left, right, strict=True)
    )


def _differs(a, b) -> bool:
    """True if a grader comparing with a sensible tolerance would see it."""
    if a[0] != b[0]:
        return True
    if a[0] == "error":
        return False
    left, right = _leaves(a[1]), _leaves(b[1])
    if len(left) != len(right):
        return True
    for x, y in zip(left, right, strict=True):
        if x.shape != y.shape:
            return True
        if not np.allclose(x, y, rtol=1e-7, atol=1e-9, equal_nan=True):
            return True
    return False


@functools.cache
def _base_outcomes() -> dict[str, list]:
    module = correct("correct_typical")
    table = probes()
    return {
        name: [_run(getattr(module, name), args) for args in table[name]]
        for name in CONTRACT
    }


# ---------------------------------------------------------------------------
# The bug table
# ---------------------------------------------------------------------------

BUG_IDS = [bug.id for bug in bugs.BUGS]


def test_bug_table_is_well_formed():
    assert len(bugs.BUGS) >= 12
    assert len(set(BUG_IDS)) == len(BUG_IDS)
    for bug in bugs.BUGS:
        assert bug.broken, bug.id
        assert bug.broken <= set(CONTRACT), bug.id
        assert bug.callers <= set(CONTRACT), bug.id
        assert not bug.broken & bug.callers, bug.id
        assert bug.old != bug.new and bug.description, bug.id


@pytest.mark.parametrize("bug", bugs.BUGS, ids=BUG_IDS)
def test_snippet_occurs_once_and_mutant_compiles(bug):
    source = bugs.base_source()
    assert source.count(bug.old) == 1
    compile(bugs.apply(bug, source), f"{bug.id}.py", "exec")


def _top_level_functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _names_used(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


@functools.cache
def _reachable() -> dict[str, frozenset[str]]:
    """For each contract function, every module-level name it reaches.

    Dictionaries of functions such as ``ACTIVATIONS`` count as a step, so
    ``backward`` reaches ``sigmoid_derivative`` through them.
    """
    tree = ast.parse(bugs.base_source())
    uses = {name: _names_used(f) for name, f in _top_level_functions(tree).items()}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    uses[target.id] = _names_used(node.value)

    def reach(start: str) -> frozenset[str]:
        seen, todo = set(), [start]
        while todo:
            for name in uses.get(todo.pop(), ()):
                if name in uses and name not in seen:
                    seen.add(name)
                    todo.append(name)
        return frozenset(seen - {start})

    return {name: reach(name) for name in CONTRACT}


@pytest.mark.parametrize("bug", bugs.BUGS, ids=BUG_IDS)
def test_broken_is_the_edited_function(bug):
    source = bugs.base_source()
    start = source.index(bug.old)
    first = source.count("\n", 0, start) + 1
    last = source.count("\n", 0, start + len(bug.old.rstrip("\n"))) + 1
    functions = _top_level_functions(ast.parse(source))
    edited = {
        name
        for name, f in functions.items()
        if f.lineno <= last and first <= f.end_lineno
    }
    assert edited == set(bug.broken), f"the snippet is in {sorted(edited)}"


@pytest.mark.parametrize("bug", bugs.BUGS, ids=BUG_IDS)
def test_callers_follow_the_call_graph(bug):
    reach = _reachable()
    expected = {g for g in CONTRACT if reach[g] & bug.broken} - bug.broken
    assert set(bug.callers) == expected, f"callers should be {sorted(expected)}"


@pytest.mark.parametrize("bug", bugs.BUGS, ids=BUG_IDS)
def test_bug_changes_only_what_it_claims(bug, tmp_path):
    path = tmp_path / f"typical_{bug.id}.py"
    path.write_text(bugs.apply(bug, bugs.base_source()), encoding="utf-8")
    mutant = _load(path, f"nncheck_mutant_{bug.id}")
    base = _base_outcomes()
    table = probes()

    for name in CONTRACT:
        got = [_run(getattr(mutant, name), args) for args in table[name]]
        pairs = list(zip(base[name], got, strict=True))
        if name in bug.broken:
            assert any(_differs(a, b) for a, b in pairs), (
                f"{bug.id}: {name} gives the correct answers on every probe"
            )
        elif name not in bug.callers:
            assert all(_identical(a, b) for a, b in pairs), (
                f"{bug.id}: {name} changed, but it is not in broken or callers"
            )


# ---------------------------------------------------------------------------
# The correct submissions
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("other", ["correct_loops", "correct_stable"])
def test_correct_submissions_agree(other, seed):
    typical, module = correct("correct_typical"), correct(other)
    for name, cases in probes(seed).items():
        for i, args in enumerate(cases):
            expected = _run(getattr(typical, name), args)
            got = _run(getattr(module, name), args)
            where = f"{other}.{name} on probe {i}"
            assert expected[0] == got[0] == "ok", f"{where}: {expected} {got}"
            left, right = _leaves(expected[1]), _leaves(got[1])
            assert len(left) == len(right), where
            for x, y in zip(left, right, strict=True):
                assert y.shape == x.shape and y.dtype == np.float64, where
                np.testing.assert_allclose(y, x, rtol=1e-10, atol=1e-12, err_msg=where)


@pytest.mark.parametrize("name", CORRECT)
def test_correct_submissions_raise_no_floating_point_warnings(name):
    # underflow (exp(-1000) == 0) is fine; overflow, 0/0 and log(0) are not
    module = correct(name)
    for function, cases in probes().items():
        for i, args in enumerate(cases):
            with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
                warnings.simplefilter("error")
                try:
                    getattr(module, function)(*args)
                except (FloatingPointError, RuntimeWarning) as exc:
                    pytest.fail(f"{name}.{function} on probe {i}: {exc}")


@pytest.mark.parametrize("name", CORRECT)
def test_shapes_types_and_losses_follow_the_contract(name):
    module = correct(name)
    table = probes()
    for args in table["softmax_jacobian"]:
        N, L = args[0].shape
        assert module.softmax_jacobian(*args).shape == (N, L, L)
    for function in ("l2_divergence", "bce_divergence", "cross_entropy"):
        for Y, d in table[function]:
            assert getattr(module, function)(Y, d).shape == (len(Y),)
            derivative = getattr(module, f"{function}_derivative")(Y, d)
            assert derivative.shape == Y.shape and derivative.dtype == np.float64
    for Y, d, divergence in table["empirical_risk"]:
        assert type(module.empirical_risk(Y, d, divergence)) is float

    for X, d, weights, biases, acts, divergence in _net_cases(0):
        layers = module.forward(X, weights, biases, acts)
        assert isinstance(layers, list) and len(layers) == len(weights)
        for (Z, Y), W in zip(layers, weights, strict=True):
            assert Z.shape == Y.shape == (len(X), W.shape[1])
        dweights, dbiases = module.backward(X, d, weights, biases, acts, divergence)
        assert [g.shape for g in dweights] == [W.shape for W in weights]
        assert [g.shape for g in dbiases] == [b.shape for b in biases]

        start = module.empirical_risk(layers[-1][1], d, divergence)
        trained = module.train(X, d, weights, biases, acts, divergence, 0.1, 2)
        new_weights, new_biases, losses = trained
        assert len(losses) == 2 and losses[0] == pytest.approx(start, rel=1e-12)
        assert [W.shape for W in new_weights] == [W.shape for W in weights]
        assert [b.shape for b in new_biases] == [b.shape for b in biases]


def _central_difference(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Derivative of an elementwise function f at every entry of x."""
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("name", CORRECT)
def test_derivatives_match_finite_differences(name):
    module = correct(name)
    rng = np.random.default_rng(3)
    h = 1e-6
    close = functools.partial(np.testing.assert_allclose, rtol=1e-6, atol=1e-8)

    # activations, away from the kink of relu at 0
    z = rng.normal(size=(3, 4)) * 2
    z = np.where(np.abs(z) < 0.05, 0.5, z)
    for act in ("identity", "sigmoid", "tanh", "relu"):
        f = getattr(module, act)
        close(getattr(module, f"{act}_derivative")(z), _central_difference(f, z))

    # softmax Jacobian, one input column at a time
    z = rng.normal(size=(3, 4))
    J = module.softmax_jacobian(z)
    for j in range(4):
        step = np.zeros_like(z)
        step[:, j] = h
        fd = (module.softmax(z + step) - module.softmax(z - step)) / (2 * h)
        close(J[:, :, j], fd)

    # divergences: value n depends on row n of Y only
    N, L = 4, 3
    probabilities = _probabilities(rng, N, L)
    cases = [
        ("l2_divergence", rng.normal(size=(N, L)), rng.normal(size=(N, L))),
        ("bce_divergence", rng.uniform(0.1, 0.9, (N, L)), rng.integers(0, 2, (N, L))),
        ("kl_divergence", probabilities, _probabilities(rng, N, L)),
        ("kl_divergence", probabilities, _one_hot(rng, N, L)),
        ("cross_entropy", probabilities, _one_hot(rng, N, L)),
        ("softmax_cross_entropy", rng.normal(size=(N, L)), _one_hot(rng, N, L)),
        ("softmax_cross_entropy", rng.normal(size=(N, L)), probabilities),
    ]
    for function, Y, d in cases:
        d = d.astype(float)
        f = getattr(module, function)
        got = getattr(module, f"{function}_derivative")(Y, d)
        for i in range(L):
            step = np.zeros_like(Y)
            step[:, i] = h
            close(got[:, i], (f(Y + step, d) - f(Y - step, d)) / (2 * h))

    # backward against the risk of forward, one parameter at a time
    for case in _net_cases(4, kink=False):
        _check_backward(module, *case, h=h, close=close)


def _check_backward(module, X, d, weights, biases, acts, divergence, h, close):
    def risk(weights, biases):
        Y = module.forward(X, weights, biases, acts)[-1][1]
        return module.empirical_risk(Y, d, divergence)

    dweights, dbiases = module.backward(X, d, weights, biases, acts, divergence)
    params = [(weights, dweights), (biases, dbiases)]
    for which, (values, grads) in enumerate(params):
        for k, p in enumerate(values):
            for index in np.ndindex(*p.shape):
                plus = [list(weights), list(biases)]
                minus = [list(weights), list(biases)]
                plus[which][k] = np.array(p)
                plus[which][k][index] += h
                minus[which][k] = np.array(p)
                minus[which][k][index] -= h
                fd = (risk(*plus) - risk(*minus)) / (2 * h)
                close(grads[k][index], fd, err_msg=f"{acts} {divergence}")
