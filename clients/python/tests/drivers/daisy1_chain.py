"""A daisy 1.x driver script with only its import changed: upstream_tasks, a check function, init callbacks.

Usage: python daisy1_chain.py OUT_DIR. Each block writes OUT_DIR/<task>/<block id> with the time it ran.
"""

import json
import os
import sys
import time

import daisychain as daisy

out = sys.argv[1]


def record(block):
    path = os.path.join(out, block.task_id, str(block.block_id[1]))
    with open(path, "w") as f:
        json.dump({"start": time.time(), "write": [list(block.write_roi.begin), list(block.write_roi.end)]}, f)
    time.sleep(0.01)


def is_done(block):
    return os.path.exists(os.path.join(out, block.task_id, str(block.block_id[1])))


def init(context):
    with open(os.path.join(out, f"init-{context['task_id']}.json"), "w") as f:
        json.dump({"context": dict(context), "time": time.time()}, f)


for task_id in ("extract", "relabel"):
    os.makedirs(os.path.join(out, task_id), exist_ok=True)
daisy.logging.set_log_basedir(os.path.join(out, "logs"))

total = daisy.Roi((0, 0), (40, 40))
extract = daisy.Task(
    "extract",
    total,
    daisy.Roi((0, 0), (10, 10)),
    daisy.Roi((0, 0), (10, 10)),
    process_function=record,
    check_function=is_done,
    init_callback_fn=init,
    read_write_conflict=False,
    num_workers=2,
)
relabel = daisy.Task(
    task_id="relabel",
    total_roi=total.grow((10, 10), (10, 10)),
    read_roi=daisy.Roi((-10, -10), (30, 30)),
    write_roi=daisy.Roi((0, 0), (10, 10)),
    process_function=record,
    check_function=is_done,
    init_callback_fn=init,
    num_workers=2,
    fit="shrink",
    upstream_tasks=[extract],
)
succeeded = daisy.run_blockwise([relabel])
sys.exit(0 if succeeded else 1)
