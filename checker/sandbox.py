"""Running a submission in a separate worker process.

The grader never imports a submission. `Sandbox` starts a worker process
(``_worker.py``) that loads the file and calls its functions on request; the
arguments and results cross a pair of pipes as plain-data frames
(``_channel``), and every call has a time limit measured by the grader. When
the worker hangs, crashes, exits or is killed, the call that was running fails
with the reason, the worker is replaced on the next call, and the grading goes
on.

What a submission's call can end in is a `CallOutcome`: a value, or a
`SubmissionError` whose ``kind`` says what went wrong (see `ErrorKind`).

How the worker is confined depends on who runs the grader (`Confinement`):

- as root (Gradescope, CI containers): the worker gets a user and group id of
  its own, unused by anyone else, and a fresh scratch folder holding a copy of
  the submission. It imports numpy and the common standard modules, makes the
  scratch folder its root directory and drops to that user before the
  submission is loaded. It cannot read the reference, the grader, the secret
  or the results file, write anywhere but its scratch folder, or signal any
  process but its own; the process limit counts its processes alone, and when
  it is stopped every process of its user is killed.
- as any other user: the same resource limits and the same scratch folder,
  but the worker runs as the grader's user, who can read and write what the
  grader can. Processes it starts are found through the kernel's
  child-reaper mechanism (Linux) and killed with it.

Known limits: the resource limits (memory, CPU time, file size, processes)
rely on ``setrlimit`` and so on a POSIX system; elsewhere only the time limit
holds. The memory limit is per process: a submission that starts P processes
may use P times as much. Nothing caps the total size of the files written in
the scratch folder, only the size of each.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import random
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from . import _channel
from .compare import Precision

__all__ = [
    "Limits",
    "Confinement",
    "ErrorKind",
    "SubmissionError",
    "CallOutcome",
    "Sandbox",
]

log = logging.getLogger(__name__)

_WORKER_SCRIPT = Path(__file__).with_name("_worker.py")


@dataclass(frozen=True)
class Limits:
    """Limits on the worker process.

    Parameters
    ----------
    call_seconds : float
        Wall-clock time limit for one call of a submitted function.
    load_seconds : float
        Wall-clock time limit for loading (importing) the submission.
    memory_bytes : int or None
        Address-space limit of the worker (``RLIMIT_AS``).
    cpu_seconds : int or None
        CPU-time limit of the worker over its whole life (``RLIMIT_CPU``).
    file_bytes : int or None
        Largest file the worker may write (``RLIMIT_FSIZE``).
    processes : int or None
        Processes and threads the worker may run at once, itself included
        (``RLIMIT_NPROC``); when the grader is not root, on top of those the
        grader's user already runs.
    output_bytes : int
        How much of what the submission prints is kept for the report.
    max_frame_bytes : int
        Largest message accepted from the worker.
    timeouts_before_skip : int
        After this many timeouts of one function, further direct calls of it
        fail at once instead of waiting out the limit again.
    total_seconds : float
        Wall-clock budget of the whole grading; checks not started by then are
        failed as not run.
    """

    call_seconds: float = 5.0
    load_seconds: float = 10.0
    memory_bytes: int | None = 4 * 2**30
    cpu_seconds: int | None = 600
    file_bytes: int | None = 16 * 2**20
    processes: int | None = 16
    output_bytes: int = 64 * 2**10
    max_frame_bytes: int = 16 * 2**20
    timeouts_before_skip: int = 2
    total_seconds: float = 300.0

    def with_overrides(self, overrides: Mapping[str, Any]) -> Limits:
        """Return these limits with some replaced, each checked.

        Parameters
        ----------
        overrides : mapping of str to value
            Field names and values; a value may also be text as on the command
            line (``"2GiB"``, ``"1.5"``, ``"none"`` for no limit where a limit
            may be absent).

        Raises
        ------
        ValueError
            With one line naming the limit, when a name is unknown or a value
            is not a positive number of the right kind.
        """
        values = {}
        for name, value in overrides.items():
            values[name] = _limit_value(name, value)
        return replace(self, **values)


#: Units accepted in byte-valued limits given as text.
_BYTE_UNITS = {"": 1, "B": 1, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}

#: Limits that may be switched off with "none".
_OPTIONAL_LIMITS = {"memory_bytes", "cpu_seconds", "file_bytes", "processes"}


def _limit_value(name: str, value: Any) -> Any:
    """Check one limit's value (or parse it from text) and return it."""
    kinds = {f.name: f.type for f in fields(Limits)}
    if name not in kinds:
        raise ValueError(
            f"unknown limit {name!r}; known limits: {', '.join(sorted(kinds))}"
        )
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("none", "off", "unlimited"):
            value = None
        elif name.endswith("_bytes"):
            match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)", text)
            unit = match.group(2).upper() if match else "?"
            if not match or unit not in _BYTE_UNITS:
                raise ValueError(
                    f"limit {name}={value!r}: give a size such as 512MiB, 4GiB or "
                    "a number of bytes"
                )
            value = int(float(match.group(1)) * _BYTE_UNITS[unit])
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"limit {name}={value!r}: give a number") from None
    if value is None:
        if name not in _OPTIONAL_LIMITS:
            raise ValueError(f"limit {name} cannot be switched off; give a number")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"limit {name}={value!r}: give a number")
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"limit {name}={value!r}: give a number above 0")
    if name.endswith("_seconds") and name != "cpu_seconds":
        return float(value)
    if float(value) != int(value):
        raise ValueError(f"limit {name}={value!r}: give a whole number")
    return int(value)


class Confinement(str, Enum):
    """How far the worker is confined.

    ``AUTO`` gives it a user of its own and its scratch folder as root
    directory when the grader runs as root, and runs it as the grader's user
    otherwise; ``SAME_USER`` always runs it as the grader's user (to see how a
    grader that is not root behaves, or to debug).
    """

    AUTO = "auto"
    SAME_USER = "same-user"


class ErrorKind(str, Enum):
    """Why a call of the submission did not give a usable value."""

    NOT_IMPLEMENTED = "not implemented"
    MISSING = "missing"
    LOAD = "not loaded"
    EXCEPTION = "error"
    TIMEOUT = "timed out"
    CRASH = "crashed"
    REFUSED = "refused"


class SubmissionError(Exception):
    """A call of the submission that gave no value.

    Parameters
    ----------
    kind : ErrorKind
        The category, used as the check's status.
    message : str
        One line for the student: what happened and where.
    function : str
        The submitted function that was called.
    """

    def __init__(self, kind: ErrorKind, message: str, function: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.function = function


@dataclass
class CallOutcome:
    """The value a call returned, or the error that stopped it.

    ``changed_args`` lists the positions of list arguments whose items the
    call replaced, added or removed (array arguments are read-only).
    """

    value: Any = None
    error: SubmissionError | None = None
    seconds: float = 0.0
    changed_args: tuple[int, ...] = ()

    def get(self) -> Any:
        """Return the value, or raise the call's `SubmissionError`."""
        if self.error is not None:
            raise self.error
        return self.value


@dataclass
class _Output:
    """A capped record of what the worker printed."""

    limit: int
    chunks: list[bytes] = field(default_factory=list)
    kept: int = 0
    total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Held by the drainer while it reads and records a chunk.
    busy: threading.Lock = field(default_factory=threading.Lock)
    #: The pipe being drained; -1 before and after.
    fd: int = -1

    def add(self, data: bytes) -> None:
        with self.lock:
            self.total += len(data)
            room = self.limit - self.kept
            if room > 0:
                self.chunks.append(data[:room])
                self.kept += min(room, len(data))

    def settle(self, timeout: float = 0.5) -> None:
        """Wait until what is already in the pipe is recorded (at most
        ``timeout`` seconds, for a process that never stops printing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.busy:
                if self.fd < 0:
                    return
                try:
                    raw = fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0")
                except OSError:
                    return
            if struct.unpack("i", raw)[0] == 0:
                return
            time.sleep(0.001)

    def text(self) -> str:
        with self.lock:
            text = b"".join(self.chunks).decode("utf-8", errors="replace")
            dropped = self.total - self.kept
        # Keep newlines and tabs; make terminal escapes and the like visible.
        text = _CONTROL.sub("?", text.replace("\r\n", "\n"))
        if dropped:
            text += f"\n[... {dropped} more bytes of output not shown]"
        return text


def _drain(fd: int, output: _Output) -> None:
    """Read the worker's output until every writer has closed it, then close
    it. Raw reads, so that the grader never waits on a buffer's lock for a
    process that keeps the pipe open; each chunk is read and recorded under
    ``output.busy``, so that `_Output.settle` knows when the pipe is empty."""
    output.fd = fd
    try:
        ready = select.poll()
        ready.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while True:
            ready.poll()
            with output.busy:
                data = os.read(fd, 65536)
                if not data:
                    break
                output.add(data)
    except (OSError, ValueError):
        pass
    finally:
        with output.busy:
            output.fd = -1
            try:
                os.close(fd)
            except OSError:
                pass


#: User and group ids handed to confined workers: a random one not in use.
_ID_RANGE = range(40_000, 60_000)

#: Largest submission file copied into the worker's scratch folder.
_MAX_SUBMISSION_BYTES = 4 * 2**20


def _processes() -> dict[int, tuple[int, int, bool]]:
    """Every process as ``pid -> (parent pid, real uid, is a zombie)``, from
    /proc; empty where there is no /proc."""
    table = {}
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return table
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                fields = dict(
                    line.split(":", 1) for line in f.read().splitlines() if ":" in line
                )
            table[pid] = (
                int(fields["PPid"]),
                int(fields["Uid"].split()[0]),
                fields.get("State", "").strip().startswith("Z"),
            )
        except (OSError, KeyError, ValueError, IndexError):
            continue
    return table


def _unused_id() -> int:
    """A user and group id that no account, group or process uses."""
    taken: set[int] = set()
    for name in ("/etc/passwd", "/etc/group"):
        try:
            with open(name, encoding="utf-8", errors="replace") as f:
                for line in f:
                    parts = line.split(":")
                    if len(parts) > 2 and parts[2].isdigit():
                        taken.add(int(parts[2]))
        except OSError:
            pass
    taken.update(uid for _, uid, _ in _processes().values())
    pick = random.SystemRandom()
    while True:
        candidate = pick.choice(_ID_RANGE)
        if candidate not in taken and _reserve_id(candidate):
            return candidate


#: Reservations of the ids in use by this process's workers: id -> open lock.
_RESERVED: dict[int, int] = {}


def _reserve_id(uid: int) -> bool:
    """Hold an exclusive lock naming ``uid`` for as long as a worker of this
    process uses it, so that graders running side by side (a batch) never
    hand one id to two workers. The lock goes with the process that holds it,
    whatever way it ends."""
    folder = os.path.join(tempfile.gettempdir(), "nncheck-ids")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(os.path.join(folder, str(uid)), os.O_CREAT | os.O_RDWR, 0o600)
    except OSError:
        return True  # nowhere to keep locks: fall back on the random pick
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    _RESERVED[uid] = fd
    return True


def _release_id(uid: int) -> None:
    fd = _RESERVED.pop(uid, None)
    if fd is not None:
        os.close(fd)


def _kill_until_gone(select: Callable[[dict], set[int]], rounds: int = 200) -> bool:
    """SIGKILL the processes ``select`` picks from the process table until it
    picks none; return whether that happened. Repeated because a process may
    start another before its signal arrives."""
    for _ in range(rounds):
        victims = select(_processes())
        if not victims:
            return True
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.002)
    return False


def _remove_ipc_of(uid: int) -> None:
    """Remove the System V shared memory, semaphores and message queues that
    ``uid`` owns (they outlive their processes); Linux only, as root."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return
    remove = {
        "shm": lambda i: libc.shmctl(i, 0, None),
        "sem": lambda i: libc.semctl(i, 0, 0),
        "msg": lambda i: libc.msgctl(i, 0, None),
    }
    for kind, rmid in remove.items():
        try:
            with open(f"/proc/sysvipc/{kind}", encoding="ascii") as f:
                header, *rows = [line.split() for line in f if line.strip()]
        except OSError:
            continue
        for row in rows:
            try:
                if int(row[header.index("uid")]) == uid:
                    rmid(int(row[1]))  # the second column is the identifier
            except (ValueError, IndexError):
                continue


def _of_user(uid: int) -> Callable[[dict], set[int]]:
    return lambda table: {
        pid for pid, (_, owner, zombie) in table.items() if owner == uid and not zombie
    }


def _descendants_of(root: int) -> Callable[[dict], set[int]]:
    def select(table: dict) -> set[int]:
        children: dict[int, list[int]] = {}
        for pid, (parent, _, zombie) in table.items():
            if not zombie:
                children.setdefault(parent, []).append(pid)
        found: set[int] = set()
        stack = list(children.get(root, ()))
        while stack:
            pid = stack.pop()
            if pid not in found:
                found.add(pid)
                stack.extend(children.get(pid, ()))
        return found

    return select


@dataclass(frozen=True)
class _Scratch:
    """The worker's scratch folder, removed by `_remove_tree`."""

    name: str


def _remove_tree(path: str) -> None:
    """Remove a scratch folder whatever the submission left in it: folders
    nested thousands deep (too deep for a recursive walk), files without
    permissions. Failing that, leave it and log why."""
    command = ["rm", "-rf", "--one-file-system", "--", path]
    try:
        subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True)
    except OSError as error:
        log.debug("rm could not run: %s", error)
    if os.path.lexists(path):
        try:
            shutil.rmtree(path)
        except (OSError, RecursionError) as error:
            log.warning("could not remove the scratch folder %s: %s", path, error)


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _scrubbed_environment(home: str) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    # Some processors need these for OpenBLAS to compute correct results.
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _describe_exit(returncode: int | None) -> str:
    """Say how the worker ended, as the end of "the worker ..."."""
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        number = -returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if number == getattr(signal, "SIGXCPU", None):
            return f"was killed by {name} (CPU-time limit)"
        if number == getattr(signal, "SIGXFSZ", None):
            return f"was killed by {name} (file-size limit)"
        return f"was killed by {name}"
    if returncode == _channel.EXIT_CHANNEL_LOST:
        return (
            "lost its channel to the grader (the code closed, read or wrote "
            "into the worker's pipes)"
        )
    return f"exited with status {returncode}"


# Control characters, line and paragraph separators, bidirectional controls.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def clean_text(value: Any, limit: int = 500) -> str:
    """Make text from the worker safe to show: a string, capped, with control
    characters (terminal escapes among them) and lone surrogates replaced."""
    if not isinstance(value, str):
        return ""
    text = value.encode("utf-8", errors="replace").decode("utf-8", errors="replace")
    text = _CONTROL.sub("?", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_from_report(report: dict, function: str) -> SubmissionError:
    kind_name = clean_text(report.get("type"), 80) or "Exception"
    message = clean_text(report.get("message")).replace("\n", " ")
    where = clean_text(report.get("where"), 200)
    line = clean_text(report.get("line"), 200)

    raised_in = clean_text(report.get("function"), 80)
    if kind_name == "NotImplementedError":
        if raised_in and raised_in != function and raised_in != "<module>":
            text = f"{function} calls {raised_in}, which is not implemented yet"
        else:
            text = f"{function} is not implemented yet"
        return SubmissionError(ErrorKind.NOT_IMPLEMENTED, text, function)
    if kind_name == "MissingFunction":
        return SubmissionError(
            ErrorKind.MISSING, f"the file does not define {function}", function
        )
    if kind_name == "ResultTooLarge":
        return SubmissionError(
            ErrorKind.REFUSED, f"{function} returned {message}", function
        )

    text = f"{function} raised {kind_name}"
    if message:
        text += f": {message}"
    if where:
        text += f" ({where}"
        text += f": {line})" if line else ")"
    if kind_name == "ValueError" and "read-only" in message:
        text += "; it writes into one of its arguments, which must stay unchanged"
    return SubmissionError(ErrorKind.EXCEPTION, text, function)


class Sandbox:
    """A worker process running one submission, replaced when it fails.

    Parameters
    ----------
    submission : path-like
        The student's ``.py`` file.
    limits : Limits, optional
        Time, memory and size limits.
    confinement : Confinement or str, optional
        ``"auto"`` (the default) or ``"same-user"``; see `Confinement`.

    Examples
    --------
    >>> with Sandbox("hw1.py") as box:  # doctest: +SKIP
    ...     Y = box.call("softmax", Z).get()
    """

    def __init__(
        self,
        submission: str | os.PathLike,
        limits: Limits | None = None,
        confinement: Confinement | str = Confinement.AUTO,
    ):
        self.submission = Path(submission).resolve()
        self.limits = limits or Limits()
        self.confinement = Confinement(confinement)
        #: How the last worker reported itself confined: ``uid``, ``chroot``
        #: and ``problems`` (what could not be done).
        self.confined: dict[str, Any] = {}
        self._uid: int | None = None
        self.output = _Output(self.limits.output_bytes)
        self.load_error: SubmissionError | None = None
        self.names: frozenset[str] = frozenset()
        self.restarts = 0
        self.precision = Precision()
        self._answers: dict[str, Callable[..., Any]] = {}
        self._timeouts: dict[str, int] = {}
        self._timeouts_by_answers = {frozenset(): self._timeouts}
        self._answer_bound = (0, 0)
        self._budget_ends = time.monotonic() + self.limits.total_seconds
        self._process: subprocess.Popen | None = None
        self._home: _Scratch | None = None
        self._to_worker = -1
        self._from_worker = -1
        self._drainer: threading.Thread | None = None
        self._loaded_once = False

    # -- life cycle ---------------------------------------------------------

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _start(self) -> None:
        self._home = _Scratch(tempfile.mkdtemp(prefix="nncheck-worker-"))
        scratch = self._home.name
        confine = self.confinement is Confinement.AUTO and _is_root()
        self._uid = _unused_id() if confine else None
        self._copy_submission(scratch)
        if self._uid is not None:
            os.chown(scratch, self._uid, self._uid)
        request_read, request_write = os.pipe()
        reply_read, reply_write = os.pipe()
        config = {
            "limits": {
                "memory_bytes": self.limits.memory_bytes,
                "cpu_seconds": self.limits.cpu_seconds,
                "file_bytes": self.limits.file_bytes,
                "processes": self.limits.processes,
                "max_frame_bytes": self.limits.max_frame_bytes,
            },
            "uid": self._uid,
            "gid": self._uid,
            "root": scratch if confine else None,
        }
        command = [
            sys.executable,
            "-I",  # isolated: no PYTHON* variables, no user site, no script dir
            "-B",
            "-u",  # unbuffered, so what is printed before a crash is kept
            str(_WORKER_SCRIPT),
            str(request_read),
            str(reply_write),
            json.dumps(config),
        ]
        try:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=scratch,
                env=_scrubbed_environment("/" if confine else scratch),
                pass_fds=(request_read, reply_write),
                start_new_session=True,
            )
        finally:
            os.close(request_read)
            os.close(reply_write)
        os.set_blocking(request_write, False)
        self._to_worker = request_write
        self._from_worker = reply_read
        # The drainer owns the output pipe from here on and closes it.
        output_fd = os.dup(self._process.stdout.fileno())
        self._process.stdout.close()
        self._drainer = threading.Thread(
            target=_drain, args=(output_fd, self.output), daemon=True
        )
        self._drainer.start()
        log.debug(
            "started worker %d for %s (user %s)",
            self._process.pid,
            self.submission,
            self._uid if confine else "the grader's",
        )

    def _copy_submission(self, scratch: str) -> None:
        """Put a copy of the submission in the scratch folder, owned by the
        worker's user: the only file a confined worker can see."""
        target = os.path.join(scratch, self.submission.name)
        try:
            size = self.submission.stat().st_size
            if size > _MAX_SUBMISSION_BYTES:
                raise OSError(f"the file has {size} bytes, more than the limit")
            shutil.copyfile(self.submission, target)
        except OSError as error:
            log.debug("could not copy %s: %s", self.submission, error)
            return  # the load then fails and says the file is missing
        os.chmod(target, 0o600)
        if self._uid is not None:
            os.chown(target, self._uid, self._uid)

    def _stop(self) -> int | None:
        """Kill the worker and everything it started; return its exit status."""
        process = self._process
        if process is None:
            return None
        # Every process the submission started first: with a user of its own,
        # all of that user's processes; otherwise the worker's descendants,
        # which stay its children even when they detach (it is their reaper).
        if self._uid is not None:
            _kill_until_gone(_of_user(self._uid))
            _remove_ipc_of(self._uid)
            _release_id(self._uid)
        elif process.poll() is None:
            _kill_until_gone(_descendants_of(process.pid))
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                process.kill()
        try:
            returncode = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            returncode = None
        # Children left in its process group go with it.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for fd in (self._to_worker, self._from_worker):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to_worker = self._from_worker = -1
        if self._drainer is not None:
            # A process the submission detached may still hold the pipe; the
            # drainer then stays behind as a daemon thread, and we go on.
            self._drainer.join(timeout=1)
            self._drainer = None
        if self._home is not None:
            _remove_tree(self._home.name)
            self._home = None
        self._process = None
        return returncode

    def close(self) -> None:
        """Stop the worker and everything it started.

        The worker is killed, not asked to exit: it keeps nothing worth a
        graceful exit, and a worker that exited first would leave the
        processes it started without the parent through which they are found.
        """
        self._stop()

    def _still_running(self, grace: float) -> bool:
        """Whether the worker is still running after ``grace`` seconds."""
        if self._process is None:
            return False
        try:
            self._process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            return True
        return False

    def _lost_worker(self) -> str:
        """Stop a worker that failed and say how it ended ("exited with ...")."""
        returncode = self._stop()
        self.restarts += 1
        return _describe_exit(returncode)

    def ensure_loaded(self) -> None:
        """Start a worker and load the submission in it, unless it is running.

        Raises
        ------
        SubmissionError
            With kind ``LOAD`` when the file cannot be loaded; the error is
            kept and raised again by every later call without a new attempt.
        """
        if self.load_error is not None:
            raise self.load_error
        if self._process is not None and self._process.poll() is None:
            return
        if self._process is not None:
            self._stop()
        deadline = time.monotonic() + self.limits.load_seconds
        try:
            self._start()
            # Relative to the worker's folder, which is "/" once it is confined.
            self._send({"op": "load", "path": self.submission.name})
            reply = self._receive(deadline)
        except _channel.ChannelTimeout:
            self._fail_load(
                f"loading the file timed out after {self.limits.load_seconds:g} s "
                "(is there code at module level that never ends?)"
            )
        except (_channel.ChannelError, OSError) as error:
            how = self._lost_worker()
            self._fail_load(f"the worker {how} while loading the file ({error})")
        if not isinstance(reply, dict) or reply.get("kind") != "loaded":
            self._fail_load("the worker sent an unexpected reply while loading")
        self._record_confinement(reply.get("confinement"))
        if not reply.get("ok"):
            report = reply.get("error") or {}
            self._fail_load(_load_message(report, self.submission.name))
        names = reply.get("names")
        names = names if isinstance(names, list) else []
        self.names = frozenset(clean_text(n, 100) for n in names if isinstance(n, str))
        self._loaded_once = True

    def _record_confinement(self, reported: Any) -> None:
        """Keep what the worker said of its confinement (it speaks before any
        submission code runs, so this is the worker's own account)."""
        if not isinstance(reported, dict):
            return
        problems = reported.get("problems")
        self.confined = {
            "uid": reported.get("uid") if type(reported.get("uid")) is int else None,
            "chroot": reported.get("chroot") is True,
            "network": reported.get("network") is not False,
            "problems": [clean_text(p, 200) for p in problems]
            if isinstance(problems, list)
            else [],
        }
        for problem in self.confined["problems"]:
            log.warning("the worker could not be confined fully: %s", problem)

    def confinement_notes(self) -> list[str]:
        """Remarks for the report when the worker is confined less than the
        grader asked: grading then goes on with a weaker sandbox."""
        notes = []
        if self._uid is not None and self.confined:
            if self.confined["uid"] != self._uid or not self.confined["chroot"]:
                notes.append(
                    "the grader runs as root but could not fully confine the "
                    "process running your code ("
                    + "; ".join(self.confined["problems"] or ["unknown reason"])
                    + "); tell your instructor"
                )
        return notes

    def _fail_load(self, message: str) -> None:
        self._stop()
        self.load_error = SubmissionError(ErrorKind.LOAD, message)
        raise self.load_error

    def _send(self, message: Any) -> None:
        frame = _channel.encode(message, max_bytes=self.limits.max_frame_bytes)
        deadline = time.monotonic() + self.limits.call_seconds
        _channel.write_frame(self._to_worker, frame, deadline)

    def _receive(self, deadline: float) -> Any:
        return _channel.read_frame(
            self._from_worker,
            deadline=deadline,
            max_bytes=self.limits.max_frame_bytes,
        )

    # -- calls ----------------------------------------------------------------

    def call(self, name: str, *args: Any) -> CallOutcome:
        """Call one submitted function with plain-data arguments."""
        return self.call_many([(name, args)])[0]

    @contextmanager
    def answering(self, answers: dict[str, Callable[..., Any]]) -> Iterator[None]:
        """Within the block, calls the submission makes to the named functions
        are answered by the grader with the given callables.

        The submission's own functions keep their identity; only their code
        is swapped in the worker for a trampoline that asks the grader, so the
        callables (the reference, say) never enter the worker.
        """
        previous, timeouts = self._answers, self._timeouts
        self._answers = {**previous, **answers}
        # A function that timed out because of a callee gets a fresh start
        # with the callee answered, once for each set of answered callees.
        self._timeouts = self._timeouts_by_answers.setdefault(
            frozenset(self._answers), {}
        )
        try:
            yield
        finally:
            self._answers, self._timeouts = previous, timeouts

    def _answer(self, request: dict) -> None:
        """Answer a callback request from the worker."""
        name = request.get("name")
        args = request.get("args")
        answer = self._answers.get(name) if isinstance(name, str) else None
        if answer is None or not isinstance(args, list):
            self._send({"op": "answer", "ok": False, "error": "not available"})
            return
        elements, axis = self._answer_bound
        if not _small_enough(args, elements, axis):
            self._send(
                {
                    "op": "answer",
                    "ok": False,
                    "error": "arguments larger than the grader answers for "
                    f"({elements} elements, {axis} along an axis: no more than "
                    "the inputs of the call being checked)",
                }
            )
            return
        try:
            value = answer(*args)
            self._send({"op": "answer", "ok": True, "value": value})
        except Exception as error:  # the submission passed arguments it can't take
            text = clean_text(f"{type(error).__name__}: {error}", 200)
            self._send({"op": "answer", "ok": False, "error": text})

    def call_many(self, calls: list[tuple[str, tuple]]) -> list[CallOutcome]:
        """Call submitted functions in order in one round trip.

        Each call has its own time limit. A call that times out or kills the
        worker fails with the reason; the calls after it in the batch are run
        in a fresh worker.

        Parameters
        ----------
        calls : list of (str, tuple)
            Function names and their positional arguments.

        Returns
        -------
        list of CallOutcome
            One outcome per call, in order.
        """
        outcomes: list[CallOutcome] = []
        while len(outcomes) < len(calls):
            outcomes.extend(self._run_batch(calls[len(outcomes) :]))
        return outcomes

    def _over_budget(self, name: str) -> SubmissionError:
        return SubmissionError(
            ErrorKind.TIMEOUT,
            f"{name} was stopped: the time limit of the whole file "
            f"({self.limits.total_seconds:g} s) ran out (look for slow or "
            "sleeping code)",
            name,
        )

    def _skip_reason(self, name: str) -> SubmissionError | None:
        if time.monotonic() >= self._budget_ends:
            return self._over_budget(name)
        count = self._timeouts.get(name, 0)
        if count >= self.limits.timeouts_before_skip:
            return SubmissionError(
                ErrorKind.TIMEOUT,
                f"{name} was not run again: it already timed out {count} times "
                f"(limit {self.limits.call_seconds:g} s per call)",
                name,
            )
        return None

    def _run_batch(self, calls: list[tuple[str, tuple]]) -> list[CallOutcome]:
        """Run calls until the batch ends or the worker is lost; return outcomes.

        Returns at least one outcome, so that the caller always progresses.
        """
        skip = self._skip_reason(calls[0][0])
        if skip is not None:
            return [CallOutcome(error=skip)]
        try:
            self.ensure_loaded()
        except SubmissionError as error:
            return [
                CallOutcome(error=SubmissionError(error.kind, error.message, name))
                for name, _ in calls
            ]

        # Send only up to the first function that is to be skipped.
        runnable = []
        for name, args in calls:
            if self._skip_reason(name) is not None:
                break
            runnable.append((name, args))
        for position, (name, args) in enumerate(runnable):
            try:
                _channel.encode(list(args), max_bytes=self.limits.max_frame_bytes)
            except _channel.ChannelError as error:
                if position > 0:
                    runnable = runnable[:position]
                    break
                return [
                    CallOutcome(
                        error=SubmissionError(
                            ErrorKind.REFUSED,
                            f"{name} was not called: one of its arguments came "
                            f"from your code and is not plain data ({error}); "
                            "return plain ndarrays (np.asarray) and lists",
                            name,
                        )
                    )
                ]
        self._answer_bound = _bound_of(runnable)
        try:
            self._send(
                {
                    "op": "calls",
                    "calls": [[n, list(a)] for n, a in runnable],
                    "substitute": sorted(self._answers),
                    "keep": sorted({n for n, _ in runnable} - set(self._answers)),
                }
            )
        except _channel.ChannelTimeout:
            self._lost_worker()
            message = f"the worker stopped reading requests before {runnable[0][0]}"
            error = SubmissionError(ErrorKind.CRASH, message, runnable[0][0])
            return [CallOutcome(error=error)]
        except (OSError, _channel.ChannelError):
            how = self._lost_worker()
            return [CallOutcome(error=self._crash(runnable[0][0], how))]

        outcomes = []
        for name, _ in runnable:
            started = time.monotonic()
            deadline = min(started + self.limits.call_seconds, self._budget_ends)
            try:
                reply = self._receive(deadline)
                while isinstance(reply, dict) and reply.get("kind") == "callback":
                    self._answer(reply)
                    reply = self._receive(deadline)
            except _channel.ChannelTimeout:
                self._lost_worker()
                if time.monotonic() >= self._budget_ends:
                    outcomes.append(CallOutcome(error=self._over_budget(name)))
                    return outcomes
                self._timeouts[name] = self._timeouts.get(name, 0) + 1
                outcomes.append(
                    CallOutcome(
                        error=SubmissionError(
                            ErrorKind.TIMEOUT,
                            f"{name} timed out after {self.limits.call_seconds:g} s",
                            name,
                        ),
                        seconds=self.limits.call_seconds,
                    )
                )
                return outcomes
            except _channel.ChannelClosed:
                alive = self._still_running(grace=0.5)
                how = self._lost_worker()
                if alive:
                    how = "closed its channel to the grader"
                outcomes.append(CallOutcome(error=self._crash(name, how)))
                return outcomes
            except _channel.ChannelError as error:
                self._lost_worker()
                outcomes.append(
                    CallOutcome(
                        error=SubmissionError(
                            ErrorKind.REFUSED,
                            f"{name}: the worker sent a malformed reply ({error}); "
                            "does the code write into the worker's pipes?",
                            name,
                        )
                    )
                )
                return outcomes
            outcomes.append(self._outcome(name, reply, time.monotonic() - started))
        return outcomes

    def _crash(self, name: str, how: str) -> SubmissionError:
        text = f"the worker {how} while running {name}"
        if "SIGKILL" in how and self.limits.memory_bytes:
            text += " (the system may have run out of memory)"
        return SubmissionError(ErrorKind.CRASH, text, name)

    def _outcome(self, name: str, reply: Any, seconds: float) -> CallOutcome:
        if not isinstance(reply, dict) or reply.get("kind") != "result":
            self._lost_worker()
            return CallOutcome(
                error=SubmissionError(
                    ErrorKind.REFUSED,
                    f"{name}: the worker sent a malformed reply",
                    name,
                )
            )
        if reply.get("ok"):
            changed = reply.get("changed_args")
            if not isinstance(changed, list):
                changed = []
            self.precision.observe(reply.get("value"))
            return CallOutcome(
                value=reply.get("value"),
                seconds=seconds,
                changed_args=tuple(i for i in changed if type(i) is int),
            )
        report = reply.get("error")
        if not isinstance(report, dict):
            report = {}
        error = _error_from_report(report, name)
        if report.get("type") == "MemoryError":
            error.message += " (the worker's memory limit is " + (
                f"{self.limits.memory_bytes / 2**30:g} GiB)"
            )
        return CallOutcome(error=error, seconds=seconds)

    def printed(self) -> str:
        """What the submission printed so far, capped by the limits."""
        self.output.settle()
        return self.output.text()


#: Largest arguments the grader ever computes an answer for, in elements and
#: along any axis: it runs the answer in its own process, so a submission
#: must not make it build a huge array (a (1, L) input to a Jacobian, say).
#: Within these, an answer's arrays may be no longer along any axis than the
#: longest axis among the inputs of the calls being checked, and no larger
#: than the largest of those inputs or that axis squared: what the function
#: checked can derive from its inputs, and not what a submission would like
#: the grader to compute (a softmax layer of 1024 units, say).
_ANSWER_ELEMENTS = 100_000
_ANSWER_AXIS = 1024


def _bound_of(calls: list[tuple[str, tuple]]) -> tuple[int, int]:
    """The answer bound (elements, axis) that the inputs of ``calls`` allow."""
    size = axis = 0
    stack: list[tuple[Any, int]] = [(list(args), 0) for _, args in calls]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, np.ndarray):
            size = max(size, value.size)
            axis = max(axis, max(value.shape, default=0))
        elif isinstance(value, (list, tuple)) and depth < 8:
            stack.extend((v, depth + 1) for v in value)
    axis = min(axis, _ANSWER_AXIS)
    return min(max(size, axis * axis), _ANSWER_ELEMENTS), axis


def _small_enough(value: Any, elements: int, axis: int, depth: int = 0) -> bool:
    if isinstance(value, np.ndarray):
        return value.size <= elements and max(value.shape, default=0) <= axis
    if isinstance(value, (list, tuple)):
        return (
            depth < 8
            and len(value) <= 64
            and all(_small_enough(v, elements, axis, depth + 1) for v in value)
        )
    return not isinstance(value, dict)


def _load_message(report: dict, filename: str) -> str:
    kind = clean_text(report.get("type"), 80) or "Exception"
    message = clean_text(report.get("message")).replace("\n", " ")
    where = clean_text(report.get("where"), 200)
    line = clean_text(report.get("line"), 200)
    if kind in ("SystemExit", "KeyboardInterrupt"):
        text = f"it raised {kind} while being loaded"
    else:
        text = kind
        if message:
            text += f": {message}"
    if where:
        text += f" ({where}"
        text += f": {line})" if line else ")"
    elif filename:
        text += f" (in {filename})"
    return text
