"""Done markers through the Python driver, with real daisy 2.0.0 on the same tracking groups.

daisy 2.0.0 (``.cache/venv-daisy2``, ``tests/tracking/daisy2_tracking_run.py``) runs a task and fails every
block beyond a plane for good; ``daisychain.run_blockwise`` resumes the group and runs exactly the blocks daisy
did not mark. A group written for another task is refused with a ValueError naming its path and both hashes.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import daisychain as daisy

REPO = Path(__file__).resolve().parents[3]
DAISY2 = REPO / ".cache" / "venv-daisy2" / "bin" / "python"
RUNNER = REPO / "tests" / "tracking" / "daisy2_tracking_run.py"
FAIL_FROM = 33
SPEC = {
    "taskId": "half",
    "totalRoi": {"offset": [0, 0], "shape": [66, 38]},
    "readRoi": {"offset": [0, 0], "shape": [10, 8]},
    "writeRoi": {"offset": [1, 1], "shape": [8, 6]},
    "fit": "valid",
}

needs_daisy2 = pytest.mark.skipif(not DAISY2.exists(), reason=f"no daisy 2.0.0 virtualenv at {DAISY2}")


def _roi(spec: dict[str, list[int]]) -> daisy.Roi:
    return daisy.Roi(tuple(spec["offset"]), tuple(spec["shape"]))


def _record(path: str, block: daisy.Block) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps([int(v) for v in block.write_roi.offset]) + "\n")


def _task(record_file: Path, **extra: object) -> daisy.Task:
    import functools

    return daisy.Task(
        SPEC["taskId"],
        total_roi=_roi(SPEC["totalRoi"]),
        read_roi=_roi(SPEC["readRoi"]),
        write_roi=_roi(SPEC["writeRoi"]),
        process_function=functools.partial(_record, str(record_file)),
        fit=SPEC["fit"],
        num_workers=2,
        **extra,  # type: ignore[arg-type]
    )


def _daisy2(tmp_path: Path, basedir: Path, fail_from: int | None) -> dict[str, object]:
    spec_file = tmp_path / "spec.json"
    out_file = tmp_path / "out.json"
    spec_file.write_text(json.dumps({**SPEC, "basedir": str(basedir), "failFrom": fail_from, "workers": 2}))
    subprocess.run([str(DAISY2), str(RUNNER), str(spec_file), str(out_file)], cwd=tmp_path, check=True, timeout=120)
    return json.loads(out_file.read_text())


@needs_daisy2
def test_run_blockwise_resumes_a_group_daisy2_half_marked(tmp_path: Path) -> None:
    basedir = tmp_path / "trk"
    report = _daisy2(tmp_path, basedir, FAIL_FROM)
    assert report["result"] is False
    failed = sorted(tuple(offset) for offset in report["failed"])  # type: ignore[union-attr]
    seen = sorted(tuple(offset) for offset in report["seen"])  # type: ignore[union-attr]
    assert 0 < len(failed) < len(seen)

    daisy.set_tracking_basedir(basedir)
    records = tmp_path / "ran.txt"
    states = daisy.run_blockwise([_task(records)], progress=False, return_states=True)
    assert isinstance(states, dict)
    ran = sorted(tuple(json.loads(line)) for line in records.read_text().splitlines())
    assert ran == failed, "exactly the blocks daisy did not mark ran, once each"
    state = states["half"]
    assert state.skipped_count == len(seen) - len(failed)
    assert state.completed_count == len(seen)


@needs_daisy2
def test_a_task_names_its_group_and_daisy2_resumes_what_daisychain_left(tmp_path: Path) -> None:
    group = tmp_path / "elsewhere" / "half"
    records = tmp_path / "ran.txt"
    # daisychain runs the blocks before the plane only: the others were marked by nobody.
    # No retries: a pool restarts a worker after 3 failures in a row (enough restarts that the task is never
    # abandoned), and it must not hand that worker a block (one before the plane, which would then be lost and
    # fail for good) on its way out.
    skipped_half = _task(records, tracking_path=str(group), max_retries=0, max_worker_restarts=1000)
    original = skipped_half.process_function

    def before_plane(block: daisy.Block) -> None:
        if int(block.write_roi.offset[0]) >= FAIL_FROM:
            raise RuntimeError("fails on purpose")
        original(block)  # type: ignore[misc]

    skipped_half.process_function = before_plane
    assert not daisy.run_blockwise([skipped_half], progress=False)
    ran = {tuple(json.loads(line)) for line in records.read_text().splitlines()}

    report = _daisy2(tmp_path, tmp_path / "elsewhere", None)
    assert report["result"] is True
    resumed = {tuple(offset) for offset in report["seen"]}  # type: ignore[union-attr]
    assert resumed and not (resumed & ran), "daisy ran none of the blocks daisychain marked"
    assert all(offset[0] >= FAIL_FROM for offset in resumed)


def test_a_group_of_another_task_is_refused_naming_its_path(tmp_path: Path) -> None:
    basedir = tmp_path / "trk"
    records = tmp_path / "ran.txt"
    daisy.set_tracking_basedir(basedir)
    assert daisy.run_blockwise([_task(records)], progress=False)
    other = daisy.Task(
        "half",
        total_roi=_roi(SPEC["totalRoi"]),
        read_roi=_roi(SPEC["readRoi"]),
        write_roi=daisy.Roi((1, 1), (8, 3)),
        process_function=print,
    )
    with pytest.raises(ValueError, match="tracking group .*trk/half belongs to another task") as refused:
        daisy.run_blockwise([other], progress=False)
    assert "daisy_task_hash" in str(refused.value)


def test_tracking_path_and_its_deprecated_alias() -> None:
    unit = daisy.Roi((0,), (1,))
    assert daisy.Task("a", unit, unit, unit, print, tracking_path=False).tracking_path is False
    with pytest.warns(DeprecationWarning):
        task = daisy.Task("a", unit, unit, unit, print, done_marker_path="/tmp/x")
    assert task.tracking_path == task.done_marker_path == "/tmp/x"
    with pytest.raises(TypeError, match="not both"):
        daisy.Task("a", unit, unit, unit, print, tracking_path="/a", done_marker_path="/b")
    with pytest.raises(ValueError, match="tracking_path must be a path"):
        daisy.Task("a", unit, unit, unit, print, tracking_path=3)  # type: ignore[arg-type]


def test_reset_clears_a_tasks_markers_and_its_next_run_starts_over(tmp_path: Path) -> None:
    daisy.set_tracking_basedir(tmp_path / "trk")
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    other = daisy.Task(
        "other",
        total_roi=daisy.Roi((0,), (40,)),
        read_roi=daisy.Roi((0,), (10,)),
        write_roi=daisy.Roi((0,), (10,)),
        process_function=lambda block: None,
    )
    assert daisy.run_blockwise([_task(first), other], progress=False)
    blocks = len(first.read_text().splitlines())
    # Rerun: every block marked, none runs.
    assert daisy.run_blockwise([_task(second)], progress=False)
    assert not second.exists()
    # Reset one task of a pipeline alone (daisy 2.0's Task.reset): its group goes, the other's stays.
    assert daisy.Pipeline.from_task(_task(second)).reset() is None
    assert not (tmp_path / "trk" / "half").exists()
    assert (tmp_path / "trk" / "other").exists()
    assert daisy.run_blockwise([_task(second)], progress=False)
    assert len(second.read_text().splitlines()) == blocks
    assert other.reset() == str((tmp_path / "trk" / "other").resolve())
    assert other.reset() is None
