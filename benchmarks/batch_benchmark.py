"""Wall time of grading a class with ``python -m checker grade``.

Run by hand from the repository root::

    python benchmarks/batch_benchmark.py                  # 200 files, minutes
    python benchmarks/batch_benchmark.py --count 40       # a smaller class
    python benchmarks/batch_benchmark.py --limit call_seconds=1

It writes a class of ``--count`` submissions into a temporary folder, in
fixed proportions: correct files (the three of ``tests/submissions`` in
turn), single-bug files (the bugs table of ``tests/submissions/bugs.py`` in
turn), hanging files (``correct_typical.py`` with one function's body
replaced by ``while True: pass``) and crashing files (a syntax error, an
exception or ``os._exit`` while loading, ``os._exit`` or SIGSEGV in a
function). It grades them in one batch with ``--jobs`` grader processes (the
number of cores by default) and prints the wall time in all and per
submission, the graders' own times by kind, and how the scores fall.
Nothing in the repository changes; the temporary folder is removed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "tests" / "submissions"
sys.path.insert(0, str(SUBMISSIONS))

from bugs import BUGS, CONTRACT, apply, base_source  # noqa: E402
from tabulate import tabulate  # noqa: E402

#: Share of each kind in the class, in the order the files are made.
SHARES = {"correct": 0.4, "buggy": 0.4, "hanging": 0.1, "crashing": 0.1}

CORRECT = ("correct_typical", "correct_loops", "correct_stable")

#: What a crashing file does, and where.
CRASHES = {
    "syntax error": "def sigmoid(z:\n    return z\n",
    "exception while loading": "raise RuntimeError('broken on purpose')\n",
    "os._exit while loading": "import os\n\nos._exit(1)\n",
    "os._exit in forward": None,
    "SIGSEGV in softmax": None,
}


def _with_first_line(source: str, function: str, body: str) -> str:
    """``source`` with ``body`` put first in ``function``'s body."""
    header = re.search(rf"^def {function}\(.*\):\n", source, flags=re.MULTILINE)
    assert header is not None, function
    return source[: header.end()] + body + source[header.end() :]


def _crash(kind: str) -> str:
    if CRASHES[kind] is not None:
        return CRASHES[kind]
    base = base_source()
    if kind == "os._exit in forward":
        return _with_first_line(base, "forward", "    import os\n\n    os._exit(3)\n")
    body = (
        "    import os\n    import signal\n\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    )
    return _with_first_line(base, "softmax", body)


def build_class(folder: Path, count: int) -> dict[str, str]:
    """Write ``count`` submissions into ``folder``; return id -> kind."""
    numbers = {kind: round(share * count) for kind, share in SHARES.items()}
    numbers["correct"] += count - sum(numbers.values())
    kinds: dict[str, str] = {}
    serial = 0
    for kind, number in numbers.items():
        for index in range(number):
            if kind == "correct":
                name = CORRECT[index % len(CORRECT)]
                source = (SUBMISSIONS / f"{name}.py").read_text(encoding="utf-8")
            elif kind == "buggy":
                source = apply(BUGS[index % len(BUGS)], base_source())
            elif kind == "hanging":
                function = CONTRACT[(7 * index) % len(CONTRACT)]
                loop = "    while True:\n        pass\n"
                source = _with_first_line(base_source(), function, loop)
            else:
                source = _crash(list(CRASHES)[index % len(CRASHES)])
            serial += 1
            student = f"student{serial:03d}"
            (folder / student).mkdir()
            (folder / student / "hw1.py").write_text(source, encoding="utf-8")
            kinds[student] = kind
    return kinds


def _distribution(rows: list[dict[str, str]], kinds: dict[str, str]) -> list[list]:
    """Counts of totals in bands of 10 points, by kind."""
    bands = ["error"] + [f"{low}-{low + 9}" for low in range(0, 100, 10)] + ["100"]
    counts = Counter()
    for row in rows:
        if row["status"] != "graded":
            band = "error"
        else:
            total = float(row["total"])
            band = "100" if total >= 100 else bands[1 + int(total // 10)]
        counts[band, kinds[row["student"]]] += 1
    table = []
    for band in bands:
        line = [counts[band, kind] for kind in SHARES]
        if any(line):
            table.append([band, *line, sum(line)])
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="submissions")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--limit", action="append", default=[], metavar="NAME=VALUE", help="as in grade"
    )
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nncheck-batch-") as temporary:
        folder = Path(temporary) / "class"
        folder.mkdir()
        kinds = build_class(folder, arguments.count)
        out = Path(temporary) / "out"
        command = [sys.executable, "-m", "checker", "grade", "--assignment", "hw1"]
        command += [str(folder), "--out", str(out), "--jobs", str(arguments.jobs)]
        for item in arguments.limit:
            command += ["--limit", item]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - started

        with open(out / "gradebook.csv", newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
        seconds: dict[str, list[float]] = {kind: [] for kind in SHARES}
        for row in rows:
            meta = json.loads(
                (out / "reports" / f"{row['student']}.meta.json").read_text()
            )
            seconds[kinds[row["student"]]].append(meta["seconds"])

    limits = ", ".join(arguments.limit) or "the defaults"
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, --jobs "
        f"{arguments.jobs}, limits: {limits}; exit status {done.returncode}"
    )
    # The summary, without the line naming the temporary folder, now gone.
    print("\n".join(done.stdout.splitlines()[:-1]))
    print(
        f"\n{len(rows)} submissions in {wall:.1f} s: {wall / len(rows):.2f} s per "
        "submission of wall time\n"
    )
    table = [
        [
            kind,
            len(times),
            f"{statistics.median(times):.1f} s",
            f"{max(times):.1f} s",
            f"{sum(times):.0f} s",
        ]
        for kind, times in seconds.items()
        if times
    ]
    headers = ["kind", "files", "median grader", "slowest", "sum"]
    print(tabulate(table, headers=headers, colalign=("left",)))
    print()
    headers = ["total", *SHARES, "all"]
    print(tabulate(_distribution(rows, kinds), headers=headers, colalign=("left",)))


if __name__ == "__main__":
    main()
