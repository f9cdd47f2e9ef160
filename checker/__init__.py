"""nncheck's engine: grade neural-network homework safely and explain failures.

The main entry points:

- `grade` runs every check of an `Assignment` on a submission file, the
  submission itself running in a separate worker process (`Sandbox`);
- `central_differences` gives finite-difference Jacobians of any function
  evaluated in batches;
- `render_terminal`, `render_gradescope`, `render_junit` and
  `render_markdown` turn a `GradeReport` into text;
- `build_bundle` packs Gradescope's autograder zip.
"""

from __future__ import annotations

from .assignment import Assignment, Check, Context, load_assignment
from .bundle import build_bundle
from .compare import CheckFailed
from .grader import grade
from .gradescope import render_gradescope
from .junit import render_junit
from .markdown import render_markdown
from .numdiff import central_differences
from .report import render_terminal
from .results import CheckResult, GradeReport, NotRun, ProblemTotals, Status
from .sandbox import Limits, Sandbox, SubmissionError

__all__ = [
    "Assignment",
    "Check",
    "CheckFailed",
    "CheckResult",
    "Context",
    "GradeReport",
    "Limits",
    "NotRun",
    "ProblemTotals",
    "Sandbox",
    "Status",
    "SubmissionError",
    "build_bundle",
    "central_differences",
    "grade",
    "load_assignment",
    "render_gradescope",
    "render_junit",
    "render_markdown",
    "render_terminal",
]
