"""One daisy driver, timed: run_blockwise over BLOCKS no-op blocks with WORKERS workers.

Run by daisy 2.0.0's interpreter with ``--library daisy`` and by the client's
with ``--library daisychain``; the same script, only the import differs.
Prints one JSON line: blocks, workers, seconds (run_blockwise's wall time,
server start and worker start-up included) and blocks per second.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import tempfile
import time


def noop(block: object) -> None:
    pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", choices=["daisy", "daisychain"], required=True)
    parser.add_argument("--blocks", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    daisy = importlib.import_module(args.library)
    logs = tempfile.mkdtemp(prefix="driver-bench-logs-")
    daisy.logging.set_log_basedir(logs)
    task = daisy.Task(
        task_id="noop",
        total_roi=daisy.Roi((0,), (args.blocks,)),
        read_roi=daisy.Roi((0,), (1,)),
        write_roi=daisy.Roi((0,), (1,)),
        process_function=noop,
        read_write_conflict=False,
        max_workers=args.workers,
    )
    start = time.perf_counter()
    ok = daisy.run_blockwise([task], progress=False)
    seconds = time.perf_counter() - start
    if not ok:
        print("run_blockwise returned False", file=sys.stderr)
        return 1
    print(json.dumps({"library": args.library, "blocks": args.blocks, "workers": args.workers, "seconds": seconds, "blocks_per_second": args.blocks / seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
