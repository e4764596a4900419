"""A worker that reports the scheduling policy of each of its threads; started by a worker pool.

Once its client is running (its reader and flusher threads started), it
writes to PROBE_FILE one line per thread of the process: the thread's id and
its policy (``os.sched_getscheduler``), then works as any worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import daisychain

client = daisychain.Client()
lines = []
for tid in sorted(os.listdir("/proc/self/task")):
    lines.append(f"{tid} {os.sched_getscheduler(int(tid))}\n")
Path(os.environ["PROBE_FILE"]).write_text("".join(lines))
while True:
    with client.acquire_block() as block:
        if block is None:
            break
client.close()
