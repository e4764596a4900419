"""The protocol's limits, as proto/daisychain/v1/scheduler.proto states them."""

from __future__ import annotations

#: The most blocks one Acquire may ask for, and the most a stream may be owed.
MAX_ACQUIRE = 1024

#: Largest message either side accepts (4 MiB).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024

#: Workers ping the server on the server's own schedule (every 30 s, 20 s to
#: answer), so that a worker notices a dead server behind a silent connection
#: as fast as the server notices a dead worker.
CLIENT_CHANNEL_OPTIONS: list[tuple[str, int]] = [
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]


def format_target(host: str, port: int) -> str:
    """``host:port`` as gRPC targets want it: an IPv6 address in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"
