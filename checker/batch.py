"""Grading a class: ``python -m checker grade --assignment NAME PATH...``.

Each submission is graded by a grader process of its own (``python -m checker
FILE --json ...``), several at once, each with a wall limit a little above
the whole-file budget, so that a submission which hangs or crashes its grader
costs only itself: it gets an error row with the reason. For every submission
the batch writes, into ``OUT/reports/``, the Gradescope ``<id>.json``, the
terminal report ``<id>.txt`` and ``<id>.meta.json`` (the file's sha256, the
points per problem, how it ended), each file whole or not at all and the meta
last; then it rewrites ``OUT/gradebook.csv`` the same way. An interrupted
batch therefore leaves a gradebook whose every row has its reports, and a
rerun grades only what is missing or changed.

Finding submissions (`find_submissions`): a ``.py`` file is one submission,
named after its stem; a folder that holds the handout's file (``hw1.py``) is
one student's folder, named after the folder; any other folder is a class
folder, whose ``.py`` files are submissions and whose subfolders are student
folders (graded through their ``hw1.py``, or their only ``.py`` file). Names
starting with a dot and ``__pycache__`` are passed over; everything else that
is not graded is reported with the reason.

Known limits: a grader that does not stop within a few seconds of SIGINT is
killed with SIGKILL together with the processes below it that can still be
found; a worker that had already lost its grader by then runs on until its
CPU limit. A batch that is itself killed with SIGKILL leaves its graders to
finish on their own; their results are not recorded.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from ._escape import one_line
from ._files import write_atomically
from .assignment import ASSIGNMENTS, Assignment
from .sandbox import Limits

__all__ = [
    "Submission",
    "Skipped",
    "Outcome",
    "find_submissions",
    "wall_seconds",
    "gradebook_csv",
    "build_grade_parser",
    "grade_command",
]

#: The folder holding the ``checker`` package: the grader processes start here,
#: so that ``python -m checker`` finds this very copy of it.
_ROOT = Path(__file__).resolve().parent.parent

#: Seconds a grader has to stop cleanly after SIGINT before it is killed.
_GRACE_SECONDS = 3.0

#: Seconds added to a grader's budget for starting Python and writing reports.
_START_SECONDS = 30.0

#: How often (seconds) a waiting thread looks whether the batch is stopping.
_POLL_SECONDS = 0.25

GRADED = "graded"
ERROR = "error"

EXIT_GRADED = 0
EXIT_SOME_ERRORS = 1
EXIT_USAGE = 2


# --------------------------------------------------------------------------
# Finding the submissions


@dataclass(frozen=True)
class Submission:
    """One student's file.

    Attributes
    ----------
    student : str
        The student's id: the student folder's name, else the file's stem.
        Reports are named after it.
    path : Path
        The ``.py`` file to grade.
    """

    student: str
    path: Path


@dataclass(frozen=True)
class Skipped:
    """A file or folder found among the paths but not graded, and why."""

    path: Path
    reason: str


def _is_passed_over(entry: Path) -> bool:
    return entry.name.startswith(".") or entry.name == "__pycache__"


def _python_files(folder: Path) -> list[Path]:
    return sorted(
        entry
        for entry in folder.iterdir()
        if entry.suffix == ".py" and entry.is_file() and not _is_passed_over(entry)
    )


def _student_folder(folder: Path, handout: str) -> Path | str:
    """The file to grade in a student's folder, or why there is none."""
    files = _python_files(folder)
    if (folder / handout).is_file():
        return folder / handout
    if len(files) == 1:
        return files[0]
    if not files:
        return "no .py file in it (folders inside it are not searched)"
    names = ", ".join(f.name for f in files[:4]) + (", ..." if len(files) > 4 else "")
    return (
        f"{len(files)} .py files ({names}) and none named {handout}: give the "
        "path of the one to grade"
    )


def _usable_id(student: str) -> bool:
    try:
        student.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return student.isprintable() and student not in ("", ".", "..")


def find_submissions(
    paths: Sequence[str | os.PathLike],
    handout: str,
    ignore: Iterable[Path] = (),
) -> tuple[list[Submission], list[Skipped]]:
    """The submissions among files and folders, and what was not graded.

    Parameters
    ----------
    paths : sequence of path-like
        ``.py`` files, student folders and class folders (see the module
        docstring).
    handout : str
        The file name of the assignment's handout, e.g. ``"hw1.py"``.
    ignore : iterable of Path
        Folders to pass over silently, e.g. the batch's own output folder.

    Returns
    -------
    submissions : list of Submission
        Sorted by student id.
    skipped : list of Skipped
        What was found inside the folders but not graded, in the order found.

    Raises
    ------
    ValueError
        With one line: for a path that does not exist, a file given that is
        not a ``.py`` file, and two submissions with the same id (ids that
        differ only in case count as the same, as report files would clash on
        some file systems), naming both paths.
    """
    ignored = {p.resolve() for p in ignore}
    found: list[Submission] = []
    skipped: list[Skipped] = []
    for given in map(Path, paths):
        if given.is_file():
            if given.suffix != ".py":
                raise ValueError(
                    f"{given} is not a .py file; give .py files or folders of them"
                )
            found.append(Submission(given.stem, given))
        elif given.is_dir():
            if (given / handout).is_file():
                found.append(Submission(given.resolve().name, given / handout))
                continue
            for entry in sorted(given.iterdir()):
                if _is_passed_over(entry) or entry.resolve() in ignored:
                    continue
                if entry.is_dir():
                    chosen = _student_folder(entry, handout)
                    if isinstance(chosen, str):
                        skipped.append(Skipped(entry, chosen))
                    else:
                        found.append(Submission(entry.name, chosen))
                elif entry.suffix == ".py" and entry.is_file():
                    found.append(Submission(entry.stem, entry))
                elif entry.is_file():
                    skipped.append(Skipped(entry, "not a .py file"))
                else:
                    skipped.append(Skipped(entry, "not a file or a folder"))
        elif given.exists() or given.is_symlink():
            raise ValueError(f"{given} is neither a file nor a folder")
        else:
            raise ValueError(f"no such file or folder: {given}")

    submissions: list[Submission] = []
    seen: dict[str, Submission] = {}
    for submission in found:
        if not _usable_id(submission.student):
            skipped.append(
                Skipped(
                    submission.path,
                    f"its id {submission.student!r} cannot name a report file",
                )
            )
            continue
        key = submission.student.casefold()
        if key in seen:
            raise ValueError(
                f"two submissions have the id {submission.student!r}: "
                f"{seen[key].path} and {submission.path}; rename one or grade "
                "them in separate batches"
            )
        seen[key] = submission
        submissions.append(submission)
    return sorted(submissions, key=lambda s: s.student), skipped


# --------------------------------------------------------------------------
# Grading one submission in a grader process of its own


@dataclass
class Outcome:
    """How one submission ended, as the gradebook and the reports need it.

    Attributes
    ----------
    student : str
        The student's id.
    submission : str
        The graded file's path.
    sha256 : str
        Hex digest of the file's bytes when it was graded ("" if unreadable).
    status : str
        ``"graded"`` (whatever the score) or ``"error"`` (no grade).
    problems : dict of str to float
        Points earned per problem, in the assignment's order; empty on error.
    total, max_score : float
        Points earned (0 on error) and possible.
    detail : str
        Why the submission could not be graded, in one line; "" when graded.
    seconds : float
        Wall time of its grader.
    settings : str
        The fingerprint of the grading settings (see `_settings_fingerprint`).
    """

    student: str
    submission: str
    sha256: str
    status: str
    problems: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    max_score: float = 0.0
    detail: str = ""
    seconds: float = 0.0
    settings: str = ""

    @classmethod
    def from_meta(cls, text: str) -> Outcome:
        """Read an outcome back from its ``<id>.meta.json`` text.

        Raises
        ------
        ValueError
            When the text is not an outcome this module wrote.
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not an object")
        try:
            return cls(**data)
        except TypeError as error:
            raise ValueError(str(error)) from None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def wall_seconds(limits: Limits) -> float:
    """The wall limit of one submission's grader under ``limits``.

    The whole-file budget (``total_seconds``) stops new calls of the
    submission; a call under way may take ``call_seconds`` more, and the
    first load ``load_seconds``; 30 s more cover starting Python, the grader's
    own work after the budget and a loaded machine.
    """
    return (
        limits.total_seconds + limits.call_seconds + limits.load_seconds
    ) + _START_SECONDS


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid``, found through ``/proc`` (Linux only)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stream:
                stat = stream.read()
        except OSError:
            continue
        # The command's name is in parentheses and may hold anything.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(entry))
    found, stack = [], list(children.get(pid, ()))
    while stack:
        child = stack.pop()
        found.append(child)
        stack.extend(children.get(child, ()))
    return found


def _stop(process: subprocess.Popen) -> None:
    """Stop a grader: SIGINT first, so that it stops its worker itself, then
    SIGKILL to it and every process still below it."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=_GRACE_SECONDS)
        return
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        pass
    below = _descendants(process.pid)
    for kill, target in [(os.killpg, process.pid)] + [(os.kill, p) for p in below]:
        try:
            kill(target, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    process.wait()


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    line = one_line(lines[-1]) if lines else ""
    if line.startswith("checker: error: "):
        line = line[len("checker: error: ") :]
    return line[:300]


@dataclass
class _Run:
    """What a grader process left: its status, its output and its report."""

    returncode: int | None
    stdout: str
    stderr: str
    results: str | None
    seconds: float
    #: The wall limit, when the grader was stopped for passing it.
    stopped_at: float | None = None


class _Graders:
    """Runs grader processes, each stopped at the wall limit or as soon as
    ``stopping`` is set (the batch was interrupted).

    Parameters
    ----------
    options : list of str
        The grader's options after ``FILE``, the same for every submission
        (``--assignment``, ``--limit``, ``--secret-file``).
    wall : float
        Seconds after which a grader is stopped.
    work : Path
        A private folder for the graders' results.json while they run.
    """

    def __init__(self, options: list[str], wall: float, work: Path) -> None:
        self.options = options
        self.wall = wall
        self.work = work
        self.stopping = threading.Event()
        self.environment = dict(os.environ)
        self.environment["NO_COLOR"] = "1"
        self.environment["PYTHONIOENCODING"] = "utf-8"
        # The batch runs graders side by side: one BLAS thread each.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            self.environment.setdefault(name, "1")

    def run(self, submission: Submission) -> _Run | None:
        """Grade one submission; None when the batch stopped meanwhile."""
        results = self.work / f"{submission.student}.json"
        command = [
            sys.executable,
            "-m",
            "checker",
            str(submission.path.resolve()),
            "--json",
            str(results),
            *self.options,
        ]
        if self.stopping.is_set():
            return None
        started = time.monotonic()
        # A session of its own: a Ctrl-C at the terminal reaches the batch
        # alone, which then stops each grader in order (a grader started just
        # as the batch stops is stopped at its first poll).
        process = subprocess.Popen(
            command,
            cwd=_ROOT,
            env=self.environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        stopped_at = None
        while True:
            remaining = started + self.wall - time.monotonic()
            try:
                stdout, stderr = process.communicate(
                    timeout=max(0.0, min(_POLL_SECONDS, remaining))
                )
                break
            except subprocess.TimeoutExpired:
                if self.stopping.is_set():
                    _stop(process)
                    process.communicate()
                    return None
                if time.monotonic() >= started + self.wall:
                    _stop(process)
                    stdout, stderr = process.communicate()
                    stopped_at = self.wall
                    break
        text = None
        if results.is_file():
            text = results.read_text(encoding="utf-8")
            results.unlink()
        return _Run(
            returncode=process.returncode,
            stdout=stdout.decode("utf-8", "replace"),
            stderr=stderr.decode("utf-8", "replace"),
            results=text,
            seconds=time.monotonic() - started,
            stopped_at=stopped_at,
        )


def _points_by_problem(
    document: Mapping, assignment: Assignment
) -> tuple[dict[str, float], float]:
    """Points earned per problem and points possible, from a results.json."""
    problems = dict.fromkeys(assignment.problems, 0.0)
    possible = 0.0
    for test in document["tests"]:
        function = test["tags"][0]
        problems[assignment.problem_of(function)] += float(test["score"])
        possible += float(test["max_score"])
    return problems, possible


def _judge(
    submission: Submission, run: _Run, assignment: Assignment
) -> tuple[Outcome, str, str]:
    """The outcome of a grader's run, its results.json and its terminal text."""
    outcome = Outcome(
        student=submission.student,
        submission=str(submission.path),
        sha256="",
        status=ERROR,
        max_score=float(assignment.total_points),
        seconds=round(run.seconds, 3),
    )
    code = run.returncode
    if run.stopped_at is not None:
        outcome.detail = (
            f"the grader did not finish within {run.stopped_at:g} s, the wall "
            "limit of one submission, and was stopped"
        )
    elif code is not None and code < 0:
        outcome.detail = f"the grader was killed by {_signal_name(-code)}"
    elif code not in (0, 1):
        reason = _last_line(run.stderr) or "no message"
        outcome.detail = f"the grader exited with status {code}: {reason}"
    elif run.results is None:
        outcome.detail = "the grader wrote no results.json"
    else:
        try:
            document = json.loads(run.results)
            problems, possible = _points_by_problem(document, assignment)
        except (ValueError, KeyError, IndexError, TypeError) as error:
            outcome.detail = (
                f"the grader's results.json could not be read "
                f"({type(error).__name__}: {one_line(str(error))[:200]})"
            )
        else:
            outcome.status = GRADED
            outcome.problems = {k: round(v, 6) for k, v in problems.items()}
            outcome.total = round(sum(problems.values()), 6)
            outcome.max_score = round(possible, 6)
            return outcome, run.results, run.stdout

    return (outcome, *_error_reports(outcome))


def _error_reports(outcome: Outcome) -> tuple[str, str]:
    """The results.json and terminal text of a submission that has no grade."""
    document = {
        "score": 0.0,
        "execution_time": outcome.seconds,
        "output": f"The autograder could not grade this submission: {outcome.detail}.",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [],
    }
    terminal = f"checker: could not grade {outcome.submission}: {outcome.detail}\n"
    return json.dumps(document, indent=2) + "\n", terminal


# --------------------------------------------------------------------------
# The output folder


def _format_points(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def _cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: it never starts a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def gradebook_csv(outcomes: Iterable[Outcome], problems: Sequence[str]) -> str:
    """The gradebook as CSV text, one row per student sorted by id.

    Columns: ``student``, one per problem (points earned), ``total``,
    ``max``, ``status`` (graded or error), ``sha256`` of the graded file and
    ``detail`` (why an error row has no grade). An error row leaves the
    points empty. Text cells that a spreadsheet would take for a formula
    get a leading apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["student", *problems, "total", "max", "status", "sha256", "detail"]
    )
    for outcome in sorted(outcomes, key=lambda o: o.student):
        graded = outcome.status == GRADED
        points = [
            _format_points(outcome.problems.get(p, 0.0)) if graded else ""
            for p in problems
        ]
        writer.writerow(
            [
                _cell(outcome.student),
                *points,
                _format_points(outcome.total) if graded else "",
                _format_points(outcome.max_score),
                outcome.status,
                outcome.sha256,
                _cell(outcome.detail),
            ]
        )
    return buffer.getvalue()


class _Folder:
    """The output folder: reports, their meta files and the gradebook."""

    def __init__(self, out: Path, problems: Sequence[str]) -> None:
        self.out = out
        self.reports = out / "reports"
        self.gradebook = out / "gradebook.csv"
        self.problems = list(problems)
        self.rows: dict[str, Outcome] = {}

    def meta(self, student: str) -> Path:
        return self.reports / f"{student}.meta.json"

    def finished(self, submission: Submission, sha: str, settings: str) -> bool:
        """Whether an earlier run graded this very file with these settings;
        if so its row joins the gradebook."""
        files = [self.reports / f"{submission.student}{s}" for s in (".json", ".txt")]
        try:
            outcome = Outcome.from_meta(self.meta(submission.student).read_text())
        except (OSError, ValueError):
            return False
        same = (
            outcome.status == GRADED
            and outcome.sha256 == sha
            and outcome.settings == settings
            and all(f.is_file() for f in files)
        )
        if same:
            self.rows[submission.student] = outcome
        return same

    def record(self, outcome: Outcome, results: str, terminal: str) -> None:
        """Write a submission's reports, then its meta, then the gradebook."""
        student = outcome.student
        write_atomically(self.reports / f"{student}.txt", terminal)
        write_atomically(self.reports / f"{student}.json", results)
        write_atomically(self.meta(student), json.dumps(asdict(outcome), indent=2))
        self.rows[student] = outcome
        self.write_gradebook()

    def write_gradebook(self) -> None:
        write_atomically(
            self.gradebook, gradebook_csv(self.rows.values(), self.problems)
        )


def _settings_fingerprint(name: str, limits: Limits, secret: str | None) -> str:
    """A digest of what decides a grade besides the file: the assignment, the
    limits and the secret (a rerun with other settings grades again).

    The secret is mixed in, so that a weak secret could be tested against the
    meta files by guessing, like against any hash of it: the output folder is
    the instructor's, as are the reports in it.
    """
    settings = {"assignment": name, "limits": asdict(limits), "secret": secret}
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(f"nncheck batch settings\0{text}".encode()).hexdigest()


# --------------------------------------------------------------------------
# Progress and interruption


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m"


class _Progress:
    """A bar on a terminal, a ``graded k/n`` line per submission otherwise,
    or nothing (``-q``)."""

    def __init__(self, stream: TextIO, total: int, quiet: bool) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.errors = 0
        self.started = time.monotonic()
        isatty = getattr(stream, "isatty", None)
        self.mode = "off" if quiet else ("bar" if isatty and isatty() else "lines")

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        self.errors += outcome.status != GRADED
        if self.mode == "lines":
            result = (
                f"{_format_points(outcome.total)}/{_format_points(outcome.max_score)}"
                if outcome.status == GRADED
                else f"error: {outcome.detail}"
            )
            print(
                f"graded {self.done}/{self.total}: {outcome.student} {result}",
                file=self.stream,
                flush=True,
            )
        self.draw()

    def draw(self) -> None:
        if self.mode != "bar":
            return
        width = shutil.get_terminal_size((80, 24)).columns
        elapsed = _duration(time.monotonic() - self.started)
        errors = f", {self.errors} errors" if self.errors else ""
        tail = f" {self.done}/{self.total} graded{errors}, {elapsed}"
        room = max(10, min(40, width - len(tail) - 4))
        filled = room * self.done // max(1, self.total)
        bar = "#" * filled + "-" * (room - filled)
        self.stream.write(f"\r[{bar}]{tail}"[: width - 1] + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        if self.mode == "bar":
            self.stream.write("\n")
            self.stream.flush()


class _Interrupted(Exception):
    """SIGINT or SIGTERM reached the batch."""

    def __init__(self, number: int) -> None:
        super().__init__(_signal_name(number))
        self.number = number


class _Signals:
    """Turns SIGINT and SIGTERM into `_Interrupted`, but never inside a
    ``with signals.held():`` block, where a report is being written: there
    the signal waits for the block's end."""

    def __init__(self) -> None:
        self.pending: int | None = None
        self.holding = False
        self.previous: dict[int, object] = {}

    def _handle(self, number: int, frame: object) -> None:
        self.pending = number
        if not self.holding:
            raise _Interrupted(number)

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self.previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for number, handler in self.previous.items():
            signal.signal(number, handler)

    def held(self) -> _Held:
        return _Held(self)


class _Held:
    """The block of `_Signals.held`."""

    def __init__(self, signals: _Signals) -> None:
        self.signals = signals

    def __enter__(self) -> None:
        self.signals.holding = True

    def __exit__(self, *exc_info: object) -> None:
        self.signals.holding = False
        if self.signals.pending is not None and exc_info[0] is None:
            raise _Interrupted(self.signals.pending)


# --------------------------------------------------------------------------
# The command


class _UsageError(Exception):
    """Something the user gave that stops the batch from starting."""


def build_grade_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m checker grade",
        description="Grade a class: every submission in a grader process of its "
        "own, several at once. Writes OUT/reports/<id>.json (Gradescope), "
        "OUT/reports/<id>.txt (the terminal report) and OUT/gradebook.csv; a "
        "rerun grades only what is new or changed.",
    )
    parser.add_argument(
        "paths",
        metavar="PATH",
        nargs="+",
        help="a .py file (id: its stem), a student's folder holding the handout "
        "file (id: the folder's name), or a folder of .py files and student "
        "folders",
    )
    parser.add_argument(
        "--assignment",
        metavar="NAME",
        required=True,
        help=f"the assignment; known: {', '.join(sorted(ASSIGNMENTS))}",
    )
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once (default: the number of cores, "
        f"{os.cpu_count() or 1})",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="the folder for the reports and the gradebook, made if missing "
        "(default: NAME-grades)",
    )
    parser.add_argument(
        "--secret-file",
        metavar="PATH",
        help="the instructor's secret, for hidden checks (default: the "
        "environment variable NNCHECK_SECRET, if set)",
    )
    parser.add_argument(
        "--limit",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="change one limit of every grading, as in python -m checker FILE "
        "(repeatable)",
    )
    parser.add_argument(
        "--wall-seconds",
        metavar="SECONDS",
        type=float,
        help="stop a submission's grader after this long and give it an error "
        "row (default: total_seconds + call_seconds + load_seconds + 30)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="grade every submission again, even those already graded",
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress; print only the summary line",
    )
    return parser


@dataclass
class _Plan:
    """A checked command line, ready to run."""

    assignment: Assignment
    submissions: list[Submission]
    skipped: list[Skipped]
    out: Path
    jobs: int
    wall: float
    options: list[str]
    settings: str


def _plan(arguments: argparse.Namespace) -> _Plan:
    # The command line's own helpers; imported here, as cli imports this module.
    from .cli import UsageError, _load, _parse_limits, _read_secret

    name = arguments.assignment
    try:
        assignment = _load(name)
        if arguments.jobs < 1:
            raise UsageError(f"--jobs {arguments.jobs}: give 1 or more")
        if arguments.wall_seconds is not None and not arguments.wall_seconds > 0:
            raise UsageError(
                f"--wall-seconds {arguments.wall_seconds:g}: give a number above 0"
            )
        out = Path(arguments.out or f"{assignment.name}-grades")
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out} is not a folder; give a folder")
        if not out.parent.is_dir():
            raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
        overrides = _parse_limits(arguments.limit)
        secret = _read_secret(arguments.secret_file)
    except UsageError as error:
        raise _UsageError(str(error)) from None

    handout = f"{Path(name).stem.removesuffix('_checks')}.py"
    try:
        submissions, skipped = find_submissions(arguments.paths, handout, ignore=[out])
    except ValueError as error:
        raise _UsageError(str(error)) from None
    except OSError as error:
        raise _UsageError(f"{error.filename}: {error.strerror}") from None
    for skip in skipped:
        print(f"checker: skipped {skip.path}: {skip.reason}", file=sys.stderr)
    if not submissions:
        raise _UsageError(
            "no submission found in the paths given (see what was skipped above)"
            if skipped
            else "no submission found in the paths given"
        )

    limits = Limits().with_overrides(assignment.limits).with_overrides(overrides)
    options = ["--assignment", name]
    for item in arguments.limit:
        options += ["--limit", item]
    if arguments.secret_file is not None:
        options += ["--secret-file", str(Path(arguments.secret_file).resolve())]
    return _Plan(
        assignment=assignment,
        submissions=submissions,
        skipped=skipped,
        out=out,
        jobs=arguments.jobs,
        wall=arguments.wall_seconds or wall_seconds(limits),
        options=options,
        settings=_settings_fingerprint(name, limits, secret),
    )


def grade_command(argv: list[str]) -> int:
    """Run ``python -m checker grade ...``; return the exit status.

    0 when every submission was graded (whatever the scores), 1 when some
    could not be graded (their rows say why), 2 on a usage error, 128 plus the
    signal's number when SIGINT or SIGTERM stopped the batch.
    """
    arguments = build_grade_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        plan = _plan(arguments)
    except _UsageError as error:
        print(f"checker: error: {error}", file=sys.stderr)
        return EXIT_USAGE

    folder = _Folder(plan.out, list(plan.assignment.problems))
    try:
        folder.reports.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"checker: error: --out {plan.out}: {error.strerror}", file=sys.stderr)
        return EXIT_USAGE
    lock = _lock(plan.out)
    if lock is None:
        print(
            f"checker: error: --out {plan.out}: another batch is writing there; "
            "wait for it or give another folder",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        with _Signals() as signals:
            return _run(plan, folder, arguments, signals)
    except _Interrupted as stop:
        print(f"checker: stopped by {stop} before grading began", file=sys.stderr)
        return 128 + stop.number
    finally:
        lock.close()


def _lock(out: Path) -> TextIO | None:
    """Hold ``OUT/.lock`` for as long as the batch runs; None if taken."""
    stream = open(out / ".lock", "w")
    try:
        fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        stream.close()
        return None
    return stream


def _run(
    plan: _Plan, folder: _Folder, arguments: argparse.Namespace, signals: _Signals
) -> int:
    started = time.monotonic()
    to_grade: list[Submission] = []
    unreadable: list[Outcome] = []
    for submission in plan.submissions:
        try:
            sha = _sha256(submission.path)
        except OSError as error:
            detail = f"could not read the file: {error.strerror}"
            unreadable.append(_error_outcome(submission, plan, detail))
            continue
        if arguments.force or not folder.finished(submission, sha, plan.settings):
            to_grade.append(submission)
    kept = len(plan.submissions) - len(to_grade) - len(unreadable)
    with signals.held():
        for outcome in unreadable:
            folder.record(outcome, *_error_reports(outcome))
        folder.write_gradebook()

    progress = _Progress(sys.stderr, len(to_grade), arguments.quiet)
    work = Path(tempfile.mkdtemp(dir=plan.out, prefix=".grading-")).resolve()
    graders = _Graders(plan.options, plan.wall, work)
    executor = ThreadPoolExecutor(max_workers=plan.jobs)
    try:
        pending: dict[Future, Submission] = {
            executor.submit(_grade_one, graders, s, plan): s for s in to_grade
        }
        progress.draw()
        while pending:
            done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in done:
                del pending[future]
                finished = future.result()
                if finished is None:
                    continue
                outcome, results, terminal = finished
                with signals.held():
                    folder.record(outcome, results, terminal)
                progress.advance(outcome)
            progress.draw()
    except _Interrupted as stop:
        graders.stopping.set()
        executor.shutdown(wait=True, cancel_futures=True)
        progress.close()
        graded = len(folder.rows)
        print(
            f"checker: stopped by {stop}: the gradebook holds the {graded} of "
            f"{len(plan.submissions)} submissions finished; run the same command "
            "again to grade the rest",
            file=sys.stderr,
        )
        return 128 + stop.number
    finally:
        executor.shutdown(wait=True)
        shutil.rmtree(work, ignore_errors=True)
    progress.close()

    errors = sorted(o.student for o in folder.rows.values() if o.status != GRADED)
    seconds = time.monotonic() - started
    _summary(plan, len(to_grade), kept, errors, seconds, arguments.quiet)
    return EXIT_SOME_ERRORS if errors else EXIT_GRADED


def _grade_one(
    graders: _Graders, submission: Submission, plan: _Plan
) -> tuple[Outcome, str, str] | None:
    """Grade one submission in a thread of the pool; None when the batch
    stopped meanwhile. Never raises: what goes wrong is the row's detail."""
    sha = ""
    try:
        sha = _sha256(submission.path)
        run = graders.run(submission)
        if run is None:
            return None
        outcome, results, terminal = _judge(submission, run, plan.assignment)
    except OSError as error:
        detail = f"could not grade the file: {error.strerror or error}"
        outcome = _error_outcome(submission, plan, detail)
        results, terminal = _error_reports(outcome)
    except Exception as error:  # the batch's own fault: this row only
        detail = f"the batch failed on it ({type(error).__name__}: {error})"
        outcome = _error_outcome(submission, plan, one_line(detail)[:300])
        results, terminal = _error_reports(outcome)
    outcome.sha256 = sha
    outcome.settings = plan.settings
    return outcome, results, terminal


def _error_outcome(submission: Submission, plan: _Plan, detail: str) -> Outcome:
    return Outcome(
        student=submission.student,
        submission=str(submission.path),
        sha256="",
        status=ERROR,
        max_score=float(plan.assignment.total_points),
        detail=detail,
        settings=plan.settings,
    )


def _summary(
    plan: _Plan, graded: int, kept: int, errors: list[str], seconds: float, quiet: bool
) -> None:
    """Print what the batch did: one line with ``-q``, three at most without."""
    total = len(plan.submissions)
    line = f"graded {graded} of {total} submissions in {_duration(seconds)}"
    if kept:
        line += f"; skipped {kept} already graded"
        if not quiet:
            line += " (same file, same settings; --force grades them again)"
    if errors and quiet:
        line += f"; {len(errors)} could not be graded"
    print(line)
    if quiet:
        return
    if errors:
        shown = ", ".join(errors[:10]) + (", ..." if len(errors) > 10 else "")
        print(
            f"{len(errors)} could not be graded ({shown}): the gradebook's detail "
            "column says why; run the same command again to retry them"
        )
    print(f"gradebook: {plan.out / 'gradebook.csv'}; reports: {plan.out / 'reports'}")
