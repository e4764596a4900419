"""``python -m daisychain.driver.worker PAYLOAD``: one worker process of a Python driver's task.

The server's pool starts it with DAISY_CONTEXT set. It installs the task's
checks, then runs the block function in daisy's loop, or calls the task's
"start a worker" function once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .. import checks
from ..client import Client
from .block_loop import process_blocks
from .payload import read_payload


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m daisychain.driver.worker PAYLOAD", file=sys.stderr)
        return 2
    payload = read_payload(Path(argv[0]))
    checks.install(checks.BlockChecks(payload.task_id, payload.pre_check, payload.post_check))
    if payload.spawns_workers:
        payload.process_function()
        return 0
    client = Client()
    try:
        process_blocks(client, payload.process_function, propagate=False)
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
