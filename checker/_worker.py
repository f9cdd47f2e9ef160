"""The worker process: loads one submission and calls its functions.

This file is run as a script by the grader, never imported by it::

    python -I -B -u _worker.py READ_FD WRITE_FD CONFIG_JSON

It reads requests from ``READ_FD`` and writes replies to ``WRITE_FD`` with the
plain-data frames of ``_channel``. Its standard output and error are a pipe
that the grader drains into a capped buffer, so nothing the submission prints
can reach the replies.

Before it reads the first request, and so before any code of the submission
runs, the worker confines itself as ``CONFIG_JSON`` asks:

- resource limits (address space, CPU time, file size, processes, no core
  files);
- when started as root with a ``uid``: it imports the modules a submission may
  use (numpy and a list of standard modules, `PRELOADED`), closes every file
  descriptor but its pipes, makes its scratch folder (``root``, which holds a
  copy of the submission) its root directory, and becomes the unprivileged
  user ``uid``:``gid`` with no supplementary groups and no way to gain
  privileges again. From then on it sees no file but its scratch folder;
  importing a module that was not preloaded fails with a message that says so;
- otherwise it asks the kernel to make it the reaper of its orphaned
  descendants, so that the grader finds and stops every process the
  submission starts, even one that detaches itself.

Requests and replies:

- ``{"op": "load", "path": P}`` -> ``{"kind": "loaded", "ok": bool,
  "names": [...], "error": {...}, "confinement": {...}}``, the last saying
  how the worker is confined (``uid``, ``chroot``, ``problems``)
- ``{"op": "calls", "calls": [[name, args], ...]}`` -> one ``{"kind":
  "result", ...}`` reply per call, in order, each sent as soon as it is done
  so that the grader times every call on its own.
- ``{"op": "calls", ..., "substitute": [name, ...]}`` -> the same, with each
  named function answered by the grader: a call of it sends ``{"kind":
  "callback", "name": name, "args": [...]}`` and waits for ``{"op":
  "answer", "ok": bool, "value": ..., "error": str}``.
- ``{"op": "exit"}`` -> the worker exits.

A result is ``{"kind": "result", "ok": True, "value": ..., "seconds": t,
"changed_args": [i, ...]}`` (the list arguments whose items the call
replaced, added or removed) or
``{"kind": "result", "ok": False, "error": {"type", "message", "where",
"line"}}`` where ``where`` names the submission's own file and line.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import sys
import time
import traceback
import types

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
import _channel  # noqa: E402

sys.path.remove(_HERE)
del sys.modules["_channel"]

MODULE_NAME = "submission"


#: Modules imported before the worker confines itself: numpy, the parts of
#: it that load on first use, and the standard modules a homework may use.
#: In a confined worker nothing else can be imported.
PRELOADED = (
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.fft",
    "numpy.polynomial",
    "numpy.lib.stride_tricks",
    "numpy.testing",
    "abc",
    "array",
    "bisect",
    "cmath",
    "collections",
    "collections.abc",
    "contextlib",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "json",
    "logging",
    "math",
    "numbers",
    "operator",
    "pprint",
    "random",
    "re",
    "statistics",
    "string",
    "textwrap",
    "time",
    "typing",
    "warnings",
)


def _tasks_of_user(uid: int) -> int:
    """Threads now running under the real user ``uid`` (what RLIMIT_NPROC
    counts), read from /proc; 0 where there is no /proc."""
    count = 0
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
                fields = dict(
                    line.split(":", 1) for line in f.read().splitlines() if ":" in line
                )
            if int(fields["Uid"].split()[0]) == uid:
                count += int(fields.get("Threads", "1"))
        except (OSError, KeyError, ValueError):
            continue
    return count


def _set_limits(limits: dict, uid: int | None) -> list[str]:
    """Apply the resource limits the grader asked for; return what failed.

    ``uid`` is the user the worker is about to become, or None when it stays
    the grader's user: the process limit counts every process of a user, so
    for the grader's user it is set above the processes already running.
    """
    try:
        import resource
    except ImportError:  # not on this platform: the grader's time limit remains
        return ["resource limits (no resource module on this platform)"]
    problems = []
    table = {
        "memory_bytes": "RLIMIT_AS",
        "cpu_seconds": "RLIMIT_CPU",
        "file_bytes": "RLIMIT_FSIZE",
        "processes": "RLIMIT_NPROC",
    }
    wanted = {key: limits.get(key) for key in table}
    if wanted["processes"] is not None and uid is None:
        wanted["processes"] = int(wanted["processes"]) + _tasks_of_user(os.getuid())
    wanted["core"] = 0
    table["core"] = "RLIMIT_CORE"
    for key, name in table.items():
        value = wanted.get(key)
        if value is None or not hasattr(resource, name):
            continue
        which = getattr(resource, name)
        # For CPU time the hard limit is a little above the soft one, so that
        # SIGXCPU (which names the cause) arrives before SIGKILL.
        hard = int(value) + (5 if key == "cpu_seconds" else 0)
        try:
            resource.setrlimit(which, (int(value), hard))
        except (ValueError, OSError) as error:
            problems.append(f"{name} ({error})")
    return problems


class _NotPreloaded:
    """The last importer of a confined worker: explains why an import fails."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        top = name.partition(".")[0]
        if top == "numpy" or top in sys.stdlib_module_names:
            reason = (
                f"{name} is not among the modules loaded for grading; use numpy "
                "and the common standard modules (math, random, functools, ...)"
            )
        else:
            reason = f"{name} is not available: submissions may import only numpy "
            reason += "and the standard library"
        raise ModuleNotFoundError(f"No module named {name!r} ({reason})", name=name)


def _prctl(option: int, value: int) -> bool:
    """Call Linux's prctl; False where it is not available or fails."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWNET = 0x40000000


def _unshare(flags: int) -> bool:
    """Move this process into new Linux namespaces; False if refused."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).unshare(flags) == 0
    except (OSError, AttributeError):
        return False


def _confine(config: dict, keep_fds: tuple[int, ...]) -> dict:
    """Confine this process as ``config`` asks, before any submission code.

    Returns what was done: ``uid`` (the user now), ``chroot`` (whether the
    scratch folder is now the root), ``problems`` (what could not be done).
    """
    uid, gid, root = config.get("uid"), config.get("gid"), config.get("root")
    problems = _set_limits(config.get("limits") or {}, uid)
    chrooted = False
    if uid is None:
        if not _prctl(_PR_SET_CHILD_SUBREAPER, 1):
            problems.append("reaping detached processes (prctl refused)")
        return {
            "uid": os.getuid(),
            "chroot": False,
            "network": True,
            "problems": problems,
        }

    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    # No descriptor may lead outside the new root: a directory left open
    # would let the submission walk out of it.
    try:
        open_fds = [int(fd) for fd in os.listdir("/proc/self/fd")]
    except OSError:
        open_fds = list(range(3, 256))
    for fd in open_fds:
        if fd > 2 and fd not in keep_fds:
            try:
                os.close(fd)
            except OSError:
                pass
    # A network and a System V IPC namespace of its own, where the kernel
    # allows it (it takes CAP_SYS_ADMIN, which many containers withhold): no
    # connection out, no shared memory that outlives the worker.
    isolated = _unshare(_CLONE_NEWNET | _CLONE_NEWIPC)
    if root:
        try:
            os.chroot(root)
            os.chdir("/")
            chrooted = True
        except OSError as error:
            problems.append(f"changing the root directory ({error.strerror})")
    try:
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    except OSError as error:
        problems.append(f"becoming user {uid} ({error.strerror}); still root")
    if not _prctl(_PR_SET_NO_NEW_PRIVS, 1):
        problems.append("forbidding new privileges (prctl refused)")
    if chrooted:
        sys.path[:] = []
        sys.path_importer_cache.clear()
        sys.meta_path.append(_NotPreloaded())
    return {
        "uid": os.getuid(),
        "chroot": chrooted,
        "network": not isolated,
        "problems": problems,
    }


def _error_report(error: BaseException, path: str) -> dict:
    """Describe an exception by the submission's own frame closest to it."""
    where = None
    line = None
    function = None
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if os.path.abspath(frame.filename) == path:
            where = f"{os.path.basename(path)}, line {frame.lineno}, in {frame.name}"
            line = (frame.line or "").strip() or None
            function = frame.name
            break
    if isinstance(error, SyntaxError) and error.filename:
        if os.path.abspath(error.filename) == path:
            where = f"{os.path.basename(path)}, line {error.lineno}"
            line = (error.text or "").strip() or None
    try:
        message = str(error)
    except BaseException:  # a custom exception whose __str__ fails
        message = ""
    if isinstance(error, SyntaxError):
        message = error.msg or message
    return {
        "type": type(error).__name__[:80],
        "message": message[:500],
        "where": where,
        "line": line[:200] if line else None,
        "function": function,
    }


class Worker:
    """Serves one submission over the channel."""

    def __init__(
        self, read_fd: int, write_fd: int, max_bytes: int, confinement: dict
    ) -> None:
        self.confinement = confinement
        self.read_fd = read_fd
        self.write_fd = write_fd
        self.max_bytes = max_bytes
        self.module = None
        self.path = ""
        self.signatures: dict = {}

    def send(self, message: dict) -> None:
        try:
            frame = _channel.encode(message, max_bytes=self.max_bytes, strict=False)
        except Exception as error:  # noqa: BLE001 - any value the code returned
            frame = _channel.encode(
                {
                    "kind": "result",
                    "ok": False,
                    "error": {
                        "type": "ResultTooLarge",
                        "message": str(error)
                        if isinstance(error, _channel.ChannelError)
                        else "a value that cannot be sent as plain data "
                        f"({type(error).__name__})",
                        "where": None,
                        "line": None,
                    },
                }
            )
        _channel.write_frame(self.write_fd, frame)

    def load(self, path: str) -> dict:
        self.path = os.path.abspath(path)
        try:
            spec = importlib.util.spec_from_file_location(MODULE_NAME, self.path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[MODULE_NAME] = module
            spec.loader.exec_module(module)
        except BaseException as error:  # student code: anything can come out
            return {
                "kind": "loaded",
                "ok": False,
                "names": [],
                "error": _error_report(error, self.path),
                "confinement": self.confinement,
            }
        self.module = module
        names = sorted(
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and callable(value)
        )
        return {
            "kind": "loaded",
            "ok": True,
            "names": names,
            "error": None,
            "confinement": self.confinement,
        }

    def call(self, name: str, args: list) -> dict:
        function = getattr(self.module, name, None)
        if function is None or not callable(function):
            return {
                "kind": "result",
                "ok": False,
                "error": {
                    "type": "MissingFunction",
                    "message": f"the file does not define {name}",
                    "where": None,
                    "line": None,
                },
            }
        # Arrays arrive read-only, so writing into one raises; lists do not,
        # so their items are remembered to tell whether the call replaced any.
        before = [list(a) if type(a) is list else None for a in args]
        start = time.perf_counter()
        try:
            value = function(*args)
        except BaseException as error:  # student code: anything can come out
            return {
                "kind": "result",
                "ok": False,
                "error": _error_report(error, self.path),
            }
        seconds = time.perf_counter() - start
        changed = [
            i
            for i, (arg, items) in enumerate(zip(args, before))
            if items is not None
            and (len(arg) != len(items) or any(a is not b for a, b in zip(arg, items)))
        ]
        return {
            "kind": "result",
            "ok": True,
            "value": value,
            "seconds": seconds,
            "changed_args": changed,
        }

    # -- substitution -----------------------------------------------------
    #
    # To grade a function without charging it for a broken function it
    # calls, the grader can have calls of that function answered by itself
    # (the reference never enters this process). The function object keeps
    # its identity, so references held in dicts or lists are covered too:
    # only its code is swapped for a trampoline that asks the grader.

    def ask_grader(self, name: str, args: tuple, kwargs: dict) -> object:
        if kwargs:
            # Keyword arguments are put in place by the submission's own
            # signature of the function, as a call would have bound them.
            signature = self.signatures.get(name)
            if signature is None:
                raise TypeError(f"{name} takes its arguments by position")
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            args = tuple(bound.arguments.values())
        self.send({"kind": "callback", "name": name, "args": list(args)})
        reply = _channel.read_frame(self.read_fd, max_bytes=self.max_bytes)
        if not isinstance(reply, dict) or not reply.get("ok"):
            message = reply.get("error") if isinstance(reply, dict) else None
            raise RuntimeError(
                f"the reference {name} used in place of yours failed: {message}"
            )
        return reply.get("value")

    def substitute(self, names: list, keep: list) -> list:
        """Swap the named functions for trampolines; return how to undo it.

        A function object that is also one of ``keep`` (the function being
        checked, when a file binds one object to two names) keeps its code:
        only the other name is rebound.
        """
        undo = []
        namespace = vars(self.module)
        namespace["__nncheck_ask__"] = self.ask_grader
        kept = {id(namespace.get(k)) for k in keep if k in namespace}
        self.signatures = {}
        for name in names:
            function = namespace.get(name)
            try:
                self.signatures[name] = inspect.signature(function)
            except (TypeError, ValueError):
                pass
            source = (
                f"def {name}(*args, **kwargs):\n"
                f"    return __nncheck_ask__({name!r}, args, kwargs)\n"
            )
            scratch = {}
            exec(compile(source, "<substitute>", "exec"), namespace, scratch)
            trampoline = scratch[name]
            if isinstance(function, types.FunctionType) and id(function) not in kept:
                try:
                    original = function.__code__
                    function.__code__ = trampoline.__code__
                    undo.append((function, original))
                    continue
                except ValueError:  # a closure: fall back to the module name
                    pass
            undo.append((name, function))
            namespace[name] = trampoline
        return undo

    def restore(self, undo: list) -> None:
        namespace = vars(self.module)
        for target, saved in reversed(undo):
            if isinstance(target, str):
                namespace[target] = saved
            else:
                target.__code__ = saved
        namespace.pop("__nncheck_ask__", None)

    def serve(self) -> None:
        while True:
            try:
                request = _channel.read_frame(self.read_fd, max_bytes=self.max_bytes)
            except _channel.ChannelClosed:
                return
            op = request.get("op") if isinstance(request, dict) else None
            if op == "exit":
                return
            if op == "load":
                self.send(self.load(request["path"]))
            elif op == "calls":
                undo = self.substitute(
                    request.get("substitute") or [], request.get("keep") or []
                )
                try:
                    for name, args in request["calls"]:
                        self.send(self.call(name, list(args)))
                finally:
                    self.restore(undo)
            else:
                self.send({"kind": "error", "message": f"unknown request {op!r}"})


def main(argv: list[str]) -> int:
    read_fd, write_fd = int(argv[1]), int(argv[2])
    config = json.loads(argv[3]) if len(argv) > 3 else {}
    confinement = _confine(config, keep_fds=(read_fd, write_fd))
    limits = config.get("limits") or {}
    max_bytes = int(limits.get("max_frame_bytes") or _channel.DEFAULT_MAX_FRAME_BYTES)
    try:
        Worker(read_fd, write_fd, max_bytes, confinement).serve()
    except (OSError, _channel.ChannelError):
        # The submission closed, read or wrote into the pipes: say so by the
        # exit status, the only word the grader can still receive.
        os._exit(_channel.EXIT_CHANNEL_LOST)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
