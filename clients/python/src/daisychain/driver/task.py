"""daisy's Task, and daisy 2.0's Pipeline that chains (``+``) and unites (``|``) tasks."""

from __future__ import annotations

import datetime
import inspect
import os
import shutil
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from funlib.geometry import Roi

from ..context import Context

FITS = ("valid", "overhang", "shrink")

BlockFunction = Callable[..., Any]
CheckFunction = Callable[[Any], Any]


class _Requires(dict[str, int]):
    """daisy 2.0's ``task.requires`` (a resource dict) that daisy 1.x's ``task.requires()`` can still call."""

    def __init__(self, resources: dict[str, int], task: Task):
        super().__init__(resources)
        self._task = task

    def __call__(self) -> list[Task]:
        return list(self._task.upstream_tasks)


class Task:
    """A block-wise task, with daisy 1.x's signature and daisy 2.0's additions.

    ``process_function(block)`` runs each block in worker processes the
    driver starts (spawned, so it and what it refers to must pickle with
    cloudpickle; a function of an importable module travels by name). A
    ``process_function()`` of no argument is daisy's "start a worker": it is
    called once per worker, in a worker process with DAISY_CONTEXT set, and
    runs a ``Client`` loop itself or launches a worker that does.

    ``check_function`` is one function, called before a block runs (True:
    the block is skipped and counted completed), or a ``(pre, post)`` pair,
    whose second is called after a block ran (not True: the attempt failed).
    ``init_callback_fn(context)`` is called in the driver once, before the
    task's workers start, with the context a worker would get.
    """

    def __init__(
        self,
        task_id: str,
        total_roi: Roi,
        read_roi: Roi,
        write_roi: Roi,
        process_function: BlockFunction | None = None,
        check_function: CheckFunction | tuple[CheckFunction | None, CheckFunction | None] | None = None,
        init_callback_fn: Callable[[Context], Any] | None = None,
        read_write_conflict: bool = True,
        num_workers: int | None = None,
        max_retries: int = 2,
        fit: str = "valid",
        timeout: float | datetime.timedelta | None = None,
        upstream_tasks: Iterable[Task] | None = None,
        *,
        max_workers: int | None = None,
        max_worker_restarts: int = 10,
        requires: dict[str, int] | None = None,
        tracking_path: str | os.PathLike[str] | bool | None = None,
        done_marker_path: str | os.PathLike[str] | bool | None = None,
    ):
        if not isinstance(task_id, str) or task_id == "":
            raise TypeError(f"task_id must be a non-empty string, got {task_id!r}")
        for name, roi in (("total_roi", total_roi), ("read_roi", read_roi), ("write_roi", write_roi)):
            if not isinstance(roi, Roi):
                raise TypeError(f"task {task_id!r}: {name} must be a Roi, got {type(roi).__name__}")
        if fit not in FITS:
            raise ValueError(f"task {task_id!r}: fit must be one of {', '.join(FITS)}, got {fit!r}")
        if num_workers is not None and max_workers is not None and num_workers != max_workers:
            raise TypeError(f"task {task_id!r}: pass num_workers (daisy 1.x) or max_workers (daisy 2.0), not both")
        workers = max_workers if max_workers is not None else num_workers if num_workers is not None else 1
        _check_count(task_id, "num_workers", workers, minimum=1)
        _check_count(task_id, "max_retries", max_retries, minimum=0)
        _check_count(task_id, "max_worker_restarts", max_worker_restarts, minimum=0)
        self.task_id = task_id
        self.total_roi = total_roi
        self.orig_total_roi = total_roi
        self.read_roi = read_roi
        self.write_roi = write_roi
        # The region the blocks' write ROIs can cover, as daisy 1.x computes it.
        self.total_write_roi = total_roi.grow(-(write_roi.begin - read_roi.begin), -(read_roi.end - write_roi.end))
        self.process_function = process_function
        self.check_function = check_function
        self.init_callback_fn = init_callback_fn
        self.read_write_conflict = bool(read_write_conflict)
        self.fit = fit
        self.num_workers = workers
        self.max_retries = max_retries
        self.timeout = _seconds(task_id, timeout)
        self.max_worker_restarts = max_worker_restarts
        self.upstream_tasks: list[Task] = list(upstream_tasks) if upstream_tasks is not None else []
        for upstream in self.upstream_tasks:
            if not isinstance(upstream, Task):
                raise TypeError(f"task {task_id!r}: upstream_tasks must hold Tasks, got {type(upstream).__name__}")
        self.requires = _Requires(_resources(task_id, requires), self)
        self.tracking_path = _tracking_path(task_id, tracking_path, done_marker_path)
        # Checked here, as daisy does, so that a wrong function fails where the task is made.
        self.spawns_workers = takes_no_block(task_id, process_function) if process_function is not None else False

    @property
    def done_marker_path(self) -> str | bool | None:
        """daisy 2.0.0's deprecated name of ``tracking_path``."""
        return self.tracking_path

    @property
    def max_workers(self) -> int:
        return self.num_workers

    @property
    def timeout_secs(self) -> float | None:
        return self.timeout

    @property
    def pre_check(self) -> CheckFunction | None:
        if isinstance(self.check_function, tuple):
            return self.check_function[0]
        return self.check_function

    @property
    def post_check(self) -> CheckFunction | None:
        if isinstance(self.check_function, tuple):
            return self.check_function[1]
        return None

    def reset(self) -> str | None:
        """Deletes the task's done markers (its tracking group), so that its next run starts over, as daisy
        2.0's ``Task.reset``: the path cleared, or None when the task is not tracked or nothing was there."""
        from .tracking import tracking_group_of

        group = tracking_group_of(self)
        if group is False or not os.path.exists(group):
            return None
        shutil.rmtree(group)
        return group

    def __add__(self, other: Task | Pipeline) -> Pipeline:
        return Pipeline.from_task(self) + other

    def __or__(self, other: Task | Pipeline) -> Pipeline:
        return Pipeline.from_task(self) | other

    def __repr__(self) -> str:
        return (
            f"Task({self.task_id!r}, total_roi={self.total_roi}, read_roi={self.read_roi}, write_roi={self.write_roi})"
        )


def takes_no_block(task_id: str, function: BlockFunction) -> bool:
    """True for daisy's 0-argument "start a worker" function, False for a block function."""
    if not callable(function):
        raise TypeError(f"task {task_id!r}: process_function must be callable, got {type(function).__name__}")
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return False  # a builtin without a signature: called with the block, as most are
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if len(required) > 1:
        names = ", ".join(p.name for p in required)
        raise ValueError(f"task {task_id!r}: process_function takes ({names}); daisy passes one block, or nothing")
    has_varargs = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    return not positional and not has_varargs


def _tracking_path(
    task_id: str,
    tracking_path: str | os.PathLike[str] | bool | None,
    done_marker_path: str | os.PathLike[str] | bool | None,
) -> str | bool | None:
    """daisy 2.0.0's ``tracking_path`` (a path; False: not tracked; None or True: the default basedir),
    or its deprecated alias ``done_marker_path``."""
    if done_marker_path is not None:
        if tracking_path is not None:
            raise TypeError(
                f"task {task_id!r}: pass either tracking_path or done_marker_path, not both "
                "(done_marker_path is the deprecated alias)"
            )
        warnings.warn(
            "Task(done_marker_path=...) is deprecated; use Task(tracking_path=...)", DeprecationWarning, stacklevel=3
        )
        tracking_path = done_marker_path
    if tracking_path is None or isinstance(tracking_path, bool):
        return tracking_path
    if isinstance(tracking_path, (str, os.PathLike)):
        path = os.fspath(tracking_path)
        if isinstance(path, str) and path != "" and "\0" not in path:
            return path
    raise ValueError(f"task {task_id!r}: tracking_path must be a path, False or None, got {tracking_path!r}")


def _check_count(task_id: str, name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"task {task_id!r}: {name} must be an integer of at least {minimum}, got {value!r}")


def _seconds(task_id: str, timeout: float | datetime.timedelta | None) -> float | None:
    if timeout is None:
        return None
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"task {task_id!r}: timeout must be positive seconds, a timedelta or None, got {timeout!r}")
    return float(seconds)


def _resources(task_id: str, requires: dict[str, int] | None) -> dict[str, int]:
    if requires is None:
        return {}
    if not isinstance(requires, dict):
        raise TypeError(
            f"task {task_id!r}: requires must be a dict of resource name to amount, got {type(requires).__name__}"
        )
    checked: dict[str, int] = {}
    for name, amount in requires.items():
        if not isinstance(name, str) or isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
            raise ValueError(f"task {task_id!r}: requires[{name!r}] must be a non-negative integer, got {amount!r}")
        checked[name] = amount
    return checked


class Pipeline:
    """Tasks and the edges between them (upstream, downstream), as daisy 2.0's.

    ``a + b`` runs ``b`` on ``a``'s output (every output task of ``a``
    becomes upstream of every source task of ``b``); ``a | b`` runs them
    side by side. A task appears once however often it is combined.
    """

    def __init__(self, tasks: Sequence[Task] | None = None, edges: Sequence[tuple[Task, Task]] | None = None):
        self._tasks: list[Task] = []
        self._edges: list[tuple[Task, Task]] = []
        for task in tasks or ():
            self._add_task(task)
        for upstream, downstream in edges or ():
            self._add_task(upstream)
            self._add_task(downstream)
            self._add_edge(upstream, downstream)

    @staticmethod
    def from_task(task: Task) -> Pipeline:
        return Pipeline([task])

    def reset(self) -> None:
        """Deletes the done markers of every member task (``Task.reset``), with no cascade, as daisy 2.0's."""
        for task in self._tasks:
            task.reset()

    @property
    def tasks(self) -> list[Task]:
        return list(self._tasks)

    @property
    def edges(self) -> list[tuple[Task, Task]]:
        return list(self._edges)

    @property
    def sources(self) -> list[Task]:
        """Tasks with no upstream task in the pipeline."""
        downstream = {id(d) for _, d in self._edges}
        return [t for t in self._tasks if id(t) not in downstream]

    @property
    def outputs(self) -> list[Task]:
        """Tasks with no downstream task in the pipeline."""
        upstream = {id(u) for u, _ in self._edges}
        return [t for t in self._tasks if id(t) not in upstream]

    def upstream_of(self, task: Task) -> list[Task]:
        return [u for u, d in self._edges if d is task]

    def topological_order(self) -> list[Task]:
        """Upstream tasks first; among tasks free at once, in the order they were added."""
        remaining = {id(t): len(self.upstream_of(t)) for t in self._tasks}
        order: list[Task] = []
        while len(order) < len(self._tasks):
            free = [t for t in self._tasks if remaining[id(t)] == 0 and t not in order]
            if not free:
                raise ValueError("the pipeline's tasks depend on each other in a cycle")
            task = free[0]
            order.append(task)
            for u, d in self._edges:
                if u is task:
                    remaining[id(d)] -= 1
        return order

    def run_blockwise(
        self, *, multiprocessing: bool = True, resources: dict[str, int] | None = None, progress: object = True
    ) -> bool:
        from .run import run_blockwise

        return run_blockwise(self, multiprocessing=multiprocessing, resources=resources, progress=progress)

    def __add__(self, other: Task | Pipeline) -> Pipeline:
        right = _as_pipeline(other)
        combined = self._union(right)
        for upstream in self.outputs:
            for downstream in right.sources:
                combined._add_edge(upstream, downstream)
        return combined

    def __or__(self, other: Task | Pipeline) -> Pipeline:
        return self._union(_as_pipeline(other))

    def __radd__(self, other: Task | Pipeline) -> Pipeline:
        return _as_pipeline(other) + self

    def __ror__(self, other: Task | Pipeline) -> Pipeline:
        return _as_pipeline(other) | self

    def __repr__(self) -> str:
        edges = ", ".join(f"{u.task_id} -> {d.task_id}" for u, d in self._edges)
        return f"Pipeline(tasks=[{', '.join(t.task_id for t in self._tasks)}], edges=[{edges}])"

    def _union(self, other: Pipeline) -> Pipeline:
        combined = Pipeline(self._tasks, self._edges)
        for task in other._tasks:
            combined._add_task(task)
        for upstream, downstream in other._edges:
            combined._add_edge(upstream, downstream)
        return combined

    def _add_task(self, task: Task) -> None:
        if not isinstance(task, Task):
            raise TypeError(f"a pipeline holds Tasks, got {type(task).__name__}")
        if any(t is task for t in self._tasks):
            return
        clash = next((t for t in self._tasks if t.task_id == task.task_id), None)
        if clash is not None:
            raise ValueError(
                f"two different tasks have the task id {task.task_id!r}; task ids must be unique in a pipeline"
            )
        self._tasks.append(task)

    def _add_edge(self, upstream: Task, downstream: Task) -> None:
        if upstream is downstream:
            raise ValueError(f"task {upstream.task_id!r} cannot be upstream of itself")
        if not any(u is upstream and d is downstream for u, d in self._edges):
            self._edges.append((upstream, downstream))


def _as_pipeline(value: Task | Pipeline) -> Pipeline:
    if isinstance(value, Pipeline):
        return value
    if isinstance(value, Task):
        return Pipeline.from_task(value)
    raise TypeError(f"a pipeline combines Tasks and Pipelines, got {type(value).__name__}")


def to_pipeline(value: Pipeline | Task | Sequence[Task]) -> Pipeline:
    """A Pipeline, a Task, or daisy 1.x's list of tasks (with their ``upstream_tasks``, followed transitively)."""
    if isinstance(value, Pipeline):
        start: list[Task] = list(value.tasks)
        pipeline = Pipeline(value.tasks, value.edges)
    elif isinstance(value, Task):
        start = [value]
        pipeline = Pipeline()
    elif isinstance(value, (list, tuple)):
        start = list(value)
        pipeline = Pipeline()
    else:
        raise TypeError(f"expected a Pipeline, a Task or a list of Tasks, got {type(value).__name__}")
    seen: set[int] = set()
    pending = list(start)
    while pending:
        task = pending.pop(0)
        if not isinstance(task, Task):
            raise TypeError(f"expected Tasks, got {type(task).__name__}")
        if id(task) in seen:
            continue
        seen.add(id(task))
        pipeline._add_task(task)
        for upstream in task.upstream_tasks:
            pipeline._add_task(upstream)
            pipeline._add_edge(upstream, task)
            pending.append(upstream)
    if not pipeline.tasks:
        raise ValueError("run_blockwise needs at least one task")
    return pipeline
