"""Grading a class: ``python -m checker grade``, run as an instructor runs it.

The batches are small (a handful of student-like files, ``--limit
call_seconds=1``) so that the whole module runs in about a minute on two
cores: a correct file, a single-bug file from the bugs table, one whose
``relu_derivative`` never returns, one that does not parse and one that
exits in the middle of a call.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bugs import BUGS, apply
from conftest import ROOT, SUBMISSIONS, edit, typical_source, validate_gradescope

from checker.batch import Outcome, _stop, find_submissions, gradebook_csv

PROBLEMS = (
    "activations",
    "softmax",
    "divergences",
    "risk",
    "forward",
    "backward",
    "training",
)
HEADER = ["student", *PROBLEMS, "total", "max", "status", "sha256", "detail"]
FAST = ("--limit", "call_seconds=1")


def run_batch(*arguments, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "checker", "grade", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def read_gradebook(out: Path) -> list[dict[str, str]]:
    text = (out / "gradebook.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADER
    return [dict(zip(HEADER, row)) for row in rows[1:]]


def hanging_source() -> str:
    """correct_typical.py whose relu_derivative never returns."""
    return edit(
        typical_source(),
        "    return (z > 0).astype(float)\n",
        "    while True:\n        pass\n",
    )


def crashing_source() -> str:
    """correct_typical.py whose softmax_jacobian ends the worker process."""
    return edit(
        typical_source(),
        "def softmax_jacobian(z):\n",
        "def softmax_jacobian(z):\n    import os\n\n    os._exit(3)\n",
    )


def bug_source(bug_id: str) -> str:
    return apply(next(b for b in BUGS if b.id == bug_id), typical_source())


def write_class(folder: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: source}`` under ``folder``; return it."""
    for name, source in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return folder


def points_of(results: dict) -> dict[str, float]:
    """Points per problem in a results.json, by the tests' numbers."""
    totals = dict.fromkeys(PROBLEMS, 0.0)
    for test in results["tests"]:
        problem = PROBLEMS[int(test["number"].split(".")[0]) - 1]
        totals[problem] += test["score"]
    return totals


# --------------------------------------------------------------------------
# Finding the submissions


def test_files_student_folders_and_class_folders_are_found(tmp_path):
    write_class(
        tmp_path / "class",
        {
            "alice.py": "",
            "bob/hw1.py": "",
            "bob/helpers.py": "",
            "carol/my_homework.py": "",
            "dave/a.py": "",
            "dave/b.py": "",
            "erin/README.md": "",
            "notes.txt": "",
            ".git/config": "",
            "__pycache__/alice.cpython-311.pyc": "",
        },
    )
    write_class(tmp_path, {"frank/hw1.py": "", "loose/gina.py": ""})

    submissions, skipped = find_submissions(
        [tmp_path / "class", tmp_path / "frank", tmp_path / "loose/gina.py"], "hw1.py"
    )

    found = {s.student: s.path.relative_to(tmp_path).as_posix() for s in submissions}
    assert found == {
        "alice": "class/alice.py",
        "bob": "class/bob/hw1.py",
        "carol": "class/carol/my_homework.py",
        "frank": "frank/hw1.py",
        "gina": "loose/gina.py",
    }
    assert [s.student for s in submissions] == sorted(found)
    reasons = {s.path.name: s.reason for s in skipped}
    assert reasons == {
        "dave": "2 .py files (a.py, b.py) and none named hw1.py: give the path of "
        "the one to grade",
        "erin": "no .py file in it (folders inside it are not searched)",
        "notes.txt": "not a .py file",
    }


@pytest.mark.parametrize(
    "files, given, message",
    [
        pytest.param(
            {"a/alice.py": "", "b/alice/hw1.py": ""},
            ["a", "b"],
            "two submissions have the id 'alice': {t}/a/alice.py and "
            "{t}/b/alice/hw1.py; rename one or grade them in separate batches",
            id="duplicate-id",
        ),
        pytest.param(
            {"a/Alice.py": "", "b/alice.py": ""},
            ["a", "b"],
            "two submissions have the id 'alice': {t}/a/Alice.py and {t}/b/alice.py",
            id="ids-differing-in-case",
        ),
        pytest.param(
            {}, ["missing"], "no such file or folder: {t}/missing", id="missing"
        ),
        pytest.param(
            {"notes.txt": ""},
            ["notes.txt"],
            "{t}/notes.txt is not a .py file; give .py files or folders of them",
            id="not-python",
        ),
    ],
)
def test_bad_paths_raise_one_line(tmp_path, files, given, message):
    write_class(tmp_path, files)
    with pytest.raises(ValueError) as error:
        find_submissions([tmp_path / g for g in given], "hw1.py")
    assert str(error.value).startswith(message.format(t=tmp_path))
    assert "\n" not in str(error.value)


def test_the_output_folder_inside_a_class_folder_is_passed_over(tmp_path):
    write_class(tmp_path, {"alice.py": "", "grades/reports/alice.txt": ""})
    submissions, skipped = find_submissions(
        [tmp_path], "hw1.py", ignore=[tmp_path / "grades"]
    )
    assert [s.student for s in submissions] == ["alice"]
    assert skipped == []


def test_the_gradebook_has_a_column_per_problem_and_empty_points_on_error():
    graded = Outcome(
        "bob",
        "bob/hw1.py",
        "ab" * 32,
        "graded",
        problems={"activations": 19.5, "softmax": 12.0},
        total=31.5,
        max_score=32.0,
    )
    failed = Outcome("=cmd()", "x.py", "", "error", max_score=32.0, detail="-boom")
    text = gradebook_csv([graded, failed], ["activations", "softmax"])
    assert text.splitlines() == [
        "student,activations,softmax,total,max,status,sha256,detail",
        "'=cmd(),,,,32,error,,'-boom",
        f"bob,19.5,12,31.5,32,graded,{'ab' * 32},",
    ]


# --------------------------------------------------------------------------
# A small class graded in parallel


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """A class of five graded with two jobs: (class folder, out, result)."""
    folder = write_class(
        tmp_path_factory.mktemp("class"),
        {
            "alice/hw1.py": typical_source(),
            "bob/hw1.py": bug_source("softmax_no_max_shift"),
            "carol.py": hanging_source(),
            "dave/hw1.py": "def sigmoid(z:\n    return z\n",
            "erin.py": crashing_source(),
        },
    )
    out = folder.parent / "out"
    result = run_batch("--assignment", "hw1", folder, "--out", out, "--jobs", 2, *FAST)
    return folder, out, result


def test_a_class_is_graded_into_reports_and_a_gradebook(graded_class):
    folder, out, result = graded_class
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("graded 5 of 5 submissions in ")
    # Not a terminal: one plain line per submission.
    progress = [line for line in result.stderr.splitlines() if line]
    assert len(progress) == 5
    assert all(line.startswith("graded ") for line in progress)
    assert {line.split(":")[0] for line in progress} == {
        f"graded {k}/5" for k in range(1, 6)
    }

    rows = read_gradebook(out)
    assert [row["student"] for row in rows] == ["alice", "bob", "carol", "dave", "erin"]
    by_student = {row["student"]: row for row in rows}
    assert all(row["status"] == "graded" and row["max"] == "100" for row in rows)
    assert by_student["alice"]["total"] == "100"
    assert by_student["dave"]["total"] == "0"
    for row in rows:
        assert sum(float(row[p]) for p in PROBLEMS) == float(row["total"])
    for student, path in [("alice", "alice/hw1.py"), ("carol", "carol.py")]:
        digest = hashlib.sha256((folder / path).read_bytes()).hexdigest()
        assert by_student[student]["sha256"] == digest

    for row in rows:
        document = json.loads((out / "reports" / f"{row['student']}.json").read_text())
        validate_gradescope(document)
        assert document["score"] == float(row["total"])
        terminal = (out / "reports" / f"{row['student']}.txt").read_text()
        assert f"Total: {row['total']}/100" in terminal
    leftovers = [p.name for p in out.rglob(".*") if p.name != ".lock"]
    assert leftovers == []


def test_parallel_grading_gives_the_scores_of_grading_one_by_one(
    graded_class, tmp_path
):
    folder, out, _ = graded_class
    rows = {row["student"]: row for row in read_gradebook(out)}
    for student, path in [
        ("alice", "alice/hw1.py"),
        ("bob", "bob/hw1.py"),
        ("carol", "carol.py"),
        ("erin", "erin.py"),
    ]:
        results = tmp_path / f"{student}.json"
        single = subprocess.run(
            [sys.executable, "-m", "checker", folder / path, "--assignment", "hw1"]
            + ["--json", results, "-q", *FAST],
            capture_output=True,
            cwd=ROOT,
            timeout=120,
        )
        assert single.returncode in (0, 1), single.stderr
        alone = points_of(json.loads(results.read_text()))
        batch = {p: float(rows[student][p]) for p in PROBLEMS}
        assert batch == alone, student


def test_a_hanging_or_crashing_function_costs_only_its_own_submission(graded_class):
    _, out, _ = graded_class
    rows = {row["student"]: row for row in read_gradebook(out)}
    carol, erin = rows["carol"], rows["erin"]
    # relu_derivative loops: activations lose its points and nothing else.
    assert float(carol["activations"]) < 20
    assert all(carol[p] == rows["alice"][p] for p in PROBLEMS if p != "activations")
    # softmax_jacobian ends the worker: its problem loses points, no other.
    assert float(erin["softmax"]) < 12
    assert all(erin[p] == rows["alice"][p] for p in PROBLEMS if p != "softmax")
    assert rows["bob"]["total"] != "100"
    assert "timed out" in (out / "reports" / "carol.txt").read_text()


def test_a_terminal_gets_a_progress_bar(tmp_path):
    folder = write_class(tmp_path / "class", {"alice.py": typical_source()})
    leader, follower = pty.openpty()
    batch = subprocess.Popen(
        [sys.executable, "-m", "checker", "grade", "--assignment", "hw1", folder]
        + ["--out", tmp_path / "out", *FAST],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=follower,
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal is gone with the last writer
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert batch.wait(timeout=120) == 0
    text = seen.decode()
    assert "\r[" + "-" * 10 in text
    assert "0/1 graded, 0s" in text
    assert "] 1/1 graded, " in text
    assert text.endswith("\n")
    assert "graded 1/1:" not in text


# --------------------------------------------------------------------------
# Resuming


def test_a_rerun_skips_graded_files_and_regrades_a_changed_one(tmp_path):
    folder = write_class(
        tmp_path / "class",
        {"alice.py": typical_source(), "bob.py": bug_source("l2_missing_half")},
    )
    out = tmp_path / "out"
    arguments = ("--assignment", "hw1", folder, "--out", out, *FAST)
    assert run_batch(*arguments).returncode == 0
    reports = out / "reports"
    stamps = {p.name: p.stat().st_mtime_ns for p in reports.iterdir()}
    first = read_gradebook(out)

    again = run_batch(*arguments)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(
        "graded 0 of 2 submissions in 0s; skipped 2 already graded (same file, "
        "same settings; --force grades them again)"
    )
    assert {p.name: p.stat().st_mtime_ns for p in reports.iterdir()} == stamps
    assert read_gradebook(out) == first

    (folder / "bob.py").write_text(typical_source())
    changed = run_batch(*arguments)
    assert changed.returncode == 0, changed.stderr
    assert "graded 1 of 2 submissions" in changed.stdout
    assert "skipped 1 already graded" in changed.stdout
    assert reports.joinpath("alice.json").stat().st_mtime_ns == stamps["alice.json"]
    rows = {row["student"]: row for row in read_gradebook(out)}
    assert rows["bob"]["total"] == "100"
    assert rows["alice"] == first[0]

    forced = run_batch(*arguments, "--force", "-q")
    assert forced.returncode == 0
    assert forced.stdout.startswith("graded 2 of 2 submissions")
    assert forced.stderr == ""


def test_other_settings_grade_again(tmp_path):
    folder = write_class(tmp_path / "class", {"alice.py": typical_source()})
    out = tmp_path / "out"
    arguments = ("--assignment", "hw1", folder, "--out", out, "-q")
    assert run_batch(*arguments, *FAST).returncode == 0
    rerun = run_batch(*arguments, "--limit", "call_seconds=2")
    assert rerun.stdout.startswith("graded 1 of 1 submissions")


# --------------------------------------------------------------------------
# A grader that must be stopped, and a batch that is stopped


def _running_with(text: str) -> list[int]:
    """Processes whose command line mentions ``text``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            command = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if text.encode() in command:
            found.append(int(entry))
    return found


def test_a_grader_past_the_wall_limit_is_stopped_and_gets_an_error_row(tmp_path):
    forever = "".join(
        f"def {name}(*args):\n    while True:\n        pass\n\n\n"
        for name in ("sigmoid", "tanh", "relu", "softmax", "forward", "backward")
    )
    folder = write_class(
        tmp_path / "class", {"alice.py": typical_source(), "zed.py": forever}
    )
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_batch(
        "--assignment", "hw1", folder, "--out", out, "--wall-seconds", 8, *FAST
    )
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "1 could not be graded (zed)" in result.stdout

    rows = {row["student"]: row for row in read_gradebook(out)}
    assert rows["alice"]["total"] == "100"
    zed = rows["zed"]
    assert zed["status"] == "error"
    assert zed["total"] == "" and all(zed[p] == "" for p in PROBLEMS)
    assert zed["detail"] == (
        "the grader did not finish within 8 s, the wall limit of one submission, "
        "and was stopped"
    )
    document = json.loads((out / "reports" / "zed.json").read_text())
    validate_gradescope(document)
    assert "could not grade" in document["output"]
    assert _running_with(str(folder / "zed.py")) == []

    # Errors are tried again on a rerun; graded files are not.
    rerun = run_batch(
        "--assignment", "hw1", folder, "--out", out, "--wall-seconds", 8, "-q", *FAST
    )
    assert rerun.returncode == 1
    assert re.fullmatch(
        r"graded 1 of 2 submissions in \d+s; skipped 1 already graded; 1 could "
        r"not be graded\n",
        rerun.stdout,
    )


def test_a_grader_deaf_to_sigint_is_killed_with_what_it_started():
    deaf = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; "
        "time.sleep(600)'], start_new_session=True)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    grader = subprocess.Popen(
        [sys.executable, "-c", deaf], stdout=subprocess.PIPE, start_new_session=True
    )
    child = int(grader.stdout.readline())
    started = time.monotonic()
    _stop(grader)
    assert time.monotonic() - started < 10
    assert grader.returncode == -signal.SIGKILL
    for _ in range(100):
        if not Path(f"/proc/{child}").exists():
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the grader's child {child} outlived it")


@pytest.mark.parametrize(
    "number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)
def test_an_interrupted_batch_leaves_a_consistent_gradebook_and_resumes(
    tmp_path, number
):
    sources = [typical_source(), bug_source("forward_missing_bias")]
    folder = write_class(
        tmp_path / "class", {f"s{k}.py": sources[k % 2] for k in range(3)}
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "checker", "grade", "--assignment", "hw1"]
    batch = subprocess.Popen(
        [*command, str(folder), "--out", str(out), "--jobs", "1", *FAST],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    gradebook = out / "gradebook.csv"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if gradebook.is_file() and len(read_gradebook(out)) >= 1:
            break
        time.sleep(0.1)
    batch.send_signal(number)
    stdout, stderr = batch.communicate(timeout=60)

    assert batch.returncode == 128 + number, stderr
    name = signal.Signals(number).name
    assert f"checker: stopped by {name}: the gradebook holds the " in stderr
    assert "run the same command again to grade the rest" in stderr
    assert _running_with(str(folder)) == []
    rows = read_gradebook(out)
    assert 1 <= len(rows) < 3
    for row in rows:
        meta = json.loads((out / "reports" / f"{row['student']}.meta.json").read_text())
        assert meta["sha256"] == row["sha256"] and meta["status"] == "graded"
        assert (out / "reports" / f"{row['student']}.json").is_file()
    assert [p.name for p in out.rglob(".*") if p.name != ".lock"] == []

    rerun = subprocess.run(
        [*command, str(folder), "--out", str(out), "-q", *FAST],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"skipped {len(rows)} already graded" in rerun.stdout
    final = read_gradebook(out)
    assert [row["student"] for row in final] == ["s0", "s1", "s2"]
    assert [row["total"] == "100" for row in final] == [True, False, True]


# --------------------------------------------------------------------------
# Usage errors


@pytest.mark.parametrize(
    "files, arguments, message",
    [
        pytest.param(
            {"a/alice.py": "", "b/alice.py": ""},
            ["{t}/a", "{t}/b"],
            "checker: error: two submissions have the id 'alice': {t}/a/alice.py "
            "and {t}/b/alice.py",
            id="duplicate-id",
        ),
        pytest.param(
            {},
            ["{t}/nowhere"],
            "checker: error: no such file or folder: {t}/nowhere",
            id="missing-path",
        ),
        pytest.param(
            {"notes.txt": ""},
            ["{t}/notes.txt"],
            "checker: error: {t}/notes.txt is not a .py file",
            id="not-python",
        ),
        pytest.param(
            {"empty/notes.txt": ""},
            ["{t}/empty"],
            "checker: error: no submission found in the paths given",
            id="nothing-to-grade",
        ),
        pytest.param(
            {"a.py": ""},
            ["{t}/a.py", "--jobs", "0"],
            "checker: error: --jobs 0: give 1 or more",
            id="jobs",
        ),
        pytest.param(
            {"a.py": "", "taken": ""},
            ["{t}/a.py", "--out", "{t}/taken"],
            "checker: error: --out {t}/taken is not a folder",
            id="out-is-a-file",
        ),
        pytest.param(
            {"a.py": ""},
            ["{t}/a.py", "--limit", "call_seconds=-1"],
            "checker: error: --limit: limit call_seconds=",
            id="bad-limit",
        ),
        pytest.param(
            {"a.py": ""},
            ["{t}/a.py", "--secret-file", "{t}/no-secret"],
            "checker: error: --secret-file {t}/no-secret: No such file",
            id="missing-secret",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, files, arguments, message):
    write_class(tmp_path, files)
    given = [a.format(t=tmp_path) for a in arguments]
    result = run_batch("--assignment", "hw1", "--out", tmp_path / "out", *given)
    assert result.returncode == 2
    *skipped, last = result.stderr.splitlines()
    assert last.startswith(message.format(t=tmp_path))
    assert all(line.startswith("checker: skipped ") for line in skipped)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_an_unknown_assignment_exits_2(tmp_path):
    write_class(tmp_path, {"a.py": ""})
    result = run_batch("--assignment", "hw9", tmp_path / "a.py")
    assert result.returncode == 2
    assert result.stderr == (
        "checker: error: unknown assignment 'hw9'; known assignments: hw1\n"
    )


def test_skipped_entries_are_said_before_the_error(tmp_path):
    write_class(tmp_path, {"class/notes.txt": ""})
    result = run_batch("--assignment", "hw1", tmp_path / "class")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"checker: skipped {tmp_path}/class/notes.txt: not a .py file",
        "checker: error: no submission found in the paths given (see what was "
        "skipped above)",
    ]


def test_the_submissions_folder_of_the_tests_is_a_class():
    submissions, skipped = find_submissions([SUBMISSIONS], "hw1.py")
    assert [s.student for s in submissions] == [
        "bugs",
        "correct_loops",
        "correct_stable",
        "correct_typical",
    ]
    assert skipped == []
