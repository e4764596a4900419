"""The requests a worker serializes by hand (daisychain.work_bytes) are the bytes protobuf serializes."""

from __future__ import annotations

import random

from daisychain import work_bytes
from daisychain.v1 import scheduler_pb2 as pb

# Block ids across the varint lengths: 0, one byte, several, up to 2^64 - 1.
IDS = [0, 1, 127, 128, 300, 16_383, 16_384, 123_456_789, 2**53 - 1, 2**64 - 1]


def test_a_success_release_is_protobufs() -> None:
    for block_id in IDS:
        expected = pb.Release(block_id=block_id, status=pb.BLOCK_STATUS_SUCCESS).SerializeToString()
        assert work_bytes.success_release(block_id) == expected


def test_an_acquire_and_its_request_are_protobufs() -> None:
    for count in (0, 1, 2, 127, 128, 1024):
        for ahead in (0, 1, 127, 128, 1023):
            acquire = pb.Acquire(count=count, ahead=ahead)
            assert work_bytes.acquire(count, ahead) == acquire.SerializeToString()
            assert work_bytes.acquire_request(count, ahead) == pb.WorkRequest(acquire=acquire).SerializeToString()


def test_releases_with_starts_and_an_acquire_are_protobufs() -> None:
    rng = random.Random(20261206)
    for _ in range(2000):
        releases = [
            pb.Release(
                block_id=rng.choice(IDS),
                status=rng.choice([pb.BLOCK_STATUS_SUCCESS, pb.BLOCK_STATUS_FAILED]),
                error=rng.choice(["", "ValueError: x", "é" * rng.randrange(200)]),
                traceback=rng.choice(["", "Traceback …\n" * rng.randrange(30)]),
            )
            for _ in range(rng.randrange(4))
        ]
        started = [rng.choice(IDS) for _ in range(rng.randrange(4))]
        then = rng.choice([None, (1, 0), (32, 31), (1024, 1000)])
        acquire = None if then is None else pb.Acquire(count=then[0], ahead=then[1])
        expected = pb.WorkRequest(
            releases=pb.Releases(releases=releases, started=started, acquire=acquire)
        ).SerializeToString()
        serialized = [release.SerializeToString() for release in releases]
        got = work_bytes.releases_request(serialized, started, None if then is None else work_bytes.acquire(*then))
        assert got == expected
        if releases:
            assert work_bytes.release_request(serialized[0]) == pb.WorkRequest(release=releases[0]).SerializeToString()


def test_one_release_and_the_next_acquire_are_protobufs() -> None:
    for block_id in IDS:
        for count, ahead in ((1, 0), (3, 2), (200, 199)):
            release = pb.Release(block_id=block_id, status=pb.BLOCK_STATUS_SUCCESS)
            expected = pb.WorkRequest(
                releases=pb.Releases(releases=[release], acquire=pb.Acquire(count=count, ahead=ahead))
            ).SerializeToString()
            sent = work_bytes.release_and_acquire_request(
                work_bytes.success_release(block_id), work_bytes.acquire(count, ahead)
            )
            assert sent == expected
