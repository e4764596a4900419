from daisychain.v1 import geometry_pb2 as _geometry_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BlockStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BLOCK_STATUS_UNSPECIFIED: _ClassVar[BlockStatus]
    BLOCK_STATUS_CREATED: _ClassVar[BlockStatus]
    BLOCK_STATUS_PROCESSING: _ClassVar[BlockStatus]
    BLOCK_STATUS_SUCCESS: _ClassVar[BlockStatus]
    BLOCK_STATUS_FAILED: _ClassVar[BlockStatus]
BLOCK_STATUS_UNSPECIFIED: BlockStatus
BLOCK_STATUS_CREATED: BlockStatus
BLOCK_STATUS_PROCESSING: BlockStatus
BLOCK_STATUS_SUCCESS: BlockStatus
BLOCK_STATUS_FAILED: BlockStatus

class Block(_message.Message):
    __slots__ = ("task_id", "block_id", "read_roi", "write_roi", "status", "attempt", "total_roi")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    READ_ROI_FIELD_NUMBER: _ClassVar[int]
    WRITE_ROI_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_ROI_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    block_id: int
    read_roi: _geometry_pb2.Roi
    write_roi: _geometry_pb2.Roi
    status: BlockStatus
    attempt: int
    total_roi: _geometry_pb2.Roi
    def __init__(self, task_id: _Optional[str] = ..., block_id: _Optional[int] = ..., read_roi: _Optional[_Union[_geometry_pb2.Roi, _Mapping]] = ..., write_roi: _Optional[_Union[_geometry_pb2.Roi, _Mapping]] = ..., status: _Optional[_Union[BlockStatus, str]] = ..., attempt: _Optional[int] = ..., total_roi: _Optional[_Union[_geometry_pb2.Roi, _Mapping]] = ...) -> None: ...

class TaskState(_message.Message):
    __slots__ = ("task_id", "started", "total_block_count", "ready_count", "processing_count", "pending_count", "completed_count", "skipped_count", "failed_count", "orphaned_count", "done", "abandoned", "worker_failure_count", "worker_restart_count")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BLOCK_COUNT_FIELD_NUMBER: _ClassVar[int]
    READY_COUNT_FIELD_NUMBER: _ClassVar[int]
    PROCESSING_COUNT_FIELD_NUMBER: _ClassVar[int]
    PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ORPHANED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DONE_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_FIELD_NUMBER: _ClassVar[int]
    WORKER_FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    WORKER_RESTART_COUNT_FIELD_NUMBER: _ClassVar[int]
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
    worker_failure_count: int
    worker_restart_count: int
    def __init__(self, task_id: _Optional[str] = ..., started: _Optional[bool] = ..., total_block_count: _Optional[int] = ..., ready_count: _Optional[int] = ..., processing_count: _Optional[int] = ..., pending_count: _Optional[int] = ..., completed_count: _Optional[int] = ..., skipped_count: _Optional[int] = ..., failed_count: _Optional[int] = ..., orphaned_count: _Optional[int] = ..., done: _Optional[bool] = ..., abandoned: _Optional[bool] = ..., worker_failure_count: _Optional[int] = ..., worker_restart_count: _Optional[int] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("task_id", "worker_id", "language", "host", "pid", "worker_secret", "pipeline_id")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    HOST_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    WORKER_SECRET_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    worker_id: str
    language: str
    host: str
    pid: int
    worker_secret: str
    pipeline_id: str
    def __init__(self, task_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., language: _Optional[str] = ..., host: _Optional[str] = ..., pid: _Optional[int] = ..., worker_secret: _Optional[str] = ..., pipeline_id: _Optional[str] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("protocol_version", "protocol_revision", "server_version", "task_id", "worker_id", "timeout_seconds", "renew_interval_seconds", "max_acquire", "max_message_bytes", "pipeline_id")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_REVISION_FIELD_NUMBER: _ClassVar[int]
    SERVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RENEW_INTERVAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    MAX_ACQUIRE_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    protocol_revision: int
    server_version: str
    task_id: str
    worker_id: str
    timeout_seconds: float
    renew_interval_seconds: float
    max_acquire: int
    max_message_bytes: int
    pipeline_id: str
    def __init__(self, protocol_version: _Optional[int] = ..., protocol_revision: _Optional[int] = ..., server_version: _Optional[str] = ..., task_id: _Optional[str] = ..., worker_id: _Optional[str] = ..., timeout_seconds: _Optional[float] = ..., renew_interval_seconds: _Optional[float] = ..., max_acquire: _Optional[int] = ..., max_message_bytes: _Optional[int] = ..., pipeline_id: _Optional[str] = ...) -> None: ...

class Acquire(_message.Message):
    __slots__ = ("count", "ahead")
    COUNT_FIELD_NUMBER: _ClassVar[int]
    AHEAD_FIELD_NUMBER: _ClassVar[int]
    count: int
    ahead: int
    def __init__(self, count: _Optional[int] = ..., ahead: _Optional[int] = ...) -> None: ...

class Release(_message.Message):
    __slots__ = ("block_id", "status", "error", "traceback")
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    block_id: int
    status: BlockStatus
    error: str
    traceback: str
    def __init__(self, block_id: _Optional[int] = ..., status: _Optional[_Union[BlockStatus, str]] = ..., error: _Optional[str] = ..., traceback: _Optional[str] = ...) -> None: ...

class Skip(_message.Message):
    __slots__ = ("block_id",)
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    block_id: int
    def __init__(self, block_id: _Optional[int] = ...) -> None: ...

class Releases(_message.Message):
    __slots__ = ("releases", "started", "acquire")
    RELEASES_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    ACQUIRE_FIELD_NUMBER: _ClassVar[int]
    releases: _containers.RepeatedCompositeFieldContainer[Release]
    started: _containers.RepeatedScalarFieldContainer[int]
    acquire: Acquire
    def __init__(self, releases: _Optional[_Iterable[_Union[Release, _Mapping]]] = ..., started: _Optional[_Iterable[int]] = ..., acquire: _Optional[_Union[Acquire, _Mapping]] = ...) -> None: ...

class Start(_message.Message):
    __slots__ = ("block_ids",)
    BLOCK_IDS_FIELD_NUMBER: _ClassVar[int]
    block_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, block_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class Renew(_message.Message):
    __slots__ = ("block_ids",)
    BLOCK_IDS_FIELD_NUMBER: _ClassVar[int]
    block_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, block_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class GiveBack(_message.Message):
    __slots__ = ("block_ids",)
    BLOCK_IDS_FIELD_NUMBER: _ClassVar[int]
    block_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, block_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class WorkRequest(_message.Message):
    __slots__ = ("hello", "acquire", "release", "skip", "releases", "start", "renew", "give_back")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    ACQUIRE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    RELEASES_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    RENEW_FIELD_NUMBER: _ClassVar[int]
    GIVE_BACK_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    acquire: Acquire
    release: Release
    skip: Skip
    releases: Releases
    start: Start
    renew: Renew
    give_back: GiveBack
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., acquire: _Optional[_Union[Acquire, _Mapping]] = ..., release: _Optional[_Union[Release, _Mapping]] = ..., skip: _Optional[_Union[Skip, _Mapping]] = ..., releases: _Optional[_Union[Releases, _Mapping]] = ..., start: _Optional[_Union[Start, _Mapping]] = ..., renew: _Optional[_Union[Renew, _Mapping]] = ..., give_back: _Optional[_Union[GiveBack, _Mapping]] = ...) -> None: ...

class Blocks(_message.Message):
    __slots__ = ("blocks",)
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    blocks: _containers.RepeatedCompositeFieldContainer[Block]
    def __init__(self, blocks: _Optional[_Iterable[_Union[Block, _Mapping]]] = ...) -> None: ...

class Wait(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Shutdown(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class Rejected(_message.Message):
    __slots__ = ("code", "message", "block_id", "about_block")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    ABOUT_BLOCK_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    block_id: int
    about_block: int
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., block_id: _Optional[int] = ..., about_block: _Optional[int] = ...) -> None: ...

class Revoked(_message.Message):
    __slots__ = ("block_id", "reason")
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    block_id: int
    reason: str
    def __init__(self, block_id: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class WorkResponse(_message.Message):
    __slots__ = ("blocks", "wait", "shutdown", "rejected", "welcome", "revoked")
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    WAIT_FIELD_NUMBER: _ClassVar[int]
    SHUTDOWN_FIELD_NUMBER: _ClassVar[int]
    REJECTED_FIELD_NUMBER: _ClassVar[int]
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    REVOKED_FIELD_NUMBER: _ClassVar[int]
    blocks: Blocks
    wait: Wait
    shutdown: Shutdown
    rejected: Rejected
    welcome: Welcome
    revoked: Revoked
    def __init__(self, blocks: _Optional[_Union[Blocks, _Mapping]] = ..., wait: _Optional[_Union[Wait, _Mapping]] = ..., shutdown: _Optional[_Union[Shutdown, _Mapping]] = ..., rejected: _Optional[_Union[Rejected, _Mapping]] = ..., welcome: _Optional[_Union[Welcome, _Mapping]] = ..., revoked: _Optional[_Union[Revoked, _Mapping]] = ...) -> None: ...

class GetTaskStatesRequest(_message.Message):
    __slots__ = ("task_ids", "pipeline_id")
    TASK_IDS_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    task_ids: _containers.RepeatedScalarFieldContainer[str]
    pipeline_id: str
    def __init__(self, task_ids: _Optional[_Iterable[str]] = ..., pipeline_id: _Optional[str] = ...) -> None: ...

class GetTaskStatesResponse(_message.Message):
    __slots__ = ("states",)
    STATES_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedCompositeFieldContainer[TaskState]
    def __init__(self, states: _Optional[_Iterable[_Union[TaskState, _Mapping]]] = ...) -> None: ...

class WatchProgressRequest(_message.Message):
    __slots__ = ("pipeline_id",)
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline_id: str
    def __init__(self, pipeline_id: _Optional[str] = ...) -> None: ...

class BlockFailure(_message.Message):
    __slots__ = ("task_id", "block_id", "worker_id", "error", "traceback", "attempt", "permanent")
    TASK_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TRACEBACK_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PERMANENT_FIELD_NUMBER: _ClassVar[int]
    task_id: str
    block_id: int
    worker_id: str
    error: str
    traceback: str
    attempt: int
    permanent: bool
    def __init__(self, task_id: _Optional[str] = ..., block_id: _Optional[int] = ..., worker_id: _Optional[str] = ..., error: _Optional[str] = ..., traceback: _Optional[str] = ..., attempt: _Optional[int] = ..., permanent: _Optional[bool] = ...) -> None: ...

class WatchProgressResponse(_message.Message):
    __slots__ = ("states", "failure", "finished")
    STATES_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    FINISHED_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedCompositeFieldContainer[TaskState]
    failure: BlockFailure
    finished: bool
    def __init__(self, states: _Optional[_Iterable[_Union[TaskState, _Mapping]]] = ..., failure: _Optional[_Union[BlockFailure, _Mapping]] = ..., finished: _Optional[bool] = ...) -> None: ...
