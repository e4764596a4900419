"""A TCP connection to the server, plaintext or TLS, as a pipe of bytes.

One thread reads (``receive``) while others write (``send``). TLS runs on an
``ssl.SSLObject`` over memory buffers, every use of it under one lock, so that
reading and writing never touch OpenSSL's state at the same time; the socket
itself is read outside that lock, so a writer never waits for the network.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

# ssl is imported where TLS is used: it costs a plaintext worker about 9 ms of start-up, as much as h2.


class Interrupted(Exception):
    """A receive was interrupted (its ``wake`` socket became readable)."""


def _read(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read()
    except OSError as error:
        raise ValueError(f"cannot read the {what} {path}: {error}") from None


def tls_context(tls_ca: str | None, tls_cert: str | None, tls_key: str | None) -> ssl.SSLContext | None:
    """TLS trusting ``tls_ca`` (PEM path; with a client certificate and key under mTLS), None for plaintext."""
    if tls_ca is None:
        if tls_cert is not None or tls_key is not None:
            raise ValueError("a client certificate needs the CA of the server too (tls_ca)")
        return None
    if (tls_cert is None) != (tls_key is None):
        raise ValueError("a client certificate needs its key, and a key its certificate")
    import ssl

    context = ssl.create_default_context(cadata=_read(tls_ca, "TLS CA file").decode("ascii", "replace"))
    if tls_cert is not None and tls_key is not None:
        _read(tls_cert, "TLS client certificate")
        _read(tls_key, "TLS client key")
        try:
            context.load_cert_chain(tls_cert, tls_key)
        except ssl.SSLError as error:
            raise ValueError(f"cannot load the TLS client certificate {tls_cert} with key {tls_key}: {error}") from None
    context.set_alpn_protocols(["h2"])
    return context


class Connection:
    """A connected socket (TCP_NODELAY), with TLS when a context is given."""

    def __init__(self, host: str, port: int, tls: ssl.SSLContext | None, timeout: float):
        """Connects (and shakes hands), waiting at most ``timeout`` seconds; raises OSError on failure."""
        self._sock = socket.create_connection((host, port), timeout=timeout)
        self._tls: ssl.SSLObject | None = None
        self._lock = threading.Lock()
        # The kernel's receive timeout (SO_RCVTIMEO) now set, in seconds: a receive without ``wake`` blocks in
        # recv alone, one system call per read instead of select and recv.
        self._recv_timeout: float | None = None
        try:
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                import ssl

                self._incoming = ssl.MemoryBIO()
                self._outgoing = ssl.MemoryBIO()
                self._tls = tls.wrap_bio(self._incoming, self._outgoing, server_hostname=host.strip("[]"))
                self._handshake()
                if self._tls.selected_alpn_protocol() != "h2":
                    raise ssl.SSLError(f"the server at {host}:{port} did not agree to HTTP/2 (ALPN h2)")
            self._sock.settimeout(None)
        except BaseException:
            self._sock.close()
            raise

    def _handshake(self) -> None:
        import ssl

        assert self._tls is not None
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush_tls()
                data = self._sock.recv(65536)
                if not data:
                    raise ConnectionResetError("the server closed the connection during the TLS handshake") from None
                self._incoming.write(data)
        self._flush_tls()

    def _flush_tls(self) -> None:
        pending = self._outgoing.read()
        if pending:
            self._sock.sendall(pending)

    def send(self, data: bytes) -> None:
        if self._tls is None:
            self._sock.sendall(data)
            return
        with self._lock:
            self._tls.write(data)
            self._flush_tls()

    def receive(self, timeout: float | None, wake: socket.socket | None = None) -> bytes | None:
        """What arrived (maybe b"" when only part of a TLS record did), None after ``timeout`` seconds of silence.

        With ``wake``, raises Interrupted (having read ``wake`` empty) once
        ``wake`` is readable. Raises EOFError when the server closed the connection.
        """
        if wake is not None or (timeout is not None and timeout < 1e-6):  # SO_RCVTIMEO 0 would be no timeout
            readable = select.select([self._sock] if wake is None else [self._sock, wake], [], [], timeout)[0]
            if wake is not None and wake in readable:
                try:
                    wake.recv(4096)
                except BlockingIOError:
                    pass
                raise Interrupted
            if not readable:
                return None
        elif timeout != self._recv_timeout:
            seconds = 0.0 if timeout is None else timeout  # 0: no timeout
            self._sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", int(seconds), int(seconds % 1 * 1e6))
            )
            self._recv_timeout = timeout
        try:
            data = self._sock.recv(65536)
        except BlockingIOError:  # SO_RCVTIMEO passed
            return None
        if not data:
            raise EOFError("Socket closed")
        if self._tls is None:
            return data
        import ssl

        plain = bytearray()
        with self._lock:
            self._incoming.write(data)
            while True:
                try:
                    chunk = self._tls.read(65536)
                except ssl.SSLWantReadError:
                    break
                except ssl.SSLZeroReturnError:
                    raise EOFError("Socket closed") from None
                if not chunk:
                    break
                plain += chunk
            self._flush_tls()
        return bytes(plain)

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
