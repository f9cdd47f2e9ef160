"""GitHub Classroom's runner result: the points its autograding reads.

In a GitHub Classroom workflow, each grading step leaves an output named
``result``: base64 of a JSON object with the step's ``status`` ("pass" or
"fail"), its ``max_score`` and its ``tests``, each with a ``name``, a
``status`` and the ``score`` it earned. The autograding reporter step adds the
scores up and writes ``Points X/Y`` on the workflow run, which is where GitHub
Classroom reads the grade (see ``docs/github-classroom.md``).
"""

from __future__ import annotations

import base64
import json

from ._escape import visible
from .results import GradeReport

__all__ = ["render_classroom", "classroom_document"]

#: Longest message of one test, in characters: a step's outputs are capped.
_MAX_MESSAGE = 1000


def _message(text: str) -> str:
    text = visible(text)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 3] + "..."


def classroom_document(report: GradeReport) -> dict:
    """The runner result as a JSON-ready dict; hidden checks say nothing."""
    tests = [
        {
            "name": visible(r.name),
            "status": "pass" if r.passed else "fail",
            "message": "" if r.hidden else _message(r.message),
            "score": r.score,
            "execution_time": f"{r.seconds:.3f}s",
        }
        for r in report.results
    ]
    return {
        "version": 1,
        "status": "pass" if report.all_passed else "fail",
        "max_score": report.max_score,
        "tests": tests,
    }


def render_classroom(report: GradeReport) -> str:
    """The runner result, base64-encoded on one line, as the reporter reads it."""
    text = json.dumps(classroom_document(report))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
