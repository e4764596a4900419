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
import h2.stream

from . import status
from .connection import Connection, tls_context
from .status import CallError

_PREFIX = struct.Struct(">BI")
# Our receive windows: large enough that the server never waits for a WINDOW_UPDATE on a 4 MiB message.
_WINDOW = 8 * 1024 * 1024
# DATA frames read past h2 are acknowledged (WINDOW_UPDATE) once this much came, well before the window runs out.
_ACK_EVERY = _WINDOW // 4
# An HTTP/2 frame header: length (24 bits, as 16 + 8), type, flags, stream id.
_FRAME_HEADER = struct.Struct(">HBBBI")
_DATA, _WINDOW_UPDATE = 0x0, 0x8
_END_STREAM, _PADDED = 0x1, 0x8
_OPEN = h2.stream.StreamState.OPEN
_CLIENT_OPEN = h2.connection.ConnectionState.CLIENT_OPEN


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
        # Bytes read and not yet cut into frames; how much DATA went past h2 and is not acknowledged yet;
        # whether the response headers came (DATA frames may go past h2 only after them).
        self._frames = bytearray()
        self._unacknowledged = 0
        self._responding = False
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
        self._h2_stream = self._h2.streams[self._id]

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
        size = len(data)
        with self._lock:
            if self._ended is False and not self._half_closed and self._send_direct(data, size):
                return
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

    def _send_direct(self, data: bytes, size: int) -> bool:
        """Sends a message that fits the windows and one frame as one DATA frame built here (holding the lock).

        h2's send_data costs more than the rest of a round trip's sending; the
        windows it keeps are charged here as it would charge them, so that h2
        stays right about them for the messages it frames itself.
        """
        h2_connection, h2_stream = self._h2, self._h2_stream
        if (
            size > h2_connection.max_outbound_frame_size
            or size > h2_connection.outbound_flow_control_window
            or size > h2_stream.outbound_flow_control_window
            or h2_stream.state_machine.state is not _OPEN
            or h2_connection.state_machine.state is not _CLIENT_OPEN
        ):
            return False
        h2_connection.outbound_flow_control_window -= size
        h2_stream.outbound_flow_control_window -= size
        frame = _FRAME_HEADER.pack(size >> 8, size & 0xFF, _DATA, 0, self._id) + data
        queued = h2_connection.data_to_send()  # nothing, unless h2 queued a frame that has not gone yet
        if self._connection is not None:
            try:
                self._connection.send(queued + frame if queued else frame)
            except OSError as error:
                self._end(CallError(status.UNAVAILABLE, str(error)))
        return True

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
                    through_h2 = self._receive_frames(data)
                except h2.exceptions.ProtocolError as error:
                    self._end(CallError(status.INTERNAL, f"HTTP/2 protocol error: {error}"))
                    continue
                # h2 may have queued an answer (to a PING, SETTINGS, DATA it read) or a RST_STREAM (_split).
                if through_h2 or self._ended is not False:
                    self._flush()

    def _receive_frames(self, data: bytes) -> bool:
        """Reads what arrived (holding the lock): the call's DATA frames here, every other frame through h2.

        Returns whether any frame went through h2.

        h2's reading of a DATA frame costs more than the rest of a round trip's
        receiving. A DATA frame of this call without padding or END_STREAM,
        once the response headers came, is only its bytes, counted against our
        windows; those bytes are acknowledged here (h2 never saw them, so its
        view of our windows stays whole). Everything else, and every frame h2
        would have to judge, goes to h2 whole and in order.
        """
        frames = self._frames
        frames += data
        through_h2 = False
        start, end = 0, len(frames)
        while end - start >= 9:
            high, low, kind, flags, stream_id = _FRAME_HEADER.unpack_from(frames, start)
            length = (high << 8) | low
            if length > self._h2.max_inbound_frame_size:
                frame_end = end  # h2 refuses it by its header
            else:
                frame_end = start + 9 + length
                if frame_end > end:
                    break
            if (
                kind == _DATA
                and stream_id & 0x7FFFFFFF == self._id
                and not flags & (_END_STREAM | _PADDED)
                and self._responding
                and self._ended is False
            ):
                self._buffer += frames[start + 9 : frame_end]
                self._unacknowledged += length
                self._split()
            else:
                through_h2 = True
                for event in self._h2.receive_data(bytes(frames[start:frame_end])):
                    self._handle(event)
            start = frame_end
        del frames[:start]
        if self._unacknowledged >= _ACK_EVERY:
            self._acknowledge()
        return through_h2

    def _acknowledge(self) -> None:
        """Opens the windows (stream and connection) by the DATA read past h2 (holding the lock)."""
        increment, self._unacknowledged = self._unacknowledged, 0
        update = b"".join(
            _FRAME_HEADER.pack(0, 4, _WINDOW_UPDATE, 0, stream_id) + increment.to_bytes(4, "big")
            for stream_id in (self._id, 0)
        )
        if self._connection is not None:
            try:
                self._connection.send(self._h2.data_to_send() + update)
            except OSError as error:
                self._end(CallError(status.UNAVAILABLE, str(error)))

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
            else:
                self._responding = True
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
