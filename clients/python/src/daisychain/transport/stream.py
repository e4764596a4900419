"""One gRPC bidirectional-streaming call over HTTP/2 (python-hyper's h2), on its own connection.

The caller's threads write messages straight to the socket (``send``, under a
lock); one thread reads (``receive``). No thread sits in between, unlike
grpcio's, whose hand-offs cost more than the round trip itself.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections import deque
from collections.abc import Sequence

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from . import status
from .connection import Connection, tls_context
from .status import CallError

_PREFIX = struct.Struct(">BI")
# Our receive windows: large enough that the server never waits for a WINDOW_UPDATE on a 4 MiB message.
_WINDOW = 8 * 1024 * 1024


class _Connection(h2.connection.H2Connection):
    """h2's connection, except that a graceful GOAWAY lets the streams it covers finish.

    h2 closes the whole connection on any GOAWAY and then refuses every frame
    after it; a server that shuts down gracefully (grpc-js does) sends a
    GOAWAY and then goes on serving its open streams to their end.
    """

    def _receive_goaway_frame(self, frame):  # type: ignore[no-untyped-def]
        queued = self.data_to_send()  # h2 drops it: keep it
        frames, events = super()._receive_goaway_frame(frame)
        if frame.error_code == 0 and frame.last_stream_id >= self.highest_outbound_stream_id:
            self.state_machine.state = h2.connection.ConnectionState.CLIENT_OPEN
        self._data_to_send[:0] = queued
        return frames, events


class Stream:
    """A call of ``path`` (``/package.Service/Method``) to ``host:port``.

    Never raises for the network: a connection that cannot be made, or breaks,
    ends the call with ``UNAVAILABLE``, which ``receive`` raises as a
    ``CallError``; ``send`` on an ended call does nothing. A bad TLS
    configuration (an unreadable file) raises ValueError at once.
    """

    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        metadata: Sequence[tuple[str, str]] = (),
        *,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        connect_timeout: float = 20.0,
        keepalive_time: float = 30.0,
        keepalive_timeout: float = 20.0,
        max_message_bytes: int = 4 * 1024 * 1024,
    ):
        tls = tls_context(tls_ca, tls_cert, tls_key)
        self._max_message = max_message_bytes
        self._keepalive = (keepalive_time, keepalive_timeout)
        self._lock = threading.Lock()
        # Writers wait on it for the server's flow-control window.
        self._writable = threading.Condition(self._lock)
        self._messages: deque[bytes] = deque()
        self._buffer = bytearray()
        self._ended: CallError | None | bool = False  # False while open; None once ended OK
        self._half_closed = False
        self._connection: Connection | None = None
        # interrupt() makes a receive(interruptible=True) return.
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._wake_out.setblocking(False)
        authority = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
        try:
            self._connection = Connection(host, port, tls, connect_timeout)
        except OSError as error:
            self._ended = CallError(status.UNAVAILABLE, f"failed to connect to {authority}: {error}")
            return
        config = h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
        self._h2 = _Connection(config)
        self._h2.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: _WINDOW,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 16384,
            },
        )
        self._h2.initiate_connection()
        self._h2.increment_flow_control_window(_WINDOW)
        self._id = self._h2.get_next_available_stream_id()
        headers = [
            (":method", "POST"),
            (":scheme", "https" if tls is not None else "http"),
            (":path", path),
            (":authority", authority),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("user-agent", "daisychain-python-h2"),
            *metadata,
        ]
        with self._lock:
            self._h2.send_headers(self._id, headers)
            self._flush()

    def _flush(self) -> None:
        """Sends what h2 queued (holding the lock)."""
        data = self._h2.data_to_send()
        if data and self._connection is not None:
            try:
                self._connection.send(data)
            except OSError as error:
                self._end(CallError(status.UNAVAILABLE, str(error)))

    def _end(self, outcome: CallError | None) -> None:
        """The call is over (holding the lock); the first outcome stays."""
        if self._ended is False:
            self._ended = outcome
        self._writable.notify_all()

    def send(self, message: bytes) -> None:
        """Sends one message, after every message sent before it; nothing once the call ended."""
        data = _PREFIX.pack(0, len(message)) + message
        with self._lock:
            while data and self._ended is False and not self._half_closed:
                try:
                    window = min(self._h2.local_flow_control_window(self._id), self._h2.max_outbound_frame_size)
                    if window <= 0:
                        self._writable.wait()
                        continue
                    self._h2.send_data(self._id, data[:window])
                except h2.exceptions.ProtocolError:  # the server closed the stream: receive says how
                    return
                data = data[window:]
                self._flush()

    def close_send(self) -> None:
        """Half-closes the call: the server reads the end of the requests."""
        with self._lock:
            if self._ended is False and not self._half_closed:
                self._half_closed = True
                try:
                    self._h2.end_stream(self._id)
                except h2.exceptions.ProtocolError:
                    return
                self._flush()

    def interrupt(self) -> None:
        """Makes a ``receive(interruptible=True)`` raise Interrupted now, or the next one if none runs."""
        try:
            self._wake_out.send(b"x")
        except OSError:  # full (an interrupt is pending anyway) or closed
            pass

    def receive(self, interruptible: bool = False) -> bytes | None:
        """The next message, None once the call ended OK; raises CallError when it ended otherwise.

        Called by one thread at a time. ``interruptible``: raises Interrupted on ``interrupt()``.
        """
        quiet = False
        wake = self._wake_in if interruptible else None
        while True:
            if self._messages:
                return self._messages.popleft()
            ended = self._ended
            if ended is not False:
                if ended is None:
                    return None
                raise ended
            assert self._connection is not None
            try:
                data = self._connection.receive(self._keepalive[1] if quiet else self._keepalive[0], wake)
            except (OSError, EOFError) as error:
                with self._lock:
                    self._end(CallError(status.UNAVAILABLE, str(error) or type(error).__name__))
                continue
            with self._lock:
                if data is None:
                    if quiet:  # a ping went unanswered
                        self._end(CallError(status.UNAVAILABLE, "keepalive watchdog timeout"))
                        continue
                    quiet = True
                    try:
                        self._h2.ping(b"dchain\x00\x00")
                    except h2.exceptions.ProtocolError as error:
                        self._end(CallError(status.UNAVAILABLE, f"the connection is closed: {error}"))
                    self._flush()
                    continue
                quiet = False
                try:
                    events = self._h2.receive_data(data)
                except h2.exceptions.ProtocolError as error:
                    self._end(CallError(status.INTERNAL, f"HTTP/2 protocol error: {error}"))
                    continue
                for event in events:
                    self._handle(event)
                self._flush()

    def _handle(self, event: h2.events.Event) -> None:
        if isinstance(event, h2.events.DataReceived):
            if event.stream_id != self._id:
                return
            self._h2.acknowledge_received_data(event.flow_controlled_length, self._id)
            self._buffer += event.data
            self._split()
        elif isinstance(event, h2.events.ResponseReceived):
            headers = dict(event.headers)
            if headers.get(":status") != "200":
                self._end(status.from_http(headers.get(":status", "")))
            elif "grpc-status" in headers:  # trailers-only
                self._end(status.from_trailers(headers))
        elif isinstance(event, h2.events.TrailersReceived):
            self._end(status.from_trailers(dict(event.headers)))
        elif isinstance(event, h2.events.StreamEnded):
            self._end(CallError(status.INTERNAL, "the server ended the stream without a status"))
        elif isinstance(event, h2.events.StreamReset):
            self._end(status.from_reset(event.error_code))
        elif isinstance(event, h2.events.ConnectionTerminated):
            # A graceful GOAWAY lets the streams it covers finish; anything else ends them.
            if event.error_code != 0 or (event.last_stream_id is not None and event.last_stream_id < self._id):
                self._end(
                    CallError(status.UNAVAILABLE, f"the server closed the connection (GOAWAY {event.error_code})")
                )
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            self._writable.notify_all()

    def _split(self) -> None:
        buffer = self._buffer
        while len(buffer) >= 5:
            compressed, size = _PREFIX.unpack_from(buffer)
            if size > self._max_message:
                self._end(
                    CallError(
                        status.RESOURCE_EXHAUSTED, f"Received message larger than max ({size} vs. {self._max_message})"
                    )
                )
                self._reset()
                return
            if len(buffer) < 5 + size:
                return
            if compressed:
                self._end(CallError(status.INTERNAL, "the server sent a compressed message, which was not asked for"))
                self._reset()
                return
            self._messages.append(bytes(buffer[5 : 5 + size]))
            del buffer[: 5 + size]

    def _reset(self) -> None:
        try:
            self._h2.reset_stream(self._id, h2.errors.ErrorCodes.CANCEL)
        except h2.exceptions.ProtocolError:
            pass

    def close(self) -> None:
        """Closes the connection (cancelling the call if it is still open)."""
        with self._lock:
            self._end(CallError(status.CANCELLED, "the call was closed"))
            if self._connection is not None:
                self._connection.close()
            self._wake_out.close()
            self._wake_in.close()
