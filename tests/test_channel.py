"""The plain-data channel: what crosses it, and what it refuses."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest

from checker._channel import (
    ChannelClosed,
    ChannelError,
    ChannelTimeout,
    Unsupported,
    decode,
    encode,
    read_frame,
    write_frame,
)


def round_trip(value, **options):
    read_fd, write_fd = os.pipe()
    try:
        write_frame(write_fd, encode(value, **options))
        return read_frame(read_fd, deadline=None)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def split(frame: bytes) -> tuple[bytes, bytes]:
    _, header_size, _ = struct.unpack("<4sIQ", frame[:16])
    return frame[16 : 16 + header_size], frame[16 + header_size :]


def test_plain_values_round_trip_with_their_types():
    value = {
        "ints": [1, -2, 10**30],
        "floats": (0.5, float("nan"), float("inf"), -float("inf")),
        "text": "héllo",
        "flags": [True, False, None],
        "nested": [[1, (2, 3)], {"k": [4.0]}],
    }
    got = round_trip(value)
    assert got["ints"] == [1, -2, 10**30]
    assert isinstance(got["floats"], tuple)
    assert got["floats"][0] == 0.5 and np.isnan(got["floats"][1])
    assert got["floats"][2:] == (float("inf"), -float("inf"))
    assert got["text"] == "héllo"
    assert got["flags"] == [True, False, None]
    assert got["nested"] == [[1, (2, 3)], {"k": [4.0]}]


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12.0).reshape(3, 4),
        np.arange(12.0).reshape(3, 4).T,  # not contiguous
        np.zeros((0, 3)),
        np.array(2.5),
        np.array([True, False]),
        np.arange(5, dtype=np.int32),
        np.ones(3, dtype=np.float32),
        np.arange(4.0).astype(">f8"),  # big-endian comes back little-endian
    ],
    ids=["2d", "transposed", "empty", "0d", "bool", "int32", "float32", "big-endian"],
)
def test_arrays_round_trip_exactly_and_read_only(array):
    got = round_trip([array])[0]
    assert type(got) is np.ndarray
    assert got.shape == array.shape
    assert got.dtype == array.dtype.newbyteorder("<")
    np.testing.assert_array_equal(got, array)
    assert not got.flags.writeable
    with pytest.raises(ValueError):
        got.setflags(write=True)


def test_numpy_scalars_keep_their_dtype():
    got = round_trip([np.float64(1.5), np.float32(2.5), np.int64(3)])
    assert [type(x) for x in got] == [np.float64, np.float32, np.int64]


class _Sneaky(np.ndarray):
    pass


class _AlwaysEqual:
    def __eq__(self, other):
        return True


class _FloatSubclass(float):
    pass


@pytest.mark.parametrize(
    "value, reason",
    [
        (np.zeros(3).view(_Sneaky), "ndarray subclass"),
        (np.array([1, None], dtype=object), "dtype object"),
        (np.array(["a"]), "dtype <U1"),
        (np.array([1 + 2j]), "dtype complex128"),
        (_AlwaysEqual(), "_AlwaysEqual"),
        (_FloatSubclass(1.0), "_FloatSubclass"),
        ({1: 2}, "keys that are not strings"),
        (np.broadcast_to(np.zeros(1), (10**5, 10**5)), "more than the limit"),
    ],
    ids=["subclass", "object", "unicode", "complex", "eq", "float-sub", "dict", "huge"],
)
def test_the_worker_side_marks_what_is_not_plain_data(value, reason):
    got = round_trip([value], strict=False)[0]
    assert isinstance(got, Unsupported)
    assert reason in got.description


def test_the_grader_side_refuses_to_send_what_is_not_plain_data():
    with pytest.raises(ChannelError, match="cannot send"):
        encode([object()])


def _frame(tree, buffers=(), payload=b""):
    header = json.dumps({"tree": tree, "buffers": list(buffers)}).encode()
    return header, payload


@pytest.mark.parametrize(
    "header, payload, message",
    [
        (b"\xff\xfe", b"", "malformed message header"),
        (b"[1, 2]", b"", "malformed message header"),
        (
            *_frame({"__array__": 0, "dtype": "|O", "shape": [1]}, [[0, 8]], b"\0" * 8),
            "dtype '|O'",
        ),
        (
            *_frame(
                {"__array__": 0, "dtype": "<f8", "shape": [2]}, [[0, 8]], b"\0" * 8
            ),
            "size does not match",
        ),
        (
            *_frame(
                {"__array__": 0, "dtype": "<f8", "shape": [1]}, [[0, 8]], b"\0" * 4
            ),
            "bad buffer span",
        ),
        (*_frame({"__pickle__": "x"}), "unknown tag"),
        (*_frame({"__float__": "1e400"}), "unknown tag"),
        (*_frame({"__tuple__": [], "extra": 1}), "extra keys"),
    ],
    ids=["utf8", "not-object", "object-dtype", "size", "span", "tag", "float", "keys"],
)
def test_the_decoder_refuses_malformed_messages(header, payload, message):
    with pytest.raises(ChannelError, match=message):
        decode(header, payload)


def test_deep_nesting_is_refused():
    tree = 0
    for _ in range(40):
        tree = [tree]
    with pytest.raises(ChannelError, match="deeper"):
        decode(*_frame(tree))


def test_a_frame_over_the_size_cap_is_refused_before_it_is_read():
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, struct.pack("<4sIQ", b"NNCK", 10, 2**40))
        with pytest.raises(ChannelError, match="refused a message"):
            read_frame(read_fd, max_bytes=1024)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_bad_magic_is_refused():
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, struct.pack("<4sIQ", b"XXXX", 2, 0) + b"{}")
        with pytest.raises(ChannelError, match="magic"):
            read_frame(read_fd)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_reading_times_out_and_reports_a_closed_channel():
    read_fd, write_fd = os.pipe()
    with pytest.raises(ChannelTimeout):
        import time

        read_frame(read_fd, deadline=time.monotonic() + 0.05)
    os.close(write_fd)
    with pytest.raises(ChannelClosed):
        read_frame(read_fd)
    os.close(read_fd)
