"""``python -m daisychain.driver.worker PAYLOAD``: one worker process of a Python driver's task.

The server's pool starts it with DAISY_CONTEXT set. It installs the task's
checks, then runs the block function in daisy's loop, or calls the task's
"start a worker" function once. It exits 0 when the server says Shutdown,
75 when its server went away and did not come back within the reconnect
grace, 77 when the server refused its Hello, 1 on any other failure.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .. import checks
from ..client import Client, ClientError
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
    except ClientError as error:
        # The protocol note's exit statuses: 75 the server went away for good, 77 it refused the Hello.
        print(f"{type(error).__name__}: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
