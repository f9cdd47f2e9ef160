"""The worker process: every way a call can end, and the worker's isolation."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from checker._channel import Unsupported
from checker.sandbox import ErrorKind, Limits, Sandbox

TOY = """
import os
import sys
import time

import numpy as np

print("loaded")


def double(x):
    return 2 * x


def stub(x):
    raise NotImplementedError


def calls_stub(x):
    return stub(x) + 1


def broken(x):
    return x / undefined_name


def forever(x):
    while True:
        pass


def exits(x):
    os._exit(3)


def raises_system_exit(x):
    sys.exit(4)


def interrupts(x):
    raise KeyboardInterrupt


def writes_in_place(x):
    x += 1
    return x


def replaces_list_item(items):
    items[0] = 0
    return items


def chatty(x):
    print("x is", x.shape)
    return x


def where_am_i(x):
    return [
        os.getcwd(),
        os.environ.get("SECRET_TOKEN", ""),
        sys.flags.isolated,
        sorted(os.listdir(".")),
    ]


def huge(x):
    return np.ones(10**10)


def recurses(x):
    return recurses(x)


def child_left_behind(x):
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    return child
"""


@pytest.fixture
def box(tmp_path):
    path = tmp_path / "toy.py"
    path.write_text(TOY)
    with Sandbox(path, Limits(call_seconds=1.0)) as sandbox:
        yield sandbox


def test_a_value_comes_back(box):
    got = box.call("double", np.arange(3.0)).get()
    np.testing.assert_array_equal(got, [0.0, 2.0, 4.0])


@pytest.mark.parametrize(
    "name, kind, text",
    [
        ("stub", ErrorKind.NOT_IMPLEMENTED, "stub is not implemented yet"),
        ("calls_stub", ErrorKind.NOT_IMPLEMENTED, "calls_stub calls stub, which is"),
        ("missing", ErrorKind.MISSING, "does not define missing"),
        ("broken", ErrorKind.EXCEPTION, "NameError: name 'undefined_name'"),
        ("raises_system_exit", ErrorKind.EXCEPTION, "SystemExit: 4"),
        ("interrupts", ErrorKind.EXCEPTION, "KeyboardInterrupt"),
        ("writes_in_place", ErrorKind.EXCEPTION, "must stay unchanged"),
        ("huge", ErrorKind.EXCEPTION, "MemoryError"),
        ("recurses", ErrorKind.EXCEPTION, "RecursionError"),
        ("exits", ErrorKind.CRASH, "exited with status 3 while running exits"),
    ],
)
def test_each_failure_is_one_line_with_its_reason(box, name, kind, text):
    outcome = box.call(name, np.arange(3.0))
    assert outcome.error is not None
    assert outcome.error.kind is kind
    assert text in outcome.error.message
    assert "\n" not in outcome.error.message
    # The worker is still usable (or replaced) afterwards.
    np.testing.assert_array_equal(box.call("double", np.ones(1)).get(), [2.0])


def test_an_exception_names_the_submission_file_and_line(box):
    message = box.call("broken", np.ones(1)).error.message
    assert "toy.py, line 24, in broken: return x / undefined_name" in message


def test_a_hanging_call_times_out_and_is_then_skipped(box):
    started = time.monotonic()
    first = box.call("forever", np.ones(1))
    assert first.error.kind is ErrorKind.TIMEOUT
    assert "timed out after 1 s" in first.error.message
    box.call("forever", np.ones(1))
    third = box.call("forever", np.ones(1))
    assert "already timed out 2 times" in third.error.message
    assert time.monotonic() - started < 4
    assert box.call("double", np.ones(1)).get()[0] == 2.0


def test_a_batch_goes_on_in_a_new_worker_after_a_crash(box):
    outcomes = box.call_many(
        [("double", (np.ones(1),)), ("exits", (np.ones(1),)), ("double", (np.ones(1),))]
    )
    assert outcomes[0].value[0] == 2.0
    assert outcomes[1].error.kind is ErrorKind.CRASH
    assert outcomes[2].value[0] == 2.0
    assert box.restarts == 1


def test_replaced_list_items_are_reported(box):
    outcome = box.call("replaces_list_item", [np.ones(1), np.ones(1)])
    assert outcome.changed_args == (0,)
    assert box.call("double", np.ones(1)).changed_args == ()


def test_printed_output_is_captured_and_capped(tmp_path):
    path = tmp_path / "loud.py"
    path.write_text("def shout(n):\n    print('x' * n)\n    return n\n")
    with Sandbox(path, Limits(output_bytes=100)) as box:
        assert box.call("shout", 10_000).get() == 10_000
        text = box.printed()
    assert text.startswith("x" * 100)
    assert "more bytes of output not shown" in text


@pytest.mark.parametrize("confinement", ["auto", "same-user"])
def test_the_worker_runs_isolated_in_a_scratch_folder(tmp_path, confinement):
    path = tmp_path / "toy.py"
    path.write_text(TOY)
    (tmp_path / "neighbour.txt").write_text("not for the worker")
    with Sandbox(path, confinement=confinement) as box:
        cwd, token, isolated, listing = box.call("where_am_i", np.ones(1)).get()
    # Its folder holds a copy of the submission and nothing else.
    assert listing == ["toy.py"]
    if box.confined["chroot"]:
        assert cwd == "/"
    else:
        assert cwd != os.getcwd() and "nncheck-worker-" in cwd
    assert token == ""
    assert isolated == 1


def test_the_worker_does_not_inherit_secrets_from_the_environment(tmp_path):
    os.environ["SECRET_TOKEN"] = "hunter2"
    try:
        path = tmp_path / "toy.py"
        path.write_text(TOY)
        with Sandbox(path) as box:
            assert box.call("where_am_i", np.ones(1)).get()[1] == ""
            assert "SECRET_TOKEN" in os.environ
    finally:
        del os.environ["SECRET_TOKEN"]


def test_unsupported_results_are_marked_not_trusted(tmp_path):
    path = tmp_path / "odd.py"
    path.write_text(
        "import numpy as np\n"
        "class Yes:\n    def __eq__(self, other):\n        return True\n"
        "def odd(x):\n    return Yes()\n"
    )
    with Sandbox(path) as box:
        got = box.call("odd", 1).get()
    assert isinstance(got, Unsupported)
    assert "Yes" in got.description


@pytest.mark.parametrize(
    "source, text",
    [
        ("def f(:\n", "SyntaxError"),
        ("import a_module_that_does_not_exist\n", "ModuleNotFoundError"),
        ("import sys\nsys.exit(1)\n", "SystemExit while being loaded"),
        ("import os\nos._exit(5)\n", "exited with status 5 while loading"),
        ("while True:\n    pass\n", "loading the file timed out"),
    ],
    ids=["syntax", "import", "sys-exit", "os-exit", "loop"],
)
def test_a_file_that_cannot_load_fails_every_call_with_one_reason(
    tmp_path, source, text
):
    path = tmp_path / "bad.py"
    path.write_text(source)
    with Sandbox(path, Limits(load_seconds=1.0)) as box:
        first = box.call("f", 1)
        second = box.call("g", 1)
    assert first.error.kind is ErrorKind.LOAD and text in first.error.message
    assert second.error.message == first.error.message
    assert box.restarts <= 1


def test_processes_left_by_the_submission_are_killed_with_the_worker(box):
    child = box.call("child_left_behind", np.ones(1)).get()
    assert child > 0
    assert _alive(child)
    box.close()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    """True if the process exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_that_stops_reading_cannot_block_the_grader(tmp_path):
    path = tmp_path / "stuck.py"
    path.write_text(
        "import sys, time\n"
        "sys.modules['__main__']._channel.read_frame = lambda *a, **k: time.sleep(99)\n"
        "def f(x):\n    return x\n"
    )
    started = time.monotonic()
    with Sandbox(path, Limits(call_seconds=0.5)) as box:
        big = box.call("f", np.zeros(10**6))
        small = box.call("f", 1.0)
    assert big.error.kind is ErrorKind.CRASH
    assert "stopped reading requests" in big.error.message
    assert small.error.kind is ErrorKind.TIMEOUT
    assert time.monotonic() - started < 10


def test_text_from_the_worker_is_made_safe_to_show(tmp_path):
    path = tmp_path / "odd.py"
    path.write_text(
        "def surrogate(x):\n    raise ValueError('bad \\ud800 value')\n"
        "def escape(x):\n    print('\\x1b[8mhidden\\x1b[0m')\n    return x\n"
        "def long_name(x):\n    raise type('E' * 100000, (Exception,), {})('boom')\n"
    )
    with Sandbox(path) as box:
        surrogate = box.call("surrogate", 1).error.message
        box.call("escape", 1).get()
        long_name = box.call("long_name", 1).error.message
        printed = box.printed()
    surrogate.encode("utf-8")  # no lone surrogate left
    assert "bad ? value" in surrogate
    assert "\x1b" not in printed and "?[8mhidden" in printed
    assert len(long_name) < 400


def test_a_forged_frame_is_refused_and_the_worker_replaced(tmp_path):
    path = tmp_path / "forger.py"
    path.write_text(
        "import json, os, struct, sys\n"
        "def forge(x):\n"
        "    header = b'[' * 100000\n"
        "    os.write(int(sys.argv[2]), struct.pack('<4sIQ', b'NNCK', len(header), 0)"
        " + header)\n"
        "    return x\n"
        "def double(x):\n    return 2 * x\n"
    )
    with Sandbox(path) as box:
        forged = box.call("forge", 1.0)
        after = box.call("double", 1.0)
    assert forged.error.kind is ErrorKind.REFUSED
    assert "malformed" in forged.error.message
    assert after.get() == 2.0


def test_the_whole_file_budget_stops_slow_calls(tmp_path):
    path = tmp_path / "slow.py"
    path.write_text("import time\ndef f(x):\n    time.sleep(0.4)\n    return x\n")
    started = time.monotonic()
    with Sandbox(path, Limits(call_seconds=5, total_seconds=1.0)) as box:
        outcomes = box.call_many([("f", (1.0,))] * 10)
    assert time.monotonic() - started < 4
    assert outcomes[0].get() == 1.0
    assert outcomes[-1].error.kind is ErrorKind.TIMEOUT
    assert "time limit of the whole file" in outcomes[-1].error.message
