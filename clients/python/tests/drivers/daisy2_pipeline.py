"""A daisy 2.0 driver script with only its import changed: pipeline operators, Server, JsonProgressObserver.

Usage: python daisy2_pipeline.py OUT_DIR. ``a + (b | c)``: b and c read what a wrote.
"""

import json
import os
import sys
import time

import daisychain as daisy

out = sys.argv[1]


def record(block):
    with open(os.path.join(out, f"{block.task_id}-{block.block_id[1]}"), "w") as f:
        json.dump({"start": time.time()}, f)
    time.sleep(0.005)
    with open(os.path.join(out, f"{block.task_id}-{block.block_id[1]}.end"), "w") as f:
        f.write(str(time.time()))


def task(task_id):
    return daisy.Task(
        task_id=task_id,
        total_roi=daisy.Roi((0,), (100,)),
        read_roi=daisy.Roi((0,), (10,)),
        write_roi=daisy.Roi((0,), (10,)),
        process_function=record,
        read_write_conflict=False,
        max_workers=2,
    )


a, b, c = task("a"), task("b"), task("c")
pipeline = a + (b | c)
states = daisy.Server().run_blockwise(
    pipeline, progress=daisy.JsonProgressObserver(path=os.path.join(out, "progress.jsonl"))
)
with open(os.path.join(out, "states.json"), "w") as f:
    json.dump(
        {
            t: {
                "done": s.is_done(),
                "completed": s.completed_count,
                "failed": s.failed_count,
                "total": s.total_block_count,
            }
            for t, s in states.items()
        },
        f,
    )
sys.exit(0 if all(s.is_done() and s.failed_count == 0 for s in states.values()) else 1)
