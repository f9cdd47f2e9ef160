"""Regenerating the stored reference outputs: ``python -m checker regen``.

Recording imports the checks, so every run here is a fresh interpreter.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, run_checker

from checker.stored import encode_outputs, read_outputs

OUTPUTS = ROOT / "assignments" / "hw1_outputs.nnck"
MANIFEST = ROOT / "assignments" / "hw1_outputs.json"


def run_python(code: str, *, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=env,
    )


def test_the_stored_outputs_match_what_the_reference_computes():
    result = run_checker("regen", "hw1", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 added, 0 removed, 0 changed" in result.stdout
    assert "hw1: the stored outputs match reference/" in result.stdout


def test_a_changed_reference_function_makes_the_check_fail():
    # tanh off by 1e-8 (relative): beyond rounding, within every check.
    result = run_python(
        """
        import sys
        import reference

        real = reference.tanh

        def tanh(z):
            return real(z) * (1 - 1e-8)

        reference.tanh = tanh
        reference.ACTIVATIONS["tanh"] = (tanh, reference.ACTIVATIONS["tanh"][1])

        from checker.cli import main

        sys.exit(main(["regen", "hw1", "--check"]))
        """
    )
    assert result.returncode == 1, result.stdout + result.stderr
    summary = result.stdout.splitlines()[1]
    assert summary.startswith("hw1: against the stored outputs: 0 added, 0 removed, ")
    changed = int(summary.split(", ")[2].split()[0])
    functions = summary.split("(functions: ")[1].split(")")[0].split(", ")
    assert changed > 0 and "tanh" in functions
    assert "sigmoid" not in functions
    assert result.stdout.splitlines()[-1] == (
        "hw1: the stored outputs are stale; regenerate them with python -m "
        "checker regen hw1"
    )


def test_two_recordings_give_the_same_bytes():
    code = """
        import hashlib
        from checker.regen import record
        from checker.stored import encode_outputs

        recording = record("hw1")
        data = encode_outputs("hw1", recording.surface, recording.entries)
        print(hashlib.sha256(data).hexdigest(), len(recording.entries))
        """
    digests = {
        run_python(code, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1
    (line,) = digests
    assert int(line.split()[1]) == len(read_outputs(OUTPUTS, "hw1").entries)


def test_regen_shows_what_changed_then_writes_and_check_says_so(tmp_path):
    # A copy of the stored outputs that lacks train's calls and holds one
    # wrong softmax value, regenerated in place of the real files.
    stored = read_outputs(OUTPUTS, "hw1")
    entries = [e for e in stored.entries if e.function != "train"]
    softmax = next(i for i, e in enumerate(entries) if e.function == "softmax")
    wrong = entries[softmax]
    entries[softmax] = type(wrong)(wrong.function, wrong.args, wrong.value * 1.01)
    data = encode_outputs("hw1", stored.surface, entries)
    outputs, manifest = tmp_path / "hw1_outputs.nnck", tmp_path / "hw1_outputs.json"
    outputs.write_bytes(data)
    document = json.loads(MANIFEST.read_text())
    document["outputs"]["sha256"] = hashlib.sha256(data).hexdigest()
    manifest.write_text(json.dumps(document))

    result = run_python(
        f"""
        from pathlib import Path
        import checker.regen
        from checker.cli import main

        paths = (Path({str(outputs)!r}), Path({str(manifest)!r}))
        checker.regen.stored_outputs_paths = lambda name: paths
        for arguments in (["--check"], [], ["--check"]):
            print("exit", main(["regen", "hw1", *arguments]))
        """
    )
    assert result.returncode == 0, result.stderr
    trains = sum(e.function == "train" for e in stored.entries)
    runs = [chunk for chunk in result.stdout.split("\nexit ")]
    check, write, again = runs[0], runs[1], runs[2]
    assert f"{trains} added, 0 removed, 1 changed (functions: softmax, train)" in check
    assert check.rstrip().endswith("regenerate them with python -m checker regen hw1")
    assert write.startswith("1\n")  # the first --check exited 1
    lines = write.splitlines()
    summary = next(i for i, line in enumerate(lines) if "against the stored" in line)
    wrote = next(i for i, line in enumerate(lines) if line.startswith("wrote "))
    assert summary < wrote and "1 changed" in lines[summary]
    assert again.startswith("0\n") and "0 added, 0 removed, 0 changed" in again
    assert "the stored outputs match reference/" in again
    assert runs[3].strip() == "0"
    rewritten = read_outputs(outputs, "hw1")
    assert len(rewritten.entries) == len(stored.entries)


def test_check_fails_when_the_file_is_not_the_one_its_manifest_describes(tmp_path):
    outputs, manifest = tmp_path / "hw1_outputs.nnck", tmp_path / "hw1_outputs.json"
    outputs.write_bytes(OUTPUTS.read_bytes())
    document = json.loads(MANIFEST.read_text())
    document["outputs"]["sha256"] = "0" * 64
    manifest.write_text(json.dumps(document))
    result = run_python(
        f"""
        import sys
        from pathlib import Path
        import checker.regen
        from checker.cli import main

        paths = (Path({str(outputs)!r}), Path({str(manifest)!r}))
        checker.regen.stored_outputs_paths = lambda name: paths
        sys.exit(main(["regen", "hw1", "--check"]))
        """
    )
    assert result.returncode == 1
    assert "hw1: hw1_outputs.nnck is not the file its manifest describes" in (
        result.stdout
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["regen", "hw9"], "unknown assignment 'hw9'; known: hw1"),
        (["regen", "hw9", "--check"], "unknown assignment 'hw9'; known: hw1"),
    ],
)
def test_regen_refuses_an_unknown_assignment_in_one_line(arguments, message):
    result = run_checker(*arguments)
    assert result.returncode == 2
    assert result.stderr == f"checker: error: {message}\n"
    assert result.stdout == ""


def test_regen_says_when_the_checks_were_imported_already():
    result = run_python(
        """
        import sys
        import assignments.hw1_checks
        from checker.cli import main

        sys.exit(main(["regen", "hw1", "--check"]))
        """
    )
    assert result.returncode == 2
    assert result.stderr.startswith("checker: error: the checks of hw1 are already")
    assert result.stderr.count("\n") == 1
