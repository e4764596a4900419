"""Where the driver's tasks keep their done markers (daisy 2.0.0's block tracking).

daisy 2.0.0 tracks a task only when ``daisy.set_tracking_basedir(path)`` was
called or the task names ``tracking_path``; daisychain tracks every task by
default, under ``<log basedir>/tracking/<task_id>/`` (``daisy_logs/tracking``),
in daisy 2.0.0's layout, so that a rerun resumes and a run moves between
daisy and daisychain. ``set_tracking_basedir(None)`` turns the default off.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .. import logging as daisy_logging

if TYPE_CHECKING:
    from .task import Task

#: The directory under the log basedir where tasks are tracked by default.
TRACKING_DIR = "tracking"


class _Default:
    """No basedir was set: ``<log basedir>/tracking``."""


_DEFAULT = _Default()
_basedir: Path | None | _Default = _DEFAULT


def set_tracking_basedir(path: str | os.PathLike[str] | None) -> None:
    """The base directory of the tasks' tracking groups (``<path>/<task_id>/``); None: tasks without a
    ``tracking_path`` are not tracked."""
    global _basedir
    _basedir = Path(path) if path is not None else None


def use_default_tracking_basedir() -> None:
    """Back to the default: ``<log basedir>/tracking``."""
    global _basedir
    _basedir = _DEFAULT


def get_tracking_basedir() -> Path | None:
    """The base directory in effect: the one set, else ``<log basedir>/tracking`` (None without a log basedir)."""
    if isinstance(_basedir, _Default):
        logs = daisy_logging.get_log_basedir()
        return None if logs is None else logs / TRACKING_DIR
    return _basedir


def set_done_marker_basedir(path: str | os.PathLike[str] | None) -> None:
    """Deprecated alias of ``set_tracking_basedir`` (as in daisy 2.0.0)."""
    warnings.warn(
        "set_done_marker_basedir() is deprecated; use set_tracking_basedir()", DeprecationWarning, stacklevel=2
    )
    set_tracking_basedir(path)


def get_done_marker_basedir() -> Path | None:
    """Deprecated alias of ``get_tracking_basedir``."""
    warnings.warn(
        "get_done_marker_basedir() is deprecated; use get_tracking_basedir()", DeprecationWarning, stacklevel=2
    )
    return get_tracking_basedir()


def tracking_group_of(task: Task) -> str | Literal[False]:
    """The absolute path of the task's tracking group, or False when it is not tracked.

    Resolved here rather than by the server: the driver's server runs in a directory of its own.
    """
    if task.tracking_path is False:
        return False
    if task.tracking_path is not None and task.tracking_path is not True:
        return str(Path(task.tracking_path).resolve())
    basedir = get_tracking_basedir()
    return False if basedir is None else str((basedir / task.task_id).resolve())
