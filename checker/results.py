"""Grading results as data: one `CheckResult` per check, one `GradeReport`.

Every report writer (the terminal table, results.json, ...) renders these
objects and nothing else, so they hold everything a writer needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = ["Status", "CheckResult", "GradeReport", "NotRun", "ProblemTotals"]


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
    NEEDS_REFERENCE = "needs the reference"
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
    problem : str
        The assignment's problem the function belongs to (by default the
        function itself).
    """

    name: str
    function: str
    max_score: float
    score: float
    status: Status
    message: str = ""
    seconds: float = 0.0
    hidden: bool = False
    problem: str = ""

    def __post_init__(self) -> None:
        if not self.problem:
            object.__setattr__(self, "problem", self.function)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED


@dataclass(frozen=True)
class NotRun:
    """The checks of one problem that were left out (``--problem``).

    Attributes
    ----------
    problem : str
        The problem.
    checks : tuple of str
        The names of its checks that did not run; when some of its functions
        were asked for, the others' checks only.
    points : float
        The points those checks carry, not counted in the totals.
    """

    problem: str
    checks: tuple[str, ...]
    points: float


@dataclass(frozen=True)
class ProblemTotals:
    """Points and checks of one problem, over the checks that ran."""

    problem: str
    score: float
    max_score: float
    passed: int
    checks: int

    @property
    def failed(self) -> int:
        return self.checks - self.passed


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
    title : str
        The assignment's one-line title.
    problems : tuple of str
        All the assignment's problems, in handout order, run or not.
    not_run : list of NotRun
        Per problem, the checks left out because only some problems were
        asked for. The totals count only the checks that ran.
    """

    assignment: str
    submission: str
    results: list[CheckResult] = field(default_factory=list)
    execution_time: float = 0.0
    printed: str = ""
    load_error: str | None = None
    notes: list[str] = field(default_factory=list)
    hidden_not_run: int = 0
    title: str = ""
    problems: tuple[str, ...] = ()
    not_run: list[NotRun] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Points earned by the checks that ran."""
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        """Points possible over the checks that ran."""
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

    @property
    def checks_not_run(self) -> int:
        """How many checks were left out."""
        return sum(len(n.checks) for n in self.not_run)

    def by_problem(self) -> list[ProblemTotals]:
        """Totals of each problem that ran, in handout order.

        Hidden checks count among the checks (they carry no points).
        """
        order = list(self.problems)
        order += [r.problem for r in self.results if r.problem not in order]
        totals = []
        for problem in dict.fromkeys(order):
            results = [r for r in self.results if r.problem == problem]
            if results:
                totals.append(
                    ProblemTotals(
                        problem=problem,
                        score=sum(r.score for r in results),
                        max_score=sum(r.max_score for r in results),
                        passed=sum(r.passed for r in results),
                        checks=len(results),
                    )
                )
        return totals
