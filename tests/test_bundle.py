"""The Gradescope bundle, unpacked and run as Gradescope runs it.

Each test lays out a temporary tree as Gradescope lays out ``/autograder``
(``source`` holding the unpacked zip, ``run_autograder`` copied beside it,
``submission`` and ``results``), points run_autograder at it with its
environment variables, and runs it with this interpreter and the unpacked
source on PYTHONPATH instead of the environment setup.sh would install.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest
from bugs import BUGS, apply
from conftest import ROOT, typical_source, validate_gradescope

SECRET = "course secret 2026"


def run_checker(*arguments, env=None):
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, arguments)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    """hw1's autograder zip, built with a secret the instructor gave."""
    out = tmp_path_factory.mktemp("bundle")
    secret = out / "given-secret.txt"
    secret.write_text(SECRET + "\n")
    result = run_checker("bundle", "hw1", "--out", out, "--secret-file", secret)
    assert result.returncode == 0, result.stderr
    zip_path = out / "hw1-autograder.zip"
    assert result.stdout.startswith(f"wrote {zip_path} (")
    assert not (out / "hw1-secret.txt").exists()
    return zip_path


def autograder_tree(bundle, tmp_path, files: dict[str, str]):
    """``/autograder`` in ``tmp_path``, with ``files`` as the submission."""
    root = tmp_path / "autograder"
    source = root / "source"
    source.mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(source)
    shutil.copy(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    (root / "results").mkdir()
    for name, text in files.items():
        (root / "submission" / name).write_text(text, encoding="utf-8")
    return root


def run_autograder(root):
    """Run ``root/run_autograder``; return the process and results.json."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("NNCHECK", "GITHUB"))
    }
    environment.update(
        NNCHECK_AUTOGRADER_ROOT=str(root),
        NNCHECK_PYTHON=sys.executable,
        PYTHONPATH=str(root / "source" / "nncheck"),
    )
    process = subprocess.run(
        ["bash", str(root / "run_autograder")],
        capture_output=True,
        text=True,
        cwd=root,
        env=environment,
        timeout=300,
    )
    results = root / "results" / "results.json"
    document = json.loads(results.read_text()) if results.exists() else None
    return process, document


def test_the_bundle_holds_the_autograder_and_nothing_of_students(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        secret = archive.read("nncheck-secret").decode()
    names = list(infos)
    assert names[:2] == ["setup.sh", "run_autograder"]
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & 0o111, f"{script} not executable"
    assert secret.strip() == SECRET
    assert (infos["nncheck-secret"].external_attr >> 16) & 0o777 == 0o600

    expected = {"nncheck/pyproject.toml", "nncheck/README.md"}
    for package in ("checker", "reference", "assignments"):
        for path in (ROOT / package).glob("*.py"):
            expected.add(f"nncheck/{package}/{path.name}")
    assert set(names) == expected | {"setup.sh", "run_autograder", "nncheck-secret"}
    assert not [n for n in names if "tests" in n or "submissions" in n]
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n]


def test_the_bundle_is_the_same_when_built_again(bundle, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    result = run_checker("bundle", "hw1", "--out", tmp_path, "--secret-file", secret)
    assert result.returncode == 0
    assert (tmp_path / "hw1-autograder.zip").read_bytes() == bundle.read_bytes()


def test_the_scripts_are_valid_bash_and_setup_installs_the_project(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path, {})
    for script in ("setup.sh", "run_autograder"):
        check = subprocess.run(["bash", "-n", str(root / "source" / script)])
        assert check.returncode == 0, script
    setup = (root / "source" / "setup.sh").read_text()
    assert 'pip install --no-cache-dir "$source_dir/nncheck"' in setup
    assert 'chmod 600 "$source_dir/nncheck-secret"' in setup


@pytest.mark.parametrize("kind", ["correct", "buggy", "broken"])
def test_run_autograder_grades_a_submission_into_results_json(bundle, tmp_path, kind):
    if kind == "correct":
        source = typical_source()
    elif kind == "buggy":
        bug = next(b for b in BUGS if b.id == "softmax_no_max_shift")
        source = apply(bug, typical_source())
    else:
        source = "import numpy as np\n\ndef sigmoid(z)\n    return z\n"
    root = autograder_tree(bundle, tmp_path, {"hw1.py": source})
    process, document = run_autograder(root)
    assert process.returncode == 0, process.stdout + process.stderr
    assert document is not None, process.stdout + process.stderr
    validate_gradescope(document)

    # The terminal report goes to stdout, which Gradescope shows the
    # instructor only.
    assert "hw1: grading " in process.stdout
    assert document["stdout_visibility"] == "hidden"
    hidden = [t for t in document["tests"] if t["visibility"] == "after_due_date"]
    if kind == "correct":
        assert document["score"] == 100
        assert hidden, "the bundle's secret turns the hidden checks on"
    elif kind == "buggy":
        assert 0 < document["score"] < 100
        assert any(t["status"] == "failed" for t in hidden)
    else:
        assert document["score"] == 0
        assert "SyntaxError" in document["output"]


def test_run_autograder_uses_the_unpacked_source(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path, {})
    environment = dict(os.environ, PYTHONPATH=str(root / "source" / "nncheck"))
    where = subprocess.run(
        [sys.executable, "-c", "import checker; print(checker.__file__)"],
        capture_output=True,
        text=True,
        cwd=root,
        env=environment,
    )
    assert where.stdout.strip() == str(
        root / "source" / "nncheck" / "checker" / "__init__.py"
    )


def test_a_single_file_under_another_name_is_graded(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path, {"my homework.py": typical_source()})
    process, document = run_autograder(root)
    validate_gradescope(document)
    assert document["score"] == 100, process.stdout


@pytest.mark.parametrize(
    "files",
    [{}, {"a.py": "x = 1\n", "b.py": "y = 2\n"}, {"hw1.txt": "not python"}],
    ids=["empty", "two-files", "not-python"],
)
def test_nothing_to_grade_gives_a_results_json_that_says_so(bundle, tmp_path, files):
    root = autograder_tree(bundle, tmp_path, files)
    process, document = run_autograder(root)
    assert process.returncode == 0
    validate_gradescope(document)
    assert document["score"] == 0 and document["tests"] == []
    assert "Upload your hw1.py" in document["output"]


def test_a_grader_that_cannot_run_still_leaves_a_results_json(bundle, tmp_path):
    root = autograder_tree(bundle, tmp_path, {"hw1.py": typical_source()})
    (root / "source" / "nncheck-secret").write_text("")  # an empty secret
    process, document = run_autograder(root)
    assert "checker: error: --secret-file" in process.stderr
    validate_gradescope(document)
    assert document["score"] == 0
    assert "tell your instructor" in document["output"]


def test_a_generated_secret_is_kept_for_the_instructor_and_never_replaced(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "NNCHECK_SECRET"}
    result = run_checker("bundle", "hw1", "--out", tmp_path, env=environment)
    assert result.returncode == 0, result.stderr
    kept = tmp_path / "hw1-secret.txt"
    assert "keep it" in result.stdout and str(kept) in result.stdout
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    zip_path = tmp_path / "hw1-autograder.zip"
    assert stat.S_IMODE(zip_path.stat().st_mode) == 0o600
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.read("nncheck-secret").decode() == kept.read_text()
    assert len(kept.read_text().strip()) >= 40

    again = run_checker("bundle", "hw1", "--out", tmp_path, env=environment)
    assert again.returncode == 2
    assert again.stderr.count("\n") == 1
    assert f"pass --secret-file {kept} to keep it" in again.stderr


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["hw9", "--out", "."], "unknown assignment 'hw9'"),
        (["hw1", "--out", "no/such/dir"], "the folder no/such does not exist"),
        (["hw1", "--out", "README.md"], "--out README.md is not a folder"),
        (["hw1", "--out", ".", "--secret-file", "nowhere"], "--secret-file nowhere"),
    ],
    ids=["unknown", "no-folder", "a-file", "no-secret"],
)
def test_bad_bundle_options_exit_2_with_one_line(arguments, message):
    result = run_checker("bundle", *arguments)
    assert result.returncode == 2
    assert result.stderr.startswith("checker: error: ")
    assert result.stderr.count("\n") == 1 and message in result.stderr
