"""Gradescope's autograder bundle: one zip an instructor uploads.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once
while it builds its image, and runs ``run_autograder`` for every submission,
with the student's files in ``/autograder/submission``; it reads the grade
from ``/autograder/results/results.json``. The zip holds:

- ``setup.sh``, which installs nncheck with pip into its own environment and
  leaves the source and the secret readable by root only;
- ``run_autograder``, which grades the submitted ``<assignment>.py`` (or the
  only ``.py`` file submitted) with the hidden checks on and writes
  results.json; when it finds nothing to grade, or the grader cannot run, it
  writes a results.json of its own that says so;
- ``nncheck/``: the project itself (pyproject.toml, README.md and the
  ``checker``, ``reference`` and ``assignments`` packages), and nothing else:
  no tests and no student files;
- ``nncheck-secret``: the secret the hidden checks' inputs are drawn from,
  given by the instructor or generated here.

Known limit: the reference solution is installed in the autograder's Python
environment, where the grading user can read it; see the README's security
model.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .assignment import ASSIGNMENTS

__all__ = ["Bundle", "build_bundle", "SECRET_NAME", "PROJECT_FILES"]

#: The project's root: the folder holding pyproject.toml and the packages.
_ROOT = Path(__file__).resolve().parent.parent

#: What the bundle takes from the project: files, and folders of .py files.
PROJECT_FILES = ("pyproject.toml", "README.md")
_PACKAGES = ("checker", "reference", "assignments")

#: Name of the secret file at the top of the zip.
SECRET_NAME = "nncheck-secret"

#: A fixed timestamp, so that the same inputs give the same zip.
_EPOCH = (1980, 1, 1, 0, 0, 0)

_SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image:
# it installs nncheck from the copy in this zip into an environment of its
# own, then leaves the source (which holds the reference) and the secret
# readable by root only.
set -euo pipefail

root="${NNCHECK_AUTOGRADER_ROOT:-/autograder}"
source_dir="${NNCHECK_SOURCE:-$root/source}"
venv="${NNCHECK_VENV:-$root/nncheck-venv}"

apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --no-cache-dir "$source_dir/nncheck"

chmod 600 "$source_dir/@SECRET@"
chmod -R go-rwx "$source_dir"
"""

_RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: nncheck grades the submitted
# @FILE@ (or the only .py file submitted) with the hidden checks on and
# writes results/results.json. Environment variables can move every path
# (the project's tests run it in a temporary tree):
#   NNCHECK_AUTOGRADER_ROOT (/autograder), NNCHECK_SOURCE (ROOT/source),
#   NNCHECK_SUBMISSION (ROOT/submission), NNCHECK_RESULTS (ROOT/results),
#   NNCHECK_PYTHON (ROOT/nncheck-venv/bin/python).
set -u
shopt -s nullglob globstar

root="${NNCHECK_AUTOGRADER_ROOT:-/autograder}"
source_dir="${NNCHECK_SOURCE:-$root/source}"
submission_dir="${NNCHECK_SUBMISSION:-$root/submission}"
results_dir="${NNCHECK_RESULTS:-$root/results}"
python="${NNCHECK_PYTHON:-$root/nncheck-venv/bin/python}"
results="$results_dir/results.json"

# A results.json of our own when there is nothing to grade; its text is
# ours, never the submission's, so it is valid JSON as written.
give_up() {
  {
    printf '{"score": 0, "execution_time": 0, "output": "%s",\\n' "$1"
    printf ' "output_format": "text", "visibility": "visible",\\n'
    printf ' "stdout_visibility": "hidden", "tests": []}\\n'
  } > "$results"
}

mkdir -p "$results_dir"
submission="$submission_dir/@FILE@"
if [ ! -f "$submission" ]; then
  found=("$submission_dir"/**/*.py)
  if [ "${#found[@]}" -eq 1 ]; then
    submission="${found[0]}"
  else
    echo "nncheck: no @FILE@ in $submission_dir (${#found[@]} .py files)"
    give_up "Your submission has no @FILE@. Upload your @FILE@ and submit again."
    exit 0
  fi
fi

rm -f "$results"
"$python" -m checker "$submission" --assignment @ASSIGNMENT@ \\
  --secret-file "$source_dir/@SECRET@" --json "$results"
status=$?
if [ "$status" -gt 1 ] || [ ! -f "$results" ]; then
  echo "nncheck: the grader exited with status $status"
  give_up "The autograder could not grade your file. Please tell your instructor."
fi
exit 0
"""


@dataclass(frozen=True)
class Bundle:
    """What `build_bundle` wrote.

    Attributes
    ----------
    zip_path : Path
        The autograder zip.
    secret_path : Path or None
        The generated secret, written next to the zip for the instructor to
        keep; None when the instructor gave the secret.
    members : tuple of str
        The names in the zip, in order.
    """

    zip_path: Path
    secret_path: Path | None
    members: tuple[str, ...]


def _project_files() -> list[tuple[str, Path]]:
    """``(name in the zip, file)`` of every project file the bundle holds."""
    missing = [name for name in PROJECT_FILES if not (_ROOT / name).is_file()]
    # A student handout has the files but not reference/: no bundle from it.
    missing += [f"{name}/" for name in _PACKAGES if not (_ROOT / name).is_dir()]
    if missing:
        raise FileNotFoundError(
            f"{_ROOT} lacks {', '.join(missing)}: building a bundle needs "
            "nncheck's source tree, not an installed copy"
        )
    files = [(f"nncheck/{name}", _ROOT / name) for name in PROJECT_FILES]
    for package in _PACKAGES:
        for path in sorted((_ROOT / package).rglob("*.py")):
            if "__pycache__" not in path.parts:
                relative = path.relative_to(_ROOT).as_posix()
                files.append((f"nncheck/{relative}", path))
    return files


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | mode) << 16
    archive.writestr(info, data)


def _script(template: str, assignment: str) -> bytes:
    text = (
        template.replace("@ASSIGNMENT@", assignment)
        .replace("@FILE@", f"{assignment}.py")
        .replace("@SECRET@", SECRET_NAME)
    )
    return text.encode("utf-8")


def build_bundle(
    assignment: str, out: str | os.PathLike, secret: str | None = None
) -> Bundle:
    """Write ``<assignment>-autograder.zip`` into the folder ``out``.

    Parameters
    ----------
    assignment : str
        A registered assignment, e.g. ``"hw1"``.
    out : path-like
        An existing folder. An older zip of the same name is replaced.
    secret : str, optional
        The secret of the hidden checks. Without it a new one is generated
        and also written to ``<assignment>-secret.txt`` in ``out`` (readable
        by its owner only), to re-grade with the same hidden inputs later.

    Returns
    -------
    Bundle
        Where the zip and the generated secret went, and the zip's contents.

    Raises
    ------
    KeyError
        For an unknown assignment.
    FileNotFoundError
        When nncheck's source tree is not next to this module.
    FileExistsError
        When a secret is to be generated but ``<assignment>-secret.txt``
        already exists in ``out``: it may be the secret of earlier grades, so
        it is never replaced (pass its text as ``secret`` to reuse it).
    """
    if assignment not in ASSIGNMENTS:
        known = ", ".join(sorted(ASSIGNMENTS))
        raise KeyError(f"unknown assignment {assignment!r}; known: {known}")
    out = Path(out)
    files = _project_files()
    secret_path = None
    if secret is None:
        secret = secrets.token_urlsafe(32)
        secret_path = out / f"{assignment}-secret.txt"
        if secret_path.exists():
            raise FileExistsError(
                f"{secret_path} exists: reuse it as the secret, or remove it"
            )

    zip_path = out / f"{assignment}-autograder.zip"
    handle, temporary = tempfile.mkstemp(dir=out, prefix=f".{zip_path.name}.")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            _add(archive, "setup.sh", _script(_SETUP, assignment), 0o755)
            _add(archive, "run_autograder", _script(_RUN, assignment), 0o755)
            for name, path in files:
                _add(archive, name, path.read_bytes(), 0o644)
            _add(archive, SECRET_NAME, (secret + "\n").encode("utf-8"), 0o600)
            members = tuple(archive.namelist())
        # The zip holds the secret and the reference: its owner's eyes only.
        os.chmod(temporary, 0o600)
        os.replace(temporary, zip_path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise

    if secret_path is not None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        descriptor = os.open(secret_path, flags, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(secret + "\n")
    return Bundle(zip_path, secret_path, members)
