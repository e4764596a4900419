"""The Python control-plane client against a real ``daisychain serve`` (a long-running service, no pipeline file).

A pipeline submitted from Python is served by TypeScript workers that the
server starts (the reverse is tests/pipelines/cross-language.test.ts); a Python
worker serves its own pipeline only; refused specs and cancels.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from funlib.geometry import Roi

import daisychain
from daisychain.control import ControlError, PipelineClient, PipelineStatus, TaskSpec, WorkerLaunch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CLI = ROOT / "dist" / "src" / "cli" / "main.js"
TS_WORKER = ROOT / "dist" / "tests" / "fixtures" / "record-worker.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, seconds: float = 20) -> None:
    """Until the server started on ``port`` accepts connections (or ``seconds`` pass)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)


def line(task_id: str, blocks: int, **extra: object) -> TaskSpec:
    unit = Roi((0,), (10,))
    return TaskSpec(task_id, Roi((0,), (10 * blocks,)), unit, unit, read_write_conflict=False, **extra)  # type: ignore[arg-type]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[PipelineClient, int]]:
    port = free_port()
    process = subprocess.Popen(
        ["node", str(CLI), "serve", "--listen", f"127.0.0.1:{port}", "--log-dir", str(tmp_path / "logs")],
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_port(port)
    control = PipelineClient(f"127.0.0.1:{port}")
    try:
        yield control, port
    finally:
        control.close()
        process.terminate()
        _, stderr = process.communicate(timeout=30)
        assert process.returncode == 0, stderr


def test_a_pipeline_submitted_from_python_is_served_by_typescript_workers(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    control, _ = service
    records = tmp_path / "records.txt"
    launch = WorkerLaunch(["node", str(TS_WORKER)], {"RECORD_FILE": str(records), "BLOCK_DELAY_MS": "10"})
    pipeline = control.submit([line("ts", 24, num_workers=2, worker_launch=launch)], name="from python")
    assert pipeline.status is PipelineStatus.RUNNING
    assert pipeline.tasks[0].num_workers == 2 and pipeline.tasks[0].max_retries == 2, "defaults written out"
    events = list(control.watch(pipeline.pipeline_id))
    assert events[-1].finished and events[-1].status is PipelineStatus.SUCCEEDED
    assert [e.finished for e in events].count(True) == 1
    done = control.get(pipeline.pipeline_id)
    assert done.states["ts"].completed_count == 24 and done.finished_at is not None
    rows = [row.split() for row in records.read_text().splitlines()]
    assert sorted(int(r[1]) for r in rows) == list(range(24)), "every block once, by TypeScript workers"
    assert [p.pipeline_id for p in control.list()] == [pipeline.pipeline_id]


def test_a_python_worker_serves_its_own_pipeline_only(service) -> None:  # type: ignore[no-untyped-def]
    control, port = service
    mine = control.submit([line("t", 3)], name="mine")
    other = control.submit([line("t", 3)], name="other")
    context = daisychain.Context(
        hostname="127.0.0.1", port=port, task_id="t", worker_id="py", pipeline_id=mine.pipeline_id
    )
    client = daisychain.Client(context)
    seen = []
    while True:
        with client.acquire_block() as block:
            if block is None:
                break
            seen.append(block.id)
    client.close()
    assert client.welcome is not None and client.welcome.pipeline_id == mine.pipeline_id
    assert sorted(seen) == [0, 1, 2]
    assert control.get(mine.pipeline_id).status is PipelineStatus.SUCCEEDED
    untouched = control.get(other.pipeline_id)
    assert untouched.status is PipelineStatus.RUNNING and untouched.states["t"].completed_count == 0
    # With two pipelines, a context without pipeline_id names none of them.
    legacy = daisychain.Client(daisychain.Context(hostname="127.0.0.1", port=port, task_id="t", worker_id="old"))
    with (
        pytest.raises(daisychain.ClientError, match="pipeline_id is empty, but this server holds 2 pipelines"),
        legacy.acquire_block(),
    ):
        pass
    legacy.close()


def test_wrong_specs_are_refused_naming_the_field_and_cancel_takes_blocks_back(service) -> None:  # type: ignore[no-untyped-def]
    control, port = service
    with pytest.raises(
        ControlError, match=r"^spec: tasks\[0\]\.num_workers must be at most 10000, got 20000$"
    ) as refused:
        control.submit([line("t", 2, num_workers=20_000)])
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(ControlError, match=r"upstream_task_ids\[0\]: upstream task \"ghost\" is not declared"):
        control.submit([line("t", 2, upstream_tasks=["ghost"])])
    assert control.list() == []
    with pytest.raises(ControlError) as unknown:
        control.get("nope")
    assert unknown.value.code == grpc.StatusCode.NOT_FOUND

    pipeline = control.submit([line("t", 4)])
    context = daisychain.Context(
        hostname="127.0.0.1", port=port, task_id="t", worker_id="w", pipeline_id=pipeline.pipeline_id
    )
    client = daisychain.Client(context)
    with client.acquire_block() as block:
        assert block is not None
        cancelled = control.cancel(pipeline.pipeline_id, "changed my mind")
        assert cancelled.status is PipelineStatus.CANCELLED and cancelled.cancel_reason == "changed my mind"
        assert cancelled.states["t"].processing_count == 0 and cancelled.states["t"].failed_count == 4
        deadline = time.monotonic() + 5
        while not client.is_revoked(block) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.is_revoked(block), "the worker was told its block was taken back"
    with client.acquire_block() as block:
        assert block is None
    assert client.shutdown_message == "changed my mind"
    client.close()
    assert client.rejections == [], "the revoked block's release was not sent"
    with pytest.raises(ControlError) as again:
        control.cancel(pipeline.pipeline_id)
    assert again.value.code == grpc.StatusCode.FAILED_PRECONDITION


def _openssl_certificates(directory: Path) -> None:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test CA",
    )
    (directory / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "server.ext",
    )  # fmt: skip


INTERVAL_WORKER = ROOT / "dist" / "tests" / "fixtures" / "interval-worker.js"


def read_intervals(path: Path) -> list[tuple[int, int]]:
    """(start, end) in ms of each worker, from interval-worker's ``start|end <task> <worker> <ms> <pipeline>`` lines."""
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    for entry in path.read_text().splitlines():
        kind, task, worker, ms, _ = entry.split(" ")
        (starts if kind == "start" else ends)[f"{task} {worker}"] = int(ms)
    assert starts.keys() == ends.keys(), f"every worker that started ended: {starts} {ends}"
    return [(starts[key], ends[key]) for key in starts]


def peak(intervals: list[tuple[int, int]]) -> int:
    """The most intervals alive at one moment (an end before a start at the same ms)."""
    events = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    alive = most = 0
    for _, delta in events:
        alive += delta
        most = max(most, alive)
    return most


def test_a_pipeline_submitted_with_resources_never_runs_more_workers_than_its_budget(service, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    control, _ = service
    with pytest.raises(
        ControlError,
        match=r"^spec: tasks\[0\]\.requires\.gpu is 2, more than the pipeline's resources\.gpu \(the budget has only 1\)",
    ) as refused:
        control.submit([line("greedy", 2, requires={"gpu": 2})], resources={"gpu": 1})
    assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(ValueError, match="requires.gpu must be a non-negative integer"):
        control.submit([line("t", 2, requires={"gpu": -1})], resources={"gpu": 1})
    assert control.list() == []

    intervals = tmp_path / "intervals.txt"
    # Each worker waits until 2 workers started before its first block: a budget of 2 is used at once.
    env = {"INTERVAL_FILE": str(intervals), "BARRIER_STARTS": "2", "BLOCK_DELAY_MS": "20"}
    launch = WorkerLaunch(["node", str(INTERVAL_WORKER)], env)
    tasks = [line(t, 6, num_workers=2, worker_launch=launch, requires={"gpu": 1}) for t in ("a", "b")]
    pipeline = control.submit(tasks, name="budget", resources={"gpu": 2})
    assert control.get(pipeline.pipeline_id).resources == {"gpu": 2}
    assert [t.requires for t in pipeline.tasks] == [{"gpu": 1}, {"gpu": 1}]
    events = list(control.watch(pipeline.pipeline_id))
    assert events[-1].status is PipelineStatus.SUCCEEDED
    # The end lines come as the workers exit, just after the pipeline ended.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        lines = intervals.read_text().splitlines()
        if sum(entry.startswith("end ") for entry in lines) == sum(entry.startswith("start ") for entry in lines):
            break
        time.sleep(0.05)
    assert peak(read_intervals(intervals)) == 2, intervals.read_text()


def test_the_python_pipeline_client_over_tls_with_tokens(tmp_path: Path) -> None:
    # serve FILE over TLS, with an operator token and the pipeline's worker token from --worker-token-file.
    _openssl_certificates(tmp_path)
    operator, worker = tmp_path / "operator.token", tmp_path / "worker.token"
    operator.write_text("operator-token-0123456789abcdef\n")
    worker.write_text("worker-token-0123456789abcdef\n")
    pipeline_file = tmp_path / "p.json"
    unit = {"offset": [0], "shape": [10]}
    pipeline_file.write_text(
        '{"tasks": [{"taskId": "t", "totalRoi": {"offset": [0], "shape": [40]}, '
        f'"readRoi": {json.dumps(unit)}, "writeRoi": {json.dumps(unit)}}}]}}'
    )
    port = free_port()
    tls = ["--tls-cert", str(tmp_path / "server.pem"), "--tls-key", str(tmp_path / "server.key")]
    tokens = ["--operator-token-file", str(operator), "--worker-token-file", str(worker)]
    process = subprocess.Popen(
        [
            "node",
            str(CLI),
            "serve",
            str(pipeline_file),
            "--listen",
            f"127.0.0.1:{port}",
            *tls,
            *tokens,
            "--progress",
            "none",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("DAISYCHAIN_")},
    )
    try:
        wait_for_port(port)
        ca = str(tmp_path / "ca.pem")
        with pytest.raises(ControlError) as refused:
            PipelineClient(f"127.0.0.1:{port}", tls_ca=ca).list()
        assert refused.value.code is grpc.StatusCode.UNAUTHENTICATED
        control = PipelineClient(f"127.0.0.1:{port}", tls_ca=ca, token="operator-token-0123456789abcdef")
        [pipeline] = control.list()
        assert control.get(pipeline.pipeline_id).status is PipelineStatus.RUNNING
        control.close()
        context = daisychain.Context(
            hostname="127.0.0.1", port=port, task_id="t", worker_id="py", pipeline_id=pipeline.pipeline_id, tls_ca=ca,
            worker_token="worker-token-0123456789abcdef",
        )  # fmt: skip
        client = daisychain.Client(context)
        done = 0
        while True:
            with client.acquire_block() as block:
                if block is None:
                    break
                done += 1
        client.close()
        assert done == 4
        # The pipeline done, serve FILE ends by itself, with every block succeeded.
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.terminate()
            process.communicate(timeout=30)
