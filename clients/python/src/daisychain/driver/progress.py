"""What a run shows while it goes: daisy's tqdm bars, daisy 2.0's JSON lines, and the summary at the end.

An observer has ``on_start(states)``, ``on_progress(states)`` and
``on_finish(states)``, each given the TaskState of every task by id, as in
daisy 2.0; ``run_blockwise(progress=...)`` takes any such object.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, Protocol

from ..control import BlockFailure
from .task_state import TaskState


class ProgressObserver(Protocol):
    def on_start(self, states: Mapping[str, TaskState]) -> None: ...
    def on_progress(self, states: Mapping[str, TaskState]) -> None: ...
    def on_finish(self, states: Mapping[str, TaskState]) -> None: ...


def _symbol(state: TaskState) -> str:
    if state.failed_count > 0 or state.abandoned:
        return "✗"
    if state.orphaned_count > 0:
        return "∅"
    return "✔" if state.is_done() else "▶"


class TqdmObserver:
    """One tqdm bar per task, in the order upstream tasks first."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}

    def _bar(self, task_id: str, state: TaskState) -> Any:
        bar = self._bars.get(task_id)
        if bar is None:
            from tqdm.auto import tqdm

            bar = tqdm(
                total=state.total_block_count, desc=f"{task_id} ▶", unit="blocks", leave=True, dynamic_ncols=True
            )
            self._bars[task_id] = bar
        return bar

    def on_start(self, states: Mapping[str, TaskState]) -> None:
        for task_id, state in states.items():
            self._bar(task_id, state)

    def on_progress(self, states: Mapping[str, TaskState]) -> None:
        for task_id, state in states.items():
            bar = self._bar(task_id, state)
            # The counts first, so that the redraw update() makes shows them with the bar.
            if state.worker_restart_count:
                bar.set_description(f"{task_id} ▶ ♻={state.worker_restart_count}", refresh=False)
            bar.set_postfix(
                {
                    "⧗": state.pending_count,
                    "▶": state.processing_count,
                    "✔": state.completed_count,
                    "✗": state.failed_count,
                    "∅": state.orphaned_count,
                },
                refresh=False,
            )
            if state.completed_count > bar.n:
                bar.update(state.completed_count - bar.n)

    def on_finish(self, states: Mapping[str, TaskState]) -> None:
        self.on_progress(states)
        for task_id, state in states.items():
            bar = self._bar(task_id, state)
            restarts = f" ♻={state.worker_restart_count}" if state.worker_restart_count else ""
            bar.set_description(f"{task_id} {_symbol(state)}{restarts}", refresh=True)
            bar.close()


class JsonProgressObserver:
    """daisy 2.0's observer: one JSON line per task per event (``start``, ``progress``, ``finish``).

    To ``path`` (a file it opens and closes), to ``stream``, or to stdout.
    """

    def __init__(self, path: str | Path | None = None, stream: IO[str] | None = None):
        if path is not None and stream is not None:
            raise ValueError("specify path OR stream, not both")
        self._owns_sink = path is not None
        if path is not None:
            self._sink: IO[str] = open(path, "w", buffering=1)  # noqa: SIM115 (closed at on_finish)
        else:
            self._sink = stream if stream is not None else sys.stdout

    def _emit(self, event: str, states: Mapping[str, TaskState]) -> None:
        now = time.time()
        for task_id, state in states.items():
            line = {
                "t": now,
                "event": event,
                "task": task_id,
                "total": state.total_block_count,
                "ready": state.ready_count,
                "processing": state.processing_count,
                "completed": state.completed_count,
                "skipped": state.skipped_count,
                "failed": state.failed_count,
                "orphaned": state.orphaned_count,
                "restarts": state.worker_restart_count,
                "failures": state.worker_failure_count,
            }
            self._sink.write(json.dumps(line) + "\n")
        self._sink.flush()

    def on_start(self, states: Mapping[str, TaskState]) -> None:
        self._emit("start", states)

    def on_progress(self, states: Mapping[str, TaskState]) -> None:
        self._emit("progress", states)

    def on_finish(self, states: Mapping[str, TaskState]) -> None:
        self._emit("finish", states)
        if self._owns_sink:
            self._sink.close()


def summary_text(
    states: Mapping[str, TaskState],
    failures: Mapping[tuple[str, int], BlockFailure],
    log_dir: Path | None,
    cancel_reason: str,
) -> str:
    """daisy's "Execution Summary": a row per task, then each block that failed for good, with its traceback."""
    lines = ["", "Execution Summary", "-----------------", ""]
    width = max([len("task"), *(len(t) for t in states)]) + 2
    lines.append(
        f"    {'task':<{width}}  {'blocks':>7}  {'completed':>10}  {'skipped':>7}  {'failed':>6}  {'orphaned':>8}"
    )
    lines.append("    " + "  ".join("─" * w for w in (width, 7, 10, 7, 6, 8)))
    for task_id, s in states.items():
        name = f"{task_id} {_symbol(s)}"
        lines.append(
            f"    {name:<{width}}  {s.total_block_count:>7}  {s.completed_count:>10}  {s.skipped_count:>7}  {s.failed_count:>6}  {s.orphaned_count:>8}"
        )
    if cancel_reason:
        lines += ["", f"    The run was cancelled: {cancel_reason}"]
    permanent = [f for f in failures.values() if f.permanent]
    if permanent:
        lines += ["", f"    {len(permanent)} block(s) failed for good:"]
        for failure in permanent[:20]:
            where = f" (worker {failure.worker_id})" if failure.worker_id else ""
            lines.append(
                f"      {failure.task_id} block {failure.block_id}, attempt {failure.attempt + 1}{where}: {failure.error}"
            )
            for trace_line in failure.traceback.rstrip().splitlines():
                lines.append(f"        {trace_line}")
        if len(permanent) > 20:
            lines.append(f"      ... and {len(permanent) - 20} more")
    failed_tasks = [t for t, s in states.items() if s.failed_count > 0]
    if failed_tasks and log_dir is not None:
        lines.append("")
        for task_id in failed_tasks:
            lines.append(f"    See the worker logs of {task_id} under {log_dir / task_id}/")
    return "\n".join(lines) + "\n"
