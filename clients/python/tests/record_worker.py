"""A Python worker for the tests, started with DAISY_CONTEXT (by a worker pool or by hand).

For every block it appends ``<task> <block> <worker> <attempt> python`` to RECORD_FILE, and
misbehaves on request: FAIL_BLOCKS=3,7 raises on these blocks; KILL_ONCE_BLOCK=5 SIGKILLs
itself mid-block the first time a worker gets block 5 (KILL_MARKER records it);
FAIL_ALL_MARKER=path: the first worker to create this file fails every block it gets (a worker
the pool should restart), the others and its replacements work. BLOCK_DELAY_S=N takes N s per
block. A client error ends it with the error's exit status (75 server lost, 77 Hello refused).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import daisychain

record_file = Path(os.environ["RECORD_FILE"])
fail_blocks = {int(b) for b in os.environ.get("FAIL_BLOCKS", "").split(",") if b}
kill_once = int(os.environ["KILL_ONCE_BLOCK"]) if "KILL_ONCE_BLOCK" in os.environ else None
delay = float(os.environ.get("BLOCK_DELAY_S", "0"))


def created_exclusively(path: str) -> bool:
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


fail_all = "FAIL_ALL_MARKER" in os.environ and created_exclusively(os.environ["FAIL_ALL_MARKER"])


def process(block: daisychain.Block, worker_id: str) -> None:
    if block.id == kill_once:
        marker = Path(os.environ["KILL_MARKER"])
        if not marker.exists():
            marker.write_text(worker_id)
            os.kill(os.getpid(), signal.SIGKILL)
    if delay:
        time.sleep(delay)
    if block.id in fail_blocks:
        raise ValueError(f"block {block.id} always fails")
    if fail_all:
        raise ValueError("this worker fails every block")
    with record_file.open("a") as f:
        f.write(f"{block.task_id} {block.id} {worker_id} {block.attempt} python\n")


client = daisychain.Client(prefetch=int(os.environ.get("PREFETCH", "1")))
try:
    while True:
        with client.acquire_block() as block:
            if block is None:
                break
            process(block, client.worker_id)
except daisychain.ClientError as error:
    # The protocol note's exit statuses: 75 the server went away for good, 77 it refused the Hello.
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(error.exit_code)
finally:
    client.close()
