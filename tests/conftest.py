"""Shared fixtures: student-like submission files and a way to grade them."""

from __future__ import annotations

import sys
from pathlib import Path

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
