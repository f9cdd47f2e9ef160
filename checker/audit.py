"""The check audit: do an assignment's checks catch every wrong reference?

``python -m checker audit NAME`` makes mutants of the assignment's reference
(`checker.mutate`: a flipped sign, a dropped term, the wrong axis, a missing
1/N, ... one change each), grades every mutant as a submission, and lists
those that earn full marks: the survivors. A survivor either computes what
the reference computes (an equivalent mutant, which no check could catch) or
shows a place where the checks are weak. To tell the two apart, each
survivor's public functions are compared with the reference's on many random
inputs drawn inside the contract (the assignment's `AuditTarget` draws them);
a survivor that differs anywhere is reported with the function and the size
of the difference. The audit exits 0 when every survivor is equivalent.

Each mutant becomes a single file (the package's modules joined in one, see
`checker.mutate.inline_package`) graded by `checker.grader.grade` in a pool
of processes; the worker of each grading runs as the grader's user
(``same-user``), since the mutants are the instructor's own code, with a
2 s limit per call, as a mutant may be slow. A mutant is graded first on the
checks of the public functions its change reaches (`AuditTarget.reaching`),
where a mistake shows, and only when none of those fails on every check; so
a survivor has earned full marks from the whole assignment.

Known limits: a survivor is called equivalent when it agrees on every input
drawn, which is evidence, not proof; and equal within the checks' own
tolerance (``VALUE_TOLERANCE``) counts as equal, since no value check could
tell such a mutant apart.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import copy
import importlib
import logging
import os
import random
import signal
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

from .assignment import load_assignment
from .compare import VALUE_TOLERANCE
from .grader import grade
from .mutate import Mutant, inline_package, mutants_of
from .sandbox import Confinement, Limits

__all__ = [
    "AUDITS",
    "AuditTarget",
    "Verdict",
    "MutantResult",
    "AuditReport",
    "load_target",
    "audit_mutant",
    "check_only",
    "reference_functions",
    "run_audit",
    "compare_module",
    "render_audit",
    "build_audit_parser",
    "main",
]

log = logging.getLogger(__name__)

#: Assignment name -> module defining its ``AUDIT`` target.
AUDITS = {"hw1": "assignments.hw1_audit"}

#: Limits of each grading that differ from the assignment's.
AUDIT_LIMITS = {"call_seconds": 2.0}

#: Time limit of one call of a mutant's function in the equivalence test.
EQUIVALENCE_CALL_SECONDS = 10.0

EXIT_EQUIVALENT = 0
EXIT_WEAK = 1
EXIT_UNUSABLE = 2


@dataclass(frozen=True)
class AuditTarget:
    """What the audit of one assignment mutates and compares.

    Attributes
    ----------
    assignment : str
        The assignment whose checks grade the mutants, e.g. ``"hw1"``.
    package : Path
        The reference package's folder; every module in it but
        ``__init__.py`` is mutated.
    functions : tuple of str
        The public functions compared in the equivalence test.
    inputs : callable
        ``inputs() -> {function: [argument tuple, ...]}``: the random inputs
        of the equivalence test, the same on every call and inside the
        assignment's contract.
    unmutated : tuple of str
        Modules of the package that are not mutated (still joined into each
        mutant): code no check grades, such as the wrong computations the
        grader's hints recognise.
    """

    assignment: str
    package: Path
    functions: tuple[str, ...]
    inputs: Callable[[], dict[str, list[tuple]]]
    unmutated: tuple[str, ...] = ()

    def mutants(self) -> list[Mutant]:
        """Every mutant of the package's modules, module by module."""
        found = []
        for path in sorted(self.package.glob("*.py")):
            if path.name == "__init__.py" or path.name in self.unmutated:
                continue
            shown = f"{self.package.name}/{path.name}"
            found += mutants_of(path.read_text(encoding="utf-8"), shown)
        return found

    def submission(self, mutant: Mutant) -> str:
        """The text of the single-file submission that holds ``mutant``."""
        name = Path(mutant.path).name
        return inline_package(self.package, {name: mutant.source})

    def reaching(self, function: str) -> frozenset[str]:
        """The public functions whose code reaches ``function``'s: itself
        when public, and every public function that calls it, directly or
        through other functions and module-level tables."""
        uses = _uses(inline_package(self.package))
        return frozenset(
            public
            for public in self.functions
            if public == function or function in _reached(public, uses)
        )


def _uses(text: str) -> dict[str, set[str]]:
    """For each top-level name of a module, the top-level names its
    definition mentions."""
    tree = ast.parse(text)
    defined: dict[str, ast.AST] = {}
    for statement in tree.body:
        targets: list[ast.AST] = []
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            defined[statement.name] = statement
        elif isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        for target in targets:
            if isinstance(target, ast.Name):
                defined[target.id] = statement
    return {
        name: {
            node.id
            for node in ast.walk(statement)
            if isinstance(node, ast.Name) and node.id in defined and node.id != name
        }
        for name, statement in defined.items()
    }


def _reached(start: str, uses: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for name in uses.get(stack.pop(), ()):
            if name not in seen:
                seen.add(name)
                stack.append(name)
    return seen


def load_target(name: str) -> AuditTarget:
    """Return the audit target registered for assignment ``name``.

    Raises
    ------
    KeyError
        With the known names, when ``name`` has no audit.
    """
    if name not in AUDITS:
        known = ", ".join(sorted(AUDITS))
        raise KeyError(f"no audit for assignment {name!r}; known: {known}")
    return importlib.import_module(AUDITS[name]).AUDIT


class Verdict(str, Enum):
    """What became of one mutant."""

    KILLED = "killed"
    EQUIVALENT = "equivalent"
    NOT_EQUIVALENT = "not equivalent"
    ERROR = "not graded"


@dataclass(frozen=True)
class MutantResult:
    """The fate of one mutant.

    Attributes
    ----------
    mutant : Mutant
        The mutant.
    verdict : Verdict
        Killed by a check, or a survivor found equivalent or not.
    killed_by : str
        For a killed mutant, the first check that failed.
    inputs : int
        For a survivor, the argument tuples it was compared on.
    difference : str
        For a survivor that is not equivalent, where it differs and by how
        much; for one not graded, why.
    seconds : float
        Wall time of its grading and comparison.
    """

    mutant: Mutant
    verdict: Verdict
    killed_by: str = ""
    inputs: int = 0
    difference: str = ""
    seconds: float = 0.0

    @property
    def survived(self) -> bool:
        return self.verdict in (Verdict.EQUIVALENT, Verdict.NOT_EQUIVALENT)

    def describe(self) -> str:
        """The verdict in a few words, as the report's table shows it."""
        if self.verdict is Verdict.KILLED:
            return f"killed by {self.killed_by}"
        if self.verdict is Verdict.EQUIVALENT:
            return f"equivalent on {self.inputs} random inputs"
        if self.verdict is Verdict.NOT_EQUIVALENT:
            return f"NOT equivalent: {self.difference}"
        return f"not graded: {self.difference}"


@dataclass
class AuditReport:
    """The audit of one assignment's checks.

    Attributes
    ----------
    assignment : str
        The assignment audited.
    results : list of MutantResult
        One per mutant graded, in the order the mutants were made.
    mutants_made : int
        Mutants the operators made, before ``--only`` and ``--max``.
    only : tuple of str
        The functions the mutants were restricted to (empty: all).
    selected : int
        Mutants inside those functions (all made, without ``--only``).
    sampled : int or None
        ``--max``, when it left mutants out.
    jobs : int
        Gradings run at once.
    seconds : float
        Wall time of the whole audit.
    """

    assignment: str
    results: list[MutantResult] = field(default_factory=list)
    mutants_made: int = 0
    only: tuple[str, ...] = ()
    selected: int = 0
    sampled: int | None = None
    jobs: int = 1
    seconds: float = 0.0

    def count(self, *verdicts: Verdict) -> int:
        return sum(r.verdict in verdicts for r in self.results)

    @property
    def survivors(self) -> list[MutantResult]:
        return [r for r in self.results if r.survived]

    @property
    def all_equivalent(self) -> bool:
        """True when no survivor differs from the reference and every mutant
        was graded."""
        return self.count(Verdict.NOT_EQUIVALENT, Verdict.ERROR) == 0


# --------------------------------------------------------------------------
# The equivalence test


class _TooSlow(Exception):
    pass


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with `_TooSlow` (main thread of
    a POSIX process only; elsewhere the block runs unbounded)."""
    if not hasattr(signal, "setitimer") or (
        threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def interrupt(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _difference(got: Any, expected: Any) -> float | str | None:
    """How far ``got`` is from ``expected``: None when they agree within
    `VALUE_TOLERANCE`, else the largest absolute difference, or a sentence
    when they differ in kind (type, length, shape)."""
    if isinstance(expected, (list, tuple)):
        if not isinstance(got, (list, tuple)) or len(got) != len(expected):
            return f"returns {_kind(got)} where the reference gives {_kind(expected)}"
        worst: float | None = None
        for g, e in zip(got, expected):
            part = _difference(g, e)
            if isinstance(part, str):
                return part
            if part is not None and (worst is None or not part <= worst):
                worst = part
        return worst
    if expected is None or isinstance(expected, (str, bool)):
        return None if got == expected else f"returns {got!r} for {expected!r}"
    try:
        g = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return f"returns {_kind(got)} where the reference gives {_kind(expected)}"
    e = np.asarray(expected, dtype=float)
    if g.shape != e.shape:
        return f"shape {g.shape} where the reference gives {e.shape}"
    tolerance = VALUE_TOLERANCE
    close = np.isclose(g, e, rtol=tolerance.rtol, atol=tolerance.atol, equal_nan=True)
    if close.all():
        return None
    return float(np.max(np.abs(g - e)[~close]))


def _kind(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return type(value).__name__


def _call(function: Callable[..., Any], args: tuple, seconds: float) -> Any:
    """``function(*args)`` on a copy of the arguments, or the exception."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            with _time_limit(seconds):
                return function(*copy.deepcopy(args))
        except Exception as error:
            return error


def compare_module(
    namespace: dict[str, Any],
    reference: Any,
    inputs: dict[str, list[tuple]],
    expected: dict[str, list[Any]] | None = None,
    call_seconds: float = EQUIVALENCE_CALL_SECONDS,
) -> tuple[int, list[str]]:
    """Compare a module's functions with the reference's on given inputs.

    Parameters
    ----------
    namespace : dict
        The module's names, e.g. from ``exec`` of a mutant's file.
    reference : module or object
        Holds the reference functions as attributes.
    inputs : dict of str to list of tuple
        Argument tuples by function name.
    expected : dict of str to list, optional
        The reference's results on ``inputs``, when already computed.
    call_seconds : float, optional
        A call of the module's function that takes longer fails.

    Returns
    -------
    compared : int
        Argument tuples compared.
    differences : list of str
        One per function that differs anywhere, in the order of ``inputs``:
        ``"softmax (max difference 0.5)"``, or the way it differs in kind;
        empty when the module agrees everywhere.
    """
    compared = 0
    differences = []
    for name, arg_lists in inputs.items():
        function = namespace.get(name)
        if not callable(function):
            differences.append(f"{name} (missing)")
            continue
        results = expected.get(name) if expected else None
        if results is None:
            results = [_call(getattr(reference, name), a, 3600.0) for a in arg_lists]
        worst: float | None = None
        kind = ""
        for args, want in zip(arg_lists, results):
            compared += 1
            got = _call(function, args, call_seconds)
            if isinstance(got, _TooSlow):
                kind = f"slower than {call_seconds:g} s"
            elif isinstance(want, Exception) or isinstance(got, Exception):
                if isinstance(want, Exception) != isinstance(got, Exception):
                    kind = _raised(got, want)
            else:
                part = _difference(got, want)
                if isinstance(part, str):
                    kind = part
                elif part is not None and (worst is None or not part <= worst):
                    worst = part
            if kind:
                break
        if kind:
            differences.append(f"{name} ({kind})")
        elif worst is not None:
            differences.append(f"{name} (max difference {worst:.3g})")
    return compared, differences


def _raised(got: Any, want: Any) -> str:
    if isinstance(got, Exception):
        return f"raises {type(got).__name__} where the reference does not"
    return f"returns where the reference raises {type(want).__name__}"


# --------------------------------------------------------------------------
# Grading the mutants (in the pool's processes)


#: Per process: the target, its inputs and the reference's results on them.
_PROCESS_CACHE: dict[str, tuple[AuditTarget, dict, dict, Any]] = {}


def _prepared(target_name: str) -> tuple[AuditTarget, dict, dict, Any]:
    if target_name not in _PROCESS_CACHE:
        target = load_target(target_name)
        reference = importlib.import_module(target.package.name)
        inputs = target.inputs()
        expected = {
            name: [_call(getattr(reference, name), a, 3600.0) for a in arg_lists]
            for name, arg_lists in inputs.items()
        }
        _PROCESS_CACHE[target_name] = (target, inputs, expected, reference)
    return _PROCESS_CACHE[target_name]


def audit_mutant(
    name: str, mutant: Mutant, limits: Limits | None = None
) -> MutantResult:
    """Grade one mutant of an assignment's reference and, if no check fails,
    compare it with the reference.

    Parameters
    ----------
    name : str
        An assignment with an audit (`AUDITS`).
    mutant : Mutant
        A mutant of one module of the assignment's reference package.
    limits : Limits, optional
        Limits of the grading (default: the assignment's, with `AUDIT_LIMITS`).

    Returns
    -------
    MutantResult
    """
    started = time.perf_counter()
    target, inputs, expected, reference = _prepared(name)
    assignment = load_assignment(target.assignment)
    if limits is None:
        limits = Limits().with_overrides(assignment.limits)
        limits = limits.with_overrides(AUDIT_LIMITS)
    text = target.submission(mutant)

    def result(verdict: Verdict, **details: Any) -> MutantResult:
        seconds = time.perf_counter() - started
        return MutantResult(mutant, verdict, seconds=seconds, **details)

    # First only the checks of the functions whose code the change reaches,
    # where a mistake shows; a mutant they do not catch is graded in full.
    reaching = target.reaching(mutant.function) & set(assignment.functions)
    with tempfile.TemporaryDirectory(prefix="nncheck-audit-") as folder:
        path = Path(folder) / f"{target.assignment}.py"
        path.write_text(text, encoding="utf-8")
        for functions in ([reaching] if reaching else []) + [None]:
            report = grade(
                path,
                assignment,
                limits,
                functions,
                secret=None,
                confinement=Confinement.SAME_USER,
            )
            failed = [r for r in report.results if not r.passed and not r.hidden]
            if failed:
                return result(Verdict.KILLED, killed_by=failed[0].name)

    namespace: dict[str, Any] = {"__name__": "nncheck_mutant"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(compile(text, mutant.path, "exec"), namespace)
    except Exception as error:
        why = f"survived grading but does not load here ({error})"
        return result(Verdict.ERROR, difference=why)
    compared, differences = compare_module(namespace, reference, inputs, expected)
    if not differences:
        return result(Verdict.EQUIVALENT, inputs=compared)
    shown = ", ".join(differences[:3])
    if len(differences) > 3:
        shown += f" and {len(differences) - 3} more"
    return result(
        Verdict.NOT_EQUIVALENT, inputs=compared, difference=f"differs on {shown}"
    )


def _select(
    mutants: list[Mutant], only: Collection[str] | None, most: int | None
) -> tuple[list[Mutant], list[Mutant]]:
    """The mutants of the functions in ``only``, and at most ``most`` of
    those drawn with a fixed seed (kept in their order)."""
    if only:
        mutants = [m for m in mutants if m.function in only]
    if most is None or most >= len(mutants):
        return mutants, mutants
    chosen = sorted(random.Random(0).sample(range(len(mutants)), most))
    return mutants, [mutants[i] for i in chosen]


def run_audit(
    name: str,
    jobs: int | None = None,
    only: Collection[str] | None = None,
    most: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AuditReport:
    """Grade the mutants of an assignment's reference; compare the survivors.

    Parameters
    ----------
    name : str
        An assignment with an audit (`AUDITS`).
    jobs : int, optional
        Gradings at once (default: the machine's cores).
    only : collection of str, optional
        Only the mutants inside these functions of the reference.
    most : int, optional
        At most this many mutants, drawn with a fixed seed.
    progress : callable, optional
        ``progress(done, total)`` after each mutant.

    Returns
    -------
    AuditReport

    Raises
    ------
    KeyError
        When ``name`` has no audit.
    ValueError
        When ``only`` names a function the reference does not define.
    """
    started = time.perf_counter()
    target = load_target(name)
    if only:
        check_only(target, only)
    made = target.mutants()
    selected, chosen = _select(made, only, most)
    jobs = jobs or os.cpu_count() or 1
    report = AuditReport(
        assignment=name,
        mutants_made=len(made),
        only=tuple(sorted(set(only or ()))),
        selected=len(selected),
        sampled=most if len(chosen) < len(selected) else None,
        jobs=jobs,
    )

    outcomes: dict[int, MutantResult] = {}
    if chosen:
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {
                pool.submit(audit_mutant, name, mutant): index
                for index, mutant in enumerate(chosen)
            }
            try:
                for future in concurrent.futures.as_completed(futures):
                    index = futures[future]
                    outcomes[index] = _outcome_of(future, chosen[index])
                    if progress is not None:
                        progress(len(outcomes), len(chosen))
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    report.results = [outcomes[index] for index in range(len(chosen))]
    report.seconds = time.perf_counter() - started
    return report


def _outcome_of(future: concurrent.futures.Future, mutant: Mutant) -> MutantResult:
    try:
        return future.result()
    except Exception as error:  # the audit's own fault, not the mutant's
        log.debug("auditing a mutant raised", exc_info=error)
        why = f"the audit failed ({type(error).__name__}: {error})"
        return MutantResult(mutant, Verdict.ERROR, difference=why)


def check_only(target: AuditTarget, only: Collection[str]) -> None:
    """Raise ValueError, naming the known ones, unless every name in ``only``
    is a function of the reference package."""
    known = reference_functions(target)
    unknown = [name for name in only if name not in known]
    if unknown:
        raise ValueError(
            f"--only {unknown[0]}: not a function of {target.package.name}; "
            f"known: {', '.join(known)}"
        )


def reference_functions(target: AuditTarget) -> list[str]:
    """Every function the reference package's modules define, sorted."""
    names = set()
    for path in target.package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names.update(
            node.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        )
    return sorted(names)


# --------------------------------------------------------------------------
# The report


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds} s"


def render_audit(report: AuditReport, verbose: bool = False) -> str:
    """The audit as text: the counts, then a table of the survivors (of
    every mutant with ``verbose``), then the conclusion."""
    graded = len(report.results)
    scope = f"{report.mutants_made} mutants made"
    if report.only:
        scope += f", {report.selected} in {', '.join(report.only)}"
    if report.sampled is not None:
        scope += f", {graded} drawn (--max {report.sampled})"
    errors = report.count(Verdict.ERROR)
    counts = [
        ("killed", report.count(Verdict.KILLED)),
        ("survived", len(report.survivors)),
        ("  equivalent", report.count(Verdict.EQUIVALENT)),
        ("  NOT equivalent", report.count(Verdict.NOT_EQUIVALENT)),
    ] + ([("not graded", errors)] if errors else [])
    lines = [
        f"Check audit of {report.assignment}: {scope}; graded {graded} in "
        f"{_duration(report.seconds)} with {report.jobs} job(s)",
        "",
    ] + [f"  {label:<17} {number:>4}" for label, number in counts]

    shown = (
        report.results
        if verbose
        else [r for r in report.results if r.verdict is not Verdict.KILLED]
    )
    if shown:
        title = "Every mutant:" if verbose else "Survivors (full marks):"
        rows = [(r.mutant.description, r.describe()) for r in shown]
        table = tabulate(
            rows,
            headers=("mutant", "verdict"),
            tablefmt="simple",
            disable_numparse=True,
        )
        lines += ["", title, table]

    lines.append("")
    missed = report.count(Verdict.NOT_EQUIVALENT)
    if missed:
        lines.append(
            f"{missed} surviving mutant(s) compute something else than the "
            "reference: the checks miss these mistakes; add inputs or cases "
            "that show them."
        )
    elif errors:
        lines.append(f"{errors} mutant(s) could not be graded; see above.")
    elif report.survivors:
        lines.append(
            "Every survivor computes what the reference computes on every "
            "input drawn: the checks caught every mutant that changes a result."
        )
    else:
        lines.append("The checks caught every mutant.")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# The command line: python -m checker audit NAME


class UsageError(Exception):
    """An argument that stops the audit from running."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors in one line."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(message)


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number; give one of at least 1"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1; give at least 1")
    return value


def build_audit_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m checker audit",
        description="Audit an assignment's checks: grade mutants of the reference "
        "(one small mistake each) and list those that earn full marks, saying "
        "for each whether it computes what the reference computes.",
    )
    parser.add_argument(
        "assignment", metavar="NAME", help=f"known: {', '.join(sorted(AUDITS))}"
    )
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=_count,
        help=f"gradings at once (default: the cores, here {os.cpu_count() or 1})",
    )
    parser.add_argument(
        "--only",
        metavar="FUNCTION",
        nargs="+",
        action="extend",
        help="only the mutants inside these functions of the reference",
    )
    parser.add_argument(
        "--max",
        metavar="N",
        type=_count,
        help="at most N mutants, drawn with a fixed seed (for a quick run)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every mutant with the check that caught it",
    )
    return parser


def main(argv: Sequence[str]) -> int:
    """Run ``python -m checker audit``; return the exit status."""
    try:
        arguments = build_audit_parser().parse_args(list(argv))
        if arguments.assignment not in AUDITS:
            known = ", ".join(sorted(AUDITS))
            raise UsageError(
                f"no audit for assignment {arguments.assignment!r}; known: {known}"
            )
        if arguments.only:
            check_only(load_target(arguments.assignment), arguments.only)
    except (UsageError, ValueError) as error:
        print(f"checker: error: audit: {error}", file=sys.stderr)
        return EXIT_UNUSABLE

    progress = _progress_line if sys.stderr.isatty() else None
    report = run_audit(
        arguments.assignment,
        jobs=arguments.jobs,
        only=arguments.only,
        most=arguments.max,
        progress=progress,
    )
    if progress is not None:
        print(file=sys.stderr)
    print(render_audit(report, verbose=arguments.verbose), end="")
    return EXIT_EQUIVALENT if report.all_equivalent else EXIT_WEAK


def _progress_line(done: int, total: int) -> None:
    print(f"\rgraded {done}/{total} mutants", end="", file=sys.stderr, flush=True)
