"""The reconnect rule of a worker (proto/daisychain/v1/README.md, "Reconnecting").

How long a worker waits for its server to come back, how it spaces its
attempts, which ends of a work stream are worth a new Hello, and the exit
statuses that say how a worker ended. The TypeScript client
(src/client/reconnect.ts) follows the same rule.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Mapping

from .transport import CallError
from .transport import status as grpc_status

#: How long a worker waits for its server to come back, when nothing says otherwise (seconds).
DEFAULT_RECONNECT_GRACE_SECONDS = 60.0
#: The DAISY_CONTEXT entry that sets a worker's grace in seconds (a launcher's choice for the workers it starts).
RECONNECT_GRACE_ENTRY = "reconnect_grace"
#: The environment variable that sets it when the context does not (a pool's environment, a task's worker env).
RECONNECT_GRACE_VARIABLE = "DAISYCHAIN_RECONNECT_GRACE"
#: The exit status of a worker whose server went away and did not answer a new Hello within the grace (EX_TEMPFAIL).
SERVER_LOST_EXIT_CODE = 75
#: The exit status of a worker whose Hello the server refused: PERMISSION_DENIED or UNAUTHENTICATED (EX_NOPERM).
HELLO_REFUSED_EXIT_CODE = 77

# The first retry comes after at most this long, each one after waits up to
# twice as long as the one before, up to the cap: a restarted server is found
# within about 5 s of listening again.
_FIRST_DELAY = 0.25
_MAX_DELAY = 5.0
_MAX_GRACE = 2_147_483.0


class ClientError(RuntimeError):
    """The work stream to the server failed; ``exit_code`` is the status a worker process should end with."""

    exit_code = 1


class ServerLostError(ClientError):
    """The server went away and did not answer a new Hello within the reconnect grace."""

    exit_code = SERVER_LOST_EXIT_CODE


class HelloRefusedError(ClientError):
    """The server refused the worker's Hello (``code``: PERMISSION_DENIED or UNAUTHENTICATED).

    For example a pool's worker whose secret a restarted server does not know.
    """

    exit_code = HELLO_REFUSED_EXIT_CODE

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def worker_exit_code(error: BaseException) -> int:
    """The exit status of a worker that ends with ``error``: a client error's own, 1 for anything else."""
    return error.exit_code if isinstance(error, ClientError) else 1


def reconnect_grace_seconds(
    option: float | None, context: Mapping[str, str], env: Mapping[str, str] = os.environ
) -> float:
    """The grace: the client's argument, else the context's ``reconnect_grace``, else the environment's, else 60.

    0 never reconnects. A bad value raises ValueError rather than reading as 0.
    """
    if option is not None:
        return _checked(float(option), "reconnect_grace")
    if RECONNECT_GRACE_ENTRY in context:
        text = context[RECONNECT_GRACE_ENTRY]
        return _checked(_seconds(text), f"the worker context's {RECONNECT_GRACE_ENTRY}={text!r}")
    text = env.get(RECONNECT_GRACE_VARIABLE, "")
    if text != "":
        return _checked(_seconds(text), f"{RECONNECT_GRACE_VARIABLE}={text!r}")
    return DEFAULT_RECONNECT_GRACE_SECONDS


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _checked(seconds: float, source: str) -> float:
    if not 0 <= seconds <= _MAX_GRACE:  # also refuses NaN
        raise ValueError(f"{source} must be a number of seconds from 0 to {_MAX_GRACE:.0f}")
    return seconds


def backoff_delay(attempt: int, uniform: Callable[[], float] | None = None) -> float:
    """The wait before retry number ``attempt`` (0 first): capped exponential, jittered over its upper half.

    ``uniform`` draws from [0, 1) (``random.random`` by default, imported only here: a worker that
    never loses its server does not pay for it).
    """
    if uniform is None:
        import random

        uniform = random.random
    ceiling = min(_MAX_DELAY, _FIRST_DELAY * 2 ** min(attempt, 16))
    return ceiling / 2 + uniform() * ceiling / 2


class EndKind(enum.Enum):
    """What a work stream that ended before any Shutdown means."""

    #: The server went away or dropped the call: say Hello again.
    RETRY = "retry"
    #: The server will not have this worker: a new Hello would be refused again.
    REFUSED = "refused"
    #: An answer, not an absence (NOT_FOUND, INVALID_ARGUMENT, INTERNAL, ...).
    FAIL = "fail"


def end_kind(error: CallError | None) -> EndKind:
    """UNAVAILABLE, CANCELLED by the server and an OK end (None) retry; PERMISSION_DENIED, UNAUTHENTICATED refuse."""
    if error is None or error.code in (grpc_status.UNAVAILABLE, grpc_status.CANCELLED):
        return EndKind.RETRY
    if error.code in (grpc_status.PERMISSION_DENIED, grpc_status.UNAUTHENTICATED):
        return EndKind.REFUSED
    return EndKind.FAIL
