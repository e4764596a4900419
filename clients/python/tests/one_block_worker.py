"""A worker written as daisy 1.x's scripts are: one block, and no close() (daisy 1.x has none).

It appends ``<task> <block> <worker> <attempt>`` to RECORD_FILE.
"""

from __future__ import annotations

import os
from pathlib import Path

import daisychain

client = daisychain.Client()
with client.acquire_block() as block:
    if block is not None:
        with Path(os.environ["RECORD_FILE"]).open("a") as f:
            f.write(f"{block.task_id} {block.id} {client.worker_id} {block.attempt}\n")
