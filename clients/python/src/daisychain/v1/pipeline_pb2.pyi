import datetime

from daisychain.v1 import geometry_pb2 as _geometry_pb2
from daisychain.v1 import scheduler_pb2 as _scheduler_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Fit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FIT_UNSPECIFIED: _ClassVar[Fit]
    FIT_VALID: _ClassVar[Fit]
    FIT_OVERHANG: _ClassVar[Fit]
    FIT_SHRINK: _ClassVar[Fit]

class PipelineStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PIPELINE_STATUS_UNSPECIFIED: _ClassVar[PipelineStatus]
    PIPELINE_STATUS_RUNNING: _ClassVar[PipelineStatus]
    PIPELINE_STATUS_SUCCEEDED: _ClassVar[PipelineStatus]
    PIPELINE_STATUS_FAILED: _ClassVar[PipelineStatus]
    PIPELINE_STATUS_CANCELLED: _ClassVar[PipelineStatus]
FIT_UNSPECIFIED: Fit
FIT_VALID: Fit
FIT_OVERHANG: Fit
FIT_SHRINK: Fit
PIPELINE_STATUS_UNSPECIFIED: PipelineStatus
PIPELINE_STATUS_RUNNING: PipelineStatus
PIPELINE_STATUS_SUCCEEDED: PipelineStatus
PIPELINE_STATUS_FAILED: PipelineStatus
PIPELINE_STATUS_CANCELLED: PipelineStatus

class WorkerLaunch(_message.Message):
    __slots__ = ("command", "env")
    class EnvEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    command: _containers.RepeatedScalarFieldContainer[str]
    env: _containers.ScalarMap[str, str]
    def __init__(self, command: _Optional[_Iterable[str]] = ..., env: _Optional[_Mapping[str, str]] = ...) -> None: ...

class TaskSpec(_message.Message):
    __slots__ = ("task_id", "total_roi", "read_roi", "write_roi", "fit", "read_write_conflict", "max_retries", "timeout_seconds", "num_workers", "max_worker_restarts", "upstream_task_ids", "worker_launch", "requires", "tracking_path", "tracking_disabled")
    class RequiresEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROI_FIELD_NUMBER: _ClassVar[int]
    READ_ROI_FIELD_NUMBER: _ClassVar[int]
    WRITE_ROI_FIELD_NUMBER: _ClassVar[int]
    FIT_FIELD_NUMBER: _ClassVar[int]
    READ_WRITE_CONFLICT_FIELD_NUMBER: _ClassVar[int]
    MAX_RETRIES_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    NUM_WORKERS_FIELD_NUMBER: _ClassVar[int]
    MAX_WORKER_RESTARTS_FIELD_NUMBER: _ClassVar[int]
    UPSTREAM_TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    WORKER_LAUNCH_FIELD_NUMBER: _ClassVar[int]
    REQUIRES_FIELD_NUMBER: _ClassVar[int]
    TRACKING_PATH_FIELD_NUMBER: _ClassVar[int]
    TRACKING_DISABLED_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    total_roi: _geometry_pb2.Roi
    read_roi: _geometry_pb2.Roi
    write_roi: _geometry_pb2.Roi
    fit: Fit
    read_write_conflict: bool
    max_retries: int
    timeout_seconds: float
    num_workers: int
    max_worker_restarts: int
    upstream_task_ids: _containers.RepeatedScalarFieldContainer[str]
    worker_launch: WorkerLaunch
    requires: _containers.ScalarMap[str, int]
    tracking_path: str
    tracking_disabled: bool
    def __init__(self, task_id: _Optional[str] = ..., total_roi: _Optional[_Union[_geometry_pb2.Roi, _Mapping]] = ..., read_roi: _Optional[_Union[_geometry_pb2.Roi, _Mapping]] = ..., write_roi: _Optional[_Union[_geometry_pb2.Roi, _Mapping]] = ..., fit: _Optional[_Union[Fit, str]] = ..., read_write_conflict: _Optional[bool] = ..., max_retries: _Optional[int] = ..., timeout_seconds: _Optional[float] = ..., num_workers: _Optional[int] = ..., max_worker_restarts: _Optional[int] = ..., upstream_task_ids: _Optional[_Iterable[str]] = ..., worker_launch: _Optional[_Union[WorkerLaunch, _Mapping]] = ..., requires: _Optional[_Mapping[str, int]] = ..., tracking_path: _Optional[str] = ..., tracking_disabled: _Optional[bool] = ...) -> None: ...

class PipelineSpec(_message.Message):
    __slots__ = ("name", "tasks", "resources")
    class ResourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    name: str
    tasks: _containers.RepeatedCompositeFieldContainer[TaskSpec]
    resources: _containers.ScalarMap[str, int]
    def __init__(self, name: _Optional[str] = ..., tasks: _Optional[_Iterable[_Union[TaskSpec, _Mapping]]] = ..., resources: _Optional[_Mapping[str, int]] = ...) -> None: ...

class Pipeline(_message.Message):
    __slots__ = ("pipeline_id", "spec", "status", "states", "cancel_reason", "submitted_at", "finished_at")
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    pipeline_id: str
    spec: PipelineSpec
    status: PipelineStatus
    states: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.TaskState]
    cancel_reason: str
    submitted_at: _timestamp_pb2.Timestamp
    finished_at: _timestamp_pb2.Timestamp
    def __init__(self, pipeline_id: _Optional[str] = ..., spec: _Optional[_Union[PipelineSpec, _Mapping]] = ..., status: _Optional[_Union[PipelineStatus, str]] = ..., states: _Optional[_Iterable[_Union[_scheduler_pb2.TaskState, _Mapping]]] = ..., cancel_reason: _Optional[str] = ..., submitted_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., finished_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SubmitPipelineRequest(_message.Message):
    __slots__ = ("spec",)
    SPEC_FIELD_NUMBER: _ClassVar[int]
    spec: PipelineSpec
    def __init__(self, spec: _Optional[_Union[PipelineSpec, _Mapping]] = ...) -> None: ...

class SubmitPipelineResponse(_message.Message):
    __slots__ = ("pipeline", "worker_token")
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    WORKER_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    worker_token: str
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ..., worker_token: _Optional[str] = ...) -> None: ...

class ListPipelinesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPipelinesResponse(_message.Message):
    __slots__ = ("pipelines", "next_page_token")
    PIPELINES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    pipelines: _containers.RepeatedCompositeFieldContainer[Pipeline]
    next_page_token: str
    def __init__(self, pipelines: _Optional[_Iterable[_Union[Pipeline, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetPipelineRequest(_message.Message):
    __slots__ = ("pipeline_id",)
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline_id: str
    def __init__(self, pipeline_id: _Optional[str] = ...) -> None: ...

class GetPipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class WatchPipelineRequest(_message.Message):
    __slots__ = ("pipeline_id",)
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline_id: str
    def __init__(self, pipeline_id: _Optional[str] = ...) -> None: ...

class WatchPipelineResponse(_message.Message):
    __slots__ = ("states", "failure", "finished", "status", "cancel_reason")
    STATES_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CANCEL_REASON_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedCompositeFieldContainer[_scheduler_pb2.TaskState]
    failure: _scheduler_pb2.BlockFailure
    finished: bool
    status: PipelineStatus
    cancel_reason: str
    def __init__(self, states: _Optional[_Iterable[_Union[_scheduler_pb2.TaskState, _Mapping]]] = ..., failure: _Optional[_Union[_scheduler_pb2.BlockFailure, _Mapping]] = ..., finished: _Optional[bool] = ..., status: _Optional[_Union[PipelineStatus, str]] = ..., cancel_reason: _Optional[str] = ...) -> None: ...

class CancelPipelineRequest(_message.Message):
    __slots__ = ("pipeline_id", "reason")
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    pipeline_id: str
    reason: str
    def __init__(self, pipeline_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class CancelPipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...
