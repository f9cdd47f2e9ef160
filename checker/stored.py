"""Stored reference outputs: the reference recorded once, replayed without it.

A student handout holds no reference code, yet its public checks compare the
student's functions with the reference. They can, because the checks reach
the reference only through one module object, ``reference``: the checks'
``import reference as ref``, then ``ref.softmax(...)``,
``ref.ACTIVATIONS[name][1](...)``, the functions a `FunctionSpec` holds and
the assignment's answers. At that boundary:

- `Recorder` stands in for ``reference`` while ``python -m checker regen``
  runs every public check against the reference itself (see
  `checker.regen`): each call goes to the real function, and the call and its
  result are kept as an `Entry`;
- `encode_outputs` stores the entries, with the names the module offers (its
  *surface*), in one file of plain-data frames (`checker._channel`, never
  pickle), ``assignments/<name>_outputs.nnck``;
- `replaying_module` builds, from that file, a module that offers the same
  names and answers each call from the stored entries. When ``reference``
  cannot be imported (a handout), `checker.assignment.load_assignment` puts
  it in ``sys.modules`` before the checks are imported.

A call is found by its key, a SHA-256 of the function's name and its
arguments as the channel encodes them, so equal calls match exactly. A call
that misses is then matched to a stored call of the same function whose
arguments have the same structure and whose floats all agree to a relative
`NEAR_RTOL`: another machine's libm or numpy build may draw an input one unit
in the last place away, while the closest distinct points the checks probe
(finite-difference steps) are about 1e-8 apart. A call that matches nothing
raises `ReferenceUnavailable`, which the grader reports as a check that needs
the reference, not as a grader error.

Known limit: only calls that a correct submission makes the checks ask for
are stored. The explanations of a wrong answer (misconception hints, which
half of a function and derivative pair to fix) and the grader answering in
place of a broken function call the reference on values the submission
computed, and mostly miss; the grader then leaves them out and says so.
"""

from __future__ import annotations

import builtins
import hashlib
import os
import types
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import _channel
from ._files import write_atomically

__all__ = [
    "FORMAT",
    "NEAR_RTOL",
    "Entry",
    "Recorder",
    "RecordingError",
    "ReferenceUnavailable",
    "StoredOutputs",
    "call_key",
    "current_versions",
    "encode_outputs",
    "read_outputs",
    "replaying_module",
    "write_outputs",
]

#: First field of a stored-outputs file, and its version.
FORMAT = "nncheck stored reference outputs"
VERSION = 1

#: Relative agreement of every float of two calls' arguments for the second
#: to be answered with the first's stored result (see the module docstring).
NEAR_RTOL = 1e-13

#: Entries per frame of the file: each frame stays far below the channel's
#: limits on size and on the number of values.
_CHUNK = 256

#: Largest frame of a stored-outputs file (the channel's own limit).
_MAX_FRAME_BYTES = _channel.DEFAULT_MAX_FRAME_BYTES

#: Exceptions of the reference that are stored and raised again on replay:
#: built-in ones only, rebuilt from their name and message.
_REPLAYABLE_ERRORS = frozenset(
    {"ValueError", "TypeError", "KeyError", "IndexError", "ZeroDivisionError"}
)


class ReferenceUnavailable(Exception):
    """A call of the reference that the stored outputs do not answer.

    Parameters
    ----------
    function : str
        The reference function called.
    """

    def __init__(self, function: str) -> None:
        self.function = function
        self.message = (
            f"this check needs the reference's {function} on values the stored "
            "outputs do not cover (values your code computed, or inputs this "
            "copy drew differently); the handout does not include the "
            "reference, so only the autograder can run it"
        )
        super().__init__(self.message)


class RecordingError(Exception):
    """A call of the reference that cannot be stored (arguments or result
    that are not plain data, or two results for one call)."""


@dataclass(frozen=True)
class Entry:
    """One call of the reference and what it gave.

    Attributes
    ----------
    function : str
        The reference function's name.
    args : tuple
        The positional arguments, as plain data.
    value : object
        What it returned (None when it raised).
    raised : (str, str) or None
        The name and message of the built-in exception it raised, if any.
    """

    function: str
    args: tuple
    value: Any = None
    raised: tuple[str, str] | None = None

    @property
    def key(self) -> str:
        return call_key(self.function, self.args)

    def outcome(self) -> dict:
        """The result as stored: ``{"value": ...}`` or ``{"raised": [...]}``."""
        if self.raised is not None:
            return {"raised": list(self.raised)}
        return {"value": self.value}

    def replay(self) -> Any:
        """Return a fresh, writable copy of the value, or raise the error."""
        if self.raised is not None:
            kind, message = self.raised
            raise getattr(builtins, kind)(message)
        return _fresh(self.value)


def call_key(function: str, args: Sequence[Any]) -> str:
    """The key of a call: SHA-256 of the name and the encoded arguments.

    Raises
    ------
    checker._channel.ChannelError
        When an argument is not plain data.
    """
    frame = _channel.encode([function, list(args)], strict=True)
    return hashlib.sha256(frame).hexdigest()


def _round_trip(value: Any) -> Any:
    """``value`` as the channel gives it back: read-only arrays, tuples kept."""
    (copy,) = _channel.decode_frames(_channel.encode(value, strict=True))
    return copy


def _fresh(value: Any) -> Any:
    """A copy of a decoded value whose arrays are writable, as the live
    reference's results are."""
    kind = type(value)
    if kind is np.ndarray:
        return value.copy()
    if kind in (list, tuple):
        return kind(_fresh(v) for v in value)
    if kind is dict:
        return {k: _fresh(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------
# The surface: the names the module offers, and which of them are functions


def describe_surface(module: types.ModuleType) -> tuple[dict, dict[str, Callable]]:
    """The public names of ``module`` as plain data, and its functions.

    Every name of ``module.__all__`` must be a function, a dict with string
    keys, a tuple or list of such things, or plain data. A function is
    described by a name (the first of ``__all__`` it is bound to, else its
    own), so the same function reached two ways (``sigmoid`` and a table's
    entry) shares its stored calls.

    Returns
    -------
    surface : dict
        ``{"names": [...], "attributes": {name: node}}``; a node is
        ``{"function": name}``, ``{"dict": [[key, node], ...]}``,
        ``{"tuple": [node, ...]}``, ``{"list": [node, ...]}`` or
        ``{"value": plain data}``.
    functions : dict of str to callable
        The functions by name.

    Raises
    ------
    RecordingError
        For a name of another kind, or two functions of the same name.
    """
    functions: dict[str, Callable] = {}
    names = list(getattr(module, "__all__", ()))
    public: dict[int, str] = {}
    for name in names:
        if isinstance(getattr(module, name), types.FunctionType):
            public.setdefault(id(getattr(module, name)), name)

    def node(value: Any, where: str, depth: int = 0) -> dict:
        if depth > 8:
            raise RecordingError(f"reference.{where} is nested too deeply")
        if isinstance(value, types.FunctionType):
            name = public.get(id(value), value.__name__)
            if functions.setdefault(name, value) is not value:
                raise RecordingError(
                    f"reference.{where}: two functions are named {name!r}; give "
                    "them distinct names"
                )
            return {"function": name}
        if type(value) is dict and all(type(k) is str for k in value):
            return {
                "dict": [
                    [k, node(v, f"{where}[{k!r}]", depth + 1)] for k, v in value.items()
                ]
            }
        if type(value) in (tuple, list) and any(callable(v) for v in value):
            return {
                type(value).__name__: [
                    node(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)
                ]
            }
        try:
            _channel.encode(value, strict=True)
        except _channel.ChannelError as error:
            raise RecordingError(
                f"reference.{where} is neither a function, a table of functions "
                f"nor plain data ({error})"
            ) from None
        return {"value": value}

    attributes = {name: node(getattr(module, name), name) for name in names}
    return {"names": names, "attributes": attributes}, functions


def _build_module(
    surface: dict, call: Callable[[str, tuple], Any], doc: str
) -> types.ModuleType:
    """A module named ``reference`` offering the names of ``surface``, each
    function answered by ``call(name, args)``."""
    wrappers: dict[str, Callable] = {}

    def wrapper(name: str) -> Callable:
        if name not in wrappers:

            def function(*args: Any) -> Any:
                return call(name, args)

            function.__name__ = function.__qualname__ = name
            function.__doc__ = f"The reference's {name}; see the module docstring."
            wrappers[name] = function
        return wrappers[name]

    def build(node: dict) -> Any:
        ((kind, content),) = node.items()
        if kind == "function":
            return wrapper(content)
        if kind == "dict":
            return {key: build(child) for key, child in content}
        if kind in ("tuple", "list"):
            items = [build(child) for child in content]
            return tuple(items) if kind == "tuple" else items
        return _fresh(content)

    module = types.ModuleType("reference", doc)
    for name in surface["names"]:
        setattr(module, name, build(surface["attributes"][name]))
    module.__all__ = list(surface["names"])
    return module


# --------------------------------------------------------------------------
# Recording


class Recorder:
    """Stands in for the reference and keeps every call made through it.

    Parameters
    ----------
    module : module
        The real reference package.

    Attributes
    ----------
    surface : dict
        The module's public names (see `describe_surface`).
    entries : dict of str to Entry
        The calls made so far, by key.
    """

    def __init__(self, module: types.ModuleType) -> None:
        self.surface, self._functions = describe_surface(module)
        self.entries: dict[str, Entry] = {}

    def module(self) -> types.ModuleType:
        """The recording module, to put in ``sys.modules["reference"]``."""
        return _build_module(
            self.surface, self._call, "The reference, recording every call."
        )

    def _call(self, name: str, args: tuple) -> Any:
        try:
            kept = _round_trip(tuple(args))
            key = call_key(name, kept)
        except _channel.ChannelError as error:
            raise RecordingError(
                f"a check called the reference's {name} with arguments that "
                f"cannot be stored ({error})"
            ) from None
        try:
            value = self._functions[name](*args)
        except Exception as error:
            kind = type(error).__name__
            if kind not in _REPLAYABLE_ERRORS or type(error) is not getattr(
                builtins, kind
            ):
                raise
            entry = Entry(name, kept, raised=(kind, str(error)))
        else:
            try:
                entry = Entry(name, kept, value=_round_trip(value))
            except _channel.ChannelError as error:
                raise RecordingError(
                    f"the reference's {name} returned what cannot be stored ({error})"
                ) from None
        earlier = self.entries.setdefault(key, entry)
        if not same_outcome(earlier, entry, rtol=0.0):
            raise RecordingError(
                f"the reference's {name} gave two different results for the same "
                "arguments; it must be deterministic"
            )
        # What the checks get is what a replay will give them, so that the
        # calls recorded downstream are the calls a replay will make.
        return entry.replay()


# --------------------------------------------------------------------------
# The file


def encode_outputs(assignment: str, surface: dict, entries: list[Entry]) -> bytes:
    """The bytes of a stored-outputs file: a header frame, then the entries
    in frames of `_CHUNK`, sorted by function and key, so that the same calls
    give the same bytes whatever order they were made in."""
    ordered = sorted(entries, key=lambda e: (e.function, e.key))
    header = {
        "format": FORMAT,
        "version": VERSION,
        "assignment": assignment,
        "surface": surface,
        "entries": len(ordered),
    }
    frames = [_channel.encode(header, max_bytes=_MAX_FRAME_BYTES)]
    for start in range(0, len(ordered), _CHUNK):
        chunk = [
            [e.function, list(e.args), e.outcome()]
            for e in ordered[start : start + _CHUNK]
        ]
        frames.append(_channel.encode(chunk, max_bytes=_MAX_FRAME_BYTES))
    return b"".join(frames)


def write_outputs(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` (from `encode_outputs`) so that no
    reader sees half a file."""
    write_atomically(path, data)


def read_outputs(path: str | os.PathLike, assignment: str) -> StoredOutputs:
    """Read a file written by `write_outputs`.

    Raises
    ------
    OSError
        When the file cannot be read.
    ValueError
        When it is not a stored-outputs file of ``assignment``, in one line.
    """
    data = Path(path).read_bytes()
    try:
        header, *chunks = _channel.decode_frames(data, max_bytes=_MAX_FRAME_BYTES)
    except (_channel.ChannelError, ValueError) as error:
        raise ValueError(f"{path} is not a stored-outputs file ({error})") from None
    if not (
        isinstance(header, dict)
        and header.get("format") == FORMAT
        and header.get("version") == VERSION
    ):
        raise ValueError(f"{path} is not a stored-outputs file of version {VERSION}")
    if header.get("assignment") != assignment:
        raise ValueError(
            f"{path} holds the outputs of {header.get('assignment')!r}, not "
            f"{assignment!r}"
        )
    entries = []
    try:
        for chunk in chunks:
            for function, args, outcome in chunk:
                raised = outcome.get("raised")
                entries.append(
                    Entry(
                        function,
                        tuple(args),
                        value=outcome.get("value"),
                        raised=tuple(raised) if raised is not None else None,
                    )
                )
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"{path} holds a malformed entry") from None
    if len(entries) != header.get("entries"):
        raise ValueError(f"{path} is truncated: fewer entries than its header says")
    return StoredOutputs(assignment, header["surface"], entries, len(data))


# --------------------------------------------------------------------------
# Looking calls up


def _skeleton(value: Any, floats: list[np.ndarray]) -> Any:
    """What must be equal for two values to be near: the structure, the
    shapes and dtypes, and every value but floats, which go to ``floats``."""
    kind = type(value)
    if kind is np.ndarray:
        if value.dtype.kind == "f":
            floats.append(value)
            return ("array", value.dtype.str, value.shape)
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if kind is float or isinstance(value, np.floating):
        floats.append(np.asarray(value))
        return ("float", kind.__name__)
    if kind in (list, tuple):
        return (kind.__name__, tuple(_skeleton(v, floats) for v in value))
    if kind is dict:
        return ("dict", tuple((k, _skeleton(v, floats)) for k, v in value.items()))
    return ("exact", kind.__name__, repr(value))


def _distance(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """The largest relative difference between matching floats (NaN matches
    NaN, an infinity only itself); inf when they differ in kind."""
    worst = 0.0
    for x, y in zip(a, b):
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        equal = (x == y) | (np.isnan(x) & np.isnan(y))
        if equal.all():
            continue
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            relative = np.abs(x - y) / np.maximum(np.abs(x), np.abs(y))
        relative = np.where(equal, 0.0, np.nan_to_num(relative, nan=np.inf))
        worst = max(worst, float(relative.max()))
    return worst


class _NearIndex:
    """Entries grouped by function and skeleton, to find near calls."""

    def __init__(self, entries: list[Entry]) -> None:
        self.groups: dict[tuple, list[tuple[list[np.ndarray], Entry]]] = {}
        for entry in entries:
            self.add(entry)

    def add(self, entry: Entry) -> None:
        floats: list[np.ndarray] = []
        shape = (entry.function, _skeleton(entry.args, floats))
        self.groups.setdefault(shape, []).append((floats, entry))

    def find(self, function: str, args: tuple, rtol: float) -> Entry | None:
        """The stored call nearest to this one within ``rtol``, if any."""
        floats: list[np.ndarray] = []
        shape = (function, _skeleton(tuple(args), floats))
        best, nearest = rtol, None
        for stored, entry in self.groups.get(shape, ()):
            distance = _distance(floats, stored)
            if distance <= best:
                best, nearest = distance, entry
        return nearest


def same_outcome(a: Entry, b: Entry, rtol: float) -> bool:
    """Whether two entries' results agree: the same structure, types,
    shapes and exact values, floats within ``rtol`` (0: bit for bit)."""
    if (a.raised is None) != (b.raised is None):
        return False
    if a.raised is not None:
        return a.raised == b.raised
    floats_a: list[np.ndarray] = []
    floats_b: list[np.ndarray] = []
    if _skeleton(a.value, floats_a) != _skeleton(b.value, floats_b):
        return False
    if rtol == 0.0:
        return all(
            np.asarray(x).tobytes() == np.asarray(y).tobytes()
            for x, y in zip(floats_a, floats_b)
        )
    for x, y in zip(floats_a, floats_b):
        with np.errstate(invalid="ignore", over="ignore"):
            if not np.allclose(x, y, rtol=rtol, atol=1e-300, equal_nan=True):
                return False
    return True


@dataclass
class StoredOutputs:
    """The stored calls of one assignment, looked up by call.

    Attributes
    ----------
    assignment : str
        The assignment's name.
    surface : dict
        The reference's public names (see `describe_surface`).
    entries : list of Entry
        Every stored call.
    size : int
        Bytes of the file read, 0 when not read from a file.
    hits, near_hits : int
        Calls answered exactly, and answered by a near call.
    missed : Counter
        Calls that were not answered, by function.
    manifest : dict
        The manifest written with the file (versions, checksums), if read.
    """

    assignment: str
    surface: dict
    entries: list[Entry]
    size: int = 0
    manifest: dict = field(default_factory=dict)
    hits: int = 0
    near_hits: int = 0
    missed: Counter = field(default_factory=Counter)
    _exact: dict[str, Entry] = field(default_factory=dict, repr=False)
    _near: _NearIndex | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._exact = {entry.key: entry for entry in self.entries}

    @property
    def misses(self) -> int:
        return sum(self.missed.values())

    def find(self, function: str, args: tuple) -> tuple[Entry | None, bool]:
        """The stored call that answers this one, and whether it is equal
        (else near); ``(None, False)`` when none does."""
        try:
            entry = self._exact.get(call_key(function, args))
        except _channel.ChannelError:
            return None, False
        if entry is not None:
            return entry, True
        if self._near is None:
            self._near = _NearIndex(self.entries)
        return self._near.find(function, args, NEAR_RTOL), False

    def answer(self, function: str, args: tuple) -> Any:
        """Answer a call of the reference from the stored entries.

        Raises
        ------
        ReferenceUnavailable
            When no stored call answers it.
        """
        entry, equal = self.find(function, args)
        if entry is None:
            self.missed[function] += 1
            raise ReferenceUnavailable(function)
        if equal:
            self.hits += 1
        else:
            self.near_hits += 1
        return entry.replay()

    def notes(self) -> list[str]:
        """What a report graded from these outputs says about them."""
        notes = [
            "This copy has no reference solution: the public checks compared your "
            f"functions with {len(self.entries)} stored outputs of the reference. "
            "Hidden checks, and explanations that need the reference on values "
            "your code computed, run only in the autograder."
        ]
        made = self.manifest.get("versions", {})
        here = current_versions()
        differ = [
            f"{name} {made[name]} (this copy runs {here[name]})"
            for name in ("hypothesis", "numpy")
            if made.get(name, here[name]) != here[name]
        ]
        if differ and self.misses:
            notes.append(
                "The stored outputs were made with "
                + " and ".join(differ)
                + ": where a check needed the reference, it may have drawn its "
                "inputs differently here; install those versions to run it"
            )
        return notes


def current_versions() -> dict[str, str]:
    """The versions that stored outputs depend on: Python's, numpy's (its
    random streams) and hypothesis's (the examples it draws)."""
    import platform

    import hypothesis

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "hypothesis": hypothesis.__version__,
    }


def replaying_module(outputs: StoredOutputs) -> types.ModuleType:
    """A module named ``reference`` that answers from ``outputs``."""
    module = _build_module(
        outputs.surface,
        outputs.answer,
        "The reference's public functions, answered from stored outputs: a "
        "call that was not stored raises checker.stored.ReferenceUnavailable.",
    )
    module.__nncheck_stored__ = outputs
    return module
