"""Worker processes under SCHED_BATCH: daisychain.scheduling, and a real pool that asks for it (Linux only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_client import line_task, run_pipeline

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setscheduler"), reason="SCHED_BATCH is Linux's")

HERE = Path(__file__).resolve().parent
PROBE_WORKER = HERE / "scheduling_probe_worker.py"

# Threads started before the call, one of them under a policy of the user's (SCHED_IDLE), and one after.
POLICIES_SCRIPT = """
import os, threading
from daisychain.scheduling import run_as_batch

release = threading.Event()
ready = threading.Barrier(3)
def idle():
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    ready.wait(); release.wait()
def plain():
    ready.wait(); release.wait()
threads = [threading.Thread(target=idle, name="idle"), threading.Thread(target=plain, name="plain")]
for t in threads: t.start()
ready.wait()
run_as_batch()
later = threading.Thread(target=release.wait, name="later"); later.start()
for t in [*threads, later]:
    print(t.name, os.sched_getscheduler(t.native_id))
print("main", os.sched_getscheduler(0))
release.set()
"""


def test_run_as_batch_moves_the_default_policy_threads_and_leaves_a_chosen_one() -> None:
    result = subprocess.run(
        [sys.executable, "-c", POLICIES_SCRIPT], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    policies = dict(line.split() for line in result.stdout.splitlines())
    assert policies == {
        "idle": str(os.SCHED_IDLE),
        "plain": str(os.SCHED_BATCH),
        "later": str(os.SCHED_BATCH),
        "main": str(os.SCHED_BATCH),
    }


def run_probed(tmp_path: Path, **env: str) -> list[int]:
    """Runs a 5-block task of one probe worker through the real CLI and pool; the policies of its threads."""
    probe = tmp_path / "probe.txt"
    command = ["env", f"PROBE_FILE={probe}", sys.executable, str(PROBE_WORKER)]
    result = run_pipeline(tmp_path, [line_task("probed", 5, numWorkers=1, workerCommand=command)], env)
    assert result.returncode == 0, result.stderr
    return [int(line.split()[1]) for line in probe.read_text().splitlines()]


def test_a_pool_worker_runs_under_sched_batch(tmp_path: Path) -> None:
    policies = run_probed(tmp_path)
    assert len(policies) >= 3, policies  # the caller's thread, the client's reader and flusher
    assert set(policies) == {os.SCHED_BATCH}, policies


def test_a_server_told_normal_leaves_its_workers_policy_alone(tmp_path: Path) -> None:
    policies = run_probed(tmp_path, DAISYCHAIN_WORKER_SCHEDULING="normal")
    assert len(policies) >= 3, policies
    assert set(policies) == {os.SCHED_OTHER}, policies


def test_a_server_refuses_a_scheduling_it_does_not_know(tmp_path: Path) -> None:
    task = line_task("probed", 5, numWorkers=1, workerCommand=[sys.executable, str(PROBE_WORKER)])
    result = run_pipeline(tmp_path, [task], {"DAISYCHAIN_WORKER_SCHEDULING": "fifo"})
    assert result.returncode != 0
    assert 'DAISYCHAIN_WORKER_SCHEDULING must be batch or normal, got "fifo"' in result.stderr
