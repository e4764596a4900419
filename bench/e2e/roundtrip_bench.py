"""One Work-stream round trip (prefetch 1) by transport, against one real server.

    .cache/venv-client/bin/python bench/e2e/roundtrip_bench.py [--trips N] [--repeats R] [--modes ...]

Starts ``daisychain serve`` (dist/ must be built) with one no-op task of many
blocks and no workerCommand, then, interleaved, R times per mode, N round trips
on a fresh Work stream: Hello, Acquire{1}, then loop "receive Block, send
Releases{release SUCCESS, acquire 1}". Modes:

- ``h2``: a single-threaded HTTP/2 client on python-hyper's h2 over a blocking
  socket with TCP_NODELAY (no gRPC library);
- ``grpcio``: a bare grpcio bidi loop (a request iterator fed by a queue);
- ``transport``: ``daisychain.transport.Stream`` with a reader thread handing
  blocks to the caller through a deque and a condition (as ``Client`` does);
- ``client``: ``daisychain.Client(prefetch=1)``, ``with client.acquire_block()``.

Prints wall, process CPU (all threads) and the server's CPU per round trip,
median and per run.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import socket
import statistics
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import grpc

import daisychain
from daisychain.v1 import scheduler_pb2 as pb
from daisychain.v1 import scheduler_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "dist" / "src" / "cli" / "main.js"
TASK = "rt"


def serve(directory: Path, blocks: int, tracking: bool = True) -> tuple[subprocess.Popen[bytes], int]:
    side = round(blocks ** (1 / 3)) + 1
    grid = [side, side, max(1, blocks // (side * side)) + 1]
    task = {
        "taskId": TASK,
        "totalRoi": {"offset": [0, 0, 0], "shape": [10 * n + 2 for n in grid]},
        "readRoi": {"offset": [0, 0, 0], "shape": [12, 12, 12]},
        "writeRoi": {"offset": [1, 1, 1], "shape": [10, 10, 10]},
        "readWriteConflict": False,
        **({} if tracking else {"trackingPath": False}),
    }
    pipeline = directory / "pipeline.json"
    pipeline.write_text(json.dumps({"tasks": [task]}))
    err = open(directory / "serve.err", "w+b")  # noqa: SIM115
    process = subprocess.Popen(
        ["node", str(CLI), "serve", str(pipeline), "--listen", "127.0.0.1:0", "--progress", "none"],
        stdout=subprocess.DEVNULL,
        stderr=err,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = (directory / "serve.err").read_text()
        found = re.search(r"DAISY_CONTEXT=\S*port=(\d+)", text)
        if found:
            return process, int(found.group(1))
        time.sleep(0.05)
    raise RuntimeError("the server did not print its DAISY_CONTEXT")


def server_cpu(process: subprocess.Popen[bytes]) -> float:
    """The server's CPU time so far (user + system, seconds; /proc, clock ticks)."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hello(worker: str) -> pb.WorkRequest:
    return pb.WorkRequest(hello=pb.Hello(task_id=TASK, worker_id=worker, language="python", pid=os.getpid()))


def next_request(block_id: int) -> pb.WorkRequest:
    return pb.WorkRequest(
        releases=pb.Releases(
            releases=[pb.Release(block_id=block_id, status=pb.BLOCK_STATUS_SUCCESS)], acquire=pb.Acquire(count=1)
        )
    )


def run_h2(port: int, trips: int, worker: str) -> None:
    import h2.config
    import h2.connection
    import h2.events

    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
    conn.initiate_connection()
    conn.increment_flow_control_window(1 << 24)
    sid = conn.get_next_available_stream_id()
    conn.send_headers(
        sid,
        [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", "/daisychain.v1.SchedulerService/Work"),
            (":authority", f"127.0.0.1:{port}"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ],
    )

    def send(request: pb.WorkRequest) -> None:
        body = request.SerializeToString()
        conn.send_data(sid, struct.pack(">BI", 0, len(body)) + body)
        sock.sendall(conn.data_to_send())

    buffer = bytearray()

    def receive() -> pb.WorkResponse:
        nonlocal buffer
        while True:
            if len(buffer) >= 5:
                size = struct.unpack_from(">I", buffer, 1)[0]
                if len(buffer) >= 5 + size:
                    message = pb.WorkResponse.FromString(bytes(buffer[5 : 5 + size]))
                    del buffer[: 5 + size]
                    return message
            data = sock.recv(65536)
            if not data:
                raise RuntimeError("connection closed")
            ended = []
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.DataReceived):
                    buffer += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, sid)
                elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                    ended.append(event)
            if ended:
                raise RuntimeError(f"stream ended: {ended[0]}")
            pending = conn.data_to_send()
            if pending:
                sock.sendall(pending)

    def block() -> int:
        while True:
            response = receive()
            if response.WhichOneof("message") == "blocks":
                return response.blocks.blocks[0].block_id

    send(hello(worker))
    send(pb.WorkRequest(acquire=pb.Acquire(count=1)))
    for _ in range(trips):
        send(next_request(block()))
    block()
    conn.end_stream(sid)
    sock.sendall(conn.data_to_send())
    sock.close()


def run_grpcio(port: int, trips: int, worker: str) -> None:
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    outbox: queue.Queue[pb.WorkRequest | None] = queue.Queue()

    def requests():
        while (item := outbox.get()) is not None:
            yield item

    outbox.put(hello(worker))
    outbox.put(pb.WorkRequest(acquire=pb.Acquire(count=1)))
    responses = scheduler_pb2_grpc.SchedulerServiceStub(channel).Work(requests())

    def block() -> int:
        for response in responses:
            if response.WhichOneof("message") == "blocks":
                return response.blocks.blocks[0].block_id
        raise RuntimeError("stream ended")

    for _ in range(trips):
        outbox.put(next_request(block()))
    block()
    outbox.put(None)
    for _ in responses:
        pass
    channel.close()


def run_client(port: int, trips: int, worker: str) -> None:
    context = daisychain.Context.parse(f"hostname=127.0.0.1:port={port}:task_id={TASK}:worker_id={worker}")
    client = daisychain.Client(context, prefetch=1)
    for _ in range(trips):
        with client.acquire_block() as block:
            assert block is not None
    client.close()


def run_transport(port: int, trips: int, worker: str) -> None:
    """daisychain.transport.Stream with a reader thread handing messages over (deque and condition), as Client does."""
    import threading
    from collections import deque

    from daisychain.transport import Stream

    stream = Stream("127.0.0.1", port, "/daisychain.v1.SchedulerService/Work")
    inbox: deque[int] = deque()
    arrived = threading.Condition()

    def read() -> None:
        while (message := stream.receive()) is not None:
            response = pb.WorkResponse.FromString(message)
            if response.WhichOneof("message") == "blocks":
                inbox.append(response.blocks.blocks[0].block_id)
                with arrived:
                    arrived.notify()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def block() -> int:
        with arrived:
            while not inbox:
                arrived.wait()
        return inbox.popleft()

    stream.send(hello(worker).SerializeToString())
    stream.send(pb.WorkRequest(acquire=pb.Acquire(count=1)).SerializeToString())
    for _ in range(trips):
        stream.send(next_request(block()).SerializeToString())
    block()
    stream.close_send()
    reader.join(5)
    stream.close()


MODES = {"h2": run_h2, "transport": run_transport, "grpcio": run_grpcio, "client": run_client}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trips", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--modes", nargs="+", default=list(MODES))
    parser.add_argument("--tracking", choices=("on", "off"), default="on", help="the task's done markers (default on)")
    args = parser.parse_args()
    print(f"load average at start {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    results: dict[str, list[tuple[float, float, float]]] = {m: [] for m in args.modes}
    with tempfile.TemporaryDirectory() as directory:
        blocks = (args.repeats + 1) * len(args.modes) * (args.trips + 10)
        process, port = serve(Path(directory), blocks, args.tracking == "on")
        try:
            for mode in args.modes:  # warm-up: imports, JIT of the server's paths
                MODES[mode](port, 200, f"warm-{mode}")
            for r in range(args.repeats):
                for mode in args.modes:
                    wall, cpu, server = time.perf_counter(), time.process_time(), server_cpu(process)
                    MODES[mode](port, args.trips, f"{mode}-{r}")
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    server = server_cpu(process) - server
                    results[mode].append(tuple(x / args.trips * 1e6 for x in (wall, cpu, server)))
        finally:
            process.kill()
            process.wait()
    print(f"load average at end   {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for mode, runs in results.items():
        wall, cpu, server = (statistics.median(run[i] for run in runs) for i in range(3))
        print(
            f"{mode:9s} wall {wall:6.0f} us/trip ({1e6 / wall:5.0f}/s)  CPU {cpu:6.0f} us/trip  server CPU {server:6.0f}"
            " us/trip  runs wall/cpu/server: " + ", ".join("/".join(f"{x:.0f}" for x in run) for run in runs)
        )


if __name__ == "__main__":
    main()
