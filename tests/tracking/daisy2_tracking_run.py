"""Run one task under daisy 2.0.0 with block tracking on, for tests/tracking/daisy2-cross.test.ts.

Usage (in the daisy 2.0.0 virtualenv)::

    python daisy2_tracking_run.py SPEC_JSON OUT_JSON

SPEC_JSON holds ``basedir``, ``taskId``, ``totalRoi``, ``readRoi``,
``writeRoi`` (``{"offset": [...], "shape": [...]}``), ``fit``, ``workers`` and
``failFrom``: a block whose write offset on axis 0 is at least ``failFrom``
raises (``null``: none does). Every block runs with ``max_retries=0`` and
without read-write conflicts, and daisy restarts the worker each failure
kills (up to 1000 times), so exactly the failing blocks are not done.
OUT_JSON receives ``seen`` (the write offsets of the blocks the process
function was called for, sorted), ``failed`` (those that raised), ``result``
(what ``run_blockwise`` returned) or ``error`` (the text of its exception).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import daisy
from daisy import Roi


def main() -> int:
    spec = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    out = Path(sys.argv[2])
    # The process function runs in worker processes: each appends one line to this file.
    seen_file = Path(tempfile.mkdtemp()) / "seen.txt"
    fail_from = spec["failFrom"]

    def process(block: daisy.Block) -> None:
        offset = [int(v) for v in block.write_roi.offset]
        failing = fail_from is not None and offset[0] >= fail_from
        with open(seen_file, "a", encoding="utf-8") as seen:
            seen.write(json.dumps({"offset": offset, "failed": failing}) + "\n")
        if failing:
            raise RuntimeError(f"block at {offset} fails on purpose")

    daisy.set_tracking_basedir(spec["basedir"])
    task = daisy.Task(
        spec["taskId"],
        total_roi=Roi(spec["totalRoi"]["offset"], spec["totalRoi"]["shape"]),
        read_roi=Roi(spec["readRoi"]["offset"], spec["readRoi"]["shape"]),
        write_roi=Roi(spec["writeRoi"]["offset"], spec["writeRoi"]["shape"]),
        process_function=process,
        read_write_conflict=False,
        fit=spec["fit"],
        max_retries=0,
        max_workers=spec["workers"],
        max_worker_restarts=1000,
    )
    report: dict = {}
    try:
        report["result"] = daisy.run_blockwise([task], progress=False, summary=False)
    except Exception as error:  # noqa: BLE001 - the test reads the message
        report["error"] = str(error)
    lines = seen_file.read_text(encoding="utf-8").splitlines() if seen_file.exists() else []
    records = [json.loads(line) for line in lines]
    report["seen"] = sorted(r["offset"] for r in records)
    report["failed"] = sorted(r["offset"] for r in records if r["failed"])
    out.write_text(json.dumps(report), encoding="utf-8")
    seen_file.unlink(missing_ok=True)
    seen_file.parent.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
