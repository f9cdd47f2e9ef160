"""Stored reference outputs: recording, the file, replaying, and how checks
that miss a stored call end."""

from __future__ import annotations

import types

import numpy as np
import pytest
from hypothesis import strategies as st

from checker import Assignment, Check, Status, grade
from checker._channel import ChannelError, decode_frames, encode
from checker.grader import _run_check
from checker.properties import hypothesis_check
from checker.regen import ReferenceSandbox
from checker.stored import (
    Recorder,
    RecordingError,
    ReferenceUnavailable,
    StoredOutputs,
    call_key,
    encode_outputs,
    read_outputs,
    replaying_module,
    write_outputs,
)


def _scale(z):
    return 2.0 * np.asarray(z, dtype=float)


def _shift(z):
    return np.asarray(z, dtype=float) + 1.0


def _pick(name):
    if name not in ("a", "b"):
        raise ValueError(f"no such name {name!r}")
    return {"name": name, "pair": (1, [2.5, float("inf")])}


def toy_reference() -> types.ModuleType:
    """A reference of three functions and a table, as the checks see one."""
    module = types.ModuleType("reference")
    module.scale, module.shift, module.pick = _scale, _shift, _pick
    module.TABLE = {"up": (_scale, _shift)}
    module.SIZES = (1, 2)
    module.__all__ = ["scale", "shift", "pick", "TABLE", "SIZES"]
    return module


def recorded(calls) -> Recorder:
    recorder = Recorder(toy_reference())
    proxy = recorder.module()
    for name, args in calls:
        try:
            getattr(proxy, name)(*args)
        except ValueError:
            pass
    return recorder


Z = np.array([[0.1, -2.0, 3.0]])
CALLS = [("scale", (Z,)), ("shift", (Z,)), ("pick", ("a",)), ("pick", ("zzz",))]


def stored(tmp_path, calls=CALLS) -> StoredOutputs:
    recorder = recorded(calls)
    path = tmp_path / "toy_outputs.nnck"
    entries = list(recorder.entries.values())
    write_outputs(path, encode_outputs("toy", recorder.surface, entries))
    return read_outputs(path, "toy")


def test_the_recorder_answers_as_the_reference_and_keeps_each_call():
    recorder = recorded(CALLS + [("scale", (Z,))])
    assert sorted(e.function for e in recorder.entries.values()) == [
        "pick",
        "pick",
        "scale",
        "shift",
    ]
    proxy = recorder.module()
    assert np.array_equal(proxy.TABLE["up"][0](Z), 2 * Z)
    assert proxy.TABLE["up"][0] is proxy.scale
    assert proxy.SIZES == (1, 2)


def test_a_file_replays_every_call_with_fresh_writable_values(tmp_path):
    reference = replaying_module(stored(tmp_path))
    got = reference.TABLE["up"][1](Z.copy())
    assert np.array_equal(got, Z + 1) and got.flags.writeable
    got[0, 0] = 99.0
    assert reference.shift(Z)[0, 0] == Z[0, 0] + 1
    assert reference.pick("a") == {"name": "a", "pair": (1, [2.5, float("inf")])}
    with pytest.raises(ValueError, match="no such name 'zzz'"):
        reference.pick("zzz")
    assert sorted(reference.__all__) == ["SIZES", "TABLE", "pick", "scale", "shift"]


def test_a_call_that_was_not_stored_raises_reference_unavailable(tmp_path):
    outputs = stored(tmp_path)
    reference = replaying_module(outputs)
    with pytest.raises(ReferenceUnavailable, match="the reference's scale on values"):
        reference.scale(Z + 1e-9)
    with pytest.raises(ReferenceUnavailable):
        reference.pick(object())  # not even plain data
    assert outputs.missed == {"scale": 1, "pick": 1}


def test_an_input_a_few_units_in_the_last_place_away_is_answered(tmp_path):
    outputs = stored(tmp_path)
    reference = replaying_module(outputs)
    nudged = Z.copy()
    nudged[0, 1] = np.nextafter(nudged[0, 1], 0.0)
    assert np.array_equal(reference.scale(nudged), 2 * Z)
    assert (outputs.hits, outputs.near_hits, outputs.misses) == (0, 1, 0)
    with pytest.raises(ReferenceUnavailable):
        reference.scale(Z.astype(np.float32))  # another dtype is another call
    with pytest.raises(ReferenceUnavailable):
        reference.scale(-Z)


def test_the_same_calls_give_the_same_bytes_in_any_order():
    first, second = recorded(CALLS), recorded(CALLS[::-1])
    assert encode_outputs(
        "toy", first.surface, list(first.entries.values())
    ) == encode_outputs("toy", second.surface, list(second.entries.values()))


def test_a_key_depends_on_name_values_and_types():
    keys = {
        call_key("scale", (Z,)),
        call_key("shift", (Z,)),
        call_key("scale", (Z.astype(np.float32),)),
        call_key("scale", ([Z],)),
        call_key("scale", ((Z,),)),
        call_key("scale", (-0.0,)),
        call_key("scale", (0.0,)),
    }
    assert len(keys) == 7
    assert call_key("scale", (Z,)) == call_key("scale", (Z.copy(order="F"),))


def test_what_cannot_be_stored_is_refused_when_recording():
    proxy = Recorder(toy_reference()).module()
    with pytest.raises(RecordingError, match="cannot be stored"):
        proxy.scale(np.array([object()]))


def test_a_reference_that_is_not_deterministic_is_refused():
    module = toy_reference()
    draws = iter([1.0, 2.0])
    module.scale = lambda z: next(draws)
    module.scale.__name__ = "scale"
    module.TABLE = {}
    proxy = Recorder(module).module()
    proxy.scale(1.0)
    with pytest.raises(RecordingError, match="deterministic"):
        proxy.scale(1.0)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[:-5], "not a stored-outputs file"),
        (lambda data: b"junk" + data, "not a stored-outputs file"),
        (lambda data: data[: data.index(b"NNCK", 8)], "truncated"),
    ],
    ids=["cut short", "junk in front", "a chunk missing"],
)
def test_a_damaged_file_is_refused_in_one_line(tmp_path, damage, message):
    stored(tmp_path)
    path = tmp_path / "toy_outputs.nnck"
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ValueError, match=message) as error:
        read_outputs(path, "toy")
    assert "\n" not in str(error.value)


def test_the_outputs_of_another_assignment_are_refused(tmp_path):
    stored(tmp_path)
    with pytest.raises(ValueError, match="outputs of 'toy', not 'hw9'"):
        read_outputs(tmp_path / "toy_outputs.nnck", "hw9")


def test_frames_back_to_back_decode_in_order_and_a_cut_one_is_refused():
    data = encode([1, np.arange(3.0)]) + encode({"a": (1, 2)})
    first, second = decode_frames(data)
    assert first[0] == 1 and np.array_equal(first[1], [0.0, 1.0, 2.0])
    assert second == {"a": (1, 2)}
    with pytest.raises(ChannelError, match="truncated"):
        decode_frames(data[:-1])


# --------------------------------------------------------------------------
# How checks end when the reference they need was not stored


def _missing(*args):
    raise ReferenceUnavailable("softmax")


def test_a_check_that_misses_needs_the_reference_and_earns_nothing(tmp_path):
    submission = tmp_path / "toy.py"
    submission.write_text("def f(x):\n    return x\n")

    def run(ctx):
        assert ctx.call("f", 1.0) == 1.0
        _missing()

    assignment = Assignment(
        name="toy", title="toy", functions=("f",), checks=(Check("f: x", "f", 3, run),)
    )
    (result,) = grade(submission, assignment).results
    assert result.status is Status.NEEDS_REFERENCE
    assert result.score == 0
    assert "the handout does not include the reference" in result.message


def _property_result(holds):
    check = hypothesis_check(
        "f", "a property", 1, st.integers(0, 100).map(lambda n: (n,)), holds
    )
    return _run_check(check, ReferenceSandbox(types.ModuleType("empty")), 7)


def test_a_property_that_judged_no_example_does_not_pass():
    result = _property_result(lambda ctx, example: _missing())
    assert result.status is Status.NEEDS_REFERENCE


def test_a_property_shows_its_smallest_failure_that_could_be_judged():
    from checker.compare import CheckFailed

    def holds(ctx, example):
        (n,) = example
        if n < 10:
            _missing()  # shrinking reaches inputs that were not stored
        if n >= 10:
            raise CheckFailed(f"{n} is too large")

    result = _property_result(holds)
    assert result.status is Status.FAILED
    assert "falsifying example: f(10)" in result.message
