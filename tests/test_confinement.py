"""How the worker is confined, and the limits that bind it.

The tests marked ``root`` need a grader running as root, as in Gradescope and
CI containers: only then does the worker get a user of its own and its scratch
folder as root directory.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from checker import load_assignment
from checker.assignment import Assignment
from checker.cli import main
from checker.grader import grade
from checker.sandbox import ErrorKind, Limits, Sandbox

root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the worker is confined only when the grader is root"
)

PROBE = """
import os
import signal
import time

import numpy as np


def who(x):
    return [os.getuid(), os.getgid(), os.getgroups(), os.getcwd(), os.listdir("/")]


def read(path):
    with open(path) as f:
        return f.read()


def write(path):
    with open(path, "w") as f:
        f.write("written by the submission")
    return path


def signal_grader(x):
    os.kill(os.getppid(), signal.SIGTERM)
    return "sent"


def become_root(x):
    os.setuid(0)
    return "root again"


def fork_many(n):
    started = 0
    try:
        for _ in range(n):
            if os.fork() == 0:
                time.sleep(60)
                os._exit(0)
            started += 1
    except OSError as error:
        return [started, type(error).__name__]
    return [started, None]


def detach(x):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(60)
        os._exit(0)
    time.sleep(0.2)
    return os.getpid()


def imports(name):
    try:
        __import__(name)
    except ImportError as error:
        return str(error)
    return "imported"


def slow(seconds):
    time.sleep(seconds)
    return seconds


def big_file(n):
    with open("big.bin", "wb") as f:
        f.write(b"x" * n)
    return n
"""


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    return path


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _processes_of(uid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid and _alive(int(name)):
                    found.append(int(name))
            except OSError:
                pass
    return found


@root
def test_a_root_grader_runs_the_worker_as_a_user_of_its_own_in_its_folder(probe):
    with Sandbox(probe) as box:
        uid, gid, groups, cwd, listing = box.call("who", 0).get()
        assert box.confined == {
            "uid": uid,
            "chroot": True,
            "network": box.confined["network"],
            "problems": [],
        }
    assert uid != 0 and gid != 0 and groups == []
    assert uid != os.getuid()
    assert cwd == "/" and listing == ["probe.py"]


@root
def test_a_confined_worker_cannot_read_or_write_outside_its_folder(probe, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the instructor's seed")
    secret.chmod(0o644)  # readable by anyone: only the root directory hides it
    reference = Path(__file__).resolve().parent.parent / "reference" / "network.py"
    with Sandbox(probe) as box:
        for path in (secret, reference, "/etc/passwd"):
            error = box.call("read", str(path)).error
            assert error is not None and "FileNotFoundError" in error.message
        error = box.call("write", str(tmp_path / "planted.txt")).error
        assert error is not None and "FileNotFoundError" in error.message
        assert box.call("write", "mine.txt").get() == "mine.txt"
    assert not (tmp_path / "planted.txt").exists()
    assert secret.read_text() == "the instructor's seed"


@root
def test_a_confined_worker_can_neither_signal_the_grader_nor_become_root(probe):
    with Sandbox(probe) as box:
        error = box.call("signal_grader", 0).error
        assert error is not None and "PermissionError" in error.message
        error = box.call("become_root", 0).error
        assert error is not None and "PermissionError" in error.message


@root
def test_the_process_limit_counts_the_workers_processes_alone(probe):
    with Sandbox(probe, Limits(processes=6)) as box:
        uid = box.call("who", 0).get()[0]
        started, error = box.call("fork_many", 50).get()
        assert error == "BlockingIOError" and started == 5
        assert len(_processes_of(uid)) == 6
    # Stopping the worker stops every process of its user.
    assert _processes_of(uid) == []


@root
def test_importing_what_was_not_preloaded_says_why(probe):
    with Sandbox(probe) as box:
        assert box.call("imports", "math").get() == "imported"
        assert box.call("imports", "numpy.linalg").get() == "imported"
        text = box.call("imports", "scipy").get()
        assert "may import only numpy and the standard library" in text
        text = box.call("imports", "sqlite3").get()
        assert "not among the modules loaded for grading" in text


def test_processes_that_detach_are_stopped_with_the_worker(probe):
    for confinement in ("auto", "same-user"):
        with Sandbox(probe, confinement=confinement) as box:
            box.call("detach", 0).get()
            worker = box._process.pid
            folder = os.readlink(f"/proc/{worker}/cwd")
            relatives = [
                int(p)
                for p in os.listdir("/proc")
                if p.isdigit() and int(p) != worker and _works_in(int(p), folder)
            ]
        assert relatives, confinement
        time.sleep(0.05)
        assert not [p for p in relatives if _alive(p)], confinement


def _works_in(pid: int, folder: str) -> bool:
    """Whether ``pid`` is alive with ``folder`` (a worker's own scratch
    folder, which no other worker shares) as its working directory."""
    try:
        return os.readlink(f"/proc/{pid}/cwd") == folder and _alive(pid)
    except OSError:
        return False


def test_a_file_larger_than_the_limit_cannot_be_written(probe):
    with Sandbox(probe, Limits(file_bytes=2**20)) as box:
        assert box.call("big_file", 2**19).get() == 2**19
        outcome = box.call("big_file", 2**21)
    assert outcome.error is not None
    assert outcome.error.kind in (ErrorKind.EXCEPTION, ErrorKind.CRASH)
    assert "file" in outcome.error.message.lower() or "SIGXFSZ" in (
        outcome.error.message
    )


def test_limits_are_read_from_text_with_units():
    limits = Limits().with_overrides(
        {"memory_bytes": "512MiB", "call_seconds": "2.5", "processes": "none"}
    )
    assert limits.memory_bytes == 512 * 2**20
    assert limits.call_seconds == 2.5
    assert limits.processes is None
    assert Limits().with_overrides({"file_bytes": 1024}).file_bytes == 1024


@pytest.mark.parametrize(
    "overrides, says",
    [
        ({"memory": 1}, "unknown limit 'memory'; known limits: call_seconds"),
        ({"memory_bytes": "2GB"}, "give a size such as 512MiB"),
        ({"call_seconds": 0}, "give a number above 0"),
        ({"call_seconds": "soon"}, "give a number"),
        ({"load_seconds": None}, "cannot be switched off"),
        ({"processes": 2.5}, "give a whole number"),
        ({"call_seconds": True}, "give a number"),
    ],
)
def test_a_bad_limit_is_refused_with_one_line(overrides, says):
    with pytest.raises(ValueError, match=says.replace("(", r"\(")) as caught:
        Limits().with_overrides(overrides)
    assert "\n" not in str(caught.value)


def test_an_assignment_sets_its_own_limits_and_the_command_line_wins(
    probe, tmp_path, capsys
):
    hw1 = load_assignment("hw1")
    with pytest.raises(ValueError, match="unknown limit 'speed'"):
        Assignment("x", "x", (), (), limits={"speed": 1})

    from checker.assignment import Check

    def slow_check(context):
        context.call("slow", 0.6)

    quick = Assignment(
        "quick",
        "a quick one",
        ("slow",),
        (Check("slow: returns", "slow", 1, slow_check),),
        limits={"call_seconds": 0.3},
    )
    report = grade(probe, quick)
    assert "timed out after 0.3 s" in report.results[0].message
    report = grade(probe, quick, Limits().with_overrides({"call_seconds": 2}))
    assert report.results[0].passed
    assert hw1.limits == {}


def test_the_command_line_takes_limits_and_refuses_bad_ones(tmp_path, capsys):
    path = tmp_path / "hw1.py"
    path.write_text("def identity(z):\n    return z\n")
    status = main([str(path), "--limit", "memory_bytes=lots", "-q"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.startswith("checker: error: --limit: limit memory_bytes='lots'")
    assert main([str(path), "--limit", "call_seconds", "-q"]) == 2
    assert "write it as NAME=VALUE" in capsys.readouterr().err
    status = main(
        [str(path), "-q", "--limit", "memory_bytes=1GiB", "--limit", "processes=8"]
    )
    assert status == 1
    assert capsys.readouterr().out.startswith("Total: 2/100")


def test_a_correct_submission_earns_everything_with_the_limits_on(hw1):
    submission = Path(__file__).resolve().parent / "submissions"
    report = grade(submission / "correct_stable.py", hw1)
    assert report.score == 100 and report.notes == []


@root
def test_a_confined_worker_has_no_network_when_the_kernel_allows_it(tmp_path):
    path = tmp_path / "net.py"
    path.write_text(
        "import socket\n"
        "def connect(port):\n"
        "    with socket.socket() as s:\n"
        "        s.settimeout(1)\n"
        "        s.connect(('127.0.0.1', port))\n"
        "    return 'connected'\n"
    )
    with Sandbox(path) as box:
        outcome = box.call("connect", 9)
        if box.confined["network"]:
            pytest.skip("this kernel refuses new network namespaces to the grader")
    assert "Network is unreachable" in outcome.error.message


@root
def test_shared_memory_left_by_a_worker_user_is_removed():
    from checker.sandbox import _remove_ipc_of, _unused_id

    uid = _unused_id()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a process of that user makes a segment and exits
        try:
            import ctypes

            os.setresuid(uid, uid, uid)
            shmid = ctypes.CDLL(None).shmget(0, 1 << 20, 0o1600)
            os.write(write, str(shmid).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(child, 0)
    shmid = int(os.read(read, 64))
    os.close(read)
    assert shmid >= 0

    def segments_of(owner):
        with open("/proc/sysvipc/shm") as f:
            header, *rows = [line.split() for line in f if line.strip()]
        column = header.index("uid")
        return [int(r[1]) for r in rows if int(r[column]) == owner]

    assert segments_of(uid) == [shmid]
    _remove_ipc_of(uid)
    assert segments_of(uid) == []
