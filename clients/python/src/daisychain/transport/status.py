"""gRPC status codes, and the errors a call over the transport ends with."""

from __future__ import annotations

OK = 0
CANCELLED = 1
UNKNOWN = 2
INTERNAL = 13
UNAVAILABLE = 14
UNIMPLEMENTED = 12
UNAUTHENTICATED = 16
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8

_NAMES = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}

# gRPC's mapping of an HTTP status without a grpc-status (doc/http-grpc-status-mapping.md).
_FROM_HTTP = {400: INTERNAL, 401: UNAUTHENTICATED, 403: PERMISSION_DENIED, 404: UNIMPLEMENTED}
_FROM_HTTP.update(dict.fromkeys((429, 502, 503, 504), UNAVAILABLE))

# gRPC's mapping of an RST_STREAM error code (doc/PROTOCOL-HTTP2.md).
_FROM_RESET = {7: UNAVAILABLE, 8: CANCELLED, 11: RESOURCE_EXHAUSTED, 12: PERMISSION_DENIED}


class CallError(Exception):
    """A call that ended with a status other than OK: ``code`` (a gRPC status number) and ``details``."""

    def __init__(self, code: int, details: str):
        super().__init__(f"{code_name(code)}: {details}")
        self.code = code
        self.details = details


def code_name(code: int) -> str:
    return _NAMES.get(code, str(code))


def from_trailers(headers: dict[str, str]) -> CallError | None:
    """The status of trailers (or of a trailers-only response); None for OK."""
    try:
        code = int(headers["grpc-status"])
    except (KeyError, ValueError):
        return CallError(UNKNOWN, "the server sent trailers without a valid grpc-status")
    if code == OK:
        return None
    # grpc-message is percent-encoded UTF-8 (PROTOCOL-HTTP2.md).
    from urllib.parse import unquote  # here: a worker that never sees an error status does not pay its import

    return CallError(code, unquote(headers.get("grpc-message", ""), errors="replace"))


def from_http(status: str) -> CallError:
    number = int(status) if status.isdigit() else 0
    return CallError(_FROM_HTTP.get(number, UNKNOWN), f"Received http2 header with status: {status}")


def from_reset(error_code: int) -> CallError:
    return CallError(_FROM_RESET.get(error_code, INTERNAL), f"Received RST_STREAM with error code {error_code}")
