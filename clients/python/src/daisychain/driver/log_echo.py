"""Worker output on the driver's terminal (daisy's log modes ``"console"`` and ``"both"``).

The server's pool writes each worker's stdout and stderr to
``<log dir>/<task_id>/worker_<id>.out`` and ``.err``; while a run lasts, a
thread of the driver copies what they gain to the driver's stdout and
stderr, and once more when the run ends, so that nothing is left behind.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

_POLL_SECONDS = 0.1


class LogEcho:
    """Copies the growth of ``<log_dir>/*/worker_*.out`` to stdout and of ``.err`` to stderr."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self._offsets: dict[Path, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="daisychain-log-echo", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.copy_new_output()

    def copy_new_output(self) -> None:
        for path in sorted(self.log_dir.glob("*/worker_*.*")):
            target = sys.stdout if path.suffix == ".out" else sys.stderr if path.suffix == ".err" else None
            if target is not None:
                self._copy(path, target)

    def _copy(self, path: Path, target: TextIO) -> None:
        offset = self._offsets.get(path, 0)
        try:
            with open(path, "rb") as file:
                file.seek(offset)
                data = file.read()
        except OSError:
            return
        # Whole lines only while the worker may still be writing the rest.
        end = data.rfind(b"\n") + 1 if not self._stop.is_set() else len(data)
        if end <= 0:
            return
        self._offsets[path] = offset + end
        target.write(data[:end].decode(errors="replace"))
        target.flush()

    def _run(self) -> None:
        while not self._stop.wait(_POLL_SECONDS):
            self.copy_new_output()


@contextlib.contextmanager
def echo_worker_output(log_dir: Path, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    echo = LogEcho(log_dir)
    echo.start()
    try:
        yield
    finally:
        echo.stop()
