"""daisy's check functions, applied where a worker takes and hands back blocks.

A driver's tasks may carry a pre-check (True: the block is already done and
is skipped, counted completed, without running) and a post-check (not True
after a run: the attempt failed). The worker processes the driver starts
install them here by task id, and every ``Client`` of that task in the
process applies them, so that daisy's "start a worker" functions, which run
their own ``Client`` loop, get the same semantics as block functions.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any, NamedTuple

logger = logging.getLogger(__name__)


class BlockChecks(NamedTuple):
    task_id: str
    pre: Callable[[Any], Any] | None = None
    post: Callable[[Any], Any] | None = None

    def done_before(self, block: Any) -> bool:
        """daisy's pre-check: only True is "done"; an exception counts as not done (and is logged)."""
        if self.pre is None:
            return False
        try:
            return self.pre(block) is True
        except Exception:
            logger.exception("the pre-check of task %r failed on block %s; running the block", self.task_id, block.id)
            return False

    def failed_after(self, block: Any) -> tuple[str, str] | None:
        """The post-check's verdict on a block that ran: None when done, else (error, traceback)."""
        if self.post is None:
            return None
        try:
            if self.post(block) is True:
                return None
        except Exception as error:  # noqa: BLE001 (daisy: a check that raises found the block not done)
            return (
                f"the post-check of task {self.task_id!r} failed on block {block.id}: {type(error).__name__}: {error}",
                traceback.format_exc(),
            )
        return (f"the post-check of task {self.task_id!r} found block {block.id} not done", "")


_installed: dict[str, BlockChecks] = {}


def install(checks: BlockChecks) -> None:
    """Every Client of ``checks.task_id`` made in this process from now on applies them."""
    _installed[checks.task_id] = checks


def uninstall(task_id: str) -> None:
    _installed.pop(task_id, None)


def for_task(task_id: str) -> BlockChecks | None:
    return _installed.get(task_id)
