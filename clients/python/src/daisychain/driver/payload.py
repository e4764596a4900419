"""What a worker process the driver starts needs of its task, in one file.

The first line is JSON (the driver's ``sys.path``, read before anything is
unpickled, so that functions of the driver's own modules travel by name and
import in the worker); the rest is cloudpickle of the task's functions.
Functions of ``__main__`` (the driver script) travel by value. Locks they
capture arrive as locks of the worker's own (locked if they were), as
daisy 1.x's dill ships them.
"""

from __future__ import annotations

import functools
import io
import json
import sys
import threading
import types
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

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


def _new_lock(locked: bool) -> Any:
    lock = threading.Lock()
    if locked:
        lock.acquire()
    return lock


def _reduce_lock(lock: Any) -> tuple[Callable[[bool], Any], tuple[bool]]:
    return _new_lock, (lock.locked(),)


def _reduce_rlock(_lock: Any) -> tuple[Callable[[], Any], tuple[()]]:
    # An RLock is owned by a thread of the driver, never by the worker's: it arrives free.
    return threading.RLock, ()


class _Pickler(cloudpickle.Pickler):
    """cloudpickle, and the thread locks that a process function's closure or globals often hold."""

    # Read when a pickler is made, so set on the class.
    dispatch_table: ClassVar[Mapping[type, Callable[[Any], Any]]] = ChainMap(
        {type(threading.Lock()): _reduce_lock, type(threading.RLock()): _reduce_rlock},
        cloudpickle.Pickler.dispatch_table,
    )


def _dumps(value: object) -> bytes:
    buffer = io.BytesIO()
    _Pickler(buffer).dump(value)
    return buffer.getvalue()


def write_payload(path: Path, payload: WorkerPayload) -> None:
    try:
        body = _dumps(payload)
    except Exception as error:
        raise PayloadError(
            f"task {payload.task_id!r}: its process or check function cannot be sent to worker processes "
            f"({type(error).__name__}: {error}); define it in a module or at the top of the driver script, "
            "and open files and connections inside it rather than capturing them"
        ) from error
    functions = (payload.process_function, payload.pre_check, payload.post_check)
    filenames = [getattr(getattr(_unwrapped(f), "__code__", None), "co_filename", None) for f in functions]
    header = json.dumps({"sys_path": [entry for entry in sys.path if isinstance(entry, str)], "filenames": filenames})
    path.write_bytes(header.encode() + b"\n" + body)


def read_payload(path: Path) -> WorkerPayload:
    data = path.read_bytes()
    header_line, _, body = data.partition(b"\n")
    header = json.loads(header_line)
    for entry in reversed(header["sys_path"]):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    payload = cloudpickle.loads(body)
    if not isinstance(payload, WorkerPayload):
        raise PayloadError(f"{path} holds no worker payload")
    for function, filename in zip(
        (payload.process_function, payload.pre_check, payload.post_check), header["filenames"]
    ):
        if filename:
            _restore_filename(_unwrapped(function), str(filename))
    return payload


_DYNAMIC = "<dynamic-code>"


def _unwrapped(function: object) -> object:
    """The function a ``functools.partial`` (daisy's tutorial passes them) calls in the end."""
    while isinstance(function, functools.partial):
        function = function.func
    return function


def _restore_filename(function: object, filename: str) -> None:
    """Gives functions that cloudpickle shipped by value (of the driver script, or local ones) their file back,
    so that tracebacks show their lines."""
    code = getattr(function, "__code__", None)
    if not isinstance(code, types.CodeType) or code.co_filename != _DYNAMIC:
        return
    function.__code__ = _with_filename(code, filename)  # type: ignore[attr-defined]
    # The helpers it calls from the same script share its rebuilt globals.
    for value in list(getattr(function, "__globals__", {}).values()):
        if isinstance(value, types.FunctionType) and value.__code__.co_filename == _DYNAMIC:
            _restore_filename(value, filename)


def _with_filename(code: types.CodeType, filename: str) -> types.CodeType:
    constants = tuple(_with_filename(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=constants)
