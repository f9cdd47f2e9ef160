"""The assignment model: checks, their points, and what a check may do.

An assignment is a tuple of `Check` objects. A check grades one submitted
function (named first in the check's name, ``"softmax: rows sum to one"``),
is worth whole points, and earns all of them or none. Its ``run`` receives a
`Context` through which it calls the submission in the worker and draws
seeded random inputs; it returns None or a note when the submission passes,
and raises `checker.compare.CheckFailed` with an explanation when it does not.
A `checker.sandbox.SubmissionError` raised by a call (not implemented, an
exception, a timeout, ...) ends the check with that status.

The functions of an assignment fall into named problems (hw1's activations,
softmax, divergences, ...), which group the reports and let a student run
part of the checks (``--problem softmax``).

Checks reach the reference through the module ``reference``. Where it cannot
be imported (a student handout), `load_assignment` puts in its place a module
that answers from the assignment's stored outputs (`checker.stored`), before
the checks are imported.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import sys
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .sandbox import CallOutcome, Limits, Sandbox
from .stored import StoredOutputs, read_outputs, replaying_module

__all__ = [
    "Check",
    "Assignment",
    "AssignmentError",
    "Context",
    "load_assignment",
    "known_assignments",
    "stored_outputs_paths",
    "ASSIGNMENTS",
]

#: Assignment name -> module defining ``ASSIGNMENT``.
ASSIGNMENTS = {"hw1": "assignments.hw1_checks"}


@dataclass(frozen=True)
class Check:
    """One graded check.

    Attributes
    ----------
    name : str
        ``"<function>: <what is checked>"``, unique in its assignment.
    function : str
        The submitted function whose points this check carries.
    points : int
        Points earned when the check passes.
    run : callable
        ``run(context) -> str | None``; see the module docstring.
    hidden_inputs : bool
        True when the check draws its inputs from the context's generator, so
        that it can run again on inputs drawn from the instructor's secret
        seed (a hidden check).
    """

    name: str
    function: str
    points: int
    run: Callable[[Context], str | None]
    hidden_inputs: bool = False


@dataclass(frozen=True)
class Assignment:
    """A named, ordered set of checks.

    Attributes
    ----------
    name : str
        Short name, e.g. ``"hw1"``.
    title : str
        One line shown above the report.
    functions : tuple of str
        The functions a submission defines, in handout order.
    checks : tuple of Check
        In report order.
    seed : int
        Base seed of the random inputs; each check derives its own from it
        and its name, so a grade never changes between runs.
    calls : mapping of str to frozenset of str
        The functions each function may call. When a function fails its own
        checks, the failed checks of its callers run again with the grader
        answering its calls (see `answers`), so that one bug costs its points
        once.
    answers : mapping of str to callable
        What the grader answers in place of a broken function: usually the
        reference. It runs in the grader, never in the worker.
    limits : mapping of str to value
        Limits of the worker that differ from `checker.sandbox.Limits`'
        defaults for this assignment, e.g. ``{"call_seconds": 10}``; the
        command line's ``--limit`` overrides them in turn.
    problems : mapping of str to tuple of str
        The assignment's problems in handout order, each naming its functions;
        every function belongs to exactly one problem. Left empty, each
        function is a problem of its own, named after it.
    stored : StoredOutputs or None
        Set by `load_assignment` when the checks answer from stored reference
        outputs because the reference is not installed (a handout).
    """

    name: str
    title: str
    functions: tuple[str, ...]
    checks: tuple[Check, ...]
    seed: int = 0
    calls: Mapping[str, frozenset[str]] = field(default_factory=dict)
    answers: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    problems: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    limits: Mapping[str, Any] = field(default_factory=dict)
    stored: StoredOutputs | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        try:
            Limits().with_overrides(self.limits)
        except ValueError as error:
            raise ValueError(f"{self.name}: {error}") from None
        if not self.problems:
            object.__setattr__(self, "problems", {f: (f,) for f in self.functions})
        self._check_problems()
        names = [c.name for c in self.checks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"{self.name}: duplicate check names {duplicates}")
        for check in self.checks:
            if check.function not in self.functions:
                raise ValueError(
                    f"{self.name}: check {check.name!r} grades {check.function!r}, "
                    "which is not one of the assignment's functions"
                )
            if not check.name.startswith(check.function + ": "):
                raise ValueError(
                    f"{self.name}: check {check.name!r} must start with "
                    f"'{check.function}: '"
                )

    def _check_problems(self) -> None:
        grouped = [f for functions in self.problems.values() for f in functions]
        twice = sorted({f for f in grouped if grouped.count(f) > 1})
        if twice:
            raise ValueError(f"{self.name}: functions in two problems: {twice}")
        strangers = sorted(set(grouped) - set(self.functions))
        if strangers:
            raise ValueError(
                f"{self.name}: problems name functions the assignment does not "
                f"have: {strangers}"
            )
        left_out = [f for f in self.functions if f not in grouped]
        if left_out:
            raise ValueError(f"{self.name}: functions in no problem: {left_out}")

    def problem_of(self, function: str) -> str:
        """The problem ``function`` belongs to."""
        for problem, functions in self.problems.items():
            if function in functions:
                return problem
        raise KeyError(f"{self.name} has no function {function!r}")

    def select(self, names: Collection[str]) -> frozenset[str]:
        """The functions that problem or function names stand for.

        Parameters
        ----------
        names : collection of str
            Problem names (a problem stands for all its functions) or function
            names. A name that is both stands for the problem.

        Raises
        ------
        ValueError
            Naming the first unknown name and listing the known ones.
        """
        functions: set[str] = set()
        for name in names:
            if name in self.problems:
                functions.update(self.problems[name])
            elif name in self.functions:
                functions.add(name)
            else:
                raise ValueError(
                    f"unknown problem {name!r}; known problems: "
                    f"{', '.join(self.problems)}; or a function: "
                    f"{', '.join(self.functions)}"
                )
        return frozenset(functions)

    @property
    def total_points(self) -> int:
        return sum(c.points for c in self.checks)

    def dependencies(self, function: str) -> frozenset[str]:
        """Every function ``function`` may call, directly or not."""
        seen: set[str] = set()
        stack = list(self.calls.get(function, ()))
        while stack:
            name = stack.pop()
            if name not in seen and name != function:
                seen.add(name)
                stack.extend(self.calls.get(name, ()))
        return frozenset(seen)

    def points_by_function(self) -> dict[str, int]:
        """Points possible per function, in handout order."""
        totals = dict.fromkeys(self.functions, 0)
        for check in self.checks:
            totals[check.function] += check.points
        return totals


def known_assignments() -> dict[str, str]:
    """Assignment names and the modules defining them: the built-in ones, and
    those that installed packages declare under the entry-point group
    ``nncheck.assignments`` (``hw2 = "mycourse.hw2_checks"``)."""
    found = dict(ASSIGNMENTS)
    try:
        from importlib.metadata import entry_points

        for point in entry_points(group="nncheck.assignments"):
            found.setdefault(point.name, point.value)
    except Exception:  # a broken installation must not hide the built-in ones
        pass
    return found


class AssignmentError(Exception):
    """An assignment whose checks cannot be loaded here."""


def stored_outputs_paths(name: str) -> tuple[Path, Path]:
    """Where the stored reference outputs of assignment ``name`` and their
    manifest live: ``<name>_outputs.nnck`` and ``<name>_outputs.json``, next
    to the module of its checks (found without importing it)."""
    module_name = known_assignments()[name]
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise AssignmentError(f"{name}: its checks ({module_name}) are missing")
    folder = Path(spec.origin).parent
    return folder / f"{name}_outputs.nnck", folder / f"{name}_outputs.json"


def _replay_unless_installed(name: str) -> None:
    """Put a module answering from ``name``'s stored outputs in place of
    ``reference`` when the real one cannot be imported."""
    try:
        importlib.import_module("reference")
        return
    except ImportError:
        pass
    outputs, manifest = stored_outputs_paths(name)
    try:
        stored = read_outputs(outputs, name)
    except OSError as error:
        raise AssignmentError(
            f"{name}: neither the reference nor its stored outputs are here "
            f"({outputs}: {error.strerror}); reinstall the handout"
        ) from None
    except ValueError as error:
        raise AssignmentError(f"{name}: {error}") from None
    try:
        stored.manifest = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored.manifest = {}
    sys.modules["reference"] = replaying_module(stored)


def load_assignment(name: str) -> Assignment:
    """Return the assignment registered under ``name``, or defined as
    ``ASSIGNMENT`` by the checks file ``name`` when it ends in ``.py``.

    A checks file is loaded with its folder first on ``sys.path``, so that it
    can import its own reference and helpers from beside it.

    When the package ``reference`` cannot be imported, the checks answer from
    the assignment's stored outputs (see the module docstring), and the
    assignment returned says so in its ``stored`` attribute.

    Raises
    ------
    KeyError
        With one line saying why, when ``name`` is unknown or the file does
        not define an assignment.
    AssignmentError
        When the reference is missing and so are the stored outputs.
    """
    if name.endswith(".py"):
        return _load_checks_file(Path(name))
    known = known_assignments()
    if name not in known:
        listing = ", ".join(sorted(known))
        raise KeyError(f"unknown assignment {name!r}; known assignments: {listing}")
    if known[name] not in sys.modules:
        _replay_unless_installed(name)
    module = importlib.import_module(known[name])
    assignment = module.ASSIGNMENT
    stored = getattr(sys.modules.get("reference"), "__nncheck_stored__", None)
    if stored is not None and stored.assignment == name:
        return dataclasses.replace(assignment, stored=stored)
    return assignment


def _load_checks_file(path: Path) -> Assignment:
    path = path.resolve()
    if not path.is_file():
        raise KeyError(f"no checks file {path}; give the path of a .py file")
    folder = str(path.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module_name = f"_nncheck_checks_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    assignment = getattr(module, "ASSIGNMENT", None)
    if not isinstance(assignment, Assignment):
        raise KeyError(f"{path} defines no ASSIGNMENT (an Assignment object)")
    return assignment


class Context:
    """What a running check can use: the submission and a seeded generator.

    Parameters
    ----------
    sandbox : Sandbox
        The worker running the submission.
    check : Check
        The check being run.
    seed : int
        The assignment's base seed.
    """

    def __init__(self, sandbox: Sandbox, check: Check, seed: int) -> None:
        self.sandbox = sandbox
        self.check = check
        self.seed = seed
        derived = zlib.crc32(check.name.encode("utf-8")) ^ seed
        self.rng = np.random.default_rng(derived)

    def call(self, name: str, *args: Any) -> Any:
        """Call a submitted function; return its value or raise its error."""
        return self.sandbox.call(name, *args).get()

    def outcomes(self, name: str, arg_lists: Sequence[tuple]) -> list[CallOutcome]:
        """Call one submitted function on many argument tuples in one batch."""
        return self.sandbox.call_many([(name, tuple(args)) for args in arg_lists])

    def call_many(self, name: str, arg_lists: Sequence[tuple]) -> list[Any]:
        """Like `outcomes`, but return the values, raising the first error."""
        return [outcome.get() for outcome in self.outcomes(name, arg_lists)]
