"""The command line: ``python -m checker FILE`` grades one submission.

Exit status: 0 when every check passed, 1 when any check failed, 2 when the
grader could not run (a missing file, a file that is not Python, an unknown
assignment, a results path that cannot be written).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path

from .assignment import ASSIGNMENTS, load_assignment
from .grader import grade
from .report import render_gradescope, render_terminal, summary_line
from .sandbox import Confinement, Limits

__all__ = ["main", "build_parser"]

#: Environment variable that may hold the instructor's secret.
SECRET_VARIABLE = "NNCHECK_SECRET"

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_UNUSABLE = 2


class UsageError(Exception):
    """Something the user gave that stops the grader from running."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m checker",
        description="Grade a neural-network homework file: every check runs your "
        "functions in a separate process and compares them with the reference "
        "and with finite differences.",
    )
    parser.add_argument("submission", help="your .py file, e.g. assignments/hw1.py")
    parser.add_argument(
        "--assignment",
        metavar="NAME",
        help="which assignment the file is for (default: the file's name, e.g. "
        f"hw1.py -> hw1); known: {', '.join(sorted(ASSIGNMENTS))}",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the results in Gradescope's results.json format to PATH",
    )
    parser.add_argument(
        "--timeout",
        metavar="SECONDS",
        type=float,
        help=f"time limit of one call of your functions (default "
        f"{Limits.call_seconds:g}, or the assignment's); the same as --limit "
        "call_seconds=SECONDS",
    )
    parser.add_argument(
        "--limit",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="change one limit of the process running the submission, e.g. "
        "memory_bytes=2GiB, cpu_seconds=60, processes=none (repeatable; the "
        "names and defaults are in the README)",
    )
    parser.add_argument(
        "--confinement",
        choices=[c.value for c in Confinement],
        default=Confinement.AUTO.value,
        help="auto (default): when the grader runs as root, run the submission "
        "as a user of its own confined to a scratch folder; same-user: run it as "
        "the grader's user even then (weaker: for debugging only)",
    )
    parser.add_argument(
        "--secret-file",
        metavar="PATH",
        help="the instructor's secret, for hidden checks (default: the "
        f"environment variable {SECRET_VARIABLE}, if set)",
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "-v", "--verbose", action="store_true", help="also show notes and timings"
    )
    output.add_argument(
        "-q", "--quiet", action="store_true", help="print only the total"
    )
    parser.add_argument(
        "--debug", action="store_true", help="log the grader's own steps to stderr"
    )
    return parser


def _check_submission(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"no such file: {path}; give the path of your .py file")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the path of your .py file")
    if path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file (expected a name ending in .py)")


def _pick_assignment(path: Path, name: str | None) -> str:
    if name is not None:
        if name not in ASSIGNMENTS:
            known = ", ".join(sorted(ASSIGNMENTS))
            raise UsageError(f"unknown assignment {name!r}; known: {known}")
        return name
    if path.stem in ASSIGNMENTS:
        return path.stem
    known = ", ".join(sorted(ASSIGNMENTS))
    raise UsageError(
        f"cannot tell which assignment {path.name} is for; pass --assignment "
        f"NAME (known: {known})"
    )


def _check_output_path(path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"--json {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"--json {path}: the folder {path.parent} does not exist")


def _read_secret(path: str | None) -> str | None:
    """The instructor's secret from a file or the environment, or None."""
    if path is None:
        secret = os.environ.get(SECRET_VARIABLE, "").strip()
        return secret or None
    try:
        secret = Path(path).read_bytes().decode("utf-8").strip()
    except OSError as error:
        raise UsageError(f"--secret-file {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(
            f"--secret-file {path} is not UTF-8 text; put a text secret in it"
        ) from None
    if not secret:
        raise UsageError(f"--secret-file {path} is empty; put the secret in it")
    return secret


def _parse_limits(items: list[str]) -> dict[str, object]:
    """``NAME=VALUE`` texts to checked limit values, in order."""
    overrides: dict[str, object] = {}
    for item in items:
        name, equals, value = item.partition("=")
        if not equals or not name.strip():
            raise UsageError(
                f"--limit {item!r}: write it as NAME=VALUE, e.g. memory_bytes=2GiB"
            )
        try:
            Limits().with_overrides({name.strip(): value})
        except ValueError as error:
            raise UsageError(f"--limit: {error}") from None
        overrides[name.strip()] = value
    return overrides


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that no reader sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("checker: interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.debug else logging.WARNING,
        format="checker: %(levelname)s: %(message)s",
    )
    submission = Path(arguments.submission)
    json_path = Path(arguments.json) if arguments.json else None
    try:
        _check_submission(submission)
        name = _pick_assignment(submission, arguments.assignment)
        if json_path is not None:
            _check_output_path(json_path)
        if arguments.timeout is not None and not 0 < arguments.timeout <= 600:
            raise UsageError(
                f"--timeout {arguments.timeout:g}: give a number of seconds "
                "above 0 and at most 600"
            )
        overrides = _parse_limits(arguments.limit)
        if arguments.timeout is not None:
            overrides["call_seconds"] = arguments.timeout
        if json_path is not None and json_path.resolve() == submission.resolve():
            raise UsageError(
                f"--json {json_path} is the submission itself; give another file"
            )
        secret = _read_secret(arguments.secret_file)
    except UsageError as error:
        print(f"checker: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE

    assignment = load_assignment(name)
    limits = Limits().with_overrides(assignment.limits).with_overrides(overrides)
    report = grade(
        submission,
        assignment,
        limits,
        secret=secret,
        confinement=arguments.confinement,
    )

    # The results file first: whatever happens to the terminal, it is written.
    if json_path is not None:
        try:
            _write_atomically(json_path, render_gradescope(report))
        except OSError as error:
            print(
                f"checker: error: could not write {json_path}: {error.strerror}",
                file=sys.stderr,
            )
            return EXIT_UNUSABLE
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if arguments.quiet:
        print(summary_line(report))
    else:
        print(render_terminal(report, verbose=arguments.verbose), end="")
    return EXIT_PASSED if report.all_passed else EXIT_FAILED
