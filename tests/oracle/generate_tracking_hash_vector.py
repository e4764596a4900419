"""Record the tracking groups daisy 2.0.0 writes, for tests/tracking/tracking-hash.test.ts.

Each case is a task that daisy 2.0.0 runs in serial mode with a tracking path
in a temporary directory; the vector keeps the ``daisy_task_hash`` of the
group it wrote, the shape of its ``done`` and ``failures`` arrays, the chunk
file names, and the done cells (every block succeeds, so these are the cells
of the blocks daisy ran). Run with the daisy 2.0.0 virtualenv::

    .cache/venv-daisy2/bin/python tests/oracle/generate_tracking_hash_vector.py > tests/vectors/tracking-hash.json
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import daisy
from daisy import Roi

# (total offset, total shape, read offset, read shape, write offset, write shape, fit)
CASES = [
    ((0, 0), (40, 30), (0, 0), (14, 10), (2, 0), (10, 10), "valid"),
    ((0, 0), (40, 30), (0, 0), (14, 10), (2, 0), (10, 10), "overhang"),
    ((0, 0), (40, 30), (0, 0), (14, 10), (2, 0), (10, 10), "shrink"),
    ((-5, 3), (40, 30), (5, 5), (14, 10), (7, 5), (10, 10), "shrink"),
    ((-17, -3), (23, 11), (-2, -1), (5, 4), (-1, 0), (3, 2), "overhang"),
    ((-17, -3), (23, 11), (-2, -1), (5, 4), (-1, 0), (3, 2), "valid"),
    ((0,), (10,), (0,), (3,), (1,), (1,), "valid"),
    ((-1000000007,), (12,), (-4,), (6,), (-3,), (4,), "shrink"),
    ((0, 0, 0), (8, 9, 10), (0, 0, 0), (4, 4, 4), (1, 1, 1), (2, 2, 2), "valid"),
    ((0, 0, 0), (8, 9, 10), (0, 0, 0), (4, 4, 4), (1, 1, 1), (2, 2, 2), "overhang"),
    ((-4, -6, 2), (7, 9, 5), (-1, -1, -1), (3, 4, 3), (0, 0, 0), (2, 3, 1), "shrink"),
    ((3, -9, 100), (6, 6, 6), (0, 0, 0), (2, 2, 2), (0, 0, 0), (2, 2, 2), "valid"),
]


def run_case(case: tuple, root: Path, index: int) -> dict:
    total_offset, total_shape, read_offset, read_shape, write_offset, write_shape, fit = case
    group = root / f"case{index}"
    task = daisy.Task(
        f"case{index}",
        total_roi=Roi(total_offset, total_shape),
        read_roi=Roi(read_offset, read_shape),
        write_roi=Roi(write_offset, write_shape),
        process_function=lambda block: None,
        fit=fit,
        tracking_path=str(group),
    )
    assert daisy.run_blockwise([task], multiprocessing=False, progress=False, summary=False)
    attributes = json.loads((group / "zarr.json").read_text(encoding="utf-8"))["attributes"]
    arrays = {}
    for name in ("done", "failures"):
        metadata = json.loads((group / name / "zarr.json").read_text(encoding="utf-8"))
        chunks = sorted(str(p.relative_to(group / name)) for p in (group / name).rglob("*") if p.is_file())
        arrays[name] = {"shape": metadata["shape"], "dataType": metadata["data_type"], "files": chunks}
    chunk = group / "done" / "c" / "/".join("0" for _ in total_shape)
    done = [i for i, value in enumerate(chunk.read_bytes()) if value]
    return {
        "totalRoi": {"offset": list(total_offset), "shape": list(total_shape)},
        "readRoi": {"offset": list(read_offset), "shape": list(read_shape)},
        "writeRoi": {"offset": list(write_offset), "shape": list(write_shape)},
        "fit": fit,
        "hash": attributes["daisy_task_hash"],
        "arrays": arrays,
        "doneCells": done,
    }


def main() -> None:
    # daisy's runner writes to file descriptor 1 itself: keep the vector alone on stdout.
    stdout = os.dup(1)
    os.dup2(2, 1)
    with tempfile.TemporaryDirectory() as tmp:
        cases = [run_case(case, Path(tmp), index) for index, case in enumerate(CASES)]
    os.dup2(stdout, 1)
    with os.fdopen(stdout, "w", encoding="utf-8") as out:
        json.dump({"daisy": daisy.__version__, "cases": cases}, out, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    sys.exit(main())
