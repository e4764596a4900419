"""daisy's ``daisy.logging``: where worker output goes.

Workers the driver starts write ``<basedir>/<task_id>/worker_<id>.out`` and
``.err``, as daisy's do. daisy 2.0's ``set_log_mode`` chooses between
``"file"`` (the default), ``"console"`` (the driver's terminal only) and
``"both"``; ``set_log_basedir(None)`` means ``"console"``, as in daisy.
``set_log_level`` sets the level of daisychain's own loggers (daisy 2.0's
``"daisy"`` logger).
"""

from __future__ import annotations

import logging as _logging
import os
import sys
from pathlib import Path
from typing import IO, TextIO

LOG_BASEDIR: Path | None = Path("./daisy_logs")

LOG_MODES = ("console", "file", "both")
_log_mode = "file"
# The logger that daisychain's modules log under, as daisy 2.0's log under "daisy".
_logger = _logging.getLogger("daisychain")


def set_log_basedir(path: str | os.PathLike[str] | None) -> None:
    """The base directory of worker logs; None for none (output on the terminal)."""
    global LOG_BASEDIR
    LOG_BASEDIR = Path(path) if path is not None else None


def get_log_basedir() -> Path | None:
    return LOG_BASEDIR


def set_log_mode(mode: str) -> None:
    """Where worker output goes: ``"file"`` (the worker's ``.out``/``.err``), ``"console"`` (the driver's
    terminal only) or ``"both"``."""
    global _log_mode
    if mode not in LOG_MODES:
        raise ValueError(f"mode must be one of {LOG_MODES!r}, got {mode!r}")
    _log_mode = mode


def get_log_mode() -> str:
    """The mode in effect: ``"file"`` and ``"both"`` are ``"console"`` while the base directory is None."""
    return "console" if LOG_BASEDIR is None else _log_mode


def set_log_level(level: int | str) -> None:
    """The minimum level of daisychain's own log messages (``logging.WARNING``, ``"INFO"``, ...)."""
    _logger.setLevel(level)


def get_log_level() -> int:
    return _logger.level


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
