"""The daisychain server a Python driver starts for its run, and stops after it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from types import TracebackType

from ..runtime import server_command, server_environment

_START_SECONDS = 60.0
_STOP_SECONDS = 15.0
# How often a driver looks for the server's address while it starts (it takes about 0.1 s).
_POLL_SECONDS = 0.002


class ServerStartError(RuntimeError):
    """The server did not start: the message carries the end of its output."""


class LocalServer:
    """``daisychain serve`` on a free loopback port, owned by this process.

    It runs in its own session so that a Ctrl-C at the terminal reaches the
    driver only, which then cancels the run in order; it holds a pipe from
    the driver as its stdin and stops when that closes, so that it never
    outlives a driver that was killed.
    """

    def __init__(self, log_dir: Path, run_dir: Path):
        self.log_dir = log_dir
        self.run_dir = run_dir
        self.output_path = run_dir / "server.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self._address_file = run_dir / "address"
        self._spawned_at = 0.0

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> LocalServer:
        """Starts the server and waits until it listens."""
        return self.spawn().wait_listening()

    def spawn(self) -> LocalServer:
        """Starts the server's process without waiting: the caller may prepare its run meanwhile."""
        command = [
            *server_command(),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--address-file",
            str(self._address_file),
            "--log-dir",
            str(self.log_dir),
            "--flat-log-dir",
            "--progress",
            "none",
            "--exit-with-stdin",
        ]
        with open(self.output_path, "wb") as output:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=server_environment(),
            )
        self._spawned_at = time.monotonic()
        return self

    def wait_listening(self) -> LocalServer:
        """Waits until the spawned server listens (its address is known); raises ServerStartError if it does not."""
        assert self._process is not None, "spawn() first"
        if self.port:
            return self
        address_file = self._address_file
        deadline = self._spawned_at + _START_SECONDS
        while not address_file.exists():
            if self._process.poll() is not None:
                raise ServerStartError(
                    f"the daisychain server exited with status {self._process.returncode} at start:\n{self._output_tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(
                    f"the daisychain server did not listen within {_START_SECONDS:.0f} s:\n{self._output_tail()}"
                )
            time.sleep(_POLL_SECONDS)
        host, _, port = address_file.read_text().strip().rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        return self

    def stop(self) -> None:
        """Stops the server as SIGTERM does (pipelines cancelled, workers stopped), killing it if it hangs."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        try:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            # Its whole session: the workers it started go too.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        finally:
            if process.stdin is not None:
                process.stdin.close()

    def _output_tail(self, lines: int = 30) -> str:
        try:
            text = self.output_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> LocalServer:  # noqa: PYI034 (Self needs Python 3.11; the package supports 3.10)
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
