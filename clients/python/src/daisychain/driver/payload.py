"""What a worker process the driver starts needs of its task, in one file.

The first line is JSON (the driver's ``sys.path``, read before anything is
unpickled, so that functions of the driver's own modules travel by name and
import in the worker); the rest is cloudpickle of the task's functions.
Functions of ``__main__`` (the driver script) travel by value.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle


@dataclass(frozen=True)
class WorkerPayload:
    task_id: str
    process_function: Callable[..., Any]
    #: daisy's 0-argument "start a worker" function, called once per worker.
    spawns_workers: bool
    pre_check: Callable[[Any], Any] | None
    post_check: Callable[[Any], Any] | None


class PayloadError(RuntimeError):
    """A task's functions could not be shipped to its workers."""


def write_payload(path: Path, payload: WorkerPayload) -> None:
    try:
        body = cloudpickle.dumps(payload)
    except Exception as error:
        raise PayloadError(
            f"task {payload.task_id!r}: its process or check function cannot be sent to worker processes "
            f"({type(error).__name__}: {error}); define it in a module or at the top of the driver script, "
            "and open files and connections inside it rather than capturing them"
        ) from error
    header = json.dumps({"sys_path": [entry for entry in sys.path if isinstance(entry, str)]})
    path.write_bytes(header.encode() + b"\n" + body)


def read_payload(path: Path) -> WorkerPayload:
    data = path.read_bytes()
    header, _, body = data.partition(b"\n")
    for entry in reversed(json.loads(header)["sys_path"]):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    payload = cloudpickle.loads(body)
    if not isinstance(payload, WorkerPayload):
        raise PayloadError(f"{path} holds no worker payload")
    return payload
