"""daisy's worker context: ``key=value`` pairs joined by ``:`` in DAISY_CONTEXT."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

ENV_VARIABLE = "DAISY_CONTEXT"
#: The entry in which a daisychain worker pool gives each worker process its secret.
WORKER_SECRET_ENTRY = "worker_secret"
#: The entry in which a daisychain worker pool asks its workers to run under Linux's SCHED_BATCH ("batch").
SCHEDULING_ENTRY = "scheduling"


class Context(dict[str, str]):
    """The entries a worker pool gives its workers (hostname, port, task_id, worker_id, logdir, pipeline_id).

    A daisychain pool adds ``worker_secret``, which the client sends in its
    Hello to prove it is the process the pool started under ``worker_id``.

    As in daisy, ``Context(hostname="localhost", port=5000, task_id=1)`` stores
    every key and value as a string, since that is what crosses DAISY_CONTEXT.
    """

    def __init__(self, entries: Mapping[object, object] | None = None, /, **kwargs: object):
        super().__init__()
        self.update(entries or {}, **kwargs)

    def __setitem__(self, key: object, value: object) -> None:
        key, value = str(key), str(value)
        if not key:
            raise ValueError(f"context keys must not be empty: ={value}")
        super().__setitem__(key, value)

    # dict's own update and setdefault would bypass __setitem__'s conversion.
    def update(self, entries: Mapping[object, object] | None = None, /, **kwargs: object) -> None:  # type: ignore[override]
        for key, value in {**(entries or {}), **kwargs}.items():
            self[key] = value

    def setdefault(self, key: object, default: object = "") -> str:  # type: ignore[override]
        if str(key) not in self:
            self[key] = default
        return self[str(key)]

    def copy(self) -> Context:
        return Context(self)

    def to_env(self) -> str:
        """``key=value`` pairs joined by ``:``, with ``%``, ``:`` and ``=`` written as daisy 2.0.0 writes them."""
        return ":".join(f"{_encode(k)}={_encode(v)}" for k, v in self.items())

    @staticmethod
    def from_env() -> Context:
        text = os.environ.get(ENV_VARIABLE)
        if text is None:
            raise RuntimeError(
                f"{ENV_VARIABLE} is not set: start this worker from a daisychain worker pool, or pass a Context"
            )
        return Context.parse(text)

    @staticmethod
    def parse(text: str) -> Context:
        context = Context()
        for token in text.split(":"):
            if not token:
                continue
            key, sep, value = token.partition("=")
            if not sep or not key or "=" in value:
                raise ValueError(f"malformed {ENV_VARIABLE} entry {token!r}: expected key=value")
            context[_decode(key)] = _decode(value)
        return context


# daisy 2.0.0 escapes only these three, so that text daisy 1.x could carry reads the same in both.
_ENCODED = {"%": "%25", ":": "%3A", "=": "%3D"}
_DECODED = {"%25": "%", "%3A": ":", "%3D": "="}
_ESCAPE = re.compile(r"[%:=]")
_UNESCAPE = re.compile(r"%(25|3[AaDd])")


def _encode(text: str) -> str:
    return _ESCAPE.sub(lambda m: _ENCODED[m.group(0)], text)


def _decode(text: str) -> str:
    # One pass, as daisy 2.0.0 reads it: "%253A" is "%3A", and other "%" sequences stay as they are.
    return _UNESCAPE.sub(lambda m: _DECODED[m.group(0).upper()], text)
