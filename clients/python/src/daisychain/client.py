"""daisy's Client over daisychain's gRPC work stream."""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import grpc

from .block import Block, BlockStatus, block_from_wire
from .context import Context
from .limits import CLIENT_CHANNEL_OPTIONS, MAX_ACQUIRE, format_target
from .v1 import scheduler_pb2, scheduler_pb2_grpc

logger = logging.getLogger(__name__)


class ClientError(RuntimeError):
    """The work stream to the server failed."""


@dataclass(frozen=True)
class Rejection:
    """A request the server refused (it changed nothing)."""

    code: int
    message: str
    block_id: int


_SHUTDOWN = object()


class Client:
    """A worker's connection to a daisychain server, with daisy's contract.

    ``with client.acquire_block() as block:`` yields the next block of the
    worker's task, or ``None`` when the task has no more blocks. Leaving the
    ``with`` releases the block as SUCCESS unless the code set it to FAILED;
    an exception marks it FAILED, sends its traceback to the server, and is
    logged (not raised), as daisy does.

    ``prefetch`` keeps up to that many blocks requested ahead, which hides the
    round trip when blocks are cheap.
    """

    def __init__(self, context: Context | None = None, prefetch: int = 1):
        self.context = context if context is not None else Context.from_env()
        missing = [k for k in ("hostname", "port", "task_id") if k not in self.context]
        if missing:
            raise ValueError(f"the worker context lacks {', '.join(missing)}")
        if not 1 <= prefetch <= MAX_ACQUIRE:
            raise ValueError(f"prefetch must be between 1 and {MAX_ACQUIRE}, got {prefetch}")
        self.host = self.context["hostname"]
        self.port = int(self.context["port"])
        self.task_id = self.context["task_id"]
        self.worker_id = self.context.get("worker_id", str(os.getpid()))
        self.prefetch = prefetch
        self.rejections: list[Rejection] = []
        self._ready: deque[Block] = deque()
        # Releases are sent together when the worker next asks for blocks or
        # waits, so that cheap blocks cost one message per batch.
        self._unsent: list[scheduler_pb2.Release] = []
        self._outstanding = 0
        self._shutdown_reason: str | None = None
        self._failure: ClientError | None = None
        self._events: queue.Queue[object] = queue.Queue()
        self._requests: queue.Queue[scheduler_pb2.WorkRequest | None] = queue.Queue()
        self._channel = grpc.insecure_channel(format_target(self.host, self.port), options=CLIENT_CHANNEL_OPTIONS)
        stub = scheduler_pb2_grpc.SchedulerServiceStub(self._channel)
        self._send(
            scheduler_pb2.WorkRequest(
                hello=scheduler_pb2.Hello(
                    task_id=self.task_id,
                    worker_id=self.worker_id,
                    language="python",
                    host=socket.gethostname(),
                    pid=os.getpid(),
                )
            )
        )
        self._responses = stub.Work(iter(self._requests.get, None))
        self._reader = threading.Thread(target=self._read, name="daisychain-client", daemon=True)
        self._reader.start()

    @property
    def shutdown_message(self) -> str | None:
        """Why the server said there are no more blocks, once it has."""
        return self._shutdown_reason

    @contextmanager
    def acquire_block(self) -> Iterator[Block | None]:
        block = self._next_block()
        if block is None:
            yield None
            return
        try:
            yield block
        except Exception as error:  # daisy's contract: any error fails the block, and is logged
            logger.exception("Block %s failed in worker %s", block, self.worker_id)
            self._release(block, failed=True, error=f"{type(error).__name__}: {error}", trace=traceback.format_exc())
            return
        self._release(block, failed=block.status == BlockStatus.FAILED, error="the block was marked FAILED", trace="")

    def release_block(self, block: Block) -> None:
        """Hands a block back with its status (SUCCESS unless it is FAILED)."""
        self._release(block, failed=block.status == BlockStatus.FAILED, error="the block was marked FAILED", trace="")

    def skip_block(self, block: Block) -> None:
        """Hands a block back as already done (the worker's own check found its output)."""
        block.status = BlockStatus.SUCCESS
        self._send(scheduler_pb2.WorkRequest(skip=scheduler_pb2.Skip(block_id=block.id)))

    def close(self) -> None:
        """Ends the work stream; blocks still held return to the server as failed attempts."""
        if self._failure is None:
            self._flush()
        self._requests.put(None)
        self._reader.join(timeout=5)
        self._channel.close()

    def _next_block(self) -> Block | None:
        while True:
            if self._ready:
                block = self._ready.popleft()
                self._top_up()
                return block
            if self._shutdown_reason is not None:
                return None
            if self._failure is not None:
                raise self._failure
            self._top_up()
            self._flush()
            event = self._events.get()
            if isinstance(event, Block):
                self._ready.append(event)

    def _top_up(self) -> None:
        if self._shutdown_reason is not None or self._failure is not None:
            return
        have = len(self._ready) + self._outstanding
        if have > self.prefetch // 2 or (have > 0 and self.prefetch == 1):
            return
        missing = self.prefetch - have
        if missing > 0:
            self._outstanding += missing
            self._send(scheduler_pb2.WorkRequest(acquire=scheduler_pb2.Acquire(count=missing)))

    def _release(self, block: Block, *, failed: bool, error: str, trace: str) -> None:
        block.status = BlockStatus.FAILED if failed else BlockStatus.SUCCESS
        status = scheduler_pb2.BLOCK_STATUS_FAILED if failed else scheduler_pb2.BLOCK_STATUS_SUCCESS
        release = scheduler_pb2.Release(
            block_id=block.id, status=status, error=error if failed else "", traceback=trace
        )
        if self._failure is not None:
            raise self._failure
        self._unsent.append(release)
        if len(self._unsent) >= max(1, self.prefetch // 2):
            self._flush()

    def _flush(self) -> None:
        if not self._unsent:
            return
        releases, self._unsent = self._unsent, []
        if len(releases) == 1:
            self._requests.put(scheduler_pb2.WorkRequest(release=releases[0]))
        else:
            self._requests.put(scheduler_pb2.WorkRequest(releases=scheduler_pb2.Releases(releases=releases)))

    def _send(self, request: scheduler_pb2.WorkRequest) -> None:
        if self._failure is not None:
            raise self._failure
        self._flush()  # keep the order in which the worker said things
        self._requests.put(request)

    def _read(self) -> None:
        """Runs in a thread: turns responses into events for the worker's thread."""
        received = False
        try:
            for response in self._responses:
                received = True
                kind = response.WhichOneof("message")
                if kind == "blocks":
                    for message in response.blocks.blocks:
                        self._outstanding = max(0, self._outstanding - 1)
                        self._events.put(block_from_wire(message))
                elif kind == "shutdown":
                    self._shutdown_reason = response.shutdown.reason
                    self._events.put(_SHUTDOWN)
                elif kind == "rejected":
                    rejected = response.rejected
                    self.rejections.append(Rejection(rejected.code, rejected.message, rejected.block_id))
                    logger.warning("the server refused a request: %s", rejected.message)
        except grpc.RpcError as error:
            if self._shutdown_reason is None:
                details = error.details() if isinstance(error, grpc.Call) else str(error)
                code = error.code() if isinstance(error, grpc.Call) else None
                if code == grpc.StatusCode.UNAVAILABLE and not received:
                    # A worker started after the run ended finds no server: like
                    # daisy 2.0, it has nothing to do (and says so).
                    logger.warning(
                        "no daisychain server at %s:%s (%s); no blocks to process", self.host, self.port, details
                    )
                    self._shutdown_reason = f"no server at {self.host}:{self.port}"
                else:
                    self._failure = ClientError(f"the work stream to {self.host}:{self.port} failed: {details}")
        finally:
            if self._failure is None and self._shutdown_reason is None:
                self._failure = ClientError("the server ended the work stream")
            self._events.put(_SHUTDOWN)
