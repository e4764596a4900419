"""daisy's ``daisy.logging``: where worker output goes.

Workers the driver starts write ``<basedir>/<task_id>/worker_<id>.out`` and
``.err``, as daisy's do; ``set_log_basedir(None)`` sends their output to
the driver's terminal instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO, TextIO

LOG_BASEDIR: Path | None = Path("./daisy_logs")


def set_log_basedir(path: str | os.PathLike[str] | None) -> None:
    """The base directory of worker logs; None for none (output on the terminal)."""
    global LOG_BASEDIR
    LOG_BASEDIR = Path(path) if path is not None else None


def get_log_basedir() -> Path | None:
    return LOG_BASEDIR


def get_worker_log_basename(worker_id: int | str, task_id: str | None = None) -> Path | None:
    """``<basedir>[/<task_id>]/worker_<worker_id>``, or None when logs are off."""
    basename = get_log_basedir()
    if basename is None:
        return None
    if task_id is not None:
        basename = basename / task_id
    return basename / f"worker_{worker_id}"


def redirect_stdouterr(basename: str | os.PathLike[str] | None, mode: str = "w") -> None:
    """Sends this process's stdout and stderr (file descriptors 1 and 2 too) to ``<basename>.out`` / ``.err``."""
    if basename is None:
        return
    base = Path(basename)
    base.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout = _reopen(base.with_name(base.name + ".out"), mode, sys.__stdout__)
    sys.stderr = _reopen(base.with_name(base.name + ".err"), mode, sys.__stderr__)


def _reopen(path: Path, mode: str, original: TextIO | None) -> IO[str]:
    # dup2 onto the original descriptor so that output of C extensions and child processes follows.
    replacement = open(path, mode)  # noqa: SIM115 (it replaces sys.stdout for the process's lifetime)
    if original is not None:
        try:
            os.dup2(replacement.fileno(), original.fileno())
        except (OSError, ValueError):
            pass
    return replacement
