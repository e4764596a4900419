"""Record what daisy 2.0.0 counts when a chain orphans a block twice.

A downstream task with read-write conflicts fails two blocks whose orphan
sets overlap; daisy 2.0.0 counts the shared block twice (pending goes
below zero). daisy 1.2.3 raises a TypeError on this configuration, so 2.0.0
is the oracle. daisychain follows it; tests/scheduler/double-orphan.test.ts
replays the events and compares. Run with the daisy 2.0.0 virtualenv::

    .cache/venv-daisy2/bin/python tests/oracle/generate_double_orphan_vector.py > tests/vectors/double-orphan.json
"""

from __future__ import annotations

import json
import sys
from typing import Any

import daisy
from daisy import Roi


def main() -> None:
    upstream = daisy.Task(
        "t0",
        total_roi=Roi((0,), (18,)),
        read_roi=Roi((0,), (2,)),
        write_roi=Roi((0,), (2,)),
        process_function=lambda b: None,
        read_write_conflict=False,
        max_retries=0,
    )
    downstream = daisy.Task(
        "t1",
        total_roi=Roi((0,), (10,)),
        read_roi=Roi((0,), (4,)),
        write_roi=Roi((1,), (2,)),
        process_function=lambda b: None,
        read_write_conflict=True,
        max_retries=0,
        upstream_tasks=[upstream],
    )
    scheduler = daisy.Scheduler([upstream, downstream])
    events: list[list[Any]] = []
    held: dict[int, Any] = {}
    while (block := scheduler.acquire_block("t0")) is not None:
        held[block.block_id[1]] = block
        events.append(["acquire", "t0", block.block_id[1]])

    def release(task_id: str, block: Any, ok: bool) -> None:
        block.status = daisy.BlockStatus.SUCCESS if ok else daisy.BlockStatus.FAILED
        scheduler.release_block(block)
        events.append(["release", task_id, block.block_id[1], "success" if ok else "failed"])

    def fail_next_downstream() -> None:
        block = scheduler.acquire_block("t1")
        assert block is not None
        events.append(["acquire", "t1", block.block_id[1]])
        release("t1", block, False)

    for block_id in (3, 4, 0, 7):
        release("t0", held.pop(block_id), True)
    fail_next_downstream()
    for block_id in (1, 8, 2, 6):
        release("t0", held.pop(block_id), True)
    fail_next_downstream()

    states = {
        task_id: {
            "totalBlockCount": state.total_block_count,
            "completedCount": state.completed_count,
            "failedCount": state.failed_count,
            "orphanedCount": state.orphaned_count,
            "pendingCount": state.pending_count,
            "processingCount": state.processing_count,
            "readyCount": state.ready_count,
        }
        for task_id, state in scheduler.task_states.items()
    }
    json.dump({"daisy": daisy.__version__, "events": events, "finalStates": states}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
