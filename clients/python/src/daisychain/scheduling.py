"""Running a worker process under Linux's SCHED_BATCH, as a worker pool asks (``scheduling=batch`` in its context).

With more workers than cores, a worker woken by its next block would
otherwise preempt the server (Linux's wake-up preemption) while the server is
still answering the other workers, and every worker would wait for the one
that woke. SCHED_BATCH keeps the process's share of the CPU (its nice value
is unchanged) and gives up only that preemption, which suits a worker's long
computations too. Elsewhere than Linux there is no such policy: nothing is done.
"""

from __future__ import annotations

import os


def run_as_batch() -> None:
    """Puts every thread of this process that runs under the default policy (SCHED_OTHER) under SCHED_BATCH.

    Threads under another policy (one the user chose: idle, real-time) are
    left alone; threads started later inherit the policy of the thread that
    starts them. A thread the kernel refuses to change is left as it is.
    """
    if not hasattr(os, "sched_setscheduler"):
        return
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]  # 0: the calling thread
    batch = os.sched_param(0)
    for tid in threads:
        try:
            if os.sched_getscheduler(tid) == os.SCHED_OTHER:
                os.sched_setscheduler(tid, os.SCHED_BATCH, batch)
        except OSError:
            pass  # a thread that ended meanwhile, or a kernel without SCHED_BATCH
