"""The control plane of a daisychain server: submit, list, get, watch and cancel pipelines.

::

    from funlib.geometry import Roi
    from daisychain.control import PipelineClient, TaskSpec, WorkerLaunch

    with PipelineClient("127.0.0.1:50051") as control:
        pipeline = control.submit(
            [TaskSpec("smooth", Roi((0, 0), (100, 100)), Roi((0, 0), (10, 10)), Roi((0, 0), (10, 10)),
                      num_workers=2, worker_launch=WorkerLaunch(["python", "worker.py"]))],
            name="smooth",
        )
        for event in control.watch(pipeline.pipeline_id):
            ...                                  # event.states, event.failure; the last has event.finished

A refused call raises ``ControlError`` with the gRPC status and the server's
message, which names the field of a refused spec (``spec: tasks[0].num_workers
must be at most 10000, got 100000``). Fields left ``None`` take daisy's defaults
on the server.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from funlib.geometry import Roi

from .block import roi_from_wire
from .limits import CLIENT_CHANNEL_OPTIONS
from .security import make_channel, token_metadata
from .v1 import geometry_pb2, pipeline_pb2, scheduler_pb2

if TYPE_CHECKING:
    import grpc

# grpcio (about 60 ms to import) is imported by the first PipelineClient, not with the specs and
# states defined here, so that a Python driver can import it while its server starts.


class ControlError(RuntimeError):
    """A control-plane call the server refused or could not answer."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


class PipelineStatus(str, enum.Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


_STATUS_FROM_WIRE = {
    pipeline_pb2.PIPELINE_STATUS_RUNNING: PipelineStatus.RUNNING,
    pipeline_pb2.PIPELINE_STATUS_SUCCEEDED: PipelineStatus.SUCCEEDED,
    pipeline_pb2.PIPELINE_STATUS_FAILED: PipelineStatus.FAILED,
    pipeline_pb2.PIPELINE_STATUS_CANCELLED: PipelineStatus.CANCELLED,
}
_FIT_TO_WIRE = {
    "valid": pipeline_pb2.FIT_VALID,
    "overhang": pipeline_pb2.FIT_OVERHANG,
    "shrink": pipeline_pb2.FIT_SHRINK,
}
_FIT_FROM_WIRE = {wire: name for name, wire in _FIT_TO_WIRE.items()}


@dataclass(frozen=True)
class WorkerLaunch:
    """How the server starts a task's workers: ``num_workers`` processes of ``command`` (no shell)."""

    command: Sequence[str]
    #: Added to the server's environment for each worker (DAISY_CONTEXT is the server's).
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskSpec:
    """One task of a pipeline, with the fields of daisy's Task that cross the wire."""

    task_id: str
    total_roi: Roi
    read_roi: Roi
    write_roi: Roi
    #: "valid" (the default), "overhang" or "shrink".
    fit: str | None = None
    read_write_conflict: bool | None = None
    max_retries: int | None = None
    #: Seconds; None for no limit.
    timeout: float | None = None
    num_workers: int | None = None
    max_worker_restarts: int | None = None
    upstream_tasks: Sequence[str] = ()
    #: None: the workers are started elsewhere, with DAISY_CONTEXT naming the pipeline.
    worker_launch: WorkerLaunch | None = None
    #: What one worker the server starts holds of the pipeline's ``resources`` while alive
    #: (daisy 2.0's ``requires``), e.g. ``{"gpu": 1}``; empty: not bounded by the budget.
    requires: Mapping[str, int] = field(default_factory=dict)
    #: The task's done markers (daisy 2.0.0's ``tracking_path``, protocol revision 5): a path on the
    #: server's file system; False: none; None: the server's default (``<log dir>/tracking/<task_id>``).
    tracking_path: str | Literal[False] | None = None


@dataclass(frozen=True)
class TaskState:
    """daisy's TaskState counters of one task."""

    task_id: str
    started: bool
    total_block_count: int
    ready_count: int
    processing_count: int
    pending_count: int
    completed_count: int
    skipped_count: int
    failed_count: int
    orphaned_count: int
    done: bool
    abandoned: bool
    #: Worker processes of the server's pool that crashed (or were stopped for failing), and those started in their place.
    worker_failure_count: int = 0
    worker_restart_count: int = 0


@dataclass(frozen=True)
class BlockFailure:
    """One failed attempt of a block; ``permanent`` when no retry is left."""

    task_id: str
    block_id: int
    worker_id: str
    error: str
    traceback: str
    attempt: int
    permanent: bool


@dataclass(frozen=True)
class Pipeline:
    """A pipeline the server holds: its settings (defaults written out) and where it stands."""

    pipeline_id: str
    name: str
    status: PipelineStatus
    tasks: list[TaskSpec]
    #: By task id, in daisy's order (root tasks first).
    states: dict[str, TaskState]
    cancel_reason: str
    submitted_at: datetime
    finished_at: datetime | None
    #: The pipeline's budget of resources, as submitted (empty: none).
    resources: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class PipelineEvent:
    """One event of a watched pipeline: the states after it, the failed attempt it was, if any."""

    states: dict[str, TaskState]
    failure: BlockFailure | None
    #: The pipeline ended: ``status`` is final (the last event of a watch).
    finished: bool
    status: PipelineStatus
    cancel_reason: str


class PipelineClient:
    """A daisychain server's PipelineService; ``address`` is ``host:port`` (an IPv6 host in brackets)."""

    def __init__(
        self,
        address: str,
        tls_ca: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        token: str | None = None,
    ):
        """``tls_ca`` (and ``tls_cert``/``tls_key`` under mTLS): PEM paths for a TLS server; ``token``: the operator token."""
        from .v1 import pipeline_pb2_grpc

        self.address = address
        self._channel = make_channel(address, CLIENT_CHANNEL_OPTIONS, tls_ca, tls_cert, tls_key)
        self._stub = pipeline_pb2_grpc.PipelineServiceStub(self._channel)
        self._metadata = token_metadata(token)
        #: The worker token of the last pipeline ``submit`` sent ('' when the server requires none).
        self.last_worker_token = ""

    def submit(self, tasks: Sequence[TaskSpec], name: str = "", resources: Mapping[str, int] | None = None) -> Pipeline:
        """Submits a pipeline; the server validates it with the schema of pipeline files and starts it.

        ``resources`` is the pipeline's budget (daisy 2.0's ``run_blockwise(resources=...)``), e.g.
        ``{"gpu": 2}``: the server starts a worker of a task with ``requires`` only while the sum over
        the pipeline's live workers fits into it. A task requiring more than the budget is refused
        (``ControlError`` with INVALID_ARGUMENT naming ``tasks[i].requires.<name>``).
        """
        spec = pipeline_pb2.PipelineSpec(name=name, tasks=[_task_to_wire(task) for task in tasks])
        spec.resources.update(_resources_to_wire(resources or {}, "resources"))
        response = self._call(self._stub.SubmitPipeline, pipeline_pb2.SubmitPipelineRequest(spec=spec))
        self.last_worker_token = response.worker_token
        return _pipeline_from_wire(response.pipeline)

    def get(self, pipeline_id: str) -> Pipeline:
        response = self._call(self._stub.GetPipeline, pipeline_pb2.GetPipelineRequest(pipeline_id=pipeline_id))
        return _pipeline_from_wire(response.pipeline)

    def list(self) -> list[Pipeline]:
        """Every pipeline the server holds, oldest first (all pages)."""
        pipelines: list[Pipeline] = []
        token = ""
        while True:
            page = self._call(self._stub.ListPipelines, pipeline_pb2.ListPipelinesRequest(page_token=token))
            pipelines.extend(_pipeline_from_wire(p) for p in page.pipelines)
            token = page.next_page_token
            if not token:
                return pipelines

    def watch(self, pipeline_id: str) -> Iterator[PipelineEvent]:
        """The pipeline's state now, then after changes and each failed attempt, until the event that ends it."""
        responses = self._stub.WatchPipeline(
            pipeline_pb2.WatchPipelineRequest(pipeline_id=pipeline_id), metadata=self._metadata
        )
        try:
            for response in responses:
                yield _event_from_wire(response)
        except _rpc_error() as error:
            raise _control_error(error) from None
        finally:
            responses.cancel()

    def cancel(self, pipeline_id: str, reason: str = "") -> Pipeline:
        """Cancels a running pipeline: its workers stop, held blocks go back, the rest fails or is orphaned."""
        request = pipeline_pb2.CancelPipelineRequest(pipeline_id=pipeline_id, reason=reason)
        return _pipeline_from_wire(self._call(self._stub.CancelPipeline, request).pipeline)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> PipelineClient:  # noqa: PYI034 (Self needs Python 3.11; the client supports 3.10)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _call(self, method, request):  # type: ignore[no-untyped-def]
        try:
            return method(request, metadata=self._metadata)
        except _rpc_error() as error:
            raise _control_error(error) from None


def _rpc_error() -> type[grpc.RpcError]:
    import grpc

    return grpc.RpcError


def _control_error(error: grpc.RpcError) -> ControlError:
    import grpc

    if isinstance(error, grpc.Call):
        return ControlError(error.code(), error.details() or str(error))
    return ControlError(grpc.StatusCode.UNKNOWN, str(error))


def _coordinate_to_wire(values: Sequence[int | None]) -> geometry_pb2.Coordinate:
    return geometry_pb2.Coordinate(
        values=[0 if v is None else int(v) for v in values],
        null_dims=[d for d, v in enumerate(values) if v is None],
    )


def _roi_to_wire(roi: Roi) -> geometry_pb2.Roi:
    return geometry_pb2.Roi(offset=_coordinate_to_wire(tuple(roi.offset)), shape=_coordinate_to_wire(tuple(roi.shape)))


def _task_to_wire(task: TaskSpec) -> pipeline_pb2.TaskSpec:
    message = pipeline_pb2.TaskSpec(
        task_id=task.task_id,
        total_roi=_roi_to_wire(task.total_roi),
        read_roi=_roi_to_wire(task.read_roi),
        write_roi=_roi_to_wire(task.write_roi),
        upstream_task_ids=list(task.upstream_tasks),
    )
    if task.fit is not None:
        if task.fit not in _FIT_TO_WIRE:
            raise ValueError(f"fit must be one of {', '.join(_FIT_TO_WIRE)}, got {task.fit!r}")
        message.fit = _FIT_TO_WIRE[task.fit]
    # Fields with presence: left unset, they take daisy's defaults on the server.
    for name, value in (
        ("read_write_conflict", task.read_write_conflict),
        ("max_retries", task.max_retries),
        ("timeout_seconds", task.timeout),
        ("num_workers", task.num_workers),
        ("max_worker_restarts", task.max_worker_restarts),
    ):
        if value is not None:
            setattr(message, name, value)
    if task.worker_launch is not None:
        message.worker_launch.command.extend(task.worker_launch.command)
        message.worker_launch.env.update(task.worker_launch.env)
    message.requires.update(_resources_to_wire(task.requires, f"task {task.task_id!r}: requires"))
    if task.tracking_path is False:
        message.tracking_disabled = True
    elif isinstance(task.tracking_path, str):
        message.tracking_path = task.tracking_path
    elif task.tracking_path is not None:
        raise ValueError(
            f"task {task.task_id!r}: tracking_path must be a path, False or None, got {task.tracking_path!r}"
        )
    return message


def _resources_to_wire(amounts: Mapping[str, int], what: str) -> dict[str, int]:
    """Amounts as the proto's uint64 map takes them; the server checks names and bounds (its message names the field)."""
    for name, amount in amounts.items():
        if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError(f"{what}.{name} must be a non-negative integer, got {amount!r}")
    return dict(amounts)


def _task_from_wire(message: pipeline_pb2.TaskSpec) -> TaskSpec:
    def present(name: str) -> bool:
        return message.HasField(name)

    launch = message.worker_launch
    return TaskSpec(
        task_id=message.task_id,
        total_roi=roi_from_wire(message.total_roi),
        read_roi=roi_from_wire(message.read_roi),
        write_roi=roi_from_wire(message.write_roi),
        fit=_FIT_FROM_WIRE.get(message.fit),
        read_write_conflict=message.read_write_conflict if present("read_write_conflict") else None,
        max_retries=message.max_retries if present("max_retries") else None,
        timeout=message.timeout_seconds if present("timeout_seconds") else None,
        num_workers=message.num_workers if present("num_workers") else None,
        max_worker_restarts=message.max_worker_restarts if present("max_worker_restarts") else None,
        upstream_tasks=tuple(message.upstream_task_ids),
        worker_launch=WorkerLaunch(tuple(launch.command), dict(launch.env)) if present("worker_launch") else None,
        requires=dict(message.requires),
        tracking_path=_tracking_from_wire(message),
    )


def _tracking_from_wire(message: pipeline_pb2.TaskSpec) -> str | Literal[False] | None:
    which = message.WhichOneof("tracking")
    if which == "tracking_path":
        return message.tracking_path
    if which == "tracking_disabled" and message.tracking_disabled:
        return False
    return None


def _state_from_wire(m: scheduler_pb2.TaskState) -> TaskState:
    return TaskState(
        task_id=m.task_id,
        started=m.started,
        total_block_count=m.total_block_count,
        ready_count=m.ready_count,
        processing_count=m.processing_count,
        pending_count=m.pending_count,
        completed_count=m.completed_count,
        skipped_count=m.skipped_count,
        failed_count=m.failed_count,
        orphaned_count=m.orphaned_count,
        done=m.done,
        abandoned=m.abandoned,
        worker_failure_count=m.worker_failure_count,
        worker_restart_count=m.worker_restart_count,
    )


def _states(messages: Sequence[scheduler_pb2.TaskState]) -> dict[str, TaskState]:
    return {m.task_id: _state_from_wire(m) for m in messages}


def _status(wire: int) -> PipelineStatus:
    # A status a newer server added: the pipeline is at least not known to be over.
    return _STATUS_FROM_WIRE.get(wire, PipelineStatus.RUNNING)


def _pipeline_from_wire(m: pipeline_pb2.Pipeline) -> Pipeline:
    return Pipeline(
        pipeline_id=m.pipeline_id,
        name=m.spec.name,
        status=_status(m.status),
        tasks=[_task_from_wire(t) for t in m.spec.tasks],
        states=_states(m.states),
        cancel_reason=m.cancel_reason,
        submitted_at=m.submitted_at.ToDatetime(),
        finished_at=m.finished_at.ToDatetime() if m.HasField("finished_at") else None,
        resources=dict(m.spec.resources),
    )


def _event_from_wire(m: pipeline_pb2.WatchPipelineResponse) -> PipelineEvent:
    f = m.failure
    failure = (
        BlockFailure(f.task_id, f.block_id, f.worker_id, f.error, f.traceback, f.attempt, f.permanent)
        if m.HasField("failure")
        else None
    )
    return PipelineEvent(
        states=_states(m.states),
        failure=failure,
        finished=m.finished,
        status=_status(m.status),
        cancel_reason=m.cancel_reason,
    )
