"""daisy's worker context: ``key=value`` pairs joined by ``:`` in DAISY_CONTEXT."""

from __future__ import annotations

import os
from collections.abc import Mapping

ENV_VARIABLE = "DAISY_CONTEXT"
#: The entry in which a daisychain worker pool gives each worker process its secret.
WORKER_SECRET_ENTRY = "worker_secret"


class Context(dict[str, str]):
    """The entries a worker pool gives its workers (hostname, port, task_id, worker_id, logdir).

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
        if any(c in f"{key}{value}" for c in "=:"):
            raise ValueError(f"context entries must not contain '=' or ':': {key}={value}")
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
        return ":".join(f"{k}={v}" for k, v in self.items())

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
            context[key] = value
        return context
