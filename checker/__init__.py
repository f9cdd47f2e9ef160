"""nncheck's engine: grade neural-network homework safely and explain failures.

The main entry points:

- `grade` runs every check of an `Assignment` on a submission file, the
  submission itself running in a separate worker process (`Sandbox`);
- `central_differences` gives finite-difference Jacobians of any function
  evaluated in batches;
- `render_terminal` and `render_gradescope` turn a `GradeReport` into text.
"""

from __future__ import annotations

from .assignment import Assignment, Check, Context, load_assignment
from .compare import CheckFailed
from .grader import grade
from .numdiff import central_differences
from .report import render_gradescope, render_terminal
from .results import CheckResult, GradeReport, Status
from .sandbox import Limits, Sandbox, SubmissionError

__all__ = [
    "Assignment",
    "Check",
    "CheckFailed",
    "CheckResult",
    "Context",
    "GradeReport",
    "Limits",
    "Sandbox",
    "Status",
    "SubmissionError",
    "central_differences",
    "grade",
    "load_assignment",
    "render_gradescope",
    "render_terminal",
]
