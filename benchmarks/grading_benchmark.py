"""Wall time of grading hw1 submissions, and of its property-based checks.

Run by hand from the repository root::

    python benchmarks/grading_benchmark.py

For each submission (the three correct ones under ``tests/submissions`` and
two buggy variants of ``correct_typical.py``) it grades three times, without
and with an instructor's secret (hidden checks on), and prints the median
wall time of the whole grading, the time spent in the hypothesis property
checks alone, the number of checks and the score. Worker start-up is
included; BLAS runs on one thread, as in the worker.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "submissions"))

from bugs import BUGS, apply, base_source  # noqa: E402
from tabulate import tabulate  # noqa: E402

from assignments.hw1_properties import PROPERTY_CHECKS  # noqa: E402
from checker import grade, load_assignment  # noqa: E402

REPEATS = 3


def _submissions(folder: Path) -> list[tuple[str, Path]]:
    chosen = [
        (name, ROOT / "tests" / "submissions" / f"{name}.py")
        for name in ("correct_typical", "correct_loops", "correct_stable")
    ]
    for bug_id in ("softmax_no_max_shift", "backward_derivative_at_output"):
        bug = next(b for b in BUGS if b.id == bug_id)
        path = folder / f"{bug_id}.py"
        path.write_text(apply(bug, base_source()), encoding="utf-8")
        chosen.append((f"bug: {bug_id}", path))
    return chosen


def main() -> None:
    assignment = load_assignment("hw1")
    property_names = {check.name for check in PROPERTY_CHECKS}
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for label, path in _submissions(Path(folder)):
            for secret in (None, "benchmark secret"):
                totals, in_properties = [], []
                for _ in range(REPEATS):
                    started = time.perf_counter()
                    report = grade(path, assignment, secret=secret)
                    totals.append(time.perf_counter() - started)
                    in_properties.append(
                        sum(
                            r.seconds
                            for r in report.results
                            if r.name.removesuffix(" (hidden inputs)") in property_names
                        )
                    )
                rows.append(
                    [
                        label,
                        "yes" if secret else "no",
                        f"{statistics.median(totals):.2f} s",
                        f"{statistics.median(in_properties):.2f} s",
                        len(report.results),
                        f"{report.score:g}/{report.max_score:g}",
                    ]
                )
    headers = ["submission", "hidden", "grading", "properties", "checks", "score"]
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of "
        f"{REPEATS} runs"
    )
    print(tabulate(rows, headers=headers))


if __name__ == "__main__":
    main()
