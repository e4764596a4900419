"""daisy's worker context: ``key=value`` pairs joined by ``:`` in DAISY_CONTEXT."""

from __future__ import annotations

import os

ENV_VARIABLE = "DAISY_CONTEXT"


class Context(dict[str, str]):
    """The entries a worker pool gives its workers (hostname, port, task_id, worker_id, logdir)."""

    def to_env(self) -> str:
        for key, value in self.items():
            if any(c in f"{key}{value}" for c in "=:"):
                raise ValueError(f"context entries must not contain '=' or ':': {key}={value}")
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
