"""daisy's ``run_blockwise``, ``Server`` and ``SerialServer``, with the TypeScript server holding the graph.

A run starts a daisychain server of its own (the one bundled in the
package), submits the tasks through the control plane, and has the server's
pools start each task's workers: ``python -m daisychain.driver.worker`` with
the task's functions shipped by cloudpickle. The driver watches the
pipeline, shows progress, prints daisy's summary, and stops the server.
"""

from __future__ import annotations

import contextlib
import queue
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import checks
from .. import logging as daisy_logging
from ..client import Client
from ..context import Context
from ..control import BlockFailure, ControlError, PipelineClient, PipelineEvent, PipelineStatus, TaskSpec, WorkerLaunch
from ..control import Pipeline as SubmittedPipeline
from .block_loop import process_blocks
from .log_echo import echo_worker_output
from .payload import WorkerPayload, write_payload
from .progress import ProgressObserver, TqdmObserver, summary_text
from .server_process import LocalServer
from .task import Pipeline, Task, to_pipeline
from .task_state import TaskState, task_state_from_wire
from .tracking import tracking_group_of

# The most often progress observers hear of a run; events in between are folded into the next call.
_PROGRESS_SECONDS = 0.1
# How long a cancelled run may take to hand its blocks back before the server is stopped anyway.
_CANCEL_SECONDS = 30.0

Tasks = Pipeline | Task | Sequence[Task]


@dataclass
class _RunOutcome:
    states: dict[str, TaskState]
    status: PipelineStatus
    cancel_reason: str = ""
    # The last failed attempt of each block, by (task id, block id).
    failures: dict[tuple[str, int], BlockFailure] = field(default_factory=dict)


class Server:
    """daisy's Server: ``run_blockwise(tasks)`` runs them with worker processes and returns their TaskStates."""

    def __init__(self, stop_event: object = None):
        # daisy 1.x's signature; a Ctrl-C (KeyboardInterrupt) is what stops a run here.
        del stop_event
        self.hostname: str | None = None
        self.port: int | None = None

    def run_blockwise(
        self, tasks: Tasks, resources: Mapping[str, int] | None = None, progress: object = True
    ) -> dict[str, TaskState]:
        pipeline = to_pipeline(tasks)
        order = pipeline.topological_order()
        for task in order:
            if task.process_function is None:
                raise ValueError(f"task {task.task_id!r} has no process_function: a driver's tasks need one")
        echo = daisy_logging.get_log_mode() in ("console", "both")
        with _own_server() as (run_dir, server):
            _import_grpc()
            server.wait_listening()
            self.hostname, self.port = server.host, server.port
            _call_init_callbacks(order, server)
            # After the callbacks: a function pickled by value takes the globals they may have set.
            specs = [_task_spec(task, pipeline, _launch(task, run_dir, unbuffered=echo)) for task in order]
            with PipelineClient(server.address) as control, echo_worker_output(server.log_dir, echo):
                submitted = _submit(control, specs, resources)
                outcome = _follow(control, submitted.pipeline_id, order, _observer(progress))
            _print_summary(outcome)
            return outcome.states


class SerialServer:
    """daisy's SerialServer: every block runs in this process, one at a time; the first exception propagates."""

    def run_blockwise(
        self, tasks: Tasks, resources: Mapping[str, int] | None = None, progress: object = False
    ) -> dict[str, TaskState]:
        pipeline = to_pipeline(tasks)
        order = pipeline.topological_order()
        for task in order:
            if task.process_function is None or task.spawns_workers:
                raise ValueError(f"task {task.task_id!r}: serial runs need a process_function that takes a block")
        with _own_server() as (_, server):
            _import_grpc()
            server.wait_listening()
            _call_init_callbacks(order, server)
            with PipelineClient(server.address) as control:
                pipeline_id = _submit(
                    control, [_task_spec(task, pipeline, None) for task in order], resources
                ).pipeline_id
                try:
                    # Upstream tasks first: each is done before the next starts, so one loop never waits on another.
                    for task in order:
                        _run_serially(task, server, pipeline_id)
                except BaseException:
                    with contextlib.suppress(ControlError):
                        control.cancel(pipeline_id, "a block raised in a serial run")
                    raise
                final = control.get(pipeline_id)
            states = {task.task_id: task_state_from_wire(final.states[task.task_id]) for task in order}
            _print_summary(_RunOutcome(states, final.status, final.cancel_reason))
            return states


def run_blockwise(
    tasks: Tasks,
    multiprocessing: bool = True,
    resources: Mapping[str, int] | None = None,
    progress: object = True,
    block_tracking: bool = True,
    return_states: bool = False,
) -> bool | dict[str, TaskState]:
    """Runs the tasks (a Pipeline, a Task, or daisy 1.x's list); True only if every block succeeded.

    ``multiprocessing=False`` runs every block in this process and lets the
    first exception propagate. ``resources`` is a budget (``{"gpu": 2}``)
    that the workers of tasks with ``requires`` share. ``progress`` is
    True (bars), False, or an observer such as ``JsonProgressObserver()``.
    A Ctrl-C cancels the run, stops its workers and raises KeyboardInterrupt.
    ``return_states=True`` (daisy 2.0.0) returns the TaskState of each task instead of the bool.
    Every task keeps done markers in daisy 2.0.0's layout (``Task(tracking_path=...)``, by default
    ``<log basedir>/tracking/<task_id>``, ``set_tracking_basedir``): a rerun skips the blocks marked there.
    ``block_tracking`` is accepted for daisy 2.0's signature (its resource measurements).
    """
    server: Server | SerialServer = Server() if multiprocessing else SerialServer()
    states = server.run_blockwise(tasks, resources=resources, progress=progress)
    if return_states:
        return states
    return all(state.succeeded for state in states.values())


@contextlib.contextmanager
def _own_server() -> Iterator[tuple[Path, LocalServer]]:
    """The run's directory (payloads, the server's address and output; removed after) and its server.

    The server is started, not yet listening: the caller prepares what it can meanwhile, then waits
    (``wait_listening``). It is stopped on the way out, whatever happened.
    """
    run_dir = Path(tempfile.mkdtemp(prefix="daisychain-run-"))
    try:
        server = LocalServer(_log_dir(run_dir), run_dir)
        try:
            yield run_dir, server.spawn()
        finally:
            server.stop()
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _import_grpc() -> None:
    # The control plane's grpcio takes about 60 ms to import: done while the server starts, not after.
    import grpc  # noqa: F401


def _log_dir(run_dir: Path) -> Path:
    # In "console" mode the files only carry the output to the terminal (log_echo), and go with the run.
    basedir = daisy_logging.get_log_basedir()
    if basedir is None or daisy_logging.get_log_mode() == "console":
        return run_dir / "logs"
    return basedir.resolve()


def _call_init_callbacks(order: Sequence[Task], server: LocalServer) -> None:
    # daisy calls it once per task before the task's workers start, with the context worker 0 would get; this
    # server holds one pipeline, so the context needs no pipeline id.
    for task in order:
        if task.init_callback_fn is not None:
            task.init_callback_fn(
                Context(hostname=server.host, port=str(server.port), task_id=task.task_id, worker_id="0")
            )


def _launch(task: Task, run_dir: Path, *, unbuffered: bool = False) -> WorkerLaunch:
    assert task.process_function is not None
    path = run_dir / f"{task.task_id}.payload"
    write_payload(
        path, WorkerPayload(task.task_id, task.process_function, task.spawns_workers, task.pre_check, task.post_check)
    )
    # Output echoed to the terminal is written as it comes, not when a buffer fills.
    env = {"PYTHONUNBUFFERED": "1"} if unbuffered else {}
    return WorkerLaunch([sys.executable, "-m", "daisychain.driver.worker", str(path)], env)


def _task_spec(task: Task, pipeline: Pipeline, launch: WorkerLaunch | None) -> TaskSpec:
    return TaskSpec(
        task_id=task.task_id,
        total_roi=task.total_roi,
        read_roi=task.read_roi,
        write_roi=task.write_roi,
        fit=task.fit,
        read_write_conflict=task.read_write_conflict,
        max_retries=task.max_retries,
        timeout=task.timeout,
        num_workers=task.num_workers,
        max_worker_restarts=task.max_worker_restarts,
        upstream_tasks=[upstream.task_id for upstream in pipeline.upstream_of(task)],
        worker_launch=launch,
        requires=dict(task.requires),
        tracking_path=tracking_group_of(task),
    )


def _submit(
    control: PipelineClient, specs: Sequence[TaskSpec], resources: Mapping[str, int] | None
) -> SubmittedPipeline:
    try:
        return control.submit(specs, name="run_blockwise", resources=resources)
    except ControlError as error:
        # The server checks a spec as it checks pipeline files; its message names the task and field.
        raise ValueError(f"daisychain refused the tasks: {error}") from None


def _run_serially(task: Task, server: LocalServer, pipeline_id: str) -> None:
    assert task.process_function is not None
    checks.install(checks.BlockChecks(task.task_id, task.pre_check, task.post_check))
    context = Context(
        hostname=server.host, port=str(server.port), task_id=task.task_id, worker_id="serial", pipeline_id=pipeline_id
    )
    client = Client(context)
    try:
        process_blocks(client, task.process_function, propagate=True)
    finally:
        client.close()
        checks.uninstall(task.task_id)


def _observer(progress: object) -> ProgressObserver | None:
    if progress is None or progress is False:
        return None
    if progress is True:
        return TqdmObserver()
    return progress  # type: ignore[return-value]


def _follow(
    control: PipelineClient, pipeline_id: str, order: Sequence[Task], observer: ProgressObserver | None
) -> _RunOutcome:
    """Watches the pipeline to its end, in a thread so that Ctrl-C reaches this one at once."""
    events: queue.Queue[PipelineEvent | BaseException | None] = queue.Queue()
    # Set with the event that ends the watch: a pause between progress updates ends at once then.
    ending = threading.Event()

    def watch() -> None:
        try:
            for event in control.watch(pipeline_id):
                events.put(event)
                if event.finished:
                    ending.set()
        except BaseException as error:  # noqa: BLE001 (handed to the main thread, which raises it)
            events.put(error)
        events.put(None)
        ending.set()

    threading.Thread(target=watch, name="daisychain-watch", daemon=True).start()
    ids = [task.task_id for task in order]
    outcome = _RunOutcome({task_id: TaskState() for task_id in ids}, PipelineStatus.RUNNING)
    started = False
    try:
        while True:
            event = events.get(timeout=None)
            batch = [event]
            # Fold the events that came meanwhile into one update.
            while batch[-1] is not None and not isinstance(batch[-1], BaseException) and not events.empty():
                batch.append(events.get_nowait())
            finished = _take(outcome, batch, ids)
            if observer is not None:
                if not started:
                    observer.on_start(outcome.states)
                    started = True
                if finished:
                    observer.on_finish(outcome.states)
                else:
                    observer.on_progress(outcome.states)
            if finished:
                return outcome
            if events.empty():
                # Observers hear of at most about ten updates a second; a short wait keeps Ctrl-C prompt.
                ending.wait(_PROGRESS_SECONDS)
    except KeyboardInterrupt:
        _cancel(control, pipeline_id, events, outcome, ids)
        if observer is not None and started:
            with contextlib.suppress(Exception):
                observer.on_finish(outcome.states)
        _print_summary(outcome)
        raise


def _take(outcome: _RunOutcome, batch: list[PipelineEvent | BaseException | None], ids: Sequence[str]) -> bool:
    for item in batch:
        if item is None:
            raise RuntimeError("the server ended the watch of the run before it finished")
        if isinstance(item, BaseException):
            raise RuntimeError(f"lost the daisychain server during the run: {item}") from item  # noqa: TRY004
        for task_id in ids:
            if task_id in item.states:
                outcome.states[task_id] = task_state_from_wire(item.states[task_id])
        if item.failure is not None:
            outcome.failures[(item.failure.task_id, item.failure.block_id)] = item.failure
        outcome.status = item.status
        outcome.cancel_reason = item.cancel_reason
        if item.finished:
            return True
    return False


def _cancel(
    control: PipelineClient,
    pipeline_id: str,
    events: queue.Queue[PipelineEvent | BaseException | None],
    outcome: _RunOutcome,
    ids: Sequence[str],
) -> None:
    """Cancels the run after a Ctrl-C and waits until the server took every block back."""
    with contextlib.suppress(ControlError):
        control.cancel(pipeline_id, "interrupted (Ctrl-C in the driver)")
    with contextlib.suppress(queue.Empty, RuntimeError, KeyboardInterrupt):
        while True:
            item = events.get(timeout=_CANCEL_SECONDS)
            if _take(outcome, [item], ids):
                return


def _kept_log_dir() -> Path | None:
    """Where the summary sends the reader for worker logs: none are kept in "console" mode."""
    return None if daisy_logging.get_log_mode() == "console" else daisy_logging.get_log_basedir()


def _print_summary(outcome: _RunOutcome) -> None:
    sys.stdout.write(summary_text(outcome.states, outcome.failures, _kept_log_dir(), outcome.cancel_reason))
    sys.stdout.flush()
