"""Grading one submission: run every check of an assignment, collect results.

The submission runs in a `checker.sandbox.Sandbox`; the checks run here, in
the grader's process, and judge the values the worker sends back. Whatever the
submission does, `grade` returns a `checker.results.GradeReport`.

Graded from stored reference outputs (a handout, see `checker.stored`), a
check that needs the reference on a call that was not stored ends as "needs
the reference", with no points; the grader cannot answer in place of a
broken function where that needs such a call, and says so; and hidden checks
cannot run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Collection
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import numpy as np

from .assignment import Assignment, Check, Context
from .compare import CheckFailed, hidden_scope, precision_scope
from .results import CheckResult, GradeReport, NotRun, Status
from .sandbox import Confinement, ErrorKind, Limits, Sandbox, SubmissionError
from .stored import ReferenceUnavailable

__all__ = ["grade"]

log = logging.getLogger(__name__)

_STATUS_OF_ERROR = {
    ErrorKind.NOT_IMPLEMENTED: Status.NOT_IMPLEMENTED,
    ErrorKind.MISSING: Status.MISSING,
    ErrorKind.LOAD: Status.NOT_LOADED,
    ErrorKind.EXCEPTION: Status.ERROR,
    ErrorKind.TIMEOUT: Status.TIMED_OUT,
    ErrorKind.CRASH: Status.CRASHED,
    ErrorKind.REFUSED: Status.REFUSED,
}


_HIDDEN_FAILURE = (
    "{function}: {status} on hidden inputs; details are not shown, as they could "
    "carry those inputs (its public twin runs the same test on inputs you can see)"
)


def _run_check(
    check: Check, sandbox: Sandbox, seed: int, hidden: bool = False
) -> CheckResult:
    started = time.perf_counter()
    status = Status.PASSED
    message = ""
    try:
        # The reference may meet the submission's values (NaN, zeros in a
        # log): numpy's warnings about them are not for the student's eyes.
        with precision_scope(sandbox.precision), ExitStack() as scope:
            scope.enter_context(np.errstate(all="ignore"))
            if hidden:
                scope.enter_context(hidden_scope())
            note = check.run(Context(sandbox, check, seed))
        message = note or ""
    except CheckFailed as failure:
        status = Status.FAILED
        message = failure.message
    except SubmissionError as error:
        status = _STATUS_OF_ERROR[error.kind]
        message = error.message
    except ReferenceUnavailable as missing:
        status = Status.NEEDS_REFERENCE
        message = missing.message
    except Exception as error:  # a bug in a check must not stop the grading
        # The traceback is for developers (--debug), never for the student.
        log.debug("check %r raised", check.name, exc_info=True)
        status = Status.INTERNAL
        message = (
            f"the grader's check itself failed ({type(error).__name__}: {error}); "
            "this is not your fault, please report it to your instructor"
        )
    if hidden and status is not Status.INTERNAL:
        # Anything the submission shapes (a message, a type's name, an
        # array's shape, a count of elements) could carry the hidden inputs
        # out, so a hidden check says only how it ended.
        message = (
            ""
            if status is Status.PASSED
            else _HIDDEN_FAILURE.format(function=check.function, status=status.value)
        )
    points = 0.0 if hidden else float(check.points)
    return CheckResult(
        name=f"{check.name} (hidden inputs)" if hidden else check.name,
        function=check.function,
        max_score=points,
        score=points if status is Status.PASSED else 0.0,
        status=status,
        message=message,
        seconds=time.perf_counter() - started,
        hidden=hidden,
    )


def _broken(report: GradeReport) -> set[str]:
    """The functions that failed any of their own public checks."""
    return {r.function for r in report.results if not r.passed and not r.hidden}


def _swapped(
    assignment: Assignment, check: Check, broken: set[str]
) -> dict[str, Callable[..., Any]]:
    """The grader's answers for the broken functions a check's function calls."""
    names = (assignment.dependencies(check.function) & broken) - {check.function}
    return {n: assignment.answers[n] for n in sorted(names) if n in assignment.answers}


def _noting_misses(
    answers: dict[str, Callable[..., Any]], unanswered: list[str]
) -> dict[str, Callable[..., Any]]:
    """The answers, each adding its name to ``unanswered`` when it could not
    answer for want of the reference (graded from stored outputs)."""

    def noting(name: str, answer: Callable[..., Any]) -> Callable[..., Any]:
        def noted(*args: Any) -> Any:
            try:
                return answer(*args)
            except ReferenceUnavailable:
                unanswered.append(name)
                raise

        return noted

    return {name: noting(name, answer) for name, answer in answers.items()}


def _rerun_without_cascades(
    assignment: Assignment, sandbox: Sandbox, report: GradeReport
) -> None:
    """Run failed checks again with the grader answering for broken callees.

    A function that fails its own checks loses those points; the checks of
    the functions that call it run again with the grader's answers in place of
    it, and pass if the mistake was only there. Each rerun says what was
    swapped in.
    """
    broken = _broken(report)
    checks = {c.name: c for c in assignment.checks}
    for index, result in enumerate(report.results):
        check = checks.get(result.name)
        if result.passed or check is None:
            continue
        swapped = _swapped(assignment, check, broken)
        if not swapped:
            continue
        names = ", ".join(swapped)
        unanswered: list[str] = []
        with sandbox.answering(_noting_misses(swapped, unanswered)):
            rerun = _run_check(check, sandbox, assignment.seed)
        if not rerun.passed and (unanswered or rerun.status is Status.NEEDS_REFERENCE):
            report.results[index] = replace(
                result,
                message=f"{result.message}\n(the autograder runs it again with the "
                f"reference {names} answering in place of yours, so that only the "
                "broken function loses points; this copy has no reference to "
                "answer with)",
            )
        elif rerun.passed:
            note = (
                f"passed with the reference {names} answering in place of yours "
                f"(its own checks fail, and only those lose points)"
            )
            message = f"{note}; {rerun.message}" if rerun.message else note
            report.results[index] = replace(rerun, message=message)
        else:
            report.results[index] = replace(
                result,
                message=f"{result.message}\n(it fails with the reference {names} "
                f"answering in place of yours too, so the mistake is in "
                f"{check.function} itself)",
            )


def _run_hidden(
    assignment: Assignment, sandbox: Sandbox, report: GradeReport, secret: str | None
) -> None:
    """Run the hidden twins of the checks that draw their inputs."""
    checks = {c.name: c for c in assignment.checks}
    twins = [
        (index, checks[r.name])
        for index, r in enumerate(report.results)
        if r.name in checks and checks[r.name].hidden_inputs
    ]
    if secret is None:
        report.hidden_not_run = len(twins)
        return
    # 128 bits from the secret and the assignment: a leaked hidden input does
    # not let anyone search for the seed, and each assignment gets its own.
    digest = hashlib.sha256(f"{assignment.name}\0{secret}".encode()).digest()
    seed = int.from_bytes(digest[:16], "big")
    broken = _broken(report)
    extra = []
    for _, check in twins:
        with sandbox.answering(_swapped(assignment, check, broken)):
            extra.append(_run_check(check, sandbox, seed, hidden=True))
    # A bug that only hidden inputs show is charged to its own function once:
    # failed twins of its callers run again with the grader answering for it.
    broken |= {twin.function for twin in extra if not twin.passed}
    for position, (_, check) in enumerate(twins):
        swapped = _swapped(assignment, check, broken)
        if extra[position].passed or not swapped:
            continue
        with sandbox.answering(swapped):
            rerun = _run_check(check, sandbox, seed, hidden=True)
        if rerun.passed:
            extra[position] = rerun
    for (index, _), twin in zip(twins, extra):
        public = report.results[index]
        if public.passed and not twin.passed:
            report.results[index] = replace(
                public,
                score=0.0,
                status=Status.FAILED,
                message="passes on the public inputs but fails on hidden ones: see "
                "its hidden twin below",
            )
    report.results.extend(extra)


def _not_run(check: Check, budget: float) -> CheckResult:
    return CheckResult(
        name=check.name,
        function=check.function,
        max_score=float(check.points),
        score=0.0,
        status=Status.TIMED_OUT,
        message=f"not run: grading stopped after {budget:g} s, the time limit of "
        "the whole file (look for slow or sleeping code)",
    )


def grade(
    submission: str | os.PathLike,
    assignment: Assignment,
    limits: Limits | None = None,
    functions: Collection[str] | None = None,
    secret: str | None = None,
    confinement: Confinement | str = Confinement.AUTO,
) -> GradeReport:
    """Grade one submission file against an assignment.

    Parameters
    ----------
    submission : path-like
        The student's ``.py`` file. It is loaded only in the worker process.
    assignment : Assignment
        The checks to run.
    limits : Limits, optional
        Time and resource limits of the worker; by default `Limits`' defaults
        with the assignment's own ``limits`` in place.
    functions : collection of str, optional
        Run only the checks of these functions (all by default). The report
        lists the others, by problem, as not run.
    secret : str, optional
        The instructor's secret. With it, every check that draws its inputs
        runs a second time as a hidden check, on inputs drawn from a seed
        derived from the secret; a public check whose hidden twin fails loses
        its points. Without it, hidden checks are counted, not run. Not
        allowed when the assignment answers from stored outputs.
    confinement : Confinement or str, optional
        How far the worker is confined; see `checker.sandbox.Confinement`.

    Returns
    -------
    GradeReport
        One result per check, in the assignment's order, each with its
        problem.

    Raises
    ------
    ValueError
        For a secret when the assignment answers from stored outputs.
    """
    started = time.perf_counter()
    if secret is not None and assignment.stored is not None:
        raise ValueError(
            "hidden checks need the reference, which this copy does not have; "
            "grade without the secret"
        )
    if limits is None:
        limits = Limits().with_overrides(assignment.limits)
    report = GradeReport(
        assignment=assignment.name,
        submission=str(submission),
        title=assignment.title,
        problems=tuple(assignment.problems),
    )
    left_out = [
        c
        for c in assignment.checks
        if functions is not None and c.function not in functions
    ]
    skipped = {c.name for c in left_out}
    with Sandbox(submission, limits, confinement) as sandbox:
        for check in assignment.checks:
            if check.name in skipped:
                continue
            if time.perf_counter() - started > limits.total_seconds:
                report.results.append(_not_run(check, limits.total_seconds))
                continue
            result = _run_check(check, sandbox, assignment.seed)
            log.debug("%s: %s in %.3f s", check.name, result.status, result.seconds)
            report.results.append(result)
        _rerun_without_cascades(assignment, sandbox, report)
        # What is printed during hidden checks could show their inputs.
        report.printed = sandbox.printed()
        _run_hidden(assignment, sandbox, report, secret)
        if sandbox.precision.float32:
            report.notes.append(
                "Your code returns float32 arrays, so values were compared at "
                "float32 precision (rtol=1e-5) and finite differences used float32 "
                "steps; the contract asks for float64."
            )
        if assignment.stored is not None:
            report.notes.extend(assignment.stored.notes())
            log.debug(
                "stored outputs: %d calls answered, %d by a near call, %d missed %s",
                assignment.stored.hits,
                assignment.stored.near_hits,
                assignment.stored.misses,
                dict(assignment.stored.missed),
            )
        if sandbox.load_error is not None:
            report.load_error = sandbox.load_error.message
        report.notes.extend(sandbox.confinement_notes())
    report.results = [
        replace(r, problem=assignment.problem_of(r.function)) for r in report.results
    ]
    report.not_run = _left_out_by_problem(assignment, left_out)
    report.execution_time = time.perf_counter() - started
    return report


def _left_out_by_problem(assignment: Assignment, left_out: list[Check]) -> list[NotRun]:
    """The checks that were not asked for, grouped by problem in handout order."""
    grouped = []
    for problem, functions in assignment.problems.items():
        checks = [c for c in left_out if c.function in functions]
        if checks:
            names = tuple(c.name for c in checks)
            grouped.append(NotRun(problem, names, float(sum(c.points for c in checks))))
    return grouped
