"""In-process scheduler benchmark, daisy side (daisy 1.2.3 or daisy 2.0.0).

One case per process, so that the peak RSS reported belongs to that case
alone. Prints one JSON line on stdout; the interface (arguments, JSON fields)
is the same as bench/scheduler/scheduler-bench.ts, the daisychain side.

Cases (3-D task, write ROI 10^3 with a context of 1 on each side, so a read
ROI of 12^3, ``fit="valid"``):

- ``conflict``: ~10^6 blocks (100 per axis) with ``read_write_conflict``;
  acquire and release (SUCCESS) every block, one at a time.
- ``no-conflict``: the same without read/write conflicts.
- ``first-block``: ~10^9 blocks (1000 per axis) with conflicts; time from
  constructing the Task and Scheduler to the first ``acquire_block``
  returning, in a fresh process;
- ``first-block-warm``: the same after a task of 1,000 blocks ran to the end
  in the process, as in a server that has already run a task.

``--scale`` (default: the ``BENCH_SCALE`` environment variable, else 1)
multiplies the block counts (the per-axis count by its cube root).
``--budget`` stops the run after that many seconds; the row is then marked
``extrapolated`` and its rate is the one measured over the blocks done.

Exit status: 0 on success, 1 when the implementation processed a number of
blocks other than expected, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import math
import os
import resource
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

# Loading the library is timed, as on the daisychain side.
_import_start = time.perf_counter()
import daisy
from funlib.geometry.roi import Roi

IMPORT_SECONDS = time.perf_counter() - _import_start

if TYPE_CHECKING:
    from types import FrameType

CASES = ("conflict", "no-conflict", "first-block", "first-block-warm")
WRITE = 10
CONTEXT = 1
TASK_ID = "bench"
CHECK_EVERY = 64  # blocks between clock reads
MARK_EVERY = 1024  # blocks between the marks that give the rate per half


class BudgetExceededError(Exception):
    """Raised by the alarm handler when a first-block run passes its budget."""


def blocks_per_axis(case: str, scale: float) -> int:
    base = 1000 if case.startswith("first-block") else 100
    return max(2, round(base * math.cbrt(scale)))


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss is
    in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def make_task(n: int, *, conflict: bool) -> Any:
    size = WRITE * n + 2 * CONTEXT
    task_class: Any = daisy.Task
    return task_class(
        TASK_ID,
        Roi((0, 0, 0), (size, size, size)),
        Roi((0, 0, 0), (WRITE + 2 * CONTEXT,) * 3),
        Roi((CONTEXT,) * 3, (WRITE,) * 3),
        process_function=lambda _block: None,
        read_write_conflict=conflict,
        fit="valid",
    )


def make_scheduler(task: Any) -> Any:
    # daisy 1.2.3 takes count_all_orphans (default True); daisy 2.0.0's
    # v1-compat Scheduler takes only the task list. Both get their defaults.
    scheduler_class: Any = daisy.Scheduler
    return scheduler_class([task])


def rates_per_half(marks: list[float], start: float, end: float, done: int) -> tuple[float | None, float | None]:
    """Blocks/s over the first and the second half of the blocks done (at
    MARK_EVERY granularity): tells whether the rate held during the run."""
    k = len(marks) // 2
    if k == 0:
        return None, None
    half_done = k * MARK_EVERY
    half_time = marks[k - 1]
    if half_time <= start or end <= half_time:
        return None, None
    return half_done / (half_time - start), (done - half_done) / (end - half_time)


def run_all_blocks(n: int, *, conflict: bool, budget: float | None) -> dict[str, Any]:
    expected = n**3
    success = daisy.BlockStatus.SUCCESS
    start = time.perf_counter()
    deadline = None if budget is None else start + budget
    task = make_task(n, conflict=conflict)
    scheduler = make_scheduler(task)
    done = 0
    stopped_by_budget = False
    marks: list[float] = []  # the clock when done reached MARK_EVERY * (i + 1)
    block = scheduler.acquire_block(TASK_ID)
    first_block_seconds = time.perf_counter() - start
    while block is not None:
        block.status = success
        scheduler.release_block(block)
        done += 1
        if done % CHECK_EVERY == 0:
            now = time.perf_counter()
            if done % MARK_EVERY == 0:
                marks.append(now)
            if deadline is not None and now >= deadline:
                stopped_by_budget = True
                break
        block = scheduler.acquire_block(TASK_ID)
    end = time.perf_counter()
    seconds = end - start
    first_half, second_half = rates_per_half(marks, start, end, done)
    completed = scheduler.task_states[TASK_ID].completed_count
    errors: list[str] = []
    if completed != done:
        errors.append(f"completed_count is {completed}, released {done} blocks")
    if not stopped_by_budget and done != expected:
        errors.append(f"processed {done} blocks, expected {expected}")
    return {
        "blocks_expected": expected,
        "blocks_done": done,
        "complete": not stopped_by_budget,
        "extrapolated": stopped_by_budget,
        "seconds": seconds,
        "blocks_per_s": done / seconds if seconds > 0 else None,
        "estimated_seconds": expected * seconds / done if done else None,
        "first_block_seconds": first_block_seconds,
        "rate_first_half": first_half,
        "rate_second_half": second_half,
        "errors": errors,
    }


def _on_alarm(_signum: int, _frame: FrameType | None) -> None:
    raise BudgetExceededError


def warm_up() -> None:
    """Schedules a task of 1,000 blocks to the end, as a server that already
    ran a task has done: the code the timed task takes has run before."""
    scheduler = make_scheduler(make_task(10, conflict=True))
    while (block := scheduler.acquire_block(TASK_ID)) is not None:
        block.status = daisy.BlockStatus.SUCCESS
        scheduler.release_block(block)


def run_first_block(n: int, budget: float | None, *, warm: bool = False) -> dict[str, Any]:
    expected = n**3
    if warm:
        warm_up()
    if budget is not None:
        # Pure-Python code (daisy 1.2.3) is interrupted by the alarm; native
        # code (daisy 2.0.0) only when it returns to the interpreter.
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, budget)
    start = time.perf_counter()
    try:
        task = make_task(n, conflict=True)
        scheduler = make_scheduler(task)
        block = scheduler.acquire_block(TASK_ID)
        seconds = time.perf_counter() - start
    except BudgetExceededError:
        return {
            "blocks_expected": expected,
            "blocks_done": 0,
            "complete": False,
            "extrapolated": False,
            "timed_out": True,
            "seconds": time.perf_counter() - start,
            "errors": [],
        }
    finally:
        if budget is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
    errors: list[str] = []
    if block is None:
        errors.append("the first acquire_block returned None")
    total = scheduler.task_states[TASK_ID].total_block_count
    if total != expected:
        errors.append(f"total_block_count is {total}, expected {expected}")
    return {
        "blocks_expected": expected,
        "blocks_done": 0 if block is None else 1,
        "complete": block is not None,
        "extrapolated": False,
        "seconds": seconds,
        "first_block_seconds": seconds,
        "errors": errors,
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, choices=CASES)
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("BENCH_SCALE", "1")),
        help="multiply block counts (default: $BENCH_SCALE or 1)",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=0.0,
        help="seconds before the run is stopped and extrapolated (0: none)",
    )
    parser.add_argument("--impl", default=None, help="label for the JSON line")
    args = parser.parse_args(argv)
    if not args.scale > 0:
        parser.error("--scale must be > 0")
    if args.budget < 0:
        parser.error("--budget must be >= 0")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    version = importlib.metadata.version("daisy")
    impl = args.impl or f"daisy {version}"
    budget = args.budget if args.budget > 0 else None
    n = blocks_per_axis(args.case, args.scale)
    gc.collect()
    baseline = peak_rss_mb()
    if args.case.startswith("first-block"):
        result = run_first_block(n, budget, warm=args.case == "first-block-warm")
    else:
        result = run_all_blocks(n, conflict=args.case == "conflict", budget=budget)
    errors: list[str] = result.pop("errors")
    record: dict[str, Any] = {
        "impl": impl,
        "version": version,
        "runtime": f"python {sys.version.split()[0]}",
        "case": args.case,
        "import_seconds": IMPORT_SECONDS,
        "scale": args.scale,
        "blocks_per_axis": n,
        "budget_seconds": budget,
        **result,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak_rss_mb(),
        "ok": not errors,
    }
    if errors:
        record["errors"] = errors
    print(json.dumps(record), flush=True)
    for error in errors:
        print(f"error: {impl} {args.case}: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
