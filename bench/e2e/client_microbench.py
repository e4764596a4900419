"""Per-block cost of the Python worker client against a real server.

    .cache/venv-client/bin/python bench/e2e/client_microbench.py [--blocks N] [--prefetch K ...] [--repeats R] [--profile]

Starts ``daisychain serve`` (dist/ must be built) with one 3-D no-op task per
run (the e2e bench's blocks: write ROI 10^3, read ROI 12^3, no conflicts),
runs one in-process ``daisychain.Client`` over every block
(``with client.acquire_block()``) and prints, per prefetch, the wall time and
the client process's CPU time (every thread of it: the caller, the gRPC
threads) per block, the median over the repeats. With ``--profile`` the last
run of each prefetch is profiled with cProfile (caller thread only) and the
top functions are printed to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import daisychain

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "dist" / "src" / "cli" / "main.js"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(directory: Path, blocks: int) -> tuple[subprocess.Popen[bytes], int]:
    side = round(blocks ** (1 / 3))
    grid = [side, side, max(1, blocks // (side * side))]
    task = {
        "taskId": "micro",
        "totalRoi": {"offset": [0, 0, 0], "shape": [10 * n + 2 for n in grid]},
        "readRoi": {"offset": [0, 0, 0], "shape": [12, 12, 12]},
        "writeRoi": {"offset": [1, 1, 1], "shape": [10, 10, 10]},
        "readWriteConflict": False,
    }
    pipeline = directory / "pipeline.json"
    pipeline.write_text(json.dumps({"tasks": [task]}))
    port = free_port()
    process = subprocess.Popen(
        ["node", str(CLI), "serve", str(pipeline), "--listen", f"127.0.0.1:{port}", "--progress", "none"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return process, port
        time.sleep(0.05)
    raise RuntimeError("the server did not start listening")


def run_once(blocks: int, prefetch: int, profile: bool) -> tuple[int, float, float]:
    with tempfile.TemporaryDirectory() as directory:
        process, port = serve(Path(directory), blocks)
        try:
            context = daisychain.Context.parse(f"hostname=127.0.0.1:port={port}:task_id=micro:worker_id=m")
            client = daisychain.Client(context, prefetch=prefetch)
            profiler = cProfile.Profile() if profile else None
            done = 0
            wall, cpu = time.perf_counter(), time.process_time()
            if profiler is not None:
                profiler.enable()
            while True:
                with client.acquire_block() as block:
                    if block is None:
                        break
                    done += 1
            if profiler is not None:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            client.close()
            if profiler is not None:
                pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        finally:
            process.kill()
            process.wait()
    return done, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=20000)
    parser.add_argument("--prefetch", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    print(f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for prefetch in args.prefetch:
        walls, cpus = [], []
        for r in range(args.repeats):
            done, wall, cpu = run_once(args.blocks, prefetch, args.profile and r == args.repeats - 1)
            walls.append(wall / done * 1e6)
            cpus.append(cpu / done * 1e6)
        print(
            f"prefetch {prefetch:3d}: {done} blocks, wall {statistics.median(walls):6.1f} us/block "
            f"({done / (statistics.median(walls) * done / 1e6):,.0f} blocks/s), "
            f"client CPU {statistics.median(cpus):6.1f} us/block  (runs: "
            + ", ".join(f"{w:.0f}/{c:.0f}" for w, c in zip(walls, cpus))
            + ")"
        )


if __name__ == "__main__":
    main()
