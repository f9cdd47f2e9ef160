"""Plain-data framing between the grader and the worker process.

A message is a tree of plain values: None, bool, int, float, str, list, tuple,
dict with string keys, numeric numpy scalars and numeric ndarrays. It travels
as one frame::

    b"NNCK" | uint32 header length | uint64 payload length | header | payload

The header is JSON. Arrays are replaced in it by a tag that names their dtype,
shape and byte range in the payload, which holds the raw array bytes. Nothing
is ever pickled or evaluated: the decoder accepts a fixed set of dtypes, checks
every length against the frame, and rebuilds arrays with ``np.frombuffer``,
so an array received is read-only and owns no Python object.

This module needs only the standard library and numpy, because the worker
loads it by path before any submission code runs. The decoder is the
security boundary: the grader decodes what the worker sends with it and
trusts nothing else about the worker.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

import numpy as np

__all__ = [
    "ChannelError",
    "ChannelTimeout",
    "ChannelClosed",
    "Unsupported",
    "encode",
    "decode",
    "decode_frames",
    "read_frame",
    "write_frame",
    "DEFAULT_MAX_FRAME_BYTES",
]

MAGIC = b"NNCK"
_PREFIX = struct.Struct("<4sIQ")

#: Largest integer sent as such (far beyond any float); larger ones are
#: refused rather than written out in thousands of digits.
MAX_INT_BITS = 4096

#: Exit status of a worker whose channel broke under it (the submission
#: closed, read or wrote into its pipes).
EXIT_CHANNEL_LOST = 86

#: Largest frame either side accepts: 64 MiB of header and arrays together.
DEFAULT_MAX_FRAME_BYTES = 64 * 2**20

#: Deepest nesting of lists, tuples and dicts a message may have.
MAX_DEPTH = 32

#: Most nodes (values, containers, arrays) one message may hold.
MAX_NODES = 200_000

# Plain numeric dtypes, little-endian, as ``np.dtype.str`` spells them.
_ALLOWED_DTYPES = frozenset(
    ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8"]
    + ["<f2", "<f4", "<f8"]
)


class ChannelError(Exception):
    """A frame or message that breaks the protocol or its limits."""


class ChannelTimeout(ChannelError):
    """No complete frame arrived before the deadline."""


class ChannelClosed(ChannelError):
    """The other end closed the channel (for the worker: it exited)."""


class Unsupported:
    """Stands for a value that the worker could not send as plain data.

    Parameters
    ----------
    description : str
        What the value was, e.g. ``"an object of type Foo"``.
    """

    __slots__ = ("description",)

    def __init__(self, description: str) -> None:
        self.description = description

    def __repr__(self) -> str:
        return f"Unsupported({self.description!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unsupported) and other.description == (
            self.description
        )

    def __hash__(self) -> int:
        return hash(self.description)


# --------------------------------------------------------------------------
# Encoding


def _describe(value: Any) -> str:
    kind = type(value)
    return f"an object of type {kind.__module__}.{kind.__qualname__}"


def _to_tree(
    value: Any, buffers: list[bytes], depth: int, max_bytes: int, strict: bool
) -> Any:
    if depth > MAX_DEPTH:
        raise ChannelError(f"value nested deeper than {MAX_DEPTH} levels")
    kind = type(value)

    if kind is int and value.bit_length() > MAX_INT_BITS:
        reason = f"an integer of {value.bit_length()} bits"
        if strict:
            raise ChannelError(f"cannot send {reason}")
        return {"__unsupported__": reason}
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return value if np.isfinite(value) else {"__float__": repr(value)}
    if kind is np.ndarray:
        return _array_to_tree(value, buffers, max_bytes, strict)
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        if value.dtype.str in _ALLOWED_DTYPES:
            as_array = np.asarray(value)
            return {"__scalar__": _array_to_tree(as_array, buffers, max_bytes, strict)}
    if kind in (list, tuple):
        items = [_to_tree(v, buffers, depth + 1, max_bytes, strict) for v in value]
        return items if kind is list else {"__tuple__": items}
    if kind is dict and all(type(k) is str for k in value):
        return {
            "__dict__": [
                [k, _to_tree(v, buffers, depth + 1, max_bytes, strict)]
                for k, v in value.items()
            ]
        }

    if strict:
        raise ChannelError(f"cannot send {_describe(value)}")
    if isinstance(value, np.ndarray):
        return {"__unsupported__": f"an ndarray subclass ({kind.__qualname__})"}
    if kind is dict:
        return {"__unsupported__": "a dict with keys that are not strings"}
    return {"__unsupported__": _describe(value)}


def _array_to_tree(
    array: np.ndarray, buffers: list[bytes], max_bytes: int, strict: bool
) -> Any:
    dtype = array.dtype
    if dtype.byteorder == ">":
        dtype = dtype.newbyteorder("<")
    if dtype.str not in _ALLOWED_DTYPES:
        reason = f"an array of dtype {array.dtype}"
        if strict:
            raise ChannelError(f"cannot send {reason}")
        return {"__unsupported__": reason}
    if array.nbytes > max_bytes:
        reason = (
            f"an array of shape {array.shape} ({array.nbytes} bytes, more than "
            f"the limit of {max_bytes} bytes)"
        )
        if strict:
            raise ChannelError(f"cannot send {reason}")
        return {"__unsupported__": reason}

    data = np.ascontiguousarray(array, dtype=dtype).tobytes()
    buffers.append(data)
    return {"__array__": len(buffers) - 1, "dtype": dtype.str, "shape": array.shape}


def encode(
    value: Any, *, max_bytes: int = DEFAULT_MAX_FRAME_BYTES, strict: bool = True
) -> bytes:
    """Encode a plain-data value as one frame.

    Parameters
    ----------
    value : object
        The message.
    max_bytes : int
        Largest frame allowed.
    strict : bool
        When true, a value that is not plain data raises `ChannelError`; when
        false (the worker sending a submission's results) it is replaced by an
        `Unsupported` marker that says what it was.

    Returns
    -------
    bytes
        The frame, ready for `write_frame`.
    """
    buffers: list[bytes] = []
    tree = _to_tree(value, buffers, 0, max_bytes, strict)
    offsets = []
    position = 0
    for data in buffers:
        offsets.append([position, len(data)])
        position += len(data)
    header = json.dumps({"tree": tree, "buffers": offsets}, allow_nan=False)
    header_bytes = header.encode("utf-8")
    total = _PREFIX.size + len(header_bytes) + position
    if total > max_bytes:
        raise ChannelError(
            f"message of {total} bytes exceeds the limit of {max_bytes} bytes"
        )
    prefix = _PREFIX.pack(MAGIC, len(header_bytes), position)
    return b"".join([prefix, header_bytes, *buffers])


# --------------------------------------------------------------------------
# Decoding


class _Decoder:
    def __init__(self, payload: memoryview, spans: list[list[int]]) -> None:
        self.payload = payload
        self.spans = spans
        self.nodes = 0

    def tree(self, node: Any, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ChannelError(f"message holds more than {MAX_NODES} values")
        if depth > MAX_DEPTH:
            raise ChannelError(f"message nested deeper than {MAX_DEPTH} levels")

        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.tree(item, depth + 1) for item in node]
        if type(node) is not dict or len(node) == 0:
            raise ChannelError("malformed message: unexpected JSON value")

        if "__array__" in node:
            return self.array(node)
        (tag, content), *rest = node.items()
        if rest:
            raise ChannelError(f"malformed message: extra keys beside {tag!r}")
        if tag == "__tuple__" and type(content) is list:
            return tuple(self.tree(item, depth + 1) for item in content)
        if tag == "__dict__" and type(content) is list:
            result = {}
            for pair in content:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                    raise ChannelError("malformed message: bad dict entry")
                result[pair[0]] = self.tree(pair[1], depth + 1)
            return result
        if tag == "__float__" and content in ("nan", "inf", "-inf"):
            return float(content)
        if tag == "__scalar__" and type(content) is dict:
            array = self.array(content)
            if array.shape != ():
                raise ChannelError("malformed message: scalar with a shape")
            return array[()]
        if tag == "__unsupported__" and type(content) is str:
            return Unsupported(content[:200])
        raise ChannelError(f"malformed message: unknown tag {tag!r}")

    def array(self, node: dict) -> np.ndarray:
        index = node.get("__array__")
        dtype_name = node.get("dtype")
        shape = node.get("shape")
        if set(node) != {"__array__", "dtype", "shape"}:
            raise ChannelError("malformed message: bad array tag")
        if dtype_name not in _ALLOWED_DTYPES:
            raise ChannelError(f"refused an array of dtype {dtype_name!r}")
        if type(index) is not int or not 0 <= index < len(self.spans):
            raise ChannelError("malformed message: bad array index")
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise ChannelError("malformed message: bad array shape")
        if len(shape) > 32:
            raise ChannelError("refused an array with more than 32 dimensions")

        dtype = np.dtype(dtype_name)
        start, length = self.spans[index]
        count = 1
        for n in shape:
            count *= n
        if count * dtype.itemsize != length:
            raise ChannelError("malformed message: array size does not match")
        data = self.payload[start : start + length]
        return np.frombuffer(data, dtype=dtype).reshape(shape)


def decode(frame_header: bytes, payload: bytes) -> Any:
    """Rebuild a message from its JSON header and its payload.

    Raises
    ------
    ChannelError
        When the message is malformed or holds anything but plain data.
    """
    try:
        header = json.loads(frame_header.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ChannelError(f"malformed message header: {error}") from None
    if type(header) is not dict or set(header) != {"tree", "buffers"}:
        raise ChannelError("malformed message header")

    spans = header["buffers"]
    if type(spans) is not list:
        raise ChannelError("malformed message: bad buffer table")
    for span in spans:
        if (
            type(span) is not list
            or len(span) != 2
            or not all(type(n) is int and n >= 0 for n in span)
            or span[0] + span[1] > len(payload)
        ):
            raise ChannelError("malformed message: bad buffer span")
    return _Decoder(memoryview(payload), spans).tree(header["tree"], 0)


# --------------------------------------------------------------------------
# Reading and writing frames on file descriptors


def write_frame(fd: int, frame: bytes, deadline: float | None = None) -> None:
    """Write a whole frame made by `encode` to a file descriptor.

    With a ``deadline`` the descriptor must be non-blocking: the write waits
    for room with ``select`` and raises `ChannelTimeout` when the reader has
    not taken the frame in time (a worker that stopped reading its requests).
    """
    view = memoryview(frame)
    while view:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise ChannelTimeout("the other end stopped reading")
            _, ready, _ = select.select([], [fd], [], wait)
            if not ready:
                raise ChannelTimeout("the other end stopped reading")
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            continue
        view = view[written:]


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    chunks = []
    remaining = size
    while remaining:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise ChannelTimeout("no reply before the time limit")
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                raise ChannelTimeout("no reply before the time limit")
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise ChannelClosed("the channel was closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(
    fd: int,
    *,
    deadline: float | None = None,
    max_bytes: int = DEFAULT_MAX_FRAME_BYTES,
) -> Any:
    """Read one frame and decode it.

    Parameters
    ----------
    fd : int
        File descriptor to read from.
    deadline : float, optional
        ``time.monotonic()`` value after which `ChannelTimeout` is raised.
    max_bytes : int
        Frames announcing more bytes than this are refused before reading.

    Returns
    -------
    object
        The decoded message.
    """
    prefix = _read_exact(fd, _PREFIX.size, deadline)
    magic, header_size, payload_size = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise ChannelError("malformed frame: bad magic bytes")
    if _PREFIX.size + header_size + payload_size > max_bytes:
        raise ChannelError(
            f"refused a message of {_PREFIX.size + header_size + payload_size} "
            f"bytes (the limit is {max_bytes} bytes)"
        )
    header = _read_exact(fd, header_size, deadline)
    payload = _read_exact(fd, payload_size, deadline)
    return decode(header, payload)


def _guarded(decoder):
    """Turn any failure of the decoder into a `ChannelError`: a frame is
    untrusted input, and no error of ours may escape on its account."""

    def decode_frame(frame_header: bytes, payload: bytes) -> Any:
        try:
            return decoder(frame_header, payload)
        except ChannelError:
            raise
        except (ValueError, TypeError, RecursionError, OverflowError, MemoryError) as e:
            raise ChannelError(f"malformed message ({type(e).__name__})") from None

    decode_frame.__doc__ = decoder.__doc__
    return decode_frame


decode = _guarded(decode)


def decode_frames(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_FRAME_BYTES
) -> list[Any]:
    """Decode frames made by `encode` and stored one after another.

    Parameters
    ----------
    data : bytes
        The frames, back to back (the content of a file written with them).
    max_bytes : int
        Largest frame accepted.

    Returns
    -------
    list
        The decoded messages, in order.

    Raises
    ------
    ChannelError
        When the data is not a whole number of well-formed frames.
    """
    messages = []
    view = memoryview(data)
    while view:
        if len(view) < _PREFIX.size:
            raise ChannelError("malformed frame: truncated prefix")
        magic, header_size, payload_size = _PREFIX.unpack(view[: _PREFIX.size])
        if magic != MAGIC:
            raise ChannelError("malformed frame: bad magic bytes")
        end = _PREFIX.size + header_size + payload_size
        if end > max_bytes:
            raise ChannelError(
                f"refused a message of {end} bytes (the limit is {max_bytes} bytes)"
            )
        if end > len(view):
            raise ChannelError("malformed frame: truncated")
        header = bytes(view[_PREFIX.size : _PREFIX.size + header_size])
        messages.append(decode(header, bytes(view[_PREFIX.size + header_size : end])))
        view = view[end:]
    return messages
