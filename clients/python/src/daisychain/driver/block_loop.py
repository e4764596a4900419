"""daisy's block loop: take blocks of one task and run its function on each until none is left."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..block import BlockStatus
from ..client import Client


def process_blocks(client: Client, process_function: Callable[[Any], Any], *, propagate: bool) -> None:
    """Runs ``process_function`` on each block. ``propagate``: the first exception fails its block and is raised
    (daisy 2.0's serial mode, for debugging); otherwise it fails its block, is logged and sent, and the loop goes on."""
    while True:
        error: BaseException | None = None
        with client.acquire_block() as block:
            if block is None:
                return
            if not propagate:
                process_function(block)
            else:
                try:
                    process_function(block)
                except Exception as caught:  # noqa: BLE001 (any error fails the block; it is raised below)
                    error = caught
                    block.status = BlockStatus.FAILED
        if error is not None:
            raise error
