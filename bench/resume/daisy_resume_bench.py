"""Resume from done markers, daisy 2.0.0 side (bench/resume/run.sh runs it beside resume-bench.ts).

The same task as the daisychain side (3-D, write ROI 10^3, context 1, read-write conflicts, fit valid,
``--per-axis`` blocks per axis) resumes the tracking group under ``--basedir`` (``daisy.set_tracking_basedir``)
with ``run_blockwise(multiprocessing=False)``: daisy skips the marked blocks and calls the (no-op) process
function for the others in this process. Prints one JSON line: seconds to the first block handed to the process
function (from before the Task is made), blocks skipped, blocks run, seconds for the whole resume, peak RSS.

Exit status: 1 when daisy did not account for every block, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import daisy
from funlib.geometry import Roi

WRITE = 10
CONTEXT = 1
TASK_ID = "bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--basedir", required=True)
    parser.add_argument("--per-axis", type=int, required=True)
    args = parser.parse_args()
    extent = args.per_axis * WRITE + 2 * CONTEXT
    first: list[float] = []
    handed = 0

    def process(block: daisy.Block) -> None:
        nonlocal handed
        if not first:
            first.append(time.perf_counter())
        handed += 1

    daisy.set_tracking_basedir(args.basedir)
    start = time.perf_counter()
    task = daisy.Task(
        TASK_ID,
        total_roi=Roi((0, 0, 0), (extent, extent, extent)),
        read_roi=Roi((0, 0, 0), (WRITE + 2 * CONTEXT,) * 3),
        write_roi=Roi((CONTEXT,) * 3, (WRITE,) * 3),
        process_function=process,
        read_write_conflict=True,
        fit="valid",
    )
    states = daisy.run_blockwise([task], multiprocessing=False, progress=False, summary=False, return_states=True)
    total = time.perf_counter() - start
    state = states[TASK_ID]
    ok = state.completed_count == state.total_block_count == args.per_axis**3
    print(
        json.dumps(
            {
                "impl": "daisy 2.0.0",
                "mode": "run_blockwise(multiprocessing=False)",
                "perAxis": args.per_axis,
                "blocks": args.per_axis**3,
                "ok": ok,
                "firstSeconds": first[0] - start if first else None,
                "skipped": state.skipped_count,
                "handed": handed,
                "totalSeconds": total,
                "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
