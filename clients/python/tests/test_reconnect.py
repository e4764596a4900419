"""Python workers that reconnect (proto/daisychain/v1/README.md, "Reconnecting").

Real worker processes (record_worker.py) against real servers on loopback:
``daisychain serve`` that comes up late, is SIGKILLed for good or restarted on
the same port, a relay that cuts the connection under the worker, and a
restarted server that refuses the worker's new Hello. Graces are short
(DAISYCHAIN_RECONNECT_GRACE); only generous time bounds are asserted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import daisychain
from daisychain.reconnect import (
    DEFAULT_RECONNECT_GRACE_SECONDS,
    RECONNECT_GRACE_VARIABLE,
    backoff_delay,
    reconnect_grace_seconds,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CLI = ROOT / "dist" / "src" / "cli" / "main.js"
INDEX = ROOT / "dist" / "src" / "index.js"
PY_WORKER = HERE / "record_worker.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def block_ids(record_files: list[Path]) -> set[int]:
    lines = [line for path in record_files if path.exists() for line in path.read_text().splitlines() if line]
    return {int(line.split()[1]) for line in lines}


def line_pipeline(path: Path, blocks: int) -> Path:
    task = {
        "taskId": "t",
        "totalRoi": {"offset": [0], "shape": [10 * blocks]},
        "readRoi": {"offset": [0], "shape": [10]},
        "writeRoi": {"offset": [0], "shape": [10]},
        "readWriteConflict": False,
    }
    path.write_text(json.dumps({"name": "reconnect", "tasks": [task]}))
    return path


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate()


def serve(started: list[subprocess.Popen[str]], pipeline: Path, port: int, *more: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        ["node", str(CLI), "serve", str(pipeline), "--listen", f"127.0.0.1:{port}", "--progress", "none", *more],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=pipeline.parent,
    )
    started.append(process)
    assert wait_for(lambda: listening(port), timeout=20), "the server did not start listening"
    return process


def worker(
    started: list[subprocess.Popen[str]], port: int, record_file: Path, worker_id: str, **env: str
) -> subprocess.Popen[str]:
    # No pipeline_id: the server's only pipeline, which a fresh server of the same file holds too.
    context = f"hostname=127.0.0.1:port={port}:task_id=t:worker_id={worker_id}"
    process = subprocess.Popen(
        [sys.executable, str(PY_WORKER)],
        env={**os.environ, "DAISY_CONTEXT": context, "RECORD_FILE": str(record_file), **env},
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    return process


def test_the_grace_comes_from_the_argument_the_context_the_environment_or_the_default() -> None:
    assert reconnect_grace_seconds(5, {"reconnect_grace": "7"}, {RECONNECT_GRACE_VARIABLE: "9"}) == 5
    assert reconnect_grace_seconds(None, {"reconnect_grace": "7.5"}, {RECONNECT_GRACE_VARIABLE: "9"}) == 7.5
    assert reconnect_grace_seconds(None, {}, {RECONNECT_GRACE_VARIABLE: "0"}) == 0
    assert reconnect_grace_seconds(None, {}, {}) == DEFAULT_RECONNECT_GRACE_SECONDS >= 60
    for bad in ("-1", "soon", "nan", "inf"):
        with pytest.raises(ValueError, match="reconnect_grace"):
            reconnect_grace_seconds(None, {"reconnect_grace": bad}, {})
    context = daisychain.Context.parse("hostname=127.0.0.1:port=1:task_id=t:reconnect_grace=x")
    with pytest.raises(ValueError, match="reconnect_grace='x'"):
        daisychain.Client(context)
    delays = [backoff_delay(attempt) for attempt in range(30)]
    assert 0.125 <= delays[0] <= 0.25 and max(delays) <= 5


def test_workers_started_while_the_server_is_down_join_when_it_comes_up(tmp_path: Path, processes) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    files = [tmp_path / f"records-{i}.txt" for i in range(2)]
    workers = [worker(processes, port, f, f"w{i}", DAISYCHAIN_RECONNECT_GRACE="30") for i, f in enumerate(files)]
    time.sleep(1.5)  # they find nothing for a while
    assert all(w.poll() is None for w in workers)
    # Kept running, so that a worker whose next attempt comes after the last block still finds it (and its Shutdown).
    server = serve(processes, line_pipeline(tmp_path / "p.json", 20), port, "--keep-running")
    for w in workers:
        _, err = w.communicate(timeout=30)
        assert w.returncode == 0, err
        assert "reconnected to the daisychain server" in err
    assert block_ids(files) == set(range(20))
    server.terminate()
    _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr


def test_a_worker_whose_server_is_killed_for_good_exits_75_after_its_grace_even_mid_block(  # type: ignore[no-untyped-def]
    tmp_path: Path, processes
) -> None:
    port = free_port()
    server = serve(processes, line_pipeline(tmp_path / "p.json", 3), port)
    # Its first block never ends by itself: the process must end anyway once the grace is over.
    record_file = tmp_path / "records.txt"
    w = worker(processes, port, record_file, "w", DAISYCHAIN_RECONNECT_GRACE="2", BLOCK_DELAY_S="600")
    time.sleep(1.0)  # the worker starts and holds its block
    gone = time.monotonic()
    server.kill()
    server.communicate()
    _, stderr = w.communicate(timeout=60)
    assert w.returncode == 75, stderr
    assert "ServerLostError" in stderr and "a block still runs" in stderr
    assert time.monotonic() - gone >= 2


def test_a_serve_sigkilled_and_restarted_on_the_same_port_gets_its_workers_back(tmp_path: Path, processes) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    pipeline = line_pipeline(tmp_path / "p.json", 40)
    first = serve(processes, pipeline, port)
    files = [tmp_path / f"records-{i}.txt" for i in range(2)]
    grace = 30
    workers = [
        worker(processes, port, f, f"w{i}", DAISYCHAIN_RECONNECT_GRACE=str(grace), BLOCK_DELAY_S="0.04")
        for i, f in enumerate(files)
    ]
    assert wait_for(lambda: len(block_ids(files)) >= 6)
    first.kill()
    first.communicate()
    time.sleep(0.3)
    second = serve(processes, pipeline, port)  # a fresh server of the same file: it runs every block again
    _, stderr = second.communicate(timeout=90)
    assert second.returncode == 0, stderr
    done = time.monotonic()
    for w in workers:
        _, err = w.communicate(timeout=60)
        assert w.returncode == 0, err
        assert "reconnected to the daisychain server" in err
    # The Shutdown of the finished pipeline ends them, not their grace.
    assert time.monotonic() - done < grace
    assert block_ids(files) == set(range(40))


class Relay:
    """A TCP relay to ``port`` whose connections the test can cut, as a broken network would."""

    def __init__(self, port: int):
        self.target = port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inbound, _ = self.listener.accept()
            except OSError:
                return
            outbound = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.sockets += [inbound, outbound]
            for a, b in ((inbound, outbound), (outbound, inbound)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            cut, self.sockets = self.sockets, []
        for s in cut:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()


def test_a_connection_cut_under_a_worker_it_drops_its_buffer_says_hello_again_and_its_block_runs_again(  # type: ignore[no-untyped-def]
    tmp_path: Path, processes
) -> None:
    port = free_port()
    server = serve(processes, line_pipeline(tmp_path / "p.json", 8), port)
    relay = Relay(port)
    try:
        record_file = tmp_path / "records.txt"
        # With a buffer of 2 blocks beside the one it runs.
        w = worker(
            processes, relay.port, record_file, "w", DAISYCHAIN_RECONNECT_GRACE="30", BLOCK_DELAY_S="0.3", PREFETCH="3"
        )
        assert wait_for(lambda: len(block_ids([record_file])) >= 2)
        time.sleep(0.1)  # inside its third block
        relay.cut()
        _, stderr = w.communicate(timeout=60)
        assert w.returncode == 0, stderr
        _, server_err = server.communicate(timeout=30)
        assert server.returncode == 0, server_err
        assert block_ids([record_file]) == set(range(8))
        # The block held at the cut went back to the server as a failed attempt and ran again; the buffered
        # ones went back unspent. One the worker took from its buffer before it saw the loss (its Start lost
        # with the stream) may run again in the same attempt: at least once, never more than once again.
        runs = [(line.split()[1], line.split()[3]) for line in record_file.read_text().splitlines()]
        assert [attempt for _, attempt in runs].count("1") == 1, runs
        blocks = [block for block, _ in runs]
        assert all(blocks.count(block) <= 2 for block in blocks), runs
        assert len(runs) <= 8 + 3, runs
    finally:
        relay.close()


def test_in_a_client_a_block_of_a_lost_stream_reads_as_revoked_and_its_release_is_not_sent(  # type: ignore[no-untyped-def]
    tmp_path: Path, processes
) -> None:
    port = free_port()
    server = serve(processes, line_pipeline(tmp_path / "p.json", 3), port)
    relay = Relay(port)
    context = daisychain.Context.parse(f"hostname=127.0.0.1:port={relay.port}:task_id=t:worker_id=in-process")
    client = daisychain.Client(context, reconnect_grace=30)
    try:
        with client.acquire_block() as held:
            assert held is not None
            relay.cut()
            assert wait_for(lambda: client.is_revoked(held))
        # Leaving the with sent nothing; the next blocks come on the new stream.
        runs = []
        while True:
            with client.acquire_block() as block:
                if block is None:
                    break
                runs.append((block.id, block.attempt))
        client.close()
        assert sorted(runs) == sorted((i, 1 if i == held.id else 0) for i in range(3))
        assert client.rejections == []
        _, stderr = server.communicate(timeout=30)
        assert server.returncode == 0, stderr
    finally:
        client.close()
        relay.close()


# A server of one task that has started pool worker "7" with the given secret, on the given port.
_POOL_SERVER = """
import { SchedulerService, startServer, Task, Roi } from '%s';
const [port, secret] = process.argv.slice(2);
const write = new Roi([0], [10]);
const task = new Task({ taskId: 't', totalRoi: new Roi([0], [1000]), readRoi: write, writeRoi: write, readWriteConflict: false });
const service = new SchedulerService([task]);
service.expectWorker('t', '7', secret);
await startServer(service, '127.0.0.1', Number(port));
console.log('listening');
"""


def test_a_restarted_server_that_refuses_the_new_hello_ends_the_worker_with_77(tmp_path: Path, processes) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    script = tmp_path / "pool_server.mjs"
    script.write_text(_POOL_SERVER % INDEX.as_uri())

    def pool_server(secret: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(["node", str(script), str(port), secret], stdout=subprocess.PIPE, text=True)
        processes.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "listening"
        return process

    first = pool_server("a1" * 32)
    record_file = tmp_path / "records.txt"
    context = f"hostname=127.0.0.1:port={port}:task_id=t:worker_id=7:worker_secret={'a1' * 32}"
    w = subprocess.Popen(
        [sys.executable, str(PY_WORKER)],
        env={
            **os.environ,
            "DAISY_CONTEXT": context,
            "RECORD_FILE": str(record_file),
            "BLOCK_DELAY_S": "0.05",
            "DAISYCHAIN_RECONNECT_GRACE": "600",
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    processes.append(w)
    assert wait_for(lambda: len(block_ids([record_file])) >= 1)
    first.kill()
    first.communicate()
    pool_server("b2" * 32)  # its pool started its own worker 7, with a secret of its own
    _, stderr = w.communicate(timeout=60)
    assert w.returncode == 77, stderr
    assert "HelloRefusedError" in stderr and "did not present its secret" in stderr


def test_the_drivers_worker_exits_75_whether_it_waits_for_a_block_or_runs_one_when_its_server_is_gone(  # type: ignore[no-untyped-def]
    tmp_path: Path, processes
) -> None:
    from daisychain.driver.payload import WorkerPayload, write_payload

    payload = tmp_path / "payload.pkl"
    started = tmp_path / "started"

    def process(block: daisychain.Block) -> None:
        started.touch()
        time.sleep(600)

    write_payload(payload, WorkerPayload("t", process, False, None, None))
    port = free_port()
    server = serve(processes, line_pipeline(tmp_path / "p.json", 1), port)
    context = f"hostname=127.0.0.1:port={port}:task_id=t"
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "daisychain.driver.worker", str(payload)],
            env={**os.environ, "DAISY_CONTEXT": f"{context}:worker_id={i}", "DAISYCHAIN_RECONNECT_GRACE": "1"},
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    processes.extend(workers)
    assert wait_for(started.exists)  # one runs the only block...
    time.sleep(1.0)  # ...and the other, started with it, waits for one
    server.kill()
    server.communicate()
    outcomes = sorted(w.communicate(timeout=60)[1] for w in workers)
    assert [w.returncode for w in workers] == [75, 75], outcomes
    assert all("ServerLostError: the daisychain server" in err for err in outcomes)
    assert sum("a block still runs" in err for err in outcomes) == 1, outcomes
