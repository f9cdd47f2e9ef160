"""The command line: ``python -m checker FILE`` grades one submission.

One run prints the terminal report and writes any of the other reports: a
Gradescope results.json (``--json``), JUnit XML (``--junit``), Markdown
(``--markdown``), and, in a GitHub Actions step, the step summary and the
points GitHub Classroom reads (``--github``). Subcommands serve the
instructor instead: ``python -m checker grade`` grades a class (see
`checker.batch`), ``bundle NAME --out DIR`` builds the Gradescope autograder
zip, ``regen NAME [--check]`` recomputes the stored reference outputs,
``handout NAME --out DIR`` builds the student handout.

Exit status: 0 when every check passed, 1 when any check failed, 2 when the
grader could not run (a missing file, a file that is not Python, an unknown
assignment or problem, a results path that cannot be written). ``regen
--check`` exits 1 when the stored outputs are stale.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

from ._files import write_atomically
from .assignment import (
    ASSIGNMENTS,
    Assignment,
    AssignmentError,
    known_assignments,
    load_assignment,
)
from .audit import main as audit_main
from .batch import grade_command
from .bundle import build_bundle
from .classroom import render_classroom
from .grader import grade
from .gradescope import render_gradescope
from .handout import HandoutError, build_handout
from .junit import render_junit
from .markdown import render_markdown
from .regen import RegenError, regen
from .report import points_line, render_terminal, summary_line
from .results import GradeReport
from .sandbox import Confinement, Limits

__all__ = [
    "main",
    "build_parser",
    "build_bundle_parser",
    "build_regen_parser",
    "build_handout_parser",
    "use_color",
]

#: Environment variable that may hold the instructor's secret.
SECRET_VARIABLE = "NNCHECK_SECRET"

#: GitHub Actions' files of a step: its summary, then its outputs.
GITHUB_VARIABLES = ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")

#: The report files, by option: the writer of each.
WRITERS: dict[str, Callable[[GradeReport], str]] = {
    "json": render_gradescope,
    "junit": render_junit,
    "markdown": render_markdown,
}

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
        epilog="For instructors: python -m checker grade grades a class, bundle "
        "NAME --out DIR builds Gradescope's autograder zip, regen NAME recomputes "
        "the stored reference outputs, handout NAME --out DIR builds the student "
        "handout (each has its --help).",
    )
    parser.add_argument("submission", help="your .py file, e.g. assignments/hw1.py")
    parser.add_argument(
        "--assignment",
        metavar="NAME",
        help="which assignment the file is for (default: the file's name, e.g. "
        f"hw1.py -> hw1); known: {', '.join(sorted(ASSIGNMENTS))}",
    )
    parser.add_argument(
        "--problem",
        metavar="NAME",
        action="append",
        help="run only the checks of this problem (e.g. softmax) or function "
        "(e.g. sigmoid); repeat it for several. The report lists the rest as "
        "not run and its totals count only what ran",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the results in Gradescope's results.json format to PATH",
    )
    parser.add_argument(
        "--junit",
        metavar="PATH",
        help="also write the results as JUnit XML to PATH, for CI test reports",
    )
    parser.add_argument(
        "--markdown",
        metavar="PATH",
        help="also write a Markdown summary to PATH, e.g. for a pull request",
    )
    parser.add_argument(
        "--github",
        action="store_true",
        help="in a GitHub Actions step: append the Markdown summary to "
        "$GITHUB_STEP_SUMMARY, give the points to GitHub Classroom's reporter "
        "through $GITHUB_OUTPUT (output 'result'), and end with the line "
        "'Points X/Y'",
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


def _add_assignment_argument(parser: argparse.ArgumentParser) -> None:
    """The NAME positional that bundle, regen and handout share."""
    parser.add_argument(
        "assignment", metavar="NAME", help=f"known: {', '.join(sorted(ASSIGNMENTS))}"
    )


def build_bundle_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m checker bundle",
        description="Build Gradescope's autograder zip for an assignment: "
        "setup.sh, run_autograder, nncheck's source and the secret of the "
        "hidden checks; no tests and no student files.",
    )
    _add_assignment_argument(parser)
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="the folder for NAME-autograder.zip (and NAME-secret.txt when the "
        "secret is generated), made if missing",
    )
    parser.add_argument(
        "--secret-file",
        metavar="PATH",
        help="the secret of the hidden checks (default: the environment variable "
        f"{SECRET_VARIABLE}, else a new one, written to DIR/NAME-secret.txt)",
    )
    return parser


def build_regen_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m checker regen",
        description="Recompute the stored outputs of an assignment's public checks "
        "from reference/ (assignments/NAME_outputs.nnck and its manifest "
        "NAME_outputs.json), say what changed, and write them.",
    )
    _add_assignment_argument(parser)
    parser.add_argument(
        "--check",
        action="store_true",
        help="only say whether the stored outputs are stale: exit 1 if they are, "
        "0 if not; write nothing",
    )
    return parser


def build_handout_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m checker handout",
        description="Build the student handout of an assignment: the file to fill "
        "in, the checker, the checks and the stored reference outputs, a "
        "pyproject.toml and a README; no reference code and no secret.",
    )
    _add_assignment_argument(parser)
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        help="the handout's folder: a new one, or an empty one",
    )
    return parser


def use_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set.

    ``NO_COLOR`` counts when it is set to anything but the empty string, as
    its convention says.
    """
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not environ.get("NO_COLOR")


def _check_submission(path: Path) -> None:
    if not path.exists():
        raise UsageError(f"no such file: {path}; give the path of your .py file")
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give the path of your .py file")
    if path.suffix != ".py":
        raise UsageError(f"{path} is not a Python file (expected a name ending in .py)")


def _pick_assignment(path: Path, name: str | None) -> str:
    known = known_assignments()
    listing = ", ".join(sorted(known))
    if name is not None:
        if name.endswith(".py"):
            if not Path(name).is_file():
                raise UsageError(f"--assignment {name}: no such checks file")
            return name
        if name not in known:
            raise UsageError(
                f"unknown assignment {name!r}; known: {listing} (or the path of "
                "a checks file defining ASSIGNMENT)"
            )
        return name
    if path.stem in known:
        return path.stem
    raise UsageError(
        f"cannot tell which assignment {path.name} is for; pass --assignment "
        f"NAME (known: {listing})"
    )


def _check_output_path(option: str, path: Path, submission: Path) -> None:
    if path.is_dir():
        raise UsageError(f"--{option} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise UsageError(f"--{option} {path}: the folder {path.parent} does not exist")
    if path.resolve() == submission.resolve():
        raise UsageError(
            f"--{option} {path} is the submission itself; give another file"
        )


def _output_paths(arguments: argparse.Namespace, submission: Path) -> dict[str, Path]:
    """The report files asked for, by option, each checked and all distinct."""
    paths = {
        option: Path(getattr(arguments, option))
        for option in WRITERS
        if getattr(arguments, option)
    }
    seen: dict[Path, str] = {}
    for option, path in paths.items():
        _check_output_path(option, path, submission)
        if path.resolve() in seen:
            raise UsageError(
                f"--{option} {path} is also the file of --{seen[path.resolve()]}; "
                "give each report its own file"
            )
        seen[path.resolve()] = option
    return paths


def _github_files(environ: Mapping[str, str]) -> tuple[Path, Path | None]:
    """The step summary to append to, and the step's output file if any."""
    summary = environ.get("GITHUB_STEP_SUMMARY", "")
    if not summary:
        raise UsageError(
            "--github needs $GITHUB_STEP_SUMMARY, which GitHub Actions sets in a "
            "workflow step; elsewhere use --markdown PATH"
        )
    output = environ.get("GITHUB_OUTPUT", "")
    files = (Path(summary), Path(output) if output else None)
    for variable, path in zip(GITHUB_VARIABLES, files):
        if path is not None and not path.parent.is_dir():
            raise UsageError(
                f"--github: ${variable} is {path}, in a folder that does not exist"
            )
    return files


def _load(name: str) -> Assignment:
    """The assignment, or a one-line usage error saying why it cannot load."""
    try:
        return load_assignment(name)
    except KeyError as error:
        raise UsageError(error.args[0]) from None
    except AssignmentError as error:
        raise UsageError(str(error)) from None
    except Exception as error:  # an instructor's checks file that fails
        logging.getLogger(__name__).debug("loading %s", name, exc_info=True)
        raise UsageError(
            f"the checks of {name} failed to load ({type(error).__name__}: "
            f"{error}); run with --debug for the traceback"
        ) from None


def _pick_problems(
    assignment_name: str, names: list[str] | None
) -> frozenset[str] | None:
    """The functions ``--problem`` asks for, or None for all."""
    if not names:
        return None
    try:
        return load_assignment(assignment_name).select(names)
    except ValueError as error:
        raise UsageError(f"--problem: {error}") from None


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


def _append(path: Path, text: str) -> None:
    """Add ``text`` to the end of ``path``."""
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(text)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv[:1] == ["bundle"]:
            return _bundle(argv[1:])
        if argv[:1] == ["regen"]:
            return _regen(argv[1:])
        if argv[:1] == ["handout"]:
            return _handout(argv[1:])
        if argv[:1] == ["grade"]:
            return grade_command(argv[1:])
        if argv[:1] == ["audit"]:
            return audit_main(argv[1:])
        return _main(argv)
    except KeyboardInterrupt:
        print("checker: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the grader's own fault: one line, not a traceback
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        print(
            f"checker: internal error ({type(error).__name__}: {error}); this is "
            "not your fault: run again with --debug and report what it shows",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE


def _bundle(argv: list[str]) -> int:
    arguments = build_bundle_parser().parse_args(argv)
    out = Path(arguments.out)
    try:
        if arguments.assignment not in ASSIGNMENTS:
            known = ", ".join(sorted(ASSIGNMENTS))
            raise UsageError(
                f"unknown assignment {arguments.assignment!r}; known: {known}"
            )
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out} is not a folder; give a folder")
        if not out.parent.is_dir():
            raise UsageError(f"--out {out}: the folder {out.parent} does not exist")
        secret = _read_secret(arguments.secret_file)
        kept = out / f"{arguments.assignment}-secret.txt"
        if secret is None and kept.exists():
            raise UsageError(
                f"--out {out} already holds {kept.name}, the secret of an earlier "
                f"bundle: pass --secret-file {kept} to keep it, or remove it"
            )
        out.mkdir(exist_ok=True)
        bundle = build_bundle(arguments.assignment, out, secret)
    except UsageError as error:
        print(f"checker: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except (OSError, KeyError) as error:
        text = error.args[0] if isinstance(error, KeyError) else error
        print(f"checker: error: {text}", file=sys.stderr)
        return EXIT_UNUSABLE

    print(f"wrote {bundle.zip_path} ({len(bundle.members)} files)")
    if bundle.secret_path is not None:
        print(
            f"generated the hidden checks' secret, also written to "
            f"{bundle.secret_path}: keep it to grade with the same hidden inputs"
        )
    return EXIT_PASSED


def _known(assignment: str) -> None:
    if assignment not in ASSIGNMENTS:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise UsageError(f"unknown assignment {assignment!r}; known: {known}")


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _regen(argv: list[str]) -> int:
    arguments = build_regen_parser().parse_args(argv)
    name = arguments.assignment
    try:
        _known(name)
        result = regen(name, check_only=arguments.check)
    except (UsageError, RegenError) as error:
        print(f"checker: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE

    recording = result.recording
    print(
        f"{name}: {len(recording.entries)} calls of the reference in "
        f"{recording.checks} public checks, recorded in {recording.seconds:.1f} s "
        f"({result.size / 1024:.0f} KiB)"
    )
    print(f"{name}: against the stored outputs: {result.changes.summary()}")
    for note in result.notes:
        print(f"{name}: {note}")
    if arguments.check:
        if result.stale:
            print(
                f"{name}: the stored outputs are stale; regenerate them with "
                f"python -m checker regen {name}"
            )
            return EXIT_FAILED
        print(f"{name}: the stored outputs match reference/")
        return EXIT_PASSED
    if result.written:
        print(f"wrote {' and '.join(_shown(path) for path in result.written)}")
    else:
        print(f"{name}: the stored outputs are up to date; nothing written")
    return EXIT_PASSED


def _handout(argv: list[str]) -> int:
    arguments = build_handout_parser().parse_args(argv)
    try:
        _known(arguments.assignment)
        handout = build_handout(arguments.assignment, arguments.out)
    except (UsageError, HandoutError) as error:
        print(f"checker: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as error:
        print(f"checker: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    print(
        f"wrote {handout.folder} ({len(handout.files)} files): students run "
        f"python -m checker assignments/{arguments.assignment}.py in it"
    )
    return EXIT_PASSED


def _main(argv: list[str] | None) -> int:
    arguments = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if arguments.debug else logging.WARNING,
        format="checker: %(levelname)s: %(message)s",
    )
    submission = Path(arguments.submission)
    try:
        _check_submission(submission)
        name = _pick_assignment(submission, arguments.assignment)
        assignment = _load(name)
        functions = _pick_problems(name, arguments.problem)
        paths = _output_paths(arguments, submission)
        github = _github_files(os.environ) if arguments.github else None
        if arguments.timeout is not None and not 0 < arguments.timeout <= 600:
            raise UsageError(
                f"--timeout {arguments.timeout:g}: give a number of seconds "
                "above 0 and at most 600"
            )
        overrides = _parse_limits(arguments.limit)
        if arguments.timeout is not None:
            overrides["call_seconds"] = arguments.timeout
        secret = _read_secret(arguments.secret_file)
        if secret is not None and assignment.stored is not None:
            raise UsageError(
                "hidden checks need the reference, which this copy does not have; "
                f"grade without --secret-file and ${SECRET_VARIABLE}"
            )
    except UsageError as error:
        print(f"checker: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE

    limits = Limits().with_overrides(assignment.limits).with_overrides(overrides)
    report = grade(
        submission,
        assignment,
        limits,
        functions,
        secret=secret,
        confinement=arguments.confinement,
    )

    # The result files first: whatever happens to the terminal, they are written.
    try:
        _write_reports(report, paths, github)
    except OSError as error:
        where = error.filename or "a report"
        print(
            f"checker: error: could not write {where}: {error.strerror}",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if arguments.quiet:
        print(summary_line(report))
    else:
        color = use_color(sys.stdout, os.environ)
        terminal = render_terminal(report, verbose=arguments.verbose, color=color)
        print(terminal, end="")
    if github is not None:
        print(points_line(report))
    return EXIT_PASSED if report.all_passed else EXIT_FAILED


def _write_reports(
    report: GradeReport,
    paths: Mapping[str, Path],
    github: tuple[Path, Path | None] | None,
) -> None:
    """Write every report file asked for; each file whole or not at all.

    GitHub's step summary and step output are files the runner gives each
    step to append to: they get one write each, after the report files.
    """
    writes: list[tuple[Path, Callable[[Path, str], None], str]] = [
        (path, write_atomically, WRITERS[option](report))
        for option, path in paths.items()
    ]
    if github is not None:
        summary, output = github
        writes.append((summary, _append, render_markdown(report)))
        if output is not None:
            writes.append((output, _append, f"result={render_classroom(report)}\n"))
    for path, write, text in writes:
        try:
            write(path, text)
        except OSError as error:
            raise OSError(error.errno, error.strerror, str(path)) from error
