"""The Python client against the real TypeScript server (`daisychain serve` / `daisychain run`).

The test command builds dist/ first; these tests start the server from it and
run real worker processes: Python ones (record_worker.py) and TypeScript ones
(dist/tests/fixtures/record-worker.js).
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc
import pytest
from funlib.geometry import Roi

import daisychain
from daisychain.v1 import scheduler_pb2, scheduler_pb2_grpc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CLI = ROOT / "dist" / "src" / "cli" / "main.js"
TS_WORKER = ROOT / "dist" / "tests" / "fixtures" / "record-worker.js"
PY_WORKER = HERE / "record_worker.py"
ONE_BLOCK_WORKER = HERE / "one_block_worker.py"
SECRET_PROBE_WORKER = HERE / "secret_probe_worker.py"


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


@pytest.fixture(autouse=True)
def no_swallowed_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fails a test whose in-process worker failed a block.

    acquire_block() logs an exception raised in its ``with`` and does not
    raise it (daisy's contract), so a failed assertion there would pass unseen.
    """
    yield
    failed = [
        r.getMessage()
        for r in caplog.get_records("call")
        if r.name == "daisychain.client" and r.levelno >= logging.ERROR
    ]
    assert failed == [], "an assertion inside a `with client.acquire_block()` failed (see the log)"


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


def wait_for(condition: object, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def run_pipeline(
    tmp_path: Path, tasks: list[dict[str, object]], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``daisychain run`` of the tasks, with ``env`` added to this process's environment."""
    pipeline = write_pipeline(tmp_path / "run.json", tasks)
    return subprocess.run(
        ["node", str(CLI), "run", str(pipeline), "--progress", "lines", "--log-dir", str(tmp_path / "logs")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


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


def test_a_pool_worker_is_refused_without_its_secret_and_served_with_it(tmp_path: Path) -> None:
    # Against the real server and its pool: the worker reads worker_secret from DAISY_CONTEXT.
    record_file, probe_file = tmp_path / "records.txt", tmp_path / "probe.txt"
    command = [
        "env",
        f"RECORD_FILE={record_file}",
        f"PROBE_FILE={probe_file}",
        sys.executable,
        str(SECRET_PROBE_WORKER),
    ]
    result = run_pipeline(tmp_path, [line_task("bound", 5, numWorkers=1, workerCommand=command)])
    assert result.returncode == 0, result.stderr
    probe = probe_file.read_text()
    assert probe.startswith("with secret in context; refused "), probe
    assert 'belongs to a worker this server started for task "bound"; this stream did not present its secret' in probe
    assert sorted(int(r[1]) for r in records(record_file)) == list(range(5))


class RecordingScheduler(scheduler_pb2_grpc.SchedulerServiceServicer):
    """A server that records each stream's Hello, welcomes it and shuts it down at once."""

    def __init__(self) -> None:
        self.hellos: queue.Queue[scheduler_pb2.Hello] = queue.Queue()

    def Work(  # the gRPC method's name, as the generated servicer spells it
        self, request_iterator: Iterator[scheduler_pb2.WorkRequest], context: grpc.ServicerContext
    ) -> Iterator[scheduler_pb2.WorkResponse]:
        hello = next(request_iterator).hello
        self.hellos.put(hello)
        yield scheduler_pb2.WorkResponse(
            welcome=scheduler_pb2.Welcome(
                protocol_version=1, protocol_revision=2, task_id=hello.task_id, worker_id=hello.worker_id
            )
        )
        yield scheduler_pb2.WorkResponse(shutdown=scheduler_pb2.Shutdown(reason="recorded"))
        for _ in request_iterator:  # until the worker half-closes
            pass


def test_the_hello_carries_the_worker_secret_of_daisy_context(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = RecordingScheduler()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    scheduler_pb2_grpc.add_SchedulerServiceServicer_to_server(recorder, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        base = f"hostname=127.0.0.1:port={port}:task_id=t:worker_id=4"
        for text, secret in [(f"{base}:worker_secret=0a1b2c3d", "0a1b2c3d"), (base, "")]:
            monkeypatch.setenv("DAISY_CONTEXT", text)
            client = daisychain.Client()
            with client.acquire_block() as block:
                assert block is None
            client.close()
            hello = recorder.hellos.get(timeout=5)
            assert (hello.task_id, hello.worker_id, hello.worker_secret) == ("t", "4", secret)
    finally:
        server.stop(grace=None)


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


def test_a_worker_that_exits_without_close_completes_its_block(tmp_path: Path) -> None:
    # daisy 1.x's Client has no close(): its worker scripts end without one.
    record_file = tmp_path / "records.txt"
    command = ["env", f"RECORD_FILE={record_file}", sys.executable, str(ONE_BLOCK_WORKER)]
    result = run_pipeline(tmp_path, [line_task("once", 1, numWorkers=1, maxRetries=2, workerCommand=command)])
    assert result.returncode == 0, result.stderr
    assert [r[1] for r in records(record_file)] == ["0"], "the block ran once and its release arrived"


def test_a_worker_holds_only_the_block_it_runs(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("hold", 2)])
    first = daisychain.Client(daisychain.Context.parse(server.context("hold", "first")))
    second = daisychain.Client(daisychain.Context.parse(server.context("hold", "second")))
    got: list[int | None] = []

    def take_one() -> None:
        with second.acquire_block() as block:
            got.append(None if block is None else block.id)

    with first.acquire_block() as block:
        assert block is not None
        taker = threading.Thread(target=take_one, daemon=True)
        taker.start()
        taker.join(timeout=10)
        held = block.id
    assert got and got[0] is not None and got[0] != held, "the other block was free while the first worker ran its own"
    taker.join(timeout=10)
    for client in (first, second):
        with client.acquire_block() as block:
            assert block is None
        client.close()
    assert server.wait()[0] == 0


def test_responses_read_past_h2_reopen_the_windows(serve, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """The transport reads the call's DATA frames itself and acknowledges them: with a stream window of
    1 KiB, which 150 responses exceed many times over, the server would stall without its WINDOW_UPDATEs."""
    from daisychain.transport import stream as transport_stream

    monkeypatch.setattr(transport_stream, "_WINDOW", 1024)
    monkeypatch.setattr(transport_stream, "_ACK_EVERY", 256)
    server = serve([line_task("window", 150)])
    client = daisychain.Client(daisychain.Context.parse(server.context("window", "w")))
    done: list[int] = []

    def work() -> None:
        while True:
            with client.acquire_block() as block:
                if block is None:
                    return
                done.append(block.id)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), f"stalled after {len(done)} blocks: the server's windows were not reopened"
    client.close()
    assert sorted(done) == sorted(set(done)) and len(done) == 150
    assert server.wait()[0] == 0


def test_buffered_blocks_run_no_timeout_until_the_worker_starts_them(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # 1.8 s a block under a 3 s timeout: the third block waits 3.6 s in the buffer.
    server = serve([line_task("buffered", 3, timeout=3, maxRetries=3)])
    record_file = tmp_path / "records.txt"
    env = {"RECORD_FILE": str(record_file), "PREFETCH": "3", "BLOCK_DELAY_S": "1.8"}
    worker = start_worker([sys.executable, str(PY_WORKER)], server, "buffered", "w", **env)
    assert worker.wait(timeout=60) == 0
    code, stderr = server.wait()
    assert code == 0, stderr
    assert sorted((r[1], r[3]) for r in records(record_file)) == [("0", "0"), ("1", "0"), ("2", "0")]


def test_a_buffered_block_times_out_once_the_worker_takes_it(serve) -> None:  # type: ignore[no-untyped-def]
    # Only a Start makes the server time the block: this proves it is sent.
    server = serve([line_task("start", 3, timeout=0.5, maxRetries=1)])
    client = daisychain.Client(daisychain.Context.parse(server.context("start", "w")), prefetch=3)
    with client.acquire_block() as first:
        assert first is not None
    with client.acquire_block() as buffered:
        assert buffered is not None and buffered.id != first.id
        assert wait_for(lambda: client.is_revoked(buffered), timeout=10)
    client.close()
    server.process.kill()


def test_blocks_buffered_at_close_go_back_without_spending_an_attempt(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("giveback", 3)])
    first = daisychain.Client(daisychain.Context.parse(server.context("giveback", "first")), prefetch=3)
    with first.acquire_block() as block:
        assert block is not None
        done = [(block.id, block.attempt)]
    first.close()
    second = daisychain.Client(daisychain.Context.parse(server.context("giveback", "second")))
    while True:
        with second.acquire_block() as block:
            if block is None:
                break
            done.append((block.id, block.attempt))
    second.close()
    assert server.wait()[0] == 0
    assert sorted(done) == [(0, 0), (1, 0), (2, 0)]


def test_a_worker_that_finds_no_server_within_its_grace_exits_0_having_done_nothing(tmp_path: Path) -> None:
    record_file = tmp_path / "records.txt"
    context = f"hostname=127.0.0.1:port={free_port()}:task_id=gone:worker_id=late"
    result = subprocess.run(
        [sys.executable, str(PY_WORKER)],
        env={
            **os.environ,
            "DAISY_CONTEXT": context,
            "RECORD_FILE": str(record_file),
            "DAISYCHAIN_RECONNECT_GRACE": "0.5",
        },
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "no daisychain server" in result.stderr
    assert not record_file.exists()


def test_a_server_that_dies_mid_run_and_stays_away_ends_the_worker_with_75(serve, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("dies", 10)])
    record_file = tmp_path / "records.txt"
    full_env = {
        **os.environ,
        "DAISY_CONTEXT": server.context("dies", "w"),
        "RECORD_FILE": str(record_file),
        "BLOCK_DELAY_S": "0.5",
        "DAISYCHAIN_RECONNECT_GRACE": "1",
    }
    worker = subprocess.Popen([sys.executable, str(PY_WORKER)], env=full_env, stderr=subprocess.PIPE, text=True)
    assert wait_for(lambda: len(records(record_file)) >= 1, timeout=30)
    server.process.kill()
    _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 75, stderr
    assert "ServerLostError" in stderr


def test_the_welcome_says_the_task_timeout_and_limits(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("welcome", 1, timeout=3)])
    client = daisychain.Client(daisychain.Context.parse(server.context("welcome", "w7")))
    with client.acquire_block() as block:
        assert block is not None
    welcome = client.welcome
    assert isinstance(welcome, daisychain.Welcome)
    assert (welcome.protocol_version, welcome.task_id, welcome.worker_id) == (1, "welcome", "w7")
    assert welcome.protocol_revision >= 1
    assert welcome.timeout_seconds == 3 and welcome.renew_interval_seconds == 1
    assert (welcome.max_acquire, welcome.max_message_bytes) == (1024, 4 * 1024 * 1024)
    client.close()
    assert server.wait()[0] == 0


def test_a_revoked_block_is_not_released_and_comes_back(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("revoke", 1, timeout=0.5, maxRetries=1)])
    client = daisychain.Client(daisychain.Context.parse(server.context("revoke", "slow")))
    with client.acquire_block() as block:
        assert block is not None and block.attempt == 0
        assert wait_for(lambda: client.is_revoked(block), timeout=10)
    with client.acquire_block() as again:
        assert again is not None and (again.id, again.attempt) == (block.id, 1)
    assert not client.is_revoked(again)
    with client.acquire_block() as last:
        assert last is None
    client.close()
    code, stderr = server.wait()
    assert code == 0, stderr
    assert client.rejections == [], "the revoked block's release was not sent"


def test_a_revoked_block_handed_out_again_to_the_same_worker_is_a_new_attempt(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("again", 1, timeout=0.5, maxRetries=2)])
    client = daisychain.Client(daisychain.Context.parse(server.context("again", "w")), prefetch=2)
    seen: list[tuple[int, int, bool]] = []
    with client.acquire_block() as old:
        assert old is not None
        assert wait_for(lambda: client.is_revoked(old), timeout=10)
        # The server hands the block to this worker's buffer again, while the old attempt is still held.
        with client.acquire_block() as new:
            assert new is not None
            seen.append((new.id, new.attempt, client.is_revoked(new)))
        still_revoked = client.is_revoked(old)
    with client.acquire_block() as last:
        assert last is None
    client.close()
    code, stderr = server.wait()
    assert code == 0, stderr
    assert seen == [(old.id, 1, False)] and still_revoked
    assert client.rejections == [], "only the new attempt was released"


def test_renewing_a_lease_keeps_a_long_block(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("renew", 1, timeout=1, maxRetries=0)])
    client = daisychain.Client(daisychain.Context.parse(server.context("renew", "long")))
    with client.acquire_block() as block:
        assert block is not None
        for _ in range(10):  # 2.5 s in all, well past the timeout
            time.sleep(0.25)
            client.renew_lease(block)
        assert not client.is_revoked(block)
    with client.acquire_block() as last:
        assert last is None
    client.close()
    code, stderr = server.wait()
    assert code == 0, stderr
    assert client.rejections == []


def test_rejections_say_which_block_they_are_about(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve([line_task("reject", 1)])
    client = daisychain.Client(daisychain.Context.parse(server.context("reject", "w")))
    client._send(daisychain.client.scheduler_pb2.WorkRequest())  # an empty request: about no block
    with client.acquire_block() as block:
        assert block is not None and block.id == 0
    assert wait_for(lambda: len(client.rejections) == 1)
    client.release_block(block)  # a second release of block 0
    assert wait_for(lambda: len(client.rejections) == 2)
    assert [r.block_id for r in client.rejections] == [None, 0]
    assert [r.code for r in client.rejections] == [3, 9]
    client.close()


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
    with pytest.raises(ValueError, match="context keys must not be empty"):
        daisychain.Context({"": "a"})


VECTORS = Path(__file__).resolve().parents[3] / "tests" / "vectors"


def test_a_context_is_written_and_read_as_daisy_2_writes_and_reads_it() -> None:
    # The vector is daisy 2.0.0's own output (tests/oracle/generate_context_vector.py).
    vector = json.loads((VECTORS / "context.json").read_text(encoding="utf-8"))
    assert vector["daisy"] == "2.0.0"
    for case in vector["written"]:
        context = daisychain.Context(case["entries"])
        assert sorted(context.to_env().split(":")) == case["tokens"]
        assert daisychain.Context.parse(context.to_env()) == case["entries"]
    for case in vector["read"]:
        assert daisychain.Context.parse(case["text"]) == case["entries"]


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
    # daisy 1.x's requested_write_roi and copy().
    assert keywords.requested_write_roi == write
    copied = keywords.copy()
    copied.status = daisychain.BlockStatus.FAILED
    assert copied == keywords and copied is not keywords and keywords.status == daisychain.BlockStatus.CREATED
    assert copied.total_roi == total


def test_a_silent_connection_times_out_and_a_closed_one_ends() -> None:
    """The caller's read waits in recv under the kernel's receive timeout (the keepalive's): silence gives
    None after it, data comes at once, and a peer that closes is EOF."""
    from daisychain.transport.connection import Connection

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        connection = Connection("127.0.0.1", listener.getsockname()[1], None, 5)
        peer, _ = listener.accept()
        try:
            started = time.monotonic()
            assert connection.receive(0.2) is None
            assert time.monotonic() - started >= 0.1  # it waited, rather than polling
            peer.sendall(b"abc")
            assert connection.receive(5) == b"abc"
            peer.close()
            with pytest.raises(EOFError):
                connection.receive(5)
        finally:
            connection.close()


def test_an_exception_in_the_with_fails_the_block_and_an_interrupt_propagates(  # type: ignore[no-untyped-def]
    serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = serve([line_task("raising", 1, maxRetries=3)])
    client = daisychain.Client(daisychain.Context.parse(server.context("raising", "0")))
    with client.acquire_block() as block:
        assert block is not None and block.attempt == 0
        raise ValueError("boom")  # daisy's contract: logged and sent as the block's failure, not raised
    failures = [r for r in caplog.get_records("call") if r.name == "daisychain.client" and r.levelno >= logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "ValueError: boom" in "".join(traceback.format_exception(*failures[0].exc_info))
    caplog.clear()  # the failure above was meant
    with pytest.raises(KeyboardInterrupt), client.acquire_block() as again:
        # The failed attempt went to the server: the same block comes back as its next attempt.
        assert again is not None and (again.id, again.attempt) == (block.id, 1)
        raise KeyboardInterrupt  # not the block's failure, and not swallowed
    client.close()
