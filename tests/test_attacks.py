"""The adversarial suite: every attack in ``tests/attacks`` is contained.

Each attack is appended to an honest, partly done hw1 and graded through the
command line with a Gradescope results file, as an autograder would. For each
one the test asserts that

- the grading ends within the attack's time bound;
- the score is no higher than the honest part alone earns;
- the results file is the grader's own: it parses, lists every check, and
  agrees with the total the grader printed;
- no process of the submission is left running;
- the report says what happened (each attack names the phrases it expects).

A confined worker (the grader running as root) must stop every attack; a
worker running as the grader's user must stop those that do not need a user
of their own, and those whose containment differs there run that way too.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import typical_source

from checker.cli import main

ATTACKS = Path(__file__).resolve().parent / "attacks"

#: Twelve functions of the typical solution put back to stubs: the honest
#: part earns the points of the other thirteen, and an attack has points to
#: try to steal.
STUBS = """

# ---- not done yet --------------------------------------------------------


def softmax_jacobian(z):
    raise NotImplementedError


def kl_divergence(Y, d):
    raise NotImplementedError


def kl_divergence_derivative(Y, d):
    raise NotImplementedError


def cross_entropy(Y, d):
    raise NotImplementedError


def cross_entropy_derivative(Y, d):
    raise NotImplementedError


def softmax_cross_entropy(Z, d):
    raise NotImplementedError


def softmax_cross_entropy_derivative(Z, d):
    raise NotImplementedError


def empirical_risk(Y, d, divergence):
    raise NotImplementedError


def forward(X, weights, biases, activations):
    raise NotImplementedError


def backward(X, d, weights, biases, activations, divergence):
    raise NotImplementedError


def gradient_descent_step(weights, biases, dweights, dbiases, eta):
    raise NotImplementedError


def train(X, d, weights, biases, activations, divergence, eta, epochs):
    raise NotImplementedError


# ---- the attack ------------------------------------------------------------

"""

#: Limits of these gradings: short, so that attacks that hang cost little.
LIMITS = ["call_seconds=1", "timeouts_before_skip=1", "load_seconds=3"]


@dataclass(frozen=True)
class Attack:
    """An attack file and what its grading must show.

    ``says``: phrases (regular expressions) the terminal report must contain.
    ``needs_confinement``: only a worker with a user of its own can stop it.
    ``seconds``: bound on the whole grading.
    """

    file: str
    says: tuple[str, ...]
    needs_confinement: bool = False
    seconds: float = 60.0


TABLE = [
    Attack(
        "fake_output.py",
        (r"Your code printed:", r"  \| Total: 100/100", r"  \| \?\[2J"),
    ),
    Attack("fake_results_file.py", (r"Total: 38/100",)),
    Attack(
        "read_reference.py",
        (r"Not implemented yet \(12 functions\)",),
        needs_confinement=True,
    ),
    Attack(
        "frozen_function.py",
        (r"verdict: a consistently wrong pair; your softmax is wrong",),
    ),
    Attack(
        "grader_memory.py",
        (r"arguments larger than the grader answers for",),
    ),
    Attack("monkeypatch.py", (r"forward: ", r"backward: ", r"empirical_risk: ")),
    Attack(
        "always_equal.py",
        (
            r"got an object of type submission\._Yes, which the grader refuses",
            r"got an object of type submission\._AlwaysEqual, which the grader",
        ),
    ),
    Attack(
        "ndarray_subclass.py",
        (r"softmax_jacobian\(z\): .* got an ndarray subclass \(_Agreeable\), which",),
    ),
    Attack(
        "object_array.py",
        (r"got an array of dtype object, which the grader refuses",),
    ),
    Attack(
        "huge_broadcast.py",
        (r"got an array of shape \(1000000, 1000000, 1000\) .*more than the limit",),
    ),
    Attack(
        "exit_at_import.py",
        (r"could not be loaded: it raised SystemExit", r"  \| Total: 100/100"),
    ),
    Attack("os_exit_at_import.py", (r"could not be loaded.*exited with status 0",)),
    Attack(
        "exit_in_function.py",
        (r"forward raised SystemExit", r"exited with status 0", r"SystemExit"),
    ),
    Attack(
        "base_exceptions.py",
        (r"raised KeyboardInterrupt", r"raised BaseException", r"raised _Escape"),
    ),
    Attack("sleep_forever.py", (r"forward timed out after 1 s",)),
    Attack("hang_at_import.py", (r"loading the file timed out after",)),
    Attack(
        "recursion.py",
        (r"forward raised RecursionError", r"killed by SIGSEGV while running backward"),
    ),
    Attack(
        "fork_loop.py",
        (r"forward timed out after 1 s",),
        needs_confinement=True,
    ),
    Attack("allocate.py", (r"MemoryError", r"memory limit is")),
    Attack("close_fds.py", (r"lost its channel to the grader .* running forward",)),
    Attack("write_fds.py", (r"backward: the worker sent a malformed reply",)),
    Attack(
        "delete_files.py",
        (r"Not implemented yet \(12 functions\)",),
        needs_confinement=True,
    ),
    Attack("background_process.py", (r"Not implemented yet \(12 functions\)",)),
    Attack(
        "signal_parent.py",
        (r"Not implemented yet \(12 functions\)",),
        needs_confinement=True,
    ),
]

#: The attacks also run with the worker as the grader's user: those whose
#: containment works differently there (files, processes, pipes, exits). The
#: others meet the same channel and comparisons in both modes.
SAME_USER = {
    "fake_output.py",
    "fake_results_file.py",
    "monkeypatch.py",
    "exit_in_function.py",
    "sleep_forever.py",
    "allocate.py",
    "close_fds.py",
    "write_fds.py",
    "background_process.py",
}
assert not any(a.needs_confinement and a.file in SAME_USER for a in TABLE)

MODES = [
    pytest.param(
        attack,
        mode,
        id=f"{attack.file[:-3]}-{mode}",
        marks=pytest.mark.skipif(
            mode == "auto" and os.geteuid() != 0,
            reason="a worker is confined only when the grader runs as root",
        ),
    )
    for attack in TABLE
    for mode in ("auto", "same-user")
    if mode == "auto" or attack.file in SAME_USER
]


def _processes_in(folder: Path) -> set[int]:
    """Live processes working in ``folder`` or with their home there: the
    worker and what it started, whose scratch folders are made in it."""
    found = set()
    inside = str(folder).encode() + b"/"
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{name}/cwd").encode() + b"/"
            with open(f"/proc/{name}/environ", "rb") as f:
                homes = [v for v in f.read().split(b"\0") if v.startswith(b"HOME=")]
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        home = homes[0][5:] + b"/" if homes else b""
        if state != b"Z" and (cwd.startswith(inside) or home.startswith(inside)):
            found.add(int(name))
    return found


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """The honest part alone: its score and the names of its checks."""
    folder = tmp_path_factory.mktemp("honest")
    path = folder / "hw1.py"
    path.write_text(typical_source() + STUBS, encoding="utf-8")
    results = folder / "results.json"
    status = main([str(path), "--json", str(results), "--timeout", "2"])
    document = json.loads(results.read_text())
    assert status == 1
    return document["score"], [t["name"] for t in document["tests"]]


def test_the_honest_part_earns_some_points_and_not_all(honest):
    score, names = honest
    assert score == 38
    assert len(names) == 86


@pytest.mark.parametrize("attack, mode", MODES)
def test_attack_is_contained(attack, mode, honest, tmp_path, capsys, monkeypatch):
    honest_score, honest_names = honest
    submission = tmp_path / "submission" / "hw1.py"
    submission.parent.mkdir()
    source = (ATTACKS / attack.file).read_text(encoding="utf-8")
    submission.write_text(typical_source() + STUBS + source, encoding="utf-8")
    canary = tmp_path / "submission" / "canary.txt"
    canary.write_text("still here")
    results = tmp_path / "results" / "results.json"
    results.parent.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    started = time.monotonic()
    status = main(
        [
            str(submission),
            "--json",
            str(results),
            *(f"--limit={limit}" for limit in LIMITS),
            "--confinement",
            mode,
        ]
    )
    elapsed = time.monotonic() - started
    printed = capsys.readouterr().out

    assert elapsed < attack.seconds
    assert status == 1
    # The results file is the grader's own, and so is the last line printed.
    time.sleep(0.3)  # a process left behind would have rewritten it by now
    document = json.loads(results.read_text())
    assert [t["name"] for t in document["tests"]] == honest_names
    assert document["score"] == sum(t["score"] for t in document["tests"])
    assert document["score"] <= honest_score
    last = printed.rstrip().splitlines()[-1]
    total = re.fullmatch(r"Total: (\S+)/100 \(.*", last)
    assert total and float(total.group(1)) == document["score"], last
    # Nothing of the submission survives its grading.
    assert not _processes_in(scratch)
    assert canary.read_text() == "still here"
    assert submission.exists()
    for phrase in attack.says:
        assert re.search(phrase, printed), f"{phrase!r} not in the report:\n{printed}"


FROZEN_LOSS = """

_seen = {}
_true_forward = forward


def forward(X, weights, biases, activations):
    # Right at the parameters backward was asked about, the same loss near them.
    base = _seen.get("parameters")
    if base is not None and len(base) == len(weights) + len(biases):
        given = list(weights) + list(biases)
        if all(np.shape(a) == np.shape(b) for a, b in zip(given, base)):
            pairs = zip(given, base)
            gap = max(float(np.max(np.abs(a - b), initial=0)) for a, b in pairs)
            if 0 < gap < 0.05:
                weights, biases = base[: len(weights)], base[len(weights) :]
    return _true_forward(X, weights, biases, activations)


def backward(X, d, weights, biases, activations, divergence):
    _seen["parameters"] = [np.array(a) for a in list(weights) + list(biases)]
    return [np.zeros_like(w) for w in weights], [np.zeros_like(b) for b in biases]
"""

STUB_BACKWARD = """

def backward(X, d, weights, biases, activations, divergence):
    raise NotImplementedError
"""


def test_a_loss_frozen_near_the_probed_point_earns_backward_nothing(tmp_path):
    from checker import load_assignment
    from checker.grader import grade

    hw1 = load_assignment("hw1")
    honest = tmp_path / "honest" / "hw1.py"
    attack = tmp_path / "attack" / "hw1.py"
    for path, tail in ((honest, STUB_BACKWARD), (attack, FROZEN_LOSS)):
        path.parent.mkdir()
        path.write_text(typical_source() + tail, encoding="utf-8")
    honest_report = grade(honest, hw1, functions={"backward"})
    attack_report = grade(attack, hw1, functions={"backward"})
    assert honest_report.score == 0
    assert attack_report.score == 0
    texts = [r.message for r in attack_report.results if "finite differences" in r.name]
    assert texts and all("consistently wrong pair" in t for t in texts)
