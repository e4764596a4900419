"""daisy's TaskState: the counts of one task, as the server keeps them."""

from __future__ import annotations

from dataclasses import dataclass

from ..control import TaskState as WireTaskState


@dataclass
class TaskState:
    """Where a task stands; ``completed_count`` includes the blocks skipped as done."""

    started: bool = False
    total_block_count: int = 0
    ready_count: int = 0
    processing_count: int = 0
    pending_count: int = 0
    completed_count: int = 0
    skipped_count: int = 0
    failed_count: int = 0
    orphaned_count: int = 0
    # Worker processes that exited without being asked to, and those started again in their place.
    worker_failure_count: int = 0
    worker_restart_count: int = 0
    # The server gave up on the task (its workers kept crashing).
    abandoned: bool = False
    _done: bool = False

    def is_done(self) -> bool:
        """Every block is completed, failed or orphaned."""
        return self._done

    @property
    def succeeded(self) -> bool:
        """Every block completed (or was skipped as done)."""
        return self._done and self.failed_count == 0 and self.orphaned_count == 0 and not self.abandoned

    def __str__(self) -> str:
        return (
            f"Started: {self.started}\nTotal Blocks: {self.total_block_count}\nReady: {self.ready_count}\n"
            f"Processing: {self.processing_count}\nPending: {self.pending_count}\nCompleted: {self.completed_count}\n"
            f"Skipped: {self.skipped_count}\nFailed: {self.failed_count}\nOrphaned: {self.orphaned_count}\n"
        )


def task_state_from_wire(state: WireTaskState) -> TaskState:
    return TaskState(
        started=state.started,
        total_block_count=state.total_block_count,
        ready_count=state.ready_count,
        processing_count=state.processing_count,
        pending_count=state.pending_count,
        completed_count=state.completed_count,
        skipped_count=state.skipped_count,
        failed_count=state.failed_count,
        orphaned_count=state.orphaned_count,
        worker_failure_count=state.worker_failure_count,
        worker_restart_count=state.worker_restart_count,
        abandoned=state.abandoned,
        _done=state.done,
    )
