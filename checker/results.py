"""Grading results as data: one `CheckResult` per check, one `GradeReport`.

Every report writer (the terminal table, results.json, ...) renders these
objects and nothing else, so they hold everything a writer needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = ["Status", "CheckResult", "GradeReport"]


class Status(str, Enum):
    """How a check ended."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_IMPLEMENTED = "not implemented"
    MISSING = "missing"
    NOT_LOADED = "not loaded"
    ERROR = "error"
    TIMED_OUT = "timed out"
    CRASHED = "crashed"
    REFUSED = "refused"
    INTERNAL = "grader error"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    name : str
        ``"<function>: <what is checked>"``.
    function : str
        The submitted function the check grades.
    max_score, score : float
        Points possible and earned.
    status : Status
        How the check ended.
    message : str
        For a failure, the explanation (several lines allowed); for a pass,
        an optional note.
    seconds : float
        Wall time of the check.
    hidden : bool
        True for a hidden check: the twin of a public check, run on inputs
        drawn from the instructor's secret seed. It carries no points of its
        own; when it fails, its public twin's points are withdrawn.
    """

    name: str
    function: str
    max_score: float
    score: float
    status: Status
    message: str = ""
    seconds: float = 0.0
    hidden: bool = False

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


@dataclass
class GradeReport:
    """All results of grading one submission.

    Attributes
    ----------
    assignment : str
        The assignment's name, e.g. ``"hw1"``.
    submission : str
        The graded file, as given.
    results : list of CheckResult
        In the assignment's order.
    execution_time : float
        Wall time of the whole grading, in seconds.
    printed : str
        What the submission printed, capped.
    load_error : str or None
        Why the file could not be loaded, if it could not.
    notes : list of str
        Remarks on the whole grading, e.g. on float32 precision.
    hidden_not_run : int
        Hidden checks that exist but were not run (no secret seed given).
    """

    assignment: str
    submission: str
    results: list[CheckResult] = field(default_factory=list)
    execution_time: float = 0.0
    printed: str = ""
    load_error: str | None = None
    notes: list[str] = field(default_factory=list)
    hidden_not_run: int = 0

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)

    @property
    def all_passed(self) -> bool:
        return all(r.passed for r in self.results)

    def by_function(self) -> dict[str, tuple[float, float]]:
        """Points earned and possible per function, in the checks' order."""
        totals: dict[str, tuple[float, float]] = {}
        for r in self.results:
            earned, possible = totals.get(r.function, (0.0, 0.0))
            totals[r.function] = (earned + r.score, possible + r.max_score)
        return totals
