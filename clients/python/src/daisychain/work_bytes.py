"""The requests of a round trip, serialized by hand: Release, Acquire, and the Releases that carries both.

With one block per round trip, building them as protobuf messages and
serializing those cost the worker about 12 µs a block, as much as the rest of
its sending (bench/README.md); joining bytes costs about 3. The bytes are the
ones protobuf serializes for the same message (clients/python/tests/test_work_bytes.py);
every other request is still built with protobuf.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .v1 import scheduler_pb2

_SMALL = [bytes((value,)) for value in range(0x80)]
_SUCCESS = scheduler_pb2.BLOCK_STATUS_SUCCESS


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _SMALL[value]
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _delimited(tag: bytes, payload: bytes) -> bytes:
    return tag + _varint(len(payload)) + payload


def success_release(block_id: int) -> bytes:
    """``Release{block_id, status: SUCCESS}``."""
    return (b"\x08" + _varint(block_id) if block_id else b"") + b"\x10" + _SMALL[_SUCCESS]


@lru_cache(maxsize=64)
def acquire(count: int, ahead: int) -> bytes:
    """``Acquire{count, ahead}``."""
    return (b"\x08" + _varint(count) if count else b"") + (b"\x10" + _varint(ahead) if ahead else b"")


def acquire_request(count: int, ahead: int) -> bytes:
    """``WorkRequest{acquire}``."""
    return _delimited(b"\x12", acquire(count, ahead))


def release_request(release: bytes) -> bytes:
    """``WorkRequest{release}``, of a serialized Release."""
    return _delimited(b"\x1a", release)


def release_and_acquire_request(release: bytes, then: bytes) -> bytes:
    """``WorkRequest{releases: Releases{releases: [release], acquire: then}}``: one block per round trip."""
    body = b"\x0a" + _varint(len(release)) + release + b"\x1a" + _varint(len(then)) + then
    return b"\x2a" + _varint(len(body)) + body


def releases_request(releases: Sequence[bytes], started: Sequence[int], then: bytes | None) -> bytes:
    """``WorkRequest{releases: Releases{releases, started, acquire}}`` of serialized Releases and Acquire."""
    parts = [_delimited(b"\x0a", release) for release in releases]
    if started:
        parts.append(_delimited(b"\x12", b"".join(_varint(block_id) for block_id in started)))
    if then is not None:
        parts.append(_delimited(b"\x1a", then))
    return _delimited(b"\x2a", b"".join(parts))
