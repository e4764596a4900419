"""End-to-end benchmark, daisy side (daisy 1.2.3 or daisy 2.0.0).

Times ``daisy.run_blockwise([task])`` from the call until it returns, worker
start-up and shut-down included, for a 3-D task whose block function does
nothing (the block is marked done when it returns): what is measured is the
scheduler, its server and its worker protocol, not the work.

The task: write ROI 10^3 with a context of 1 voxel on each side (read ROI
12^3), ``read_write_conflict=False``, ``fit="valid"``, no check function,
``--workers`` worker processes. The block grid is the near-cubic grid with
``--blocks`` blocks (exactly, when the number factors into three sides no
more than 4x apart; otherwise the nearest k x k x m grid); the JSON line gives
the count actually run.

Run with the python of either peer venv (``bash clients/python/env/make-venv.sh daisy1 daisy2``)::

    .cache/venv-daisy1/bin/python bench/e2e/daisy_e2e_bench.py --workers 2
    .cache/venv-daisy2/bin/python bench/e2e/daisy_e2e_bench.py --workers 2

Prints exactly one JSON line on stdout: impl, version, workers, blocks,
seconds, blocks_per_s, ok, errors (plus grid and blocks_requested). daisy's
progress bars, execution summary and worker output go to stderr or to
./daisy_logs in a temporary working directory that is removed afterwards.

Exit status: 0 on success, 1 when the run failed (run_blockwise returned
False or raised, the task state's counts are not the grid's, or the run was
still going after ``--budget`` seconds), 2 on bad arguments.

daisy 1.2.3 is measured as shipped: its TCP streams leave Nagle's algorithm
on, so a worker's ReleaseBlock + AcquireBlock pair waits for the server's
delayed ACK (~40 ms) and a worker manages only ~25 blocks/s, whatever the
CPU; with TCP_NODELAY patched in it does ~700 blocks/s. Hence its much
smaller default --blocks.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import math
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from typing import TYPE_CHECKING, Any

# DAISY_E2E_LIBRARY=daisychain runs this same driver with `import daisychain as daisy`: the Python driver row.
LIBRARY = os.environ.get("DAISY_E2E_LIBRARY", "daisy")
daisy: Any = importlib.import_module(LIBRARY)

if TYPE_CHECKING:
    from collections.abc import Iterator

WRITE = 10
CONTEXT = 1
TASK_ID = "e2e"
MAX_ELONGATION = 4  # longest side / shortest side accepted for an exact grid
# Blocks per run when --blocks is not given, by daisy major version, chosen so
# that a run takes a few seconds on the 2-core benchmark machine even with 1
# worker: daisy 1.2.3 manages ~25 blocks/s per worker (each block costs a
# request/response round trip that waits on TCP delayed ACKs), daisy 2.0.0
# several thousand.
DEFAULT_BLOCKS = {1: 200, 2: 20000}


def process_block(_block: Any) -> None:
    """The block function: a no-op. Both versions mark the block SUCCESS when
    it returns. Module-level so that daisy 1.2.3 (dill) and daisy 2.0.0
    (cloudpickle) can both ship it to their worker processes."""


def cbrt(x: float) -> float:
    # Not math.cbrt: the project's Python floor is 3.10.
    return math.exp(math.log(x) / 3)


def icbrt(n: int) -> int:
    """Integer cube root (floor), exact where the float one is off by one."""
    k = round(cbrt(n))
    while k**3 > n:
        k -= 1
    while (k + 1) ** 3 <= n:
        k += 1
    return k


def grid_shape(blocks: int) -> tuple[int, int, int]:
    """Block grid with ``blocks`` blocks, as close to a cube as possible: the
    shape barely matters without conflicts, but a cube keeps every axis's
    ROI arithmetic exercised and the coordinates small."""
    best: tuple[int, int, int] | None = None
    for a in range(1, icbrt(blocks) + 1):
        if blocks % a:
            continue
        rest = blocks // a
        for b in range(a, math.isqrt(rest) + 1):
            if rest % b == 0 and (best is None or rest // b < best[2]):
                best = (a, b, rest // b)
    if best is not None and best[2] <= MAX_ELONGATION * best[0]:
        return best
    # No balanced exact factorisation (a prime, say): the nearest k*k*m grid.
    k = max(1, round(cbrt(blocks)))
    return (k, k, max(1, round(blocks / (k * k))))


def make_task(grid: tuple[int, int, int], workers: int, major: int) -> Any:
    total = daisy.Roi((0, 0, 0), tuple(WRITE * n + 2 * CONTEXT for n in grid))
    read = daisy.Roi((0, 0, 0), (WRITE + 2 * CONTEXT,) * 3)
    write = daisy.Roi((CONTEXT,) * 3, (WRITE,) * 3)
    # daisy 2.0.0 renamed num_workers to max_workers; its v1-compat Task still
    # takes num_workers but warns on stderr at every construction.
    workers_kwarg = {"max_workers" if major >= 2 else "num_workers": workers}
    task_class: Any = daisy.Task
    return task_class(
        TASK_ID,
        total,
        read,
        write,
        process_function=process_block,
        read_write_conflict=False,
        fit="valid",
        **workers_kwarg,
    )


def record_task_states_v1(states: dict[str, Any]) -> None:
    """daisy 1.2.3's run_blockwise returns only a bool, and its Server (and
    with it the TaskStates) lives inside the call. Its run_blockwise attaches
    a CLMonitor observer to that Server; replacing the class it instantiates
    with a subclass that also keeps each task's live TaskState lets us read
    the counts afterwards, with daisy's own progress bar and summary intact."""
    from daisy import convenience  # only daisy 1.x has this module

    base: Any = convenience.CLMonitor

    class TaskStateRecorder(base):  # type: ignore[misc]
        def on_task_start(self, task_id: str, task_state: Any) -> None:
            states[task_id] = task_state
            super().on_task_start(task_id, task_state)

    convenience.CLMonitor = TaskStateRecorder


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Points file descriptor 1 at stderr: both versions print their
    execution summary with print(), and daisy 1.2.3's forked workers inherit
    the descriptor, so redirecting sys.stdout alone would not do."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user + system) of this process, and of its children that have exited and been waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def emit(record: dict[str, Any], out_fd: int) -> None:
    """Writes the JSON line to ``out_fd``, a duplicate of the original
    stdout taken before any redirection, so that the watchdog can report
    while descriptor 1 still points at stderr."""
    os.write(out_fd, (json.dumps(record, ensure_ascii=False) + "\n").encode())


def start_watchdog(budget: float, record: dict[str, Any], out_fd: int, workdir: str) -> threading.Timer:
    """Ends the process if run_blockwise is still running ``budget`` seconds
    after it was called, so that a hung run (a worker that never connects)
    cannot stall a whole benchmark series. A thread, not SIGALRM: daisy
    2.0.0's run loop is native code that never returns to the interpreter to
    run a signal handler. Workers exit on their own once the server's
    sockets close with the process."""

    def expire() -> None:
        errors = [f"run_blockwise did not return within the budget of {budget:g} s"]
        emit({**record, "seconds": budget, "blocks_per_s": None, "ok": False, "errors": errors}, out_fd)
        print(f"error: {record['impl']}: {errors[0]}", file=sys.stderr, flush=True)
        shutil.rmtree(workdir, ignore_errors=True)
        os._exit(1)

    timer = threading.Timer(budget, expire)
    timer.daemon = True
    timer.start()
    return timer


def run(
    grid: tuple[int, int, int], workers: int, major: int, *, progress: bool, tracking: bool
) -> tuple[float, list[str]]:
    """Runs the task; returns the wall time of run_blockwise and the errors."""
    expected = math.prod(grid)
    if major >= 2:
        # daisy 2.0.0 tracks done blocks only under a basedir set here; daisychain tracks by default
        # (under the log dir). Both take the same call, so either side does the same work.
        daisy.set_tracking_basedir(os.path.abspath("tracking") if tracking else None)
    task = make_task(grid, workers, major)
    errors: list[str] = []
    states: dict[str, Any] = {}
    if major < 2:
        record_task_states_v1(states)
    start = time.perf_counter()
    try:
        with stdout_to_stderr():
            if major >= 2:
                # return_states gives the TaskStates instead of the bool; the
                # bool is, by daisy 2.0.0's definition, "every task's
                # completed_count equals its total_block_count", checked below.
                states = daisy.run_blockwise([task], return_states=True, progress=progress)
                succeeded = all(s.completed_count == s.total_block_count for s in states.values())
            else:
                # True here only means no block is left pending: daisy 1.2.3
                # also returns True when blocks failed, hence the count check.
                succeeded = daisy.run_blockwise([task])
    except Exception as error:  # noqa: BLE001 -- a crashed run is a result to report
        seconds = time.perf_counter() - start
        return seconds, [f"run_blockwise raised {type(error).__name__}: {error}"]
    seconds = time.perf_counter() - start
    if not succeeded:
        errors.append("run_blockwise returned False")
    state = states.get(TASK_ID)
    if state is None:
        errors.append(f"no task state for task {TASK_ID!r}")
    else:
        if state.total_block_count != expected:
            errors.append(f"total_block_count is {state.total_block_count}, expected {expected}")
        if state.completed_count != expected:
            errors.append(f"completed_count is {state.completed_count}, expected {expected}")
    return seconds, errors


def parse_args(argv: list[str], major: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument(
        "--blocks",
        type=int,
        default=DEFAULT_BLOCKS.get(major, DEFAULT_BLOCKS[2]),
        help=f"number of blocks (default for this daisy: {DEFAULT_BLOCKS.get(major, DEFAULT_BLOCKS[2])})",
    )
    parser.add_argument("--impl", default=None, help="label for the JSON line (default: 'daisy <version>')")
    parser.add_argument(
        "--budget",
        type=float,
        default=0.0,
        help="seconds after which a run still going is abandoned and reported failed (0: none)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="daisy 2.x only: run_blockwise(progress=False), no tqdm bar (daisy 1.2.3 always shows one)",
    )
    parser.add_argument(
        "--tracking",
        choices=("on", "off"),
        default="off",
        help="daisy 2.x and daisychain: keep done markers (set_tracking_basedir); default off, daisy 2.0.0's default",
    )
    parser.add_argument(
        "--keep-workdir",
        action="store_true",
        help="keep the temporary working directory (daisy_logs) and print its path on stderr",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    if args.blocks < 1:
        parser.error("--blocks must be >= 1")
    if args.budget < 0:
        parser.error("--budget must be >= 0")
    if args.tracking == "on" and major < 2:
        parser.error("--tracking on needs daisy 2.x: daisy 1.2.3 keeps no done markers")
    if args.no_progress and major < 2:
        parser.error("--no-progress needs daisy 2.x: daisy 1.2.3's run_blockwise always shows its progress bar")
    return args


def main(argv: list[str]) -> int:
    version = importlib.metadata.version(LIBRARY)
    # daisychain's driver speaks daisy 2.0's API (max_workers, return_states).
    major = int(version.split(".")[0]) if LIBRARY == "daisy" else 2
    args = parse_args(argv, major)
    grid = grid_shape(args.blocks)
    blocks = math.prod(grid)
    record: dict[str, Any] = {
        "impl": args.impl or f"{LIBRARY} {version}",
        "version": version,
        "workers": args.workers,
        "blocks": blocks,
        "blocks_requested": args.blocks,
        "grid": list(grid),
        "tracking": args.tracking == "on",
    }
    print(f"{record['impl']}: {args.workers} workers, {blocks} blocks (grid {grid})", file=sys.stderr, flush=True)
    out_fd = os.dup(1)
    home = os.getcwd()
    workdir = tempfile.mkdtemp(prefix="daisy-e2e-")
    # Relative paths (daisy_logs) resolve against the cwd in the server and,
    # inherited, in every worker: run where they can be thrown away.
    os.chdir(workdir)
    watchdog = start_watchdog(args.budget, record, out_fd, workdir) if args.budget > 0 else None
    cpu_before = cpu_seconds()
    try:
        seconds, errors = run(grid, args.workers, major, progress=not args.no_progress, tracking=args.tracking == "on")
    finally:
        if watchdog is not None:
            watchdog.cancel()
        os.chdir(home)
        if args.keep_workdir:
            print(f"workdir kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    # daisy 2.0.0's workers are threads of this process; daisychain's and daisy 1.2.3's are processes
    # (waited for by the time run_blockwise returns), daisychain's server one of them.
    driver_cpu, children_cpu = (after - before for after, before in zip(cpu_seconds(), cpu_before, strict=True))
    record.update(
        {
            "driver_cpu_us_per_block": round(driver_cpu * 1e6 / blocks, 1),
            "children_cpu_us_per_block": round(children_cpu * 1e6 / blocks, 1),
            "seconds": seconds,
            "blocks_per_s": blocks / seconds if seconds > 0 else None,
            "ok": not errors,
            "errors": errors,
        }
    )
    emit(record, out_fd)
    for error in errors:
        print(f"error: {record['impl']}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
