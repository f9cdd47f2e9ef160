"""The student handout: built by ``python -m checker handout``, graded in a
Python that cannot import the reference.

In CI the project is installed, so ``reference`` sits in site-packages: each
grading here runs in a fresh interpreter that blocks it
(``sys.modules["reference"] = None``) and finds ``checker`` and
``assignments`` in the handout folder only.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import ROOT, SUBMISSIONS, run_checker

SECRET = "handout secret that must not travel"


def _environment(**extra) -> dict:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("NNCHECK", "PYTHON"))
    }
    environment.update(extra)
    return environment


@pytest.fixture(scope="module")
def handout(tmp_path_factory) -> Path:
    """hw1's handout, built with a secret in the environment."""
    folder = tmp_path_factory.mktemp("handout") / "hw1"
    result = run_checker(
        "handout", "hw1", "--out", folder, env=_environment(NNCHECK_SECRET=SECRET)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {folder} (")
    return folder


def grade_in(handout: Path, *arguments, env=None) -> subprocess.CompletedProcess:
    """Run the handout's checker with ``reference`` blocked and only the
    handout folder (of the project's folders) on sys.path."""
    code = f"""
        import json, sys
        from pathlib import Path

        sys.modules["reference"] = None
        root = Path({str(ROOT)!r}).resolve()
        sys.path[:] = [{str(handout)!r}] + [
            p for p in sys.path if p and Path(p).resolve() != root
        ]
        import assignments, checker
        print(json.dumps([checker.__file__, assignments.__file__]))
        from checker.cli import main
        sys.exit(main({[str(a) for a in arguments]!r}))
        """
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=handout,
        timeout=300,
        env=env or _environment(),
    )


def test_the_handout_holds_what_students_need_and_no_reference(handout):
    files = {p.relative_to(handout).as_posix() for p in handout.rglob("*")}
    assert {name.split("/")[0] for name in files} == {
        "README.md",
        "pyproject.toml",
        "assignments",
        "checker",
    }
    assert {f for f in files if f.startswith("assignments/")} == {
        "assignments/__init__.py",
        "assignments/hw1.py",
        "assignments/hw1_checks.py",
        "assignments/hw1_properties.py",
        "assignments/hw1_outputs.nnck",
        "assignments/hw1_outputs.json",
    }
    assert not (handout / "reference").exists()
    assert (handout / "assignments" / "hw1.py").read_bytes() == (
        ROOT / "assignments" / "hw1.py"
    ).read_bytes()
    for path in handout.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def _body_lines(node: ast.FunctionDef) -> list[str]:
    body = node.body[1:] if ast.get_docstring(node) else node.body
    text = ast.unparse(ast.Module(body=body, type_ignores=[]))
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_no_file_of_the_handout_holds_the_reference_s_function_bodies(handout):
    # Any three consecutive statements of a reference function (or all of a
    # shorter one), with the formatting normalised, found in any file.
    pieces = []
    for path in (ROOT / "reference").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef):
                lines = _body_lines(node)
                size = min(3, len(lines))
                for start in range(len(lines) - size + 1):
                    window = lines[start : start + size]
                    if sum(map(len, window)) >= 30:
                        pieces.append((node.name, "\n".join(window)))
    assert len(pieces) > 40
    for path in handout.rglob("*"):
        if not path.is_file() or path.suffix == ".nnck":
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            text = ast.unparse(ast.parse(text))
        normalised = "\n".join(line.strip() for line in text.splitlines())
        for name, piece in pieces:
            assert piece not in normalised, f"{path} holds reference.{name}"


@pytest.mark.parametrize("name", ["correct_typical.py", "correct_loops.py"])
def test_a_correct_submission_scores_100_from_the_stored_outputs(handout, name):
    result = grade_in(handout, SUBMISSIONS / name, "--assignment", "hw1")
    assert result.returncode == 0, result.stdout + result.stderr
    where, *report = result.stdout.splitlines()
    assert all(
        Path(f).resolve().is_relative_to(handout.resolve()) for f in json.loads(where)
    )
    text = "\n".join(report)
    assert "Total: 100/100 (86 of 86 checks passed, 0 failed)" in text
    assert "stored outputs of the reference" in text
    assert "NEEDS THE REFERENCE" not in text
    assert "hidden checks" in text and "were not run here" in text


def test_the_untouched_file_scores_zero_in_the_handout(handout):
    result = grade_in(handout, "assignments/hw1.py", "-q")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1].startswith("Total: 0/100")


def test_the_handout_refuses_a_secret_in_one_line(handout):
    result = grade_in(
        handout, "assignments/hw1.py", env=_environment(NNCHECK_SECRET=SECRET)
    )
    assert result.returncode == 2
    assert result.stderr == (
        "checker: error: hidden checks need the reference, which this copy does "
        "not have; grade without --secret-file and $NNCHECK_SECRET\n"
    )


def test_the_pyproject_pins_hypothesis_and_packages_the_outputs(handout):
    text = (handout / "pyproject.toml").read_text()
    manifest = json.loads((handout / "assignments" / "hw1_outputs.json").read_text())
    assert f'"hypothesis=={manifest["versions"]["hypothesis"]}"' in text
    assert 'packages = ["checker", "assignments"]' in text
    assert 'assignments = ["*.nnck", "*.json"]' in text
    assert "reference" not in text and "scipy" not in text
    readme = (handout / "README.md").read_text()
    assert "python -m checker assignments/hw1.py" in readme
    assert "needs the reference" in readme


@pytest.mark.parametrize(
    "out, message",
    [
        ("file", "--out {out} exists and is not an empty folder"),
        ("full", "--out {out} exists and is not an empty folder"),
        ("missing/hw1", "--out {out}: the folder {parent} does not exist"),
    ],
)
def test_a_bad_out_is_refused_in_one_line(tmp_path, out, message):
    (tmp_path / "file").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    target = tmp_path / out
    result = run_checker("handout", "hw1", "--out", target)
    assert result.returncode == 2
    expected = message.format(out=target, parent=target.parent)
    assert result.stderr == f"checker: error: {expected}\n"
    assert (tmp_path / "full" / "keep.txt").exists()


def test_an_unknown_assignment_is_refused_in_one_line(tmp_path):
    result = run_checker("handout", "hw9", "--out", tmp_path / "x")
    assert result.returncode == 2
    assert result.stderr == "checker: error: unknown assignment 'hw9'; known: hw1\n"
    assert not (tmp_path / "x").exists()


def test_stale_outputs_are_refused(tmp_path):
    manifest = json.loads((ROOT / "assignments" / "hw1_outputs.json").read_text())
    manifest["reference"]["reference/softmax.py"] = "0" * 64
    (tmp_path / "hw1_outputs.json").write_text(json.dumps(manifest))
    (tmp_path / "hw1_outputs.nnck").write_bytes(
        (ROOT / "assignments" / "hw1_outputs.nnck").read_bytes()
    )
    code = f"""
        import sys
        from pathlib import Path
        import checker.handout
        from checker.cli import main

        folder = Path({str(tmp_path)!r})
        checker.handout.stored_outputs_paths = lambda name: (
            folder / "hw1_outputs.nnck", folder / "hw1_outputs.json"
        )
        sys.exit(main(["handout", "hw1", "--out", str(folder / "out")]))
        """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "checker: error: the stored outputs of hw1 are stale (reference/softmax.py "
        "changed since they were made): run python -m checker regen hw1 first\n"
    )
    assert not (tmp_path / "out").exists()
