"""The Python client against the real TypeScript server (`daisychain serve` / `daisychain run`).

The test command builds dist/ first; these tests start the server from it and
run real worker processes: Python ones (record_worker.py) and TypeScript ones
(dist/tests/fixtures/record-worker.js).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from funlib.geometry import Roi

import daisychain

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CLI = ROOT / "dist" / "src" / "cli" / "main.js"
TS_WORKER = ROOT / "dist" / "tests" / "fixtures" / "record-worker.js"
PY_WORKER = HERE / "record_worker.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_pipeline(path: Path, tasks: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"tasks": tasks}))
    return path


def line_task(task_id: str, blocks: int, **extra: object) -> dict[str, object]:
    return {
        "taskId": task_id,
        "totalRoi": {"offset": [0], "shape": [10 * blocks]},
        "readRoi": {"offset": [0], "shape": [10]},
        "writeRoi": {"offset": [0], "shape": [10]},
        "readWriteConflict": False,
        **extra,
    }


def records(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [line.split() for line in path.read_text().splitlines() if line]


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int):
        self.process = process
        self.port = port

    def context(self, task_id: str, worker_id: str) -> str:
        return f"hostname=127.0.0.1:port={self.port}:task_id={task_id}:worker_id={worker_id}"

    def wait(self, timeout: float = 60) -> tuple[int, str]:
        _, stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode, stderr


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[object]:
    started: list[subprocess.Popen[str]] = []

    def start(tasks: list[dict[str, object]]) -> Server:
        port = free_port()
        pipeline = write_pipeline(tmp_path / f"pipeline-{port}.json", tasks)
        process = subprocess.Popen(
            ["node", str(CLI), "serve", str(pipeline), "--listen", f"127.0.0.1:{port}", "--progress", "lines"],
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return Server(process, port)
            time.sleep(0.05)
        raise RuntimeError("the server did not start listening")

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def start_worker(
    command: list[str], server: Server, task_id: str, worker_id: str, **env: str
) -> subprocess.Popen[bytes]:
    full_env = {**os.environ, "DAISY_CONTEXT": server.context(task_id, worker_id), **env}
    return subprocess.Popen(command, env=full_env)


def test_a_task_processed_entirely_by_python_workers(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("py", 60)])
    record_file = tmp_path / "records.txt"
    workers = [
        # 20 ms a block: long enough that every worker has started before the task ends
        start_worker(
            [sys.executable, str(PY_WORKER)], server, "py", str(i), RECORD_FILE=str(record_file), BLOCK_DELAY_S="0.02"
        )
        for i in range(3)
    ]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0]
    code, stderr = server.wait()
    assert code == 0, stderr
    done = Counter(r[1] for r in records(record_file))
    assert sorted(done, key=int) == [str(b) for b in range(60)]  # 1-D: block ids are the grid indices
    assert set(done.values()) == {1}
    assert len({r[2] for r in records(record_file)}) >= 2


def test_typescript_and_python_workers_share_one_task(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("mixed", 200)])
    record_file = tmp_path / "records.txt"
    env = {"RECORD_FILE": str(record_file), "BLOCK_DELAY_S": "0.01", "BLOCK_DELAY_MS": "10"}
    workers = [start_worker([sys.executable, str(PY_WORKER)], server, "mixed", f"py{i}", **env) for i in range(2)]
    workers += [start_worker(["node", str(TS_WORKER)], server, "mixed", f"ts{i}", **env) for i in range(2)]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0, 0]
    code, stderr = server.wait()
    assert code == 0, stderr
    rows = records(record_file)
    assert len(rows) == 200
    assert len({r[1] for r in rows}) == 200, "every block exactly once"
    python_rows = [r for r in rows if len(r) == 5 and r[4] == "python"]
    assert python_rows, "Python workers did work"
    assert len(python_rows) < 200, "TypeScript workers did work"


def test_a_python_worker_killed_mid_block_loses_nothing(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("kill", 30)])
    record_file = tmp_path / "records.txt"
    marker = tmp_path / "killed"
    env = {"RECORD_FILE": str(record_file), "KILL_ONCE_BLOCK": "5", "KILL_MARKER": str(marker)}
    first = start_worker([sys.executable, str(PY_WORKER)], server, "kill", "victim", **env)
    assert first.wait(timeout=60) == -signal.SIGKILL
    second = start_worker([sys.executable, str(PY_WORKER)], server, "kill", "rescuer", **env)
    assert second.wait(timeout=60) == 0
    code, stderr = server.wait()
    assert code == 0, stderr
    rows = records(record_file)
    assert {r[1] for r in rows} == {str(b) for b in range(30)}, "no block lost"
    assert [(r[2], r[3]) for r in rows if r[1] == "5"] == [("rescuer", "1")], "block 5 was retried by the second worker"
    # A block the victim finished just before dying may be done again: its release
    # can die with the process (at-least-once, as in daisy). Nothing else repeats.
    repeated = [b for b, n in Counter(r[1] for r in rows).items() if n > 1]
    assert all(any(r[1] == b and r[2] == "victim" for r in rows) for b in repeated)
    assert len(repeated) <= 1


def test_worker_pool_launches_python_workers_and_exceptions_reach_the_summary(tmp_path: Path) -> None:
    record_file = tmp_path / "records.txt"
    command = ["env", f"RECORD_FILE={record_file}", "FAIL_BLOCKS=7", sys.executable, str(PY_WORKER)]
    pipeline = write_pipeline(
        tmp_path / "p.json", [line_task("pool", 20, numWorkers=2, maxRetries=1, workerCommand=command)]
    )
    result = subprocess.run(
        ["node", str(CLI), "run", str(pipeline), "--progress", "lines", "--log-dir", str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "pool/7" in result.stderr
    assert "ValueError: block 7 always fails" in result.stderr
    assert "in process" in result.stderr, "the traceback reaches the server's summary"
    assert len(records(record_file)) == 19
    logs = sorted(p.name for p in (tmp_path / "logs" / "pool").iterdir())
    assert any(name.endswith(".err") for name in logs)


def test_a_block_carries_funlib_rois(serve) -> None:  # type: ignore[no-untyped-def]
    task = {
        "taskId": "rois",
        "totalRoi": {"offset": [-4, 2, 0], "shape": [24, 12, 12]},
        "readRoi": {"offset": [0, 0, 0], "shape": [12, 12, 12]},
        "writeRoi": {"offset": [2, 1, 1], "shape": [8, 10, 10]},
    }
    server = serve([task])
    client = daisychain.Client(daisychain.Context.parse(server.context("rois", "0")))
    seen = []
    while True:
        with client.acquire_block() as block:
            if block is None:
                break
            assert isinstance(block.read_roi, Roi) and isinstance(block.write_roi, Roi)
            assert block.read_roi.contains(block.write_roi)
            seen.append(
                (block.id, tuple(block.write_roi.offset), tuple(block.write_roi.shape), block.read_roi.to_slices())
            )
    client.close()
    assert server.wait()[0] == 0
    seen.sort()
    assert [s[1] for s in seen] == [(-2, 3, 1), (6, 3, 1)]
    assert all(s[2] == (8, 10, 10) for s in seen)
    assert seen[0][3] == (slice(-4, 8), slice(2, 14), slice(0, 12))


def test_a_context_takes_values_of_any_type_as_daisy_does(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("1", 1)])
    context = daisychain.Context(hostname="127.0.0.1", port=server.port, task_id=1, worker_id=1)
    assert context["port"] == str(server.port) and context["task_id"] == "1"
    assert daisychain.Context.parse(context.to_env()) == context
    client = daisychain.Client(context)
    with client.acquire_block() as block:
        assert block is not None and block.block_id == ("1", 0)
    client.close()
    assert server.wait()[0] == 0
    with pytest.raises(ValueError):
        daisychain.Context(logdir="a:b")


def test_a_block_is_built_with_daisys_signature() -> None:
    total = Roi((0, 0), (100, 100))
    read = Roi((5, 15), (20, 20))
    write = Roi((10, 20), (10, 10))
    daisy1 = daisychain.Block(total, read, write, 7, "t")
    daisy2 = daisychain.Block(total, read, write, "t", 7)
    keywords = daisychain.Block(total_roi=total, read_roi=read, write_roi=write, block_id=7, task_id="t")
    assert daisy1.block_id == daisy2.block_id == keywords.block_id == ("t", 7)
    assert (keywords.id, keywords.task_id, keywords.read_roi, keywords.write_roi) == (7, "t", read, write)
    assert keywords.total_roi == total
    assert keywords.status == daisychain.BlockStatus.CREATED and keywords.attempt == 0
    # Without an id, daisy's: the Cantor number of the write ROI's grid index.
    assert daisychain.Block(total, read, write).block_id == (None, 7)
    cube = Roi((35, 20, 13), (10, 10, 10))
    assert daisychain.Block(Roi((-5, 0, 3), (100, 100, 100)), cube, cube, task_id="t").block_id == ("t", 109)
