"""Shared fixtures: student-like submission files and a way to grade them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# One BLAS thread in the tests' own process: the worker processes already run
# beside it, and on a small machine BLAS threads spinning against them can
# make a large product a hundred times slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = Path(__file__).resolve().parent / "submissions"
HANDOUT = ROOT / "assignments" / "hw1.py"

sys.path.insert(0, str(SUBMISSIONS))


@pytest.fixture(scope="session")
def hw1():
    """The hw1 assignment (its checks and rubric)."""
    from checker import load_assignment

    return load_assignment("hw1")


@pytest.fixture
def write_submission(tmp_path):
    """Write a submission's source to ``tmp_path/hw1.py`` and return the path."""

    def write(source: str, name: str = "hw1.py") -> Path:
        path = tmp_path / name
        path.write_text(source, encoding="utf-8")
        return path

    return write


def typical_source() -> str:
    """The text of the correct, typical submission the buggy ones start from."""
    return (SUBMISSIONS / "correct_typical.py").read_text(encoding="utf-8")


def edit(source: str, old: str, new: str) -> str:
    """Replace a snippet that must occur exactly once."""
    assert source.count(old) == 1, f"{old!r} occurs {source.count(old)} times"
    return source.replace(old, new)


# --------------------------------------------------------------------------
# Reports


#: Gradescope's results.json format as a JSON schema (see its description).
GRADESCOPE_SCHEMA = Path(__file__).resolve().parent / "gradescope_results.schema.json"

#: Text a submission may print or raise to break a report: markup that closes
#: what the writers open (CDATA, <details>, code fences, XML elements), HTML
#: comments and entities, terminal escapes (colour, clear screen, window
#: title), NUL and other characters XML forbids, and a bidirectional override.
#: "EVIL" marks it, to find where it went.
NASTY = (
    "EVIL ]]> </details> ``` ```` </failure></testcase> <!-- &amp; & <b>"
    " \x1b[31mred\x1b[0m \x1b[2J \x1b]0;title\x07 \x00 \x0b \x0c \u202eright"
)


def validate_gradescope(document: dict) -> None:
    """Raise jsonschema.ValidationError unless ``document`` is a valid
    results.json."""
    import json

    import jsonschema

    schema = json.loads(GRADESCOPE_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)


def markdown_outside_code(text: str) -> list[str]:
    """The lines of Markdown ``text`` outside fenced code blocks.

    Follows CommonMark's fences: an opening line of three or more backticks
    (or tildes) after at most three spaces, closed only by a line of at least
    as many of the same character and nothing else. Fails if a block is left
    open at the end.
    """
    import re

    outside: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        if fence is None:
            opening = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", line)
            if opening and not (opening[1][0] == "`" and "`" in opening[2]):
                fence = opening[1]
            else:
                outside.append(line)
        else:
            closing = re.match(r"^ {0,3}(`{3,}|~{3,})\s*$", line)
            if closing and closing[1][0] == fence[0] and len(closing[1]) >= len(fence):
                fence = None
    assert fence is None, f"a code block opened with {fence} is never closed"
    return outside


def run_checker(*arguments, env=None) -> subprocess.CompletedProcess:
    """Run ``python -m checker ARGUMENTS`` from the project's root."""
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=env,
    )
