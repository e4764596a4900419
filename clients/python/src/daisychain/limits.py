"""The protocol's limits, as proto/daisychain/v1/scheduler.proto states them."""

from __future__ import annotations

#: The most blocks one Acquire may ask for, and the most a stream may be owed.
MAX_ACQUIRE = 1024

#: Largest message either side accepts (4 MiB).
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


def format_target(host: str, port: int) -> str:
    """``host:port`` as gRPC targets want it: an IPv6 address in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"
