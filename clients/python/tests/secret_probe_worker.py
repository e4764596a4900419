"""A worker that tries its pool's secret both ways; started by a worker pool.

It first opens a stream as its own worker id but without the context's
``worker_secret`` (as a peer that guessed the id would) and writes to
PROBE_FILE how the server answered: ``refused <details>`` or ``served``. Then it
works with its full context as any worker, appending ``<task> <block>`` to
RECORD_FILE.
"""

from __future__ import annotations

import os
from pathlib import Path

import daisychain

context = daisychain.Context.from_env()
bare = context.copy()
had_secret = bare.pop("worker_secret", None) is not None
outcome = "served"
guesser = daisychain.Client(bare)
try:
    with guesser.acquire_block() as block:
        pass
except daisychain.ClientError as error:
    outcome = f"refused {error}"
guesser.close()
Path(os.environ["PROBE_FILE"]).write_text(f"{'with' if had_secret else 'without'} secret in context; {outcome}\n")

client = daisychain.Client()
while True:
    with client.acquire_block() as block:
        if block is None:
            break
        with Path(os.environ["RECORD_FILE"]).open("a") as f:
            f.write(f"{block.task_id} {block.id}\n")
client.close()
