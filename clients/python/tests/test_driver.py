"""daisy's driver API (``import daisychain as daisy``) against the real server the package starts.

Driver scripts of daisy 1.x and 2.0 style run as users run them, in their own
process, with Python process functions in the worker processes the server
starts; serial mode, checks, init callbacks, failures and Ctrl-C are tested
in the test's own process or in scripts.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from driver_support import DRIVERS, alive, descendants, driver_env, run_driver

import daisychain as daisy
from daisychain.driver.payload import PayloadError


def unit_task(task_id: str, blocks: int, process_function, **extra) -> daisy.Task:  # type: ignore[no-untyped-def]
    unit = daisy.Roi((0,), (1,))
    return daisy.Task(
        task_id, daisy.Roi((0,), (blocks,)), unit, unit, process_function, read_write_conflict=False, **extra
    )


def test_the_names_of_daisy_are_there() -> None:
    for name in (
        "Roi",
        "Coordinate",
        "Block",
        "BlockStatus",
        "Task",
        "TaskState",
        "run_blockwise",
        "Server",
        "SerialServer",
        "Client",
        "Context",
        "JsonProgressObserver",
        "Pipeline",
    ):
        assert hasattr(daisy, name), name
    assert daisy.Roi is __import__("funlib.geometry").geometry.Roi
    # daisy 2.0's Coordinate.to_list(), on every Coordinate a Roi gives.
    assert daisy.Roi((1, 2), (3, 4)).shape.to_list() == [3, 4]
    assert daisy.Coordinate((5, None)).to_list() == [5, None]
    for name in ("set_log_basedir", "get_log_basedir", "get_worker_log_basename", "redirect_stdouterr"):
        assert callable(getattr(daisy.logging, name)), name


def test_a_daisy1_driver_runs_its_chain_and_resumes_with_its_check(tmp_path: Path) -> None:
    result = run_driver("daisy1_chain.py", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    extract = {int(p.name): json.loads(p.read_text()) for p in (tmp_path / "extract").iterdir()}
    relabel = {int(p.name): json.loads(p.read_text()) for p in (tmp_path / "relabel").iterdir()}
    assert len(extract) == 16 and len(relabel) == 16
    # upstream_tasks: a relabel block starts only after the extract blocks under its read ROI (its 3x3 neighbours) ran.
    by_corner = {tuple(r["write"][0]): r["start"] for r in extract.values()}
    for block in relabel.values():
        y, x = block["write"][0]
        under = [
            by_corner[(y + dy, x + dx)] for dy in (-10, 0, 10) for dx in (-10, 0, 10) if (y + dy, x + dx) in by_corner
        ]
        assert block["start"] > max(under)
    # init callbacks: once per task, with worker 0's context, before any of the task's blocks ran.
    for task_id, blocks in (("extract", extract), ("relabel", relabel)):
        init = json.loads((tmp_path / f"init-{task_id}.json").read_text())
        assert init["context"]["task_id"] == task_id and init["context"]["worker_id"] == "0"
        assert int(init["context"]["port"]) > 0
        assert init["time"] < min(b["start"] for b in blocks.values())
    assert "relabel ✔" in result.stdout and "Execution Summary" in result.stdout
    assert sorted(p.name for p in (tmp_path / "logs" / "extract").iterdir()) == [
        "worker_0.err",
        "worker_0.out",
        "worker_1.err",
        "worker_1.out",
    ]

    # Resumed: the check function finds every block done, so every block is skipped and none runs again.
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "extract").iterdir()}
    again = run_driver("daisy1_chain.py", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "extract").iterdir()} == stamps
    rows = {
        line.split()[0]: line.split()
        for line in again.stdout.splitlines()
        if line.strip().startswith(("extract", "relabel"))
    }
    assert rows["extract"][2:5] == ["16", "16", "16"], again.stdout  # blocks, completed, skipped
    assert rows["relabel"][2:5] == ["16", "16", "16"], again.stdout


def test_a_daisy2_pipeline_chains_and_unites(tmp_path: Path) -> None:
    result = run_driver("daisy2_pipeline.py", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    states = json.loads((tmp_path / "states.json").read_text())
    assert states == {t: {"done": True, "completed": 10, "failed": 0, "total": 10} for t in ("a", "b", "c")}
    end = {i: float((tmp_path / f"a-{i}.end").read_text()) for i in range(10)}
    for downstream in ("b", "c"):
        for i in range(10):
            # a + (b | c): block i of b and of c reads block i of a.
            assert json.loads((tmp_path / f"{downstream}-{i}").read_text())["start"] > end[i]
    events = [json.loads(line) for line in (tmp_path / "progress.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "start" and events[-1]["event"] == "finish"
    assert {e["task"] for e in events if e["event"] == "finish"} == {"a", "b", "c"}
    assert all(e["completed"] == 10 for e in events if e["event"] == "finish")


def test_operators_build_daisy2_pipelines() -> None:
    a, b, c, d = (unit_task(t, 1, print) for t in "abcd")
    pipeline = (a + (b | c)) + d
    assert [t.task_id for t in pipeline.topological_order()] == ["a", "b", "c", "d"]
    assert {(u.task_id, w.task_id) for u, w in pipeline.edges} == {("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")}
    assert [t.task_id for t in pipeline.sources] == ["a"] and [t.task_id for t in pipeline.outputs] == ["d"]
    with pytest.raises(ValueError, match="two different tasks have the task id 'a'"):
        _ = a | unit_task("a", 1, print)


def test_serial_mode_runs_in_this_process_and_raises_the_first_error(tmp_path: Path) -> None:
    seen: list[int] = []
    task = unit_task("serial", 20, lambda block: seen.append(block.block_id[1]))
    assert daisy.run_blockwise([task], multiprocessing=False)
    assert sorted(seen) == sorted(
        daisy.Block(task.total_roi, daisy.Roi((i,), (1,)), daisy.Roi((i,), (1,))).id for i in range(20)
    )

    def fail_on_fifth(block: daisy.Block) -> None:
        seen.append(block.id)
        if len(seen) == 25:
            raise KeyError("the fifth block")

    with pytest.raises(KeyError, match="the fifth block"):
        daisy.run_blockwise([unit_task("serial-fails", 20, fail_on_fifth)], multiprocessing=False)
    assert len(seen) == 25


def test_checks_skip_done_blocks_and_a_failed_post_check_fails_the_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = tmp_path / "done"
    done.mkdir()
    for i in range(0, 30, 2):
        (done / str(i)).touch()  # half of a previous run

    def process(block: daisy.Block) -> None:
        start = block.write_roi.begin[0]
        (tmp_path / f"ran-{start}").touch()
        if start != 7:  # block 7 never writes its output
            (done / str(start)).touch()

    def pre(block: daisy.Block) -> bool:
        return (done / str(block.write_roi.begin[0])).exists()

    def post(block: daisy.Block) -> bool:
        return (done / str(block.write_roi.begin[0])).exists()

    task = unit_task("resume", 30, process, check_function=(pre, post), num_workers=2, max_retries=1)
    assert not daisy.run_blockwise([task], progress=False)
    ran = sorted(int(p.name.split("-")[1]) for p in tmp_path.glob("ran-*"))
    assert ran == list(range(1, 30, 2)), "only the blocks the pre-check did not find done ran"
    out = capsys.readouterr().out
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("resume"))
    # blocks, completed, skipped, failed: 15 skipped, 14 run, block 7 failed twice (post-check) and for good.
    assert row[2:6] == ["30", "29", "15", "1"], out
    assert "post-check of task 'resume' found block" in out


def test_a_worker_function_runs_its_own_client_loop(tmp_path: Path) -> None:
    # daisy's 0-argument process function: called once per worker, it connects with DAISY_CONTEXT itself.
    def worker() -> None:
        client = daisy.Client()
        while True:
            with client.acquire_block() as block:
                if block is None:
                    break
                (tmp_path / f"{client.worker_id}-{block.id}").touch()

    def pre(block: daisy.Block) -> bool:
        return block.write_roi.begin[0] < 5  # applied to the worker's own loop too

    # daisy's task ids may hold spaces (its tutorial's "Smoothing with context").
    task = unit_task("own loop", 20, worker, check_function=pre, num_workers=3)
    assert task.spawns_workers
    assert daisy.run_blockwise([task], progress=False)
    files = [p.name for p in tmp_path.iterdir()]
    assert len(files) == 15 and len({f.split("-")[0] for f in files}) <= 3


def test_a_failure_shows_its_traceback_in_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def explode(block: daisy.Block) -> None:
        if block.write_roi.begin[0] == 3:
            raise ZeroDivisionError("block three divides by zero")

    daisy.logging.set_log_basedir(tmp_path / "logs")
    try:
        assert not daisy.run_blockwise([unit_task("explodes", 6, explode, max_retries=0)], progress=False)
    finally:
        daisy.logging.set_log_basedir("./daisy_logs")
    out = capsys.readouterr().out
    assert "ZeroDivisionError: block three divides by zero" in out
    assert "in explode" in out and "test_driver.py" in out, "the traceback names the function and its file"
    assert f"under {tmp_path / 'logs' / 'explodes'}/" in out


def test_a_partial_process_function_shows_its_file_in_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    # daisy's tutorial passes functools.partial(function, arguments...) as process functions.
    def explode_at(start: int, block: daisy.Block) -> None:
        if block.write_roi.begin[0] == start:
            raise ZeroDivisionError(f"block {start} divides by zero")

    task = unit_task("partial", 4, functools.partial(explode_at, 2), max_retries=0)
    assert not daisy.run_blockwise([task], progress=False)
    out = capsys.readouterr().out
    assert "ZeroDivisionError: block 2 divides by zero" in out
    assert "test_driver.py" in out and "<dynamic-code>" not in out, out


def test_wrong_input_fails_where_the_task_is_made(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="process_function takes \\(a, b\\)"):
        unit_task("two-args", 1, lambda a, b: None)
    with pytest.raises(ValueError, match="fit must be one of valid, overhang, shrink"):
        unit_task("fit", 1, print, fit="snug")
    with pytest.raises(TypeError, match="total_roi must be a Roi"):
        daisy.Task("no-roi", (0, 10), daisy.Roi((0,), (1,)), daisy.Roi((0,), (1,)), print)
    with pytest.raises(ValueError, match="daisychain refused the tasks: .*write"):
        daisy.run_blockwise(
            [daisy.Task("outside", daisy.Roi((0,), (10,)), daisy.Roi((0,), (2,)), daisy.Roi((5,), (2,)), print)],
            progress=False,
        )
    numbers = (i for i in range(3))  # a generator cannot travel to another process
    with pytest.raises(PayloadError, match="cannot be sent to worker processes"):
        daisy.run_blockwise([unit_task("generator", 1, lambda block: next(numbers))], progress=False)


def test_locks_a_process_function_holds_travel_to_its_workers(tmp_path: Path) -> None:
    # daisy 1.x ships functions with dill, which recreates thread locks: a closure guarding its state with one
    # runs, each worker with a lock of its own.
    lock, rlock = threading.Lock(), threading.RLock()
    held = threading.Lock()
    held.acquire()

    def process(block: daisy.Block) -> None:
        with lock, rlock:
            (tmp_path / f"{block.id}-{held.locked()}").touch()

    assert daisy.run_blockwise([unit_task("locks", 4, process, num_workers=2)], progress=False)
    assert sorted(p.name.split("-")[1] for p in tmp_path.iterdir()) == ["True"] * 4


def _start_driver(script: str, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(DRIVERS / script), str(out)],
        cwd=out,
        env=driver_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, seconds: float = 60) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_ctrl_c_cancels_the_run_stops_every_process_and_raises(tmp_path: Path) -> None:
    driver = _start_driver("slow_forever.py", tmp_path)
    _wait_for(lambda: len(list(tmp_path.glob("block-*"))) >= 4)
    processes = descendants(driver.pid)
    assert len(processes) >= 3, "the server and its two workers run"
    driver.send_signal(signal.SIGINT)
    stdout, stderr = driver.communicate(timeout=60)
    assert driver.returncode != 0
    assert "KeyboardInterrupt" in stderr and "cancelled: interrupted (Ctrl-C in the driver)" in stdout, stdout + stderr
    assert alive(processes) == set(), "no server or worker outlives the driver"


def test_a_killed_driver_takes_its_server_and_workers_with_it(tmp_path: Path) -> None:
    driver = _start_driver("slow_forever.py", tmp_path)
    _wait_for(lambda: len(list(tmp_path.glob("block-*"))) >= 4)
    processes = descendants(driver.pid)
    assert len(processes) >= 3, "the server and its two workers run"
    driver.kill()
    driver.communicate()
    # The server reads the end of its stdin pipe and stops as on SIGTERM, with its workers.
    _wait_for(lambda: alive(processes) == set(), seconds=30)


def test_a_resource_budget_bounds_the_workers_of_every_task(tmp_path: Path) -> None:
    def record(block: daisy.Block) -> None:
        start = time.time()
        time.sleep(0.05)
        (tmp_path / f"{block.task_id}-{block.id}").write_text(json.dumps([os.getpid(), start, time.time()]))

    tasks = [unit_task(t, 12, record, num_workers=2, requires={"gpu": 1}) for t in ("left", "right")]
    assert daisy.run_blockwise(tasks, resources={"gpu": 2}, progress=False)
    spans = [json.loads(p.read_text()) for p in tmp_path.iterdir()]
    assert len(spans) == 24
    # A worker's blocks lie within its life: at no moment do more than 2 workers (2 gpus) run blocks.
    lives = {
        pid: (min(s for p, s, _ in spans if p == pid), max(e for p, _, e in spans if p == pid)) for pid, _, _ in spans
    }
    moments = sorted(t for life in lives.values() for t in life)
    most = max(sum(1 for begin, end in lives.values() if begin <= m <= end) for m in moments)
    assert most <= 2, lives
    assert any(s1 < e2 and s2 < e1 for p1, s1, e1 in spans for p2, s2, e2 in spans if p1 != p2), (
        "the budget lets 2 run at once"
    )

    greedy = unit_task("greedy", 1, record, requires={"gpu": 3})
    with pytest.raises(ValueError, match="greedy"):
        daisy.run_blockwise([greedy], resources={"gpu": 2}, progress=False)


def _say(block: daisy.Block) -> None:
    print(f"out of block {block.id}")
    print(f"err of block {block.id}", file=sys.stderr)


@pytest.mark.parametrize("mode", ["console", "both", "no basedir"])
def test_log_modes_bring_worker_output_to_the_terminal(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    daisy.logging.set_log_basedir(None if mode == "no basedir" else logs)
    if mode != "no basedir":
        daisy.logging.set_log_mode(mode)
    try:
        assert daisy.logging.get_log_mode() == ("both" if mode == "both" else "console")
        assert daisy.run_blockwise([unit_task("talks", 3, _say, num_workers=2)], progress=False)
    finally:
        daisy.logging.set_log_mode("file")
        daisy.logging.set_log_basedir("./daisy_logs")
    captured = capsys.readouterr()
    ids = [daisy.Block(daisy.Roi((0,), (3,)), daisy.Roi((i,), (1,)), daisy.Roi((i,), (1,))).id for i in range(3)]
    for i in ids:
        assert f"out of block {i}\n" in captured.out and f"err of block {i}\n" in captured.err
    # "console" keeps no files; "both" keeps daisy's layout too.
    kept = sorted(p.read_text() for p in logs.glob("talks/worker_*.out")) if logs.exists() else []
    assert ("".join(kept).count("out of block") == 3) if mode == "both" else kept == []
    assert "See the worker logs" not in captured.out


def test_log_mode_and_level_are_checked_and_set() -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        daisy.logging.set_log_mode("everywhere")
    assert daisy.logging.get_log_mode() == "file"
    daisy.logging.set_log_level("DEBUG")
    try:
        assert daisy.logging.get_log_level() == 10
        assert __import__("logging").getLogger("daisychain.client").getEffectiveLevel() == 10
    finally:
        daisy.logging.set_log_level("NOTSET")


def test_a_worker_that_exits_normally_is_not_replaced_while_others_work(tmp_path: Path) -> None:
    # daisy's rule: a clean exit (status 0) of a worker that did work is its own business.
    def worker() -> None:
        (tmp_path / f"worker-{os.getpid()}").touch()
        quits = not (tmp_path / "quitter").exists()
        if quits:
            (tmp_path / "quitter").touch()
        client = daisy.Client()
        while True:
            with client.acquire_block() as block:
                if block is None:
                    return
                (tmp_path / f"block-{block.id}").touch()
                time.sleep(0.05)
            if quits:
                client.close()
                return

    assert daisy.run_blockwise([unit_task("quits", 8, worker, num_workers=2)], progress=False)
    assert len(list(tmp_path.glob("block-*"))) == 8
    assert len(list(tmp_path.glob("worker-*"))) == 2, "the worker that quit after one block was not replaced"


def test_worker_crashes_and_restarts_are_counted_in_the_task_state(tmp_path: Path) -> None:
    def crashes_once(block: daisy.Block) -> None:
        try:
            (tmp_path / "crashed").touch(exist_ok=False)
        except FileExistsError:
            (tmp_path / f"block-{block.id}").touch()
            return
        os._exit(3)  # the first worker process dies mid-block, as a segfault would

    events = tmp_path / "progress.jsonl"
    states = daisy.Server().run_blockwise(
        [unit_task("crashy", 6, crashes_once)], progress=daisy.JsonProgressObserver(path=events)
    )
    state = states["crashy"]
    assert state.completed_count == 6 and state.failed_count == 0
    assert (state.worker_failure_count, state.worker_restart_count) == (1, 1)
    finish = [json.loads(line) for line in events.read_text().splitlines()][-1]
    assert (finish["failures"], finish["restarts"]) == (1, 1)


def test_a_worker_process_loads_no_grpcio_and_no_tqdm() -> None:
    # Workers start by the hundred: what only the driver and the control plane use stays unloaded in them.
    probe = "import sys, daisychain, daisychain.driver.worker; print(sorted(m for m in ('grpc', 'tqdm') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
    assert daisy.Task.__module__ == "daisychain.driver.task", "and the driver's names still load on first use"
