"""Regenerating stored reference outputs: ``python -m checker regen NAME``.

A handout grades without the reference (see `checker.stored`), from the
outputs stored in ``assignments/<name>_outputs.nnck``. `regen` makes them:

1. it puts a `checker.stored.Recorder` in place of ``reference`` and only
   then imports the assignment's checks, so that every way the checks reach
   the reference (module attributes, tables, the functions a `FunctionSpec`
   keeps, the assignment's answers, calls made while the checks are built)
   goes through it;
2. it runs every public check, with no secret, against `ReferenceSandbox`,
   which plays a correct submission by calling the reference in this process
   (its values cross `checker._channel` as a worker's would). The calls of
   the reference recorded are exactly those a correct submission makes the
   checks ask for; every check must pass, or the reference and its checks
   disagree and nothing is written;
3. it compares what it recorded with the stored file (`compare`) and says
   what changed, then writes the file and its manifest,
   ``assignments/<name>_outputs.json``: the seed, the versions of Python,
   numpy and hypothesis, and SHA-256 checksums of the reference's sources,
   of the checks' sources and of the outputs.

The same calls give the same bytes: the file is sorted by call, and every
input is seeded (the checks' generators by name, hypothesis by ``@seed``
without a database).

Known limit: the recording imports the checks, so it must run in a process
that has not imported them yet; the command line is such a process.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib
import importlib.util
import json
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _channel
from ._files import write_atomically
from .assignment import ASSIGNMENTS, stored_outputs_paths
from .compare import Precision
from .sandbox import CallOutcome
from .stored import (
    Entry,
    Recorder,
    RecordingError,
    StoredOutputs,
    current_versions,
    encode_outputs,
    read_outputs,
    same_outcome,
    write_outputs,
)

__all__ = [
    "RegenError",
    "ReferenceSandbox",
    "Recording",
    "Changes",
    "Regen",
    "record",
    "compare",
    "regen",
    "checks_files",
    "source_checksums",
    "VALUE_RTOL",
]

#: Stored values that differ from the recomputed ones by less than this
#: (relative) differ in rounding only, as another machine's numpy may give:
#: not stale. Far below any tolerance a check compares with.
VALUE_RTOL = 1e-9


class RegenError(Exception):
    """Regeneration cannot go on; the message is one line for the user."""


def _round_trip(value: Any) -> Any:
    (copy,) = _channel.decode_frames(_channel.encode(value, strict=True))
    return copy


class ReferenceSandbox:
    """A trusted stand-in for `checker.sandbox.Sandbox` whose submission is
    the reference itself, called in this process.

    It offers what a `checker.assignment.Context` and the grader use of a
    sandbox: `call`, `call_many`, `answering` and ``precision``. Arguments
    and values cross `checker._channel` both ways, so the checks see what a
    worker would send (read-only arrays, tuples as tuples).

    Parameters
    ----------
    module : module
        The real reference package.
    """

    def __init__(self, module: types.ModuleType) -> None:
        self.module = module
        self.precision = Precision()

    def call(self, name: str, *args: Any) -> CallOutcome:
        return self.call_many([(name, args)])[0]

    def call_many(self, calls: list[tuple[str, tuple]]) -> list[CallOutcome]:
        outcomes = []
        for name, args in calls:
            started = time.perf_counter()
            value = _round_trip(getattr(self.module, name)(*_round_trip(list(args))))
            self.precision.observe(value)
            outcomes.append(
                CallOutcome(value=value, seconds=time.perf_counter() - started)
            )
        return outcomes

    @contextlib.contextmanager
    def answering(self, answers: dict) -> Iterator[None]:
        """The reference needs no answers; for the grader's sake only."""
        yield


@dataclass
class Recording:
    """The calls of the reference that a correct submission makes the public
    checks of an assignment ask for.

    Attributes
    ----------
    assignment : str
    seed : int
        The assignment's base seed.
    surface : dict
        The reference's public names (see `checker.stored.describe_surface`).
    entries : list of Entry
    checks : int
        How many public checks ran.
    seconds : float
        Wall time of the recording.
    """

    assignment: str
    seed: int
    surface: dict
    entries: list[Entry]
    checks: int
    seconds: float


def _real_reference() -> types.ModuleType:
    try:
        module = importlib.import_module("reference")
    except ImportError:
        raise RegenError(
            "regen needs the reference package (reference/), which this copy "
            "does not have"
        ) from None
    if hasattr(module, "__nncheck_stored__"):
        raise RegenError(
            "regen needs the reference package, but this process answers from "
            "stored outputs"
        )
    return module


def record(assignment: str) -> Recording:
    """Run every public check of ``assignment`` against the reference and
    record each call the checks make of the reference.

    Raises
    ------
    RegenError
        When the checks are already imported in this process, the reference
        is missing, a call cannot be stored, or the reference fails a check.
    """
    module_name = ASSIGNMENTS[assignment]
    package = module_name.rpartition(".")[0]
    if module_name in sys.modules:
        raise RegenError(
            f"the checks of {assignment} are already imported in this process; "
            "regen must run in a fresh one (python -m checker regen)"
        )
    real = _real_reference()
    from .grader import _run_check  # the grader's own way of running a check

    started = time.perf_counter()
    recorder = Recorder(real)
    before = set(sys.modules)
    sys.modules["reference"] = recorder.module()
    failures = []
    try:
        checks = importlib.import_module(module_name).ASSIGNMENT
        sandbox = ReferenceSandbox(real)
        for check in checks.checks:
            result = _run_check(check, sandbox, checks.seed)
            if not result.passed:
                first = (result.message or result.status.value).splitlines()[0]
                failures.append(f"{check.name!r} ({result.status.value}: {first})")
    except RecordingError as error:
        raise RegenError(str(error)) from None
    finally:
        sys.modules["reference"] = real
        # The checks hold the recorder: import them afresh when next asked.
        for name in set(sys.modules) - before:
            if name.startswith(package + "."):
                del sys.modules[name]
    if failures:
        more = f" and {len(failures) - 1} more" if len(failures) > 1 else ""
        raise RegenError(
            f"the reference fails the check {failures[0]}{more}; fix the "
            "reference or the check before regenerating"
        )
    return Recording(
        assignment,
        checks.seed,
        recorder.surface,
        list(recorder.entries.values()),
        len(checks.checks),
        time.perf_counter() - started,
    )


@dataclass
class Changes:
    """How recomputed outputs differ from the stored ones.

    Attributes
    ----------
    added : list of Entry
        Calls the checks make now that are not stored.
    removed : list of Entry
        Stored calls the checks no longer make.
    changed : list of (Entry, Entry)
        Calls whose stored result (first) differs from the recomputed one
        (second) by more than `VALUE_RTOL`.
    rounding : int
        Calls whose results, or arguments, differ by rounding only.
    """

    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[tuple[Entry, Entry]] = field(default_factory=list)
    rounding: int = 0

    @property
    def stale(self) -> bool:
        """Whether the stored outputs no longer match the reference."""
        return bool(self.added or self.removed or self.changed)

    def functions(self) -> list[str]:
        """The functions of the added, removed and changed calls, sorted."""
        names = {e.function for e in self.added + self.removed}
        names |= {new.function for _, new in self.changed}
        return sorted(names)

    def summary(self) -> str:
        """One line: the counts, and the functions concerned."""
        text = (
            f"{len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed"
        )
        if self.stale:
            text += f" (functions: {', '.join(self.functions())})"
        if self.rounding:
            text += f"; {self.rounding} differ by rounding only"
        return text


def compare(stored: StoredOutputs | None, entries: list[Entry]) -> Changes:
    """Match recomputed calls with the stored ones (equal, else near, as a
    replay would) and sort them into added, removed, changed and rounding."""
    changes = Changes()
    if stored is None:
        changes.added = list(entries)
        return changes
    matched: set[int] = set()
    for entry in entries:
        old, equal = stored.find(entry.function, entry.args)
        if old is None or id(old) in matched:
            changes.added.append(entry)
            continue
        matched.add(id(old))
        if equal and same_outcome(old, entry, rtol=0.0):
            continue
        if same_outcome(old, entry, rtol=VALUE_RTOL):
            changes.rounding += 1
        else:
            changes.changed.append((old, entry))
    changes.removed = [e for e in stored.entries if id(e) not in matched]
    return changes


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checks_files(assignment: str) -> list[Path]:
    """The files of the module of ``assignment``'s checks and of the modules
    of its package that it imports, in turn (what a handout must carry).

    Raises
    ------
    RegenError
        When one imports a submodule of the reference: checks may reach it
        only as ``import reference``, the module stored outputs stand in for.
    """
    module_name = ASSIGNMENTS[assignment]
    package, _, stem = module_name.rpartition(".")
    folder = Path(importlib.util.find_spec(module_name).origin).parent
    todo, seen = [stem], set()
    while todo:
        stem = todo.pop()
        path = folder / f"{stem}.py"
        if stem in seen or not path.is_file():
            continue
        seen.add(stem)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                module = node.module
                names = [module] if module else [a.name for a in node.names]
                names = [f"{package}.{name}" for name in names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                if name.startswith("reference."):
                    raise RegenError(
                        f"{path.name} imports {name}: checks may reach the "
                        "reference only as 'import reference'"
                    )
                if name.startswith(package + "."):
                    todo.append(name.split(".")[1])
    return [folder / f"{stem}.py" for stem in sorted(seen)]


def source_checksums(assignment: str) -> dict[str, dict[str, str]]:
    """SHA-256 of the sources the stored outputs of ``assignment`` come
    from: ``{"reference": {path: sha}, "checks": {path: sha}}``, paths
    relative to the project's root; the checks are `checks_files`."""
    spec = importlib.util.find_spec("reference")
    if spec is None or spec.origin is None:
        raise RegenError("the reference package (reference/) is not here")
    reference = Path(spec.origin).parent
    root = reference.parent

    def sums(paths: list[Path]) -> dict[str, str]:
        return {
            path.relative_to(root).as_posix(): _sha256(path.read_bytes())
            for path in paths
        }

    return {
        "reference": sums(
            [p for p in sorted(reference.rglob("*.py")) if "__pycache__" not in p.parts]
        ),
        "checks": sums(checks_files(assignment)),
    }


def manifest(recording: Recording, data: bytes, outputs: Path) -> dict:
    """The manifest of outputs ``data`` written to ``outputs``."""
    functions: dict[str, int] = {}
    for entry in recording.entries:
        functions[entry.function] = functions.get(entry.function, 0) + 1
    return {
        "assignment": recording.assignment,
        "seed": recording.seed,
        "versions": current_versions(),
        "outputs": {
            "file": outputs.name,
            "sha256": _sha256(data),
            "bytes": len(data),
            "entries": len(recording.entries),
            "functions": dict(sorted(functions.items())),
        },
        **source_checksums(recording.assignment),
    }


def manifest_text(document: dict) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


@dataclass
class Regen:
    """What `regen` found and did.

    Attributes
    ----------
    recording : Recording
    changes : Changes
    outputs, manifest : Path
        The stored-outputs file and its manifest.
    size : int
        Bytes of the outputs as recomputed.
    stale : bool
        Whether the stored files did not match (changed calls, a missing or
        unreadable file, or a manifest whose checksum is not the file's).
    written : list of Path
        The files (re)written: those whose bytes changed.
    notes : list of str
        Remarks: what was wrong with the stored files, reference sources that
        changed without changing their outputs.
    """

    recording: Recording
    changes: Changes
    outputs: Path
    manifest: Path
    size: int
    stale: bool
    written: list[Path]
    notes: list[str] = field(default_factory=list)


def _stored_state(assignment: str, outputs: Path, manifest_path: Path):
    """The stored outputs, their manifest, and what is wrong with them."""
    problems = []
    stored = None
    try:
        stored = read_outputs(outputs, assignment)
    except FileNotFoundError:
        problems.append(f"{outputs.name} does not exist yet")
    except (OSError, ValueError) as error:
        problems.append(f"{outputs.name} cannot be read ({error})")
    try:
        old = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        old = {}
        problems.append(f"{manifest_path.name} does not exist yet")
    except (OSError, ValueError) as error:
        old = {}
        problems.append(f"{manifest_path.name} cannot be read ({error})")
    if stored is not None and old:
        written = _sha256(outputs.read_bytes())
        if old.get("outputs", {}).get("sha256") != written:
            problems.append(
                f"{outputs.name} is not the file its manifest describes (checksum)"
            )
    return stored, old, problems


def regen(assignment: str, check_only: bool = False) -> Regen:
    """Recompute the stored outputs of ``assignment``; write them unless
    ``check_only`` or nothing changed.

    Raises
    ------
    RegenError
        When the outputs cannot be recomputed (see `record`).
    KeyError
        For an unknown assignment.
    """
    if assignment not in ASSIGNMENTS:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise KeyError(f"unknown assignment {assignment!r}; known: {known}")
    outputs, manifest_path = stored_outputs_paths(assignment)
    stored, old_manifest, problems = _stored_state(assignment, outputs, manifest_path)

    recording = record(assignment)
    changes = compare(stored, recording.entries)
    data = encode_outputs(assignment, recording.surface, recording.entries)
    document = manifest(recording, data, outputs)

    notes = list(problems)
    stale = changes.stale or bool(problems)
    if not stale and old_manifest.get("reference") != document["reference"]:
        notes.append(
            "the reference's sources changed since the last regen, its outputs did not"
        )
    current = outputs.read_bytes() if outputs.exists() else None
    current_manifest = (
        manifest_path.read_text(encoding="utf-8") if manifest_path.exists() else None
    )
    written = []
    if not check_only and current != data:
        write_outputs(outputs, data)
        written.append(outputs)
    if not check_only and current_manifest != manifest_text(document):
        write_atomically(manifest_path, manifest_text(document))
        written.append(manifest_path)
    return Regen(
        recording, changes, outputs, manifest_path, len(data), stale, written, notes
    )
