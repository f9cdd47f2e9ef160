"""The student handout: ``python -m checker handout NAME --out DIR``.

What students get, a folder that grades their file without the reference::

    DIR/README.md                  how to install and run it, what it checks
    DIR/pyproject.toml             ``pip install .`` gets numpy, hypothesis
                                   (the version the outputs were made with)
                                   and tabulate
    DIR/assignments/NAME.py        the file to fill in
    DIR/assignments/...            the checks: the module ``ASSIGNMENTS``
                                   names and the assignment's modules it
                                   imports, ``__init__.py``
    DIR/assignments/NAME_outputs.nnck, NAME_outputs.json
                                   the stored reference outputs, manifest
    DIR/checker/...                the checker

and nothing else: no ``reference/``, no tests, no secret (none is read). In
it ``reference`` cannot be imported, so the checks answer from the stored
outputs (`checker.stored`).

The stored outputs must be fresh: the manifest's checksums of the reference's
and the checks' sources must be those of the files now, and its checksum of
the outputs that of the file; otherwise nothing is built and the message
says to run ``python -m checker regen NAME``. (A change elsewhere in the
checker that moves the inputs is caught by ``regen NAME --check``, which
recomputes everything.)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .assignment import ASSIGNMENTS, load_assignment, stored_outputs_paths
from .regen import RegenError, checks_files, source_checksums

__all__ = ["Handout", "HandoutError", "build_handout"]

#: The project's root: the folder holding pyproject.toml and the packages.
_ROOT = Path(__file__).resolve().parent.parent

#: What the handout's pyproject asks for besides hypothesis, which is pinned
#: to the version the stored outputs were made with.
_REQUIREMENTS = ("numpy>=1.24", "tabulate>=0.9")


class HandoutError(Exception):
    """The handout cannot be built; the message is one line for the user."""


@dataclass(frozen=True)
class Handout:
    """What `build_handout` wrote.

    Attributes
    ----------
    folder : Path
        The handout.
    files : tuple of str
        Its files, relative to ``folder``, in order.
    """

    folder: Path
    files: tuple[str, ...]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _check_fresh(assignment: str, outputs: Path, manifest_path: Path) -> dict:
    """The manifest, if the stored outputs match the sources; else raise."""
    regen = f"run python -m checker regen {assignment} first"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HandoutError(f"{assignment} has no stored outputs yet: {regen}") from None
    except (OSError, ValueError) as error:
        raise HandoutError(
            f"{manifest_path} cannot be read ({error}): {regen}"
        ) from None
    try:
        described = manifest["outputs"]["sha256"]
        recorded = {**manifest["reference"], **manifest["checks"]}
        manifest["versions"]["hypothesis"]
    except (KeyError, TypeError):
        raise HandoutError(f"{manifest_path} is malformed: {regen}") from None
    if not outputs.is_file() or _sha256(outputs) != described:
        raise HandoutError(
            f"{outputs.name} is not what its manifest describes: {regen}"
        )
    sums = source_checksums(assignment)
    current = {**sums["reference"], **sums["checks"]}
    changed = sorted(
        name
        for name in recorded.keys() | current.keys()
        if recorded.get(name) != current.get(name)
    )
    if changed:
        raise HandoutError(
            f"the stored outputs of {assignment} are stale ({', '.join(changed)} "
            f"changed since they were made): {regen}"
        )
    return manifest


def _version() -> str:
    text = (_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version = "([^"]+)"', text, re.MULTILINE)
    return match.group(1) if match else "0.0.0"


def _pyproject(assignment: str, title: str, hypothesis: str) -> str:
    requirements = [*_REQUIREMENTS, f"hypothesis=={hypothesis}"]
    listed = "".join(f'    "{r}",\n' for r in sorted(requirements))
    return f"""\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "nncheck-{assignment}"
version = "{_version()}"
description = "{title}: the handout and its checker"
readme = "README.md"
requires-python = ">=3.10"
dependencies = [
{listed}]

[project.scripts]
nncheck = "checker.cli:main"

[tool.setuptools]
packages = ["checker", "assignments"]

[tool.setuptools.package-data]
assignments = ["*.nnck", "*.json"]
"""


_README = """\
# @TITLE@

Fill in `assignments/@NAME@.py`: replace every `raise NotImplementedError`
with your code. The checker grades it on your machine.

## Install and run

With Python 3.10 or newer, in this folder:

```sh
python3 -m venv .venv && .venv/bin/pip install .
.venv/bin/python -m checker assignments/@NAME@.py
```

The second line grades your file, as often as you like. `--problem softmax`
runs the checks of one problem only, `-v` shows more, `--help` lists every
option. Your file runs in a separate process, with a time limit on each
call.

## What this copy checks, and what it does not

It holds no reference solution. Instead it holds the reference's outputs on
every input the public checks use (`assignments/@NAME@_outputs.nnck`, made
with hypothesis @HYPOTHESIS@ and numpy @NUMPY@). So it runs every public check:
your values against the reference's, your derivatives against finite
differences of your own functions, and the properties (hypothesis draws the
same examples here as when the outputs were made). A correct file scores
@POINTS@/@POINTS@ here and in the autograder on the public checks.

It cannot:

- run the hidden checks: the autograder runs each check again on inputs
  drawn from a secret seed, and a public check whose hidden twin fails loses
  its points;
- judge a call of the reference on values your own code computed. A check
  that would need one says "needs the reference" and earns nothing here;
  some explanations of a failure (the hint that names a known mistake, which
  of a function and its derivative to fix) are left out for the same reason;
- charge a bug once: in the autograder, when a function fails, the checks of
  the functions that call it run again with the reference in its place.
  Here they fail along with it.

The autograder's grade is the one that counts.
"""


def _readme(assignment: str, title: str, manifest: dict, points: int) -> str:
    versions = manifest.get("versions", {})
    return (
        _README.replace("@TITLE@", title)
        .replace("@NAME@", assignment)
        .replace("@HYPOTHESIS@", versions.get("hypothesis", "?"))
        .replace("@NUMPY@", versions.get("numpy", "?"))
        .replace("@POINTS@", str(points))
    )


def build_handout(assignment: str, out: str | os.PathLike) -> Handout:
    """Build the student handout of ``assignment`` in the folder ``out``.

    Parameters
    ----------
    assignment : str
        A registered assignment, e.g. ``"hw1"``.
    out : path-like
        A folder that does not exist yet, or an empty one, in an existing
        folder. It is filled whole or not at all.

    Raises
    ------
    KeyError
        For an unknown assignment.
    HandoutError
        When this is not nncheck's source tree, the stored outputs are
        missing or stale, or ``out`` is not empty.
    """
    if assignment not in ASSIGNMENTS:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise KeyError(f"unknown assignment {assignment!r}; known: {known}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise HandoutError(f"--out {out} exists and is not an empty folder")
    if not out.parent.is_dir():
        raise HandoutError(f"--out {out}: the folder {out.parent} does not exist")
    if not (_ROOT / "pyproject.toml").is_file() or not (_ROOT / "reference").is_dir():
        raise HandoutError(
            f"{_ROOT} is not nncheck's source tree (with pyproject.toml and "
            "reference/): build handouts from it, not from an installed copy"
        )
    outputs, manifest_path = stored_outputs_paths(assignment)
    manifest = _check_fresh(assignment, outputs, manifest_path)
    stub = outputs.parent / f"{assignment}.py"
    if not stub.is_file():
        raise HandoutError(f"{assignment} has no handout file {stub.name}")
    checks = load_assignment(assignment)
    points, title = checks.total_points, checks.title

    files: list[tuple[str, Path | str]] = [
        ("README.md", _readme(assignment, title, manifest, points)),
        (
            "pyproject.toml",
            _pyproject(assignment, title, manifest["versions"]["hypothesis"]),
        ),
    ]
    package = outputs.parent
    try:
        modules = checks_files(assignment)
    except RegenError as error:
        raise HandoutError(str(error)) from None
    for path in [package / "__init__.py", stub, *modules]:
        files.append((path.relative_to(_ROOT).as_posix(), path))
    for path in (outputs, manifest_path):
        files.append((path.relative_to(_ROOT).as_posix(), path))
    for path in sorted((_ROOT / "checker").rglob("*.py")):
        if "__pycache__" not in path.parts:
            files.append((path.relative_to(_ROOT).as_posix(), path))
    names = list(dict.fromkeys(name for name, _ in files))

    scratch = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        for name, source in dict(files).items():
            target = scratch / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(source, Path):
                shutil.copyfile(source, target)
            else:
                target.write_text(source, encoding="utf-8")
        scratch.chmod(0o755)
        if out.exists():
            out.rmdir()
        os.replace(scratch, out)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Handout(out, tuple(names))
