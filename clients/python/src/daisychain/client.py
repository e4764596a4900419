"""daisy's Client over daisychain's gRPC work stream."""

from __future__ import annotations

import atexit
import logging
import os
import socket
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from contextlib import AbstractContextManager
from typing import NamedTuple

from . import work_bytes
from .block import Block, BlockStatus, block_from_wire
from .checks import for_task as checks_for_task
from .context import SCHEDULING_ENTRY, WORKER_SECRET_ENTRY, Context
from .limits import MAX_ACQUIRE, MAX_MESSAGE_BYTES
from .reconnect import (
    SERVER_LOST_EXIT_CODE,
    ClientError,
    EndKind,
    HelloRefusedError,
    ServerLostError,
    backoff_delay,
    end_kind,
    reconnect_grace_seconds,
)
from .security import token_metadata
from .transport import CallError, Interrupted, Stream
from .v1 import scheduler_pb2

logger = logging.getLogger(__name__)

#: The protocol this client speaks (daisychain.v1).
PROTOCOL_VERSION = 1

__all__ = ["PROTOCOL_VERSION", "Client", "ClientError", "HelloRefusedError", "Rejection", "ServerLostError", "Welcome"]


# NamedTuples rather than dataclasses: dataclasses (with inspect and ast) would add 6 ms to every worker's start.
class Rejection(NamedTuple):
    """A request the server refused (it changed nothing); ``block_id`` is None when it is about no block."""

    code: int
    message: str
    block_id: int | None


class Welcome(NamedTuple):
    """The server's answer to Hello."""

    protocol_version: int
    protocol_revision: int
    server_version: str
    task_id: str
    worker_id: str
    #: The task's timeout in seconds (None: blocks never time out).
    timeout_seconds: float | None
    #: How often to call ``renew_lease`` on a long block, None without a timeout.
    renew_interval_seconds: float | None
    max_acquire: int
    max_message_bytes: int
    #: The pipeline the stream serves ("" from a server older than pipelines).
    pipeline_id: str = ""


_SHUTDOWN = object()
# Posted when the stream is lost: what the worker's thread held of it is the server's again.
_LOST = object()
_SUCCESS = scheduler_pb2.BLOCK_STATUS_SUCCESS
_FAILED_STATUS = BlockStatus.FAILED
_FAILED = scheduler_pb2.BLOCK_STATUS_FAILED
_WORK = "/daisychain.v1.SchedulerService/Work"
# Starts and releases wait in a batch for the next request to ride along with
# (a release with the next Acquire: one message per block); a batch no request
# follows goes out on its own after about this long (seconds). The thread that
# sends it looks this often while a worker makes batches: each look wakes it and
# takes the GIL, which cost a worker of cheap blocks more than its round trip's
# sending when it looked every 2 ms (bench/README.md).
_BATCH_DELAY = 0.01
# A batch this long goes out at once.
_BATCH_MAX = 256
# The reader thread takes over reading the stream once the caller has not
# read it for this long (seconds): a block that runs longer (or a worker
# that does something else) hears its revocations from then on, and a worker
# of cheap blocks reads its own responses without waking a thread per block.
# The reader thread looks this often while the caller reads (see _BATCH_DELAY).
_READ_DELAY = 0.02

# Clients not closed yet, closed at interpreter exit: daisy 1.x has no close(),
# so daisy's worker scripts end without one, and the releases they queued must
# still reach the server.
_open_clients: weakref.WeakSet[Client] = weakref.WeakSet()


@atexit.register
def _close_open_clients() -> None:
    for client in list(_open_clients):
        try:
            client.close()
        except Exception:  # at exit there is no one left to raise to
            logger.exception("closing the daisychain client at exit failed")


class Client:
    """A worker's connection to a daisychain server, with daisy's contract.

    ``with client.acquire_block() as block:`` yields the next block of the
    worker's task, or ``None`` when the task has no more blocks. Leaving the
    ``with`` releases the block as SUCCESS unless the code set it to FAILED;
    an exception marks it FAILED, sends its traceback to the server, and is
    logged (not raised), as daisy does. Releases are sent as the ``with``
    ends; ``close()`` is optional (it runs at interpreter exit otherwise).

    ``prefetch`` is how many blocks the worker holds at most, counting the one
    it runs. The default 1 holds only that one, as daisy's workers do; more
    keeps ``prefetch - 1`` blocks requested ahead, which hides the round trip
    when blocks are cheap. A block waiting in that buffer runs no timeout and
    costs no attempt when it goes back (at ``close()`` or when the stream ends).

    If the task has a timeout and the server takes a block back,
    ``is_revoked(block)`` turns true and leaving the ``with`` sends nothing (the
    server counted the attempt as failed). ``renew_lease(block)`` restarts a
    block's timeout, for long blocks; ``welcome.renew_interval_seconds`` says
    how often.

    A worker whose server goes away (the connection refused, dropped or
    silent, the stream ended without Shutdown) says Hello again, with backoff,
    for ``reconnect_grace`` seconds (default: DAISY_CONTEXT's
    ``reconnect_grace``, else DAISYCHAIN_RECONNECT_GRACE, else 60; 0 never
    reconnects), and goes on. What the lost stream held is the server's again:
    buffered blocks are dropped, and a block it held reads as ``is_revoked``
    (leaving its ``with`` sends nothing). After the grace ``acquire_block`` raises
    ``ServerLostError`` (exit status 75), and if a block of the lost stream
    still runs then, the process exits with 75 at once unless
    ``exit_on_server_loss`` is False. A worker that finds no server within the
    grace at start gets ``None`` (the run it was meant for is over, as in
    daisy 2.0). A refused Hello raises ``HelloRefusedError`` (77); any other
    failure ``ClientError``.
    """

    def __init__(
        self,
        context: Context | None = None,
        prefetch: int = 1,
        reconnect_grace: float | None = None,
        exit_on_server_loss: bool = True,
    ):
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
        # Task ids are scoped by pipeline; a context without one serves the server's only pipeline.
        self.pipeline_id = self.context.get("pipeline_id", "")
        self.prefetch = prefetch
        self._grace = reconnect_grace_seconds(reconnect_grace, self.context)
        self._exit_on_server_loss = exit_on_server_loss
        # The task's check functions when a driver installed them in this process (daisychain.checks).
        self._checks = checks_for_task(self.task_id)
        self.rejections: list[Rejection] = []
        self.welcome: Welcome | None = None
        # Received and not handed to the worker, with whether the server surely
        # started it at hand-out (otherwise the worker sends Start on taking it).
        self._ready: deque[tuple[Block, bool]] = deque()
        # Asked for and not received: blocks the worker waits for (the server
        # starts them at hand-out and hands them out first), and buffered ones.
        self._outstanding_now = 0
        self._outstanding_ahead = 0
        # By id, the block object the server handed out last (the reader
        # thread's view), and those it took back. Objects, not ids: a revoked
        # block may come back to this stream as a new attempt while the worker
        # still holds the old one.
        self._lock = threading.Lock()
        self._handed_out: dict[int, Block] = {}
        self._revoked: dict[int, Block] = {}
        self._shutdown_reason: str | None = None
        self._failure: ClientError | None = None
        self._closed = False
        # From the reader thread to the worker's: lists of blocks and _SHUTDOWN,
        # with a condition the worker waits on when it has nothing to take.
        self._inbox: deque[object] = deque()
        self._arrived = threading.Condition(threading.Lock())
        self._awaiting_reconnection = False
        # Starts (block ids) and releases (serialized) not sent yet, in order;
        # the caller's threads write requests straight to the stream under _write_lock.
        self._write_lock = threading.Lock()
        self._batch: list[int | bytes] = []
        self._batch_releases = 0  # how many entries of the batch are releases
        self._batch_since = 0.0
        self._batches = 0  # how many batches were begun, for the flusher
        self._flusher_parked = False
        self._flush_wanted = threading.Condition(self._write_lock)
        # The pool's worker_secret proves that this stream is the process the pool started under
        # worker_id (the server refuses the id without it); empty for a worker started by hand.
        # The same Hello opens every stream, a reconnection's too.
        self._hello = scheduler_pb2.WorkRequest(
            hello=scheduler_pb2.Hello(
                task_id=self.task_id,
                worker_id=self.worker_id,
                language="python",
                host=socket.gethostname(),
                pid=os.getpid(),
                worker_secret=self.context.get(WORKER_SECRET_ENTRY, ""),
                pipeline_id=self.pipeline_id,
            )
        ).SerializeToString()
        # While the server is away (between the stream's loss and a new Welcome, or
        # the grace's end): the blocks the worker held of the lost stream, by id.
        self._lost = False
        self._lost_since: float | None = None
        self._orphaned: dict[int, Block] = {}
        self._ever_received = False
        self._closing = threading.Event()
        self._reconnector: threading.Thread | None = None
        self._attempt: Stream | None = None  # the stream of a reconnection waiting for its Welcome
        if self.context.get(SCHEDULING_ENTRY) == "batch":
            # Before the client's threads start, so that they inherit it (daisychain.scheduling says why).
            from .scheduling import run_as_batch

            run_as_batch()
        self._stream = self._open_stream(20.0)
        # Who reads the stream: the caller itself while it waits for blocks
        # (no thread in between), the reader thread once the caller has not
        # for _READ_DELAY (for revocations while a block runs). The caller
        # interrupts the reader thread's receive to take over.
        self._turn = threading.Condition(threading.Lock())
        self._caller_reading = False
        self._caller_read_until = 0.0
        self._reader_receiving = False
        self._stream_over = False
        self._received = False
        self._reader = threading.Thread(target=self._read, args=(self._stream,), name="daisychain-client", daemon=True)
        self._reader.start()
        self._flusher = threading.Thread(target=self._flush_late, name="daisychain-client-flush", daemon=True)
        self._flusher.start()
        _open_clients.add(self)

    @property
    def shutdown_message(self) -> str | None:
        """Why the server said there are no more blocks, once it has."""
        return self._shutdown_reason

    def acquire_block(self) -> AbstractContextManager[Block | None]:
        return _Acquisition(self)

    def release_block(self, block: Block) -> None:
        """Hands a block back with its status (SUCCESS unless it is FAILED)."""
        self._release(block, failed=block.status == BlockStatus.FAILED, error="the block was marked FAILED", trace="")

    def skip_block(self, block: Block) -> None:
        """Hands a block back as already done (the worker's own check found its output)."""
        block.status = BlockStatus.SUCCESS
        if self._take_revoked(block):
            return
        self._send(scheduler_pb2.WorkRequest(skip=scheduler_pb2.Skip(block_id=block.id)))

    def is_revoked(self, block: Block) -> bool:
        """Whether the server took the block back (its timeout passed, or its stream was lost): the worker may stop."""
        return self._revoked.get(block.id) is block or self._orphaned.get(block.id) is block

    def renew_lease(self, block: Block) -> None:
        """Tells the server the worker still runs ``block``: its timeout starts again from now."""
        if self._orphaned and self._orphaned.get(block.id) is block:
            return  # its stream was lost: the server has it back
        self._send(scheduler_pb2.WorkRequest(renew=scheduler_pb2.Renew(block_ids=[block.id])))

    def close(self) -> None:
        """Ends the work stream. Buffered blocks go back unspent; a block still being run returns as a failed attempt."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()  # a reconnection stops
        attempt = self._attempt
        if attempt is not None:
            attempt.close()
        _open_clients.discard(self)
        if self._failure is None:
            self._drain_events()
            unstarted = [block.id for block, _ in self._ready]
            self._ready.clear()
            if unstarted:
                self._write(scheduler_pb2.WorkRequest(give_back=scheduler_pb2.GiveBack(block_ids=unstarted)))
        with self._write_lock:
            self._flush_batch()
            self._flush_wanted.notify()  # the flusher sees _closed and ends
        self._stream.close_send()
        # The server ends its side once it has read the half-close, so the
        # releases before it were processed; a server that never answers must
        # not keep the worker from exiting.
        self._reader.join(timeout=5)
        self._stream.close()
        if self._reconnector is not None:
            self._reconnector.join(timeout=5)

    def _next_block(self) -> Block | None:
        if self._closed:
            raise ClientError("the client is closed")
        if self._inbox:
            self._drain_events()
        while True:
            if self._ready:
                block, started = self._ready.popleft()
                if not started:
                    # The server starts the block's timeout when it reads this,
                    # which the request stream sends before the block's release.
                    self._batched(block.id)
                self._top_up(waiting=False)
                return block
            if self._shutdown_reason is not None:
                self._outstanding_now = self._outstanding_ahead = 0
                return None
            if self._failure is not None:
                raise self._failure
            if self._lost:
                self._await_reconnection()
            else:
                self._await_events()
            self._drain_events()

    def _drain_events(self) -> None:
        inbox = self._inbox
        while inbox:
            self._take(inbox.popleft())

    def _post(self, event: object) -> None:
        """Hands an event to the worker's thread (called by whichever thread reads)."""
        self._inbox.append(event)
        # Only a worker's thread awaiting a reconnection waits on the condition: the caller reads the stream itself.
        if self._awaiting_reconnection:
            with self._arrived:
                self._arrived.notify()

    def _take(self, event: object) -> None:
        if not isinstance(event, list):
            if event is _LOST:
                self._forget_lost_stream()
            return
        for block in event:
            if self._outstanding_now > 0:
                self._outstanding_now -= 1
                # The server hands out the blocks a worker waits for first. But a
                # buffered block may have been on its way before the request for
                # this one arrived: then a Start makes sure (it is a no-op on a
                # started block).
                started = self._outstanding_ahead == 0
            else:
                self._outstanding_ahead = max(0, self._outstanding_ahead - 1)
                started = False
            self._ready.append((block, started))

    def _top_up(self, *, waiting: bool) -> None:
        """Keeps blocks requested as the TypeScript client does.

        One the worker waits for (``waiting``), and ``prefetch - 1`` for its
        buffer, asked again only when half of those are used up, so that
        requests and their answers carry several blocks each.
        """
        buffer = self.prefetch - 1
        if not waiting and buffer == 0:
            return  # nothing is kept ahead, and nothing is waited for yet
        if self._shutdown_reason is not None or self._failure is not None or self._closed or self._lost:
            return  # while the server is away nothing is asked: a reconnection asks afresh
        buffered = len(self._ready) + self._outstanding_ahead
        now = 1 if waiting and self._outstanding_now == 0 else 0
        ahead = 0 if buffered > buffer // 2 and now == 0 else max(0, buffer - buffered)
        if now + ahead == 0:
            return
        self._outstanding_now += now
        self._outstanding_ahead += ahead
        with self._write_lock:
            if self._batch_releases:
                # Release and ask for the next block in one message (Releases.acquire).
                self._flush_batch(work_bytes.acquire(now + ahead, ahead))
                return
            self._flush_batch()
            self._stream.send(work_bytes.acquire_request(now + ahead, ahead))

    def _take_revoked(self, block: Block) -> bool:
        """Forgets a block the worker hands back; True if the server had taken it back (revoked, or its stream lost)."""
        with self._lock:
            if self._handed_out.get(block.id) is block:
                del self._handed_out[block.id]
            if self._revoked.get(block.id) is block:
                del self._revoked[block.id]
                return True
            if self._orphaned and self._orphaned.get(block.id) is block:
                del self._orphaned[block.id]
                return True
        return False

    def _release(self, block: Block, *, failed: bool, error: str, trace: str) -> None:
        block.status = BlockStatus.FAILED if failed else BlockStatus.SUCCESS
        if self._failure is not None:
            raise self._failure
        # The server already counted a revoked block as a failed attempt and
        # would refuse its release.
        if self._take_revoked(block):
            return
        if failed:
            release = scheduler_pb2.Release(
                block_id=block.block_id[1], status=_FAILED, error=error, traceback=trace
            ).SerializeToString()
        else:
            release = work_bytes.success_release(block.block_id[1])
        self._batched(release)

    def _send(self, request: scheduler_pb2.WorkRequest) -> None:
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise ClientError("the client is closed")
        self._write(request)

    def _write(self, request: scheduler_pb2.WorkRequest) -> None:
        """Sends a request after the batch (an Acquire goes with the batch's releases: ``_top_up``)."""
        with self._write_lock:
            self._flush_batch()
            self._stream.send(request.SerializeToString())

    def _batched(self, item: int | bytes) -> None:
        """Queues a start (a block id) or a release (serialized) in the batch."""
        with self._write_lock:
            batch = self._batch
            if not batch:
                self._batch_since = time.monotonic()
                self._batches += 1
                if self._flusher_parked:
                    self._flusher_parked = False
                    self._flush_wanted.notify()
            batch.append(item)
            if item.__class__ is bytes:
                self._batch_releases += 1
            if len(batch) >= _BATCH_MAX:
                self._flush_batch()

    def _flush_batch(self, acquire: bytes | None = None) -> None:
        """Sends the batch (holding _write_lock), with a serialized Acquire when given.

        Its starts go in the same Releases as its releases (the server reads
        ``started`` first, which keeps every Start before its block's release).
        """
        batch = self._batch
        if not batch:
            return
        released = self._batch_releases
        self._clear_batch()
        if released == 1 and len(batch) == 1 and acquire is not None:
            # One block per round trip: its release and the next Acquire.
            self._stream.send(work_bytes.release_and_acquire_request(batch[0], acquire))  # type: ignore[arg-type]
            return
        starts = [entry for entry in batch if isinstance(entry, int)]
        releases = [entry for entry in batch if not isinstance(entry, int)]
        if releases and (starts or acquire is not None or len(releases) > 1):
            request = work_bytes.releases_request(releases, starts, acquire)
        elif releases:
            request = work_bytes.release_request(releases[0])
        else:
            request = scheduler_pb2.WorkRequest(start=scheduler_pb2.Start(block_ids=starts)).SerializeToString()
        self._stream.send(request)

    def _clear_batch(self) -> None:
        """Empties the batch (holding _write_lock); its count of releases goes with it."""
        self._batch = []
        self._batch_releases = 0

    def _flush_late(self) -> None:
        """Runs in a thread: sends a batch that no request followed within _BATCH_DELAY.

        It looks every _BATCH_DELAY while batches are being made, and sleeps
        until the next one once none was for a while, so that a worker that
        holds a block for long wakes no thread.
        """
        seen, idle = -1, 0
        with self._write_lock:
            while not self._closed:
                if self._batches == seen and not self._batch:
                    idle += 1
                    if idle >= 50:
                        self._flusher_parked = True
                        self._flush_wanted.wait()
                        idle = 0
                        continue
                else:
                    idle = 0
                seen = self._batches
                if self._batch and time.monotonic() - self._batch_since >= _BATCH_DELAY:
                    self._flush_batch()
                self._flush_wanted.wait(_BATCH_DELAY)

    def _await_events(self) -> None:
        """Asks for the block the worker waits for, and reads the stream itself until an event arrives."""
        stream = self._stream
        with self._turn:
            self._caller_reading = True
            if self._reader_receiving:
                stream.interrupt()  # the reader thread stops while the request goes out
        try:
            self._top_up(waiting=True)
            # With _caller_reading set, the reader thread only ever stops receiving: a False read here stays False.
            if self._reader_receiving:
                with self._turn:
                    while self._reader_receiving:
                        self._turn.wait()
            while not self._inbox:
                try:
                    message = stream.receive()
                except CallError as error:
                    self._end(error, stream)
                    break
                if message is None:
                    self._end(None, stream)
                    break
                self._handle(message)
        finally:
            with self._turn:
                self._caller_reading = False
                self._caller_read_until = time.monotonic()

    def _read(self, stream: Stream) -> None:
        """Runs in a thread: reads ``stream`` once the caller has not for _READ_DELAY, until it ends."""
        try:
            while True:
                with self._turn:
                    while not self._stream_over:
                        # The caller does not wake this thread when it stops reading: it looks again later.
                        wait = _READ_DELAY
                        if not self._caller_reading:
                            wait -= time.monotonic() - self._caller_read_until
                            if wait <= 0:
                                break
                        self._turn.wait(wait)
                    if self._stream_over:
                        return
                    self._reader_receiving = True
                try:
                    message = stream.receive(interruptible=True)
                    if message is None:
                        self._end(None, stream)
                        return
                    self._handle(message)
                except Interrupted:
                    continue
                except CallError as error:
                    self._end(error, stream)
                    return
                finally:
                    with self._turn:
                        self._reader_receiving = False
                        self._turn.notify_all()
        finally:
            self._end(None, stream)

    def _handle(self, message: bytes) -> None:
        """Turns a response into state and events for the worker's thread (by whichever thread reads)."""
        response = scheduler_pb2.WorkResponse.FromString(message)
        self._received = self._ever_received = True
        kind = response.WhichOneof("message")
        if kind == "blocks":
            blocks = [block_from_wire(message) for message in response.blocks.blocks]
            handed_out = self._handed_out
            with self._lock:
                for block in blocks:
                    handed_out[block.block_id[1]] = block
            self._post(blocks)
        elif kind == "welcome":
            self.welcome = _welcome_from_wire(response.welcome)
            if self.welcome.protocol_version != PROTOCOL_VERSION:
                logger.warning(
                    "the server speaks protocol version %d, this client %d",
                    self.welcome.protocol_version,
                    PROTOCOL_VERSION,
                )
        elif kind == "revoked":
            with self._lock:
                revoked = self._handed_out.pop(response.revoked.block_id, None)
                if revoked is not None:
                    self._revoked[revoked.id] = revoked
            logger.warning("the server took block %d back: %s", response.revoked.block_id, response.revoked.reason)
        elif kind == "shutdown":
            self._shutdown_reason = response.shutdown.reason
            self._post(_SHUTDOWN)
        elif kind == "rejected":
            rejected = response.rejected
            about = rejected.about_block if rejected.HasField("about_block") else None
            self.rejections.append(Rejection(rejected.code, rejected.message, about))
            logger.warning("the server refused a request: %s", rejected.message)

    def _end(self, error: CallError | None, stream: Stream) -> None:
        """``stream`` ended (OK when ``error`` is None): the worker's thread hears it once, and a lost server is sought again."""
        with self._turn:
            if self._stream_over or stream is not self._stream:
                return
            self._stream_over = True
            self._turn.notify_all()
        if error is not None and self._shutdown_reason is None and not self._closed:
            kind = end_kind(error)
            if kind is EndKind.RETRY:
                self._lose(error.details)
                return
            if kind is EndKind.REFUSED and not self._received:
                self._failure = HelloRefusedError(
                    f"the server at {self.host}:{self.port} refused this worker's Hello: {error.details}", error.code
                )
            else:
                self._failure = ClientError(f"the work stream to {self.host}:{self.port} failed: {error.details}")
        if self._failure is None and self._shutdown_reason is None:
            if not self._closed:
                self._lose("the server ended the work stream")
                return
            self._failure = ClientError("the server ended the work stream")
        self._post(_SHUTDOWN)

    # -- the server went away: say Hello again (only on errors, never on a block's path) --------------

    def _open_stream(self, connect_timeout: float) -> Stream:
        """A new work stream, its Hello sent. TLS and the worker token come from DAISY_CONTEXT."""
        stream = Stream(
            self.host,
            self.port,
            _WORK,
            token_metadata(self.context.get("worker_token")),
            tls_ca=self.context.get("tls_ca"),
            tls_cert=self.context.get("tls_cert"),
            tls_key=self.context.get("tls_key"),
            connect_timeout=connect_timeout,
            max_message_bytes=MAX_MESSAGE_BYTES,
        )
        stream.send(self._hello)
        return stream

    def _lose(self, details: str) -> None:
        """The stream was lost before Shutdown: what it held is the server's again. Seek the server for the grace."""
        with self._lock:
            self._orphaned.update(self._handed_out)
            self._handed_out.clear()
            self._revoked.clear()
        with self._write_lock:
            self._clear_batch()  # starts and releases for the lost stream
            self._lost = True
        if self._lost_since is None:
            self._lost_since = time.monotonic()
        self._post(_LOST)
        # A reconnector still alive is one that just installed the stream now lost: let it finish.
        if self._reconnector is not None:
            self._reconnector.join(timeout=5)
        if not self._closed:
            self._reconnector = threading.Thread(
                target=self._reconnect, args=(details,), name="daisychain-reconnect", daemon=True
            )
            self._reconnector.start()

    def _forget_lost_stream(self) -> None:
        """On the worker's thread: buffered blocks of the lost stream are dropped, and nothing is owed any more."""
        with self._lock:
            for block, _ in self._ready:
                if self._orphaned.get(block.id) is block:
                    del self._orphaned[block.id]
        self._ready.clear()
        self._outstanding_now = self._outstanding_ahead = 0

    def _await_reconnection(self) -> None:
        with self._arrived:
            # Set before the inbox is looked at, so that an event posted after the look notifies.
            self._awaiting_reconnection = True
            try:
                while not self._inbox:
                    self._arrived.wait()
            finally:
                self._awaiting_reconnection = False

    def _reconnect(self, details: str) -> None:
        """Runs in a thread: Hello again with backoff until a server answers or the grace ends."""
        assert self._lost_since is not None
        deadline = self._lost_since + self._grace
        attempt = 0
        while not self._closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._give_up(details)
                return
            if self._closing.wait(min(backoff_delay(attempt), remaining)):
                return
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                continue
            stream = self._attempt = self._open_stream(min(20.0, remaining))
            if self._closed:
                stream.close()
                return
            # A server that takes the connection and never answers must not outlast the grace.
            timer = threading.Timer(remaining, stream.close)
            timer.daemon = True
            timer.start()
            try:
                first: bytes | None | CallError = stream.receive()
            except CallError as error:
                first = error
            finally:
                timer.cancel()
                self._attempt = None
            if isinstance(first, bytes) and not self._closed:
                self._install(stream, first)
                return
            stream.close()
            if first is None or isinstance(first, bytes):
                continue
            details = first.details
            kind = end_kind(first)
            if kind is EndKind.REFUSED:
                self._stop(
                    HelloRefusedError(
                        f"the server at {self.host}:{self.port} refused this worker's Hello: {first.details}",
                        first.code,
                    )
                )
                return
            if kind is EndKind.FAIL:
                self._stop(ClientError(f"the work stream to {self.host}:{self.port} failed: {first.details}"))
                return

    def _install(self, stream: Stream, first: bytes) -> None:
        """A server answered the new Hello: the stream becomes the client's, read as the first one was."""
        self._reader.join(timeout=1)  # the lost stream's reader is gone before this one's starts
        with self._write_lock:
            self._clear_batch()
            lost, self._stream = self._stream, stream
        with self._turn:
            self._stream_over = False
        self._received = False
        self._handle(first)
        self._lost_since = None
        self._lost = False
        logger.warning("reconnected to the daisychain server at %s:%s", self.host, self.port)
        self._reader = threading.Thread(target=self._read, args=(stream,), name="daisychain-client", daemon=True)
        self._reader.start()
        self._post(_SHUTDOWN)  # wakes the worker's thread, which asks afresh
        lost.close()

    def _give_up(self, details: str) -> None:
        """The grace ended without a server."""
        if self._closed or self._failure is not None or self._shutdown_reason is not None:
            return
        if not self._ever_received:
            # A worker started after its run ended finds no server: like daisy 2.0, it has nothing to do (and says so).
            logger.warning(
                "no daisychain server at %s:%s within %g s (%s); no blocks to process",
                self.host,
                self.port,
                self._grace,
                details,
            )
            self._shutdown_reason = f"no server at {self.host}:{self.port}"
            self._post(_SHUTDOWN)
            return
        error = ServerLostError(
            f"the daisychain server at {self.host}:{self.port} went away and did not come back "
            f"within {self._grace:g} s ({details})"
        )
        if self._exit_on_server_loss and self._orphaned:
            # A block the server no longer counts on still runs: nothing may outlive a dead server.
            sys.stderr.write(f"ServerLostError: {error}; exiting while a block still runs\n")
            sys.stderr.flush()
            os._exit(SERVER_LOST_EXIT_CODE)
        self._stop(error)

    def _stop(self, error: ClientError) -> None:
        self._failure = error
        self._post(_SHUTDOWN)


class _Acquisition:
    """``with client.acquire_block() as block``: the next block (None when there are no more), released on leaving.

    A class, not a generator under @contextmanager: one block per round trip
    makes this the worker's hottest path, and the generator's machinery cost
    as much as building the request.
    """

    __slots__ = ("_block", "_client")

    def __init__(self, client: Client):
        self._client = client
        self._block: Block | None = None

    def __enter__(self) -> Block | None:
        client = self._client
        block = client._next_block()
        checks = client._checks
        # A block the task's pre-check finds done goes back as skipped, as daisy's scheduler skips it.
        while block is not None and checks is not None and checks.done_before(block):
            client.skip_block(block)
            block = client._next_block()
        self._block = block
        return block

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: object) -> bool:
        block = self._block
        if block is None:
            return False
        client = self._client
        if error is not None:
            if not isinstance(error, Exception):
                return False  # KeyboardInterrupt, SystemExit: not the block's failure, and not swallowed
            # daisy's contract: any error fails the block, and is logged (not raised).
            logger.exception("Block %s failed in worker %s", block, client.worker_id, exc_info=error)
            text = "".join(traceback.format_exception(kind, error, error.__traceback__))
            client._release(block, failed=True, error=f"{type(error).__name__}: {error}", trace=text)
            return True
        failed = block.status == _FAILED_STATUS
        checks = client._checks
        if not failed and checks is not None:
            verdict = checks.failed_after(block)
            if verdict is not None:
                block.status = _FAILED_STATUS
                client._release(block, failed=True, error=verdict[0], trace=verdict[1])
                return False
        client._release(block, failed=failed, error="the block was marked FAILED", trace="")
        return False


def _welcome_from_wire(message: scheduler_pb2.Welcome) -> Welcome:
    return Welcome(
        protocol_version=message.protocol_version,
        protocol_revision=message.protocol_revision,
        server_version=message.server_version,
        task_id=message.task_id,
        worker_id=message.worker_id,
        timeout_seconds=message.timeout_seconds or None,
        renew_interval_seconds=message.renew_interval_seconds or None,
        max_acquire=message.max_acquire,
        max_message_bytes=message.max_message_bytes,
        pipeline_id=message.pipeline_id,
    )
