"""Turn daisy 1.2.3 into JSON test vectors for daisychain's TypeScript tests.

Run with the oracle's virtualenv (``bash clients/python/env/make-venv.sh daisy1``)::

    .cache/venv-daisy1/bin/python tests/oracle/generate_vectors.py --out tests/vectors
    .cache/venv-daisy1/bin/python tests/oracle/generate_vectors.py --out tests/vectors --check

The script only *calls* daisy; it never reimplements it. Every random choice
comes from ``random.Random(seed)`` with fixed seeds, the JSON is written with
sorted keys, no indentation, ``(",", ":")`` separators and one trailing
newline, and the script re-executes itself with ``PYTHONHASHSEED=0`` (daisy
keeps blocks in Python sets, whose order follows the string hash seed), so two
runs produce byte-identical files. ``--check`` regenerates into memory and
exits 1 with a summary of the differing cases when the files in ``--out``
differ.

graph.json
----------
``{"daisy": "1.2.3", "cases": [...]}``. Each case describes one set of tasks
(one task, or a chain of 2-4 tasks in which a task lists 1-2 earlier tasks as
upstream tasks) and what daisy's ``BlockwiseDependencyGraph`` (per task) and
``DependencyGraph`` (all tasks) say about it: ``numBlocks`` and ``numLevels``
per task, ``rootTasks`` and ``roots`` (block ids in the order
``DependencyGraph.roots()``'s generators yield them), ``blocks`` (every block
in the order ``enumerate_all_dependencies()`` yields it, task by task in the
order of ``tasks``, with its read/write ROI after ``fit``, its level, and its
upstream and downstream blocks from ``DependencyGraph.upstream/downstream`` as
sorted, de-duplicated ``[taskId, blockId]`` pairs) and ``subgraph`` (up to three
``get_subgraph_blocks(roi, read_roi=...)`` queries with ids in returned
order). A configuration on which daisy raises, or for which daisy's own
numbers disagree with each other (``num_blocks`` differs from the number of
blocks enumerated, as happens when the total write ROI has a negative size),
is dropped and another one is drawn; the counts are printed to stderr.

scheduler.json
--------------
``{"daisy": "1.2.3", "cases": [...]}``. Each case runs
``daisy.Scheduler(tasks, count_all_orphans=...)`` with this deterministic
driver, which the TypeScript tests implement identically::

    P = parallelism (1..6); processing = []  (FIFO); acquires = 0
    attempts = {}  # (taskId, blockId) -> number of times acquired
    loop:
        while len(processing) < P:
            ready = sorted(t.task_id for t in scheduler.get_ready_tasks())
            if not ready: break
            task_id = ready[acquires % len(ready)]; acquires += 1
            block = scheduler.acquire_block(task_id)
            if block is None: continue
            events.append(["acquire", task_id, block_id])
            attempts[(task_id, block_id)] += 1   # 0 before the first acquire
            processing.append(block)
        if not processing: break
        block = processing.pop(0)
        attempt = attempts[(task_id, block_id)] - 1
        fail = always_fails(block) or transient_fail(block, attempt)
        block.status = FAILED if fail else SUCCESS
        scheduler.release_block(block)
        events.append(["release", task_id, block_id, "failed" if fail else "success"])

with ``block_id = block.block_id[1]``, ``t = task_index`` (the task's position
in the case's ``tasks`` list) and::

    always_fails(b)            = (block_id * 13 + t * 7) % 100 < permPct
    transient_fail(b, attempt) = (block_id * 7919 + attempt * 104729 + t * 31) % 100 < transientPct
    check(b)                   = (block_id * 31 + t * 17) % 100 < skipPct

The check function is ``None`` when ``skipPct`` is 0. A case records the tasks
(as in graph.json, with ``maxRetries``), ``countAllOrphans``, ``parallelism``,
``permPct``, ``transientPct``, ``skipPct``, the ``events``, ``finalStates``
(the counters of ``scheduler.task_states`` per task), ``failedIds`` (blocks
passed to ``ReadySurface.mark_failure``, i.e. permanently failed, sorted),
``orphanedIds`` (everything ``mark_failure`` returned, sorted, with
repetitions when daisy orphans a block twice) and ``skippedIds`` (blocks for
which the check function answered True, sorted). A configuration on which
daisy raises is dropped and another one is drawn (counted on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import daisy
from daisy.dependency_graph import DependencyGraph

DAISY_VERSION = "1.2.3"
FITS = ("valid", "overhang", "shrink")

NUM_SINGLE_GRAPH_CASES = 160
NUM_MULTI_GRAPH_CASES = 90
NUM_SCHEDULER_CASES = 72
SUBGRAPH_QUERIES_PER_CASE = 3
# daisy raises on every query of a task whose total write ROI is empty: give up
# on a case's queries after this many draws (such cases keep fewer queries)
SUBGRAPH_DRAWS_PER_CASE = 40
MAX_GRAPH_BLOCKS_PER_CASE = 220
MAX_DRAWS = 100_000

Json = Any
Vec = list[int]


# --------------------------------------------------------------------------
# configurations


@dataclass(frozen=True)
class TaskSpec:
    """One daisy task, in the vocabulary of the JSON vectors."""

    task_id: str
    total_offset: Vec
    total_shape: Vec
    read_offset: Vec
    read_shape: Vec
    write_offset: Vec
    write_shape: Vec
    read_write_conflict: bool
    fit: str
    upstream: list[str] = field(default_factory=list)
    max_retries: int = 2

    def to_json(self) -> Json:
        return {
            "taskId": self.task_id,
            "totalRoi": roi_json(self.total_offset, self.total_shape),
            "readRoi": roi_json(self.read_offset, self.read_shape),
            "writeRoi": roi_json(self.write_offset, self.write_shape),
            "readWriteConflict": self.read_write_conflict,
            "fit": self.fit,
            "upstreamTasks": list(self.upstream),
            "maxRetries": self.max_retries,
        }


def roi_json(offset: Iterable[int | None], shape: Iterable[int | None]) -> Json:
    return {
        "offset": [None if x is None else int(x) for x in offset],
        "shape": [None if x is None else int(x) for x in shape],
    }


def daisy_roi_json(roi: Any) -> Json:
    return roi_json(roi.offset, roi.shape)


def make_tasks(
    specs: Sequence[TaskSpec],
    check_functions: Sequence[Callable[[Any], bool] | None] | None = None,
) -> list[Any]:
    """Build daisy Tasks; upstream tasks always precede the tasks needing them."""
    by_id: dict[str, Any] = {}
    tasks = []
    for index, spec in enumerate(specs):
        task = daisy.Task(
            spec.task_id,
            total_roi=daisy.Roi(spec.total_offset, spec.total_shape),
            read_roi=daisy.Roi(spec.read_offset, spec.read_shape),
            write_roi=daisy.Roi(spec.write_offset, spec.write_shape),
            process_function=lambda block: None,
            check_function=None if check_functions is None else check_functions[index],
            read_write_conflict=spec.read_write_conflict,
            max_retries=spec.max_retries,
            fit=spec.fit,
            upstream_tasks=[by_id[u] for u in spec.upstream],
        )
        by_id[spec.task_id] = task
        tasks.append(task)
    return tasks


def draw_block_rois(rng: Random, dims: int) -> tuple[Vec, Vec, Vec, Vec]:
    """Block read and write ROIs with independent context on both sides."""
    write_shape = [rng.randint(1, 7) for _ in range(dims)]
    before = [rng.randint(0, 4) for _ in range(dims)]
    after = [rng.randint(0, 4) for _ in range(dims)]
    read_shape = [b + w + a for b, w, a in zip(before, write_shape, after)]
    style = rng.random()
    if style < 0.4:
        # read ROI starts before the origin, write ROI at the origin
        read_offset = [-b for b in before]
    elif style < 0.7:
        # read ROI at the origin, write ROI shifted by the context
        read_offset = [0] * dims
    else:
        read_offset = [rng.randint(-6, 6) for _ in range(dims)]
    write_offset = [r + b for r, b in zip(read_offset, before)]
    return read_offset, read_shape, write_offset, write_shape


def split_block_budget(rng: Random, dims: int, budget: int) -> list[int]:
    """Number of write blocks per dimension, with a product of at most budget."""
    counts = [1] * dims
    remaining = max(budget, 1)
    for d in rng.sample(range(dims), dims):
        others = dims - 1 - sum(1 for c in counts if c != 1)
        limit = max(1, round(remaining ** (1.0 / max(1, others + 1)) * rng.uniform(0.5, 1.6)))
        counts[d] = rng.randint(1, max(1, min(limit, remaining)))
        remaining = max(1, remaining // counts[d])
    return counts


def draw_single_task(rng: Random, task_id: str, max_blocks: int, conflict: bool | None = None) -> TaskSpec:
    dims = rng.randint(1, 3)
    read_offset, read_shape, write_offset, write_shape = draw_block_rois(rng, dims)
    context = [r - w for r, w in zip(read_shape, write_shape)]
    kind = rng.random()
    if kind < 0.08:
        # total ROI smaller than one block (read ROI) in every dimension: the
        # total write ROI is smaller than one write block
        total_write = [rng.randint(0, w - 1) for w in write_shape]
    elif kind < 0.14:
        # one dimension has less than one write block
        counts = split_block_budget(rng, dims, max_blocks)
        total_write = [n * w + rng.randint(0, w - 1) for n, w in zip(counts, write_shape)]
        d = rng.randrange(dims)
        total_write[d] = rng.randint(0, write_shape[d] - 1)
    else:
        counts = split_block_budget(rng, dims, rng.randint(1, max_blocks))
        total_write = [
            n * w + (rng.randint(0, w - 1) if rng.random() < 0.5 else 0) for n, w in zip(counts, write_shape)
        ]
    total_shape = [t + c for t, c in zip(total_write, context)]
    if any(s <= 0 for s in total_shape):
        total_shape = [max(1, s) for s in total_shape]
    total_offset = [rng.randint(-20, 20) for _ in range(dims)]
    return TaskSpec(
        task_id=task_id,
        total_offset=total_offset,
        total_shape=total_shape,
        read_offset=read_offset,
        read_shape=read_shape,
        write_offset=write_offset,
        write_shape=write_shape,
        read_write_conflict=rng.random() < 0.6 if conflict is None else conflict,
        fit=rng.choice(FITS),
        max_retries=rng.randint(0, 3),
    )


def draw_chain(rng: Random, max_blocks_per_task: int) -> list[TaskSpec]:
    """2-4 tasks over overlapping total ROIs in the same dimensions."""
    dims = rng.randint(1, 3)
    num_tasks = rng.randint(2, 4)
    base_offset = [rng.randint(-15, 15) for _ in range(dims)]
    base_extent = [rng.randint(4, 24) for _ in range(dims)]
    if dims == 3:
        base_extent = [max(3, e // 2) for e in base_extent]
    specs: list[TaskSpec] = []
    for i in range(num_tasks):
        task_id = f"t{i}"
        read_offset, read_shape, write_offset, write_shape = draw_block_rois(rng, dims)
        context = [r - w for r, w in zip(read_shape, write_shape)]
        # the total write ROI jitters around the common base region
        lo = [b + rng.randint(-2, 2) for b in base_offset]
        hi = [b + e + rng.randint(-2, 2) for b, e in zip(base_offset, base_extent)]
        total_write_shape = [max(1, h - low) for low, h in zip(lo, hi)]
        # keep the number of blocks bounded
        while _grid_count(total_write_shape, write_shape) > max_blocks_per_task:
            d = max(range(dims), key=lambda k: total_write_shape[k] // write_shape[k])
            total_write_shape[d] = max(1, total_write_shape[d] // 2)
        before = [w - r for w, r in zip(write_offset, read_offset)]
        total_offset = [low - b for low, b in zip(lo, before)]
        total_shape = [t + c for t, c in zip(total_write_shape, context)]
        upstream: list[str] = []
        if i > 0 and rng.random() < 0.9:
            upstream = sorted(rng.sample([s.task_id for s in specs], min(i, rng.randint(1, 2))))
        specs.append(
            TaskSpec(
                task_id=task_id,
                total_offset=total_offset,
                total_shape=total_shape,
                read_offset=read_offset,
                read_shape=read_shape,
                write_offset=write_offset,
                write_shape=write_shape,
                read_write_conflict=rng.random() < 0.6,
                fit=rng.choice(FITS),
                upstream=upstream,
                max_retries=rng.randint(0, 3),
            )
        )
    return specs


def _grid_count(total: Sequence[int], write: Sequence[int]) -> int:
    n = 1
    for t, w in zip(total, write):
        n *= -(-t // w)
    return n


@dataclass
class Counters:
    """Why configurations were dropped (reported on stderr)."""

    raised: dict[str, int] = field(default_factory=dict)
    inconsistent: int = 0
    out_of_range: int = 0
    subgraph_raised: int = 0

    def add_raise(self, error: BaseException) -> None:
        name = type(error).__name__
        self.raised[name] = self.raised.get(name, 0) + 1

    def summary(self) -> str:
        raised = ", ".join(f"{k} {v}" for k, v in sorted(self.raised.items())) or "none"
        return (
            f"daisy raised: {raised}; inconsistent counts: {self.inconsistent}; "
            f"outside the wanted size: {self.out_of_range}; "
            f"subgraph queries that raised: {self.subgraph_raised}"
        )


class InconsistentError(Exception):
    """daisy's own numbers disagree (e.g. a negative num_blocks)."""


# --------------------------------------------------------------------------
# graph.json


def block_ref(block: Any) -> tuple[str, int]:
    return (str(block.task_id), int(block.block_id[1]))


def refs(blocks: Iterable[Any]) -> list[list[Any]]:
    return [list(r) for r in sorted({block_ref(b) for b in blocks})]


def downstream_mismatches(graph: Any, specs: Sequence[TaskSpec]) -> int:
    """Blocks whose ``downstream`` in daisy is not the inverse of ``upstream``.

    daisy 1.2.3 finds the downstream blocks of another task by growing the
    write ROI with the context the way a read ROI grows (negative part below),
    which mirrors the context: with an asymmetric context it misses blocks that
    do read this one and names blocks that do not. Its scheduler then stalls or
    hands a block out twice. daisychain uses the exact inverse; the tests check
    daisy's own answers only where daisy agrees with itself.
    """
    local: dict[str, Any] = graph.task_dependency_graphs
    blocks = [b for s in specs for b, _ in local[s.task_id].enumerate_all_dependencies()]
    inverse: dict[tuple[str, int], set[tuple[str, int]]] = {block_ref(b): set() for b in blocks}
    for block in blocks:
        for up in graph.upstream(block):
            inverse.setdefault(block_ref(up), set()).add(block_ref(block))
    return sum(1 for b in blocks if set(map(block_ref, graph.downstream(b))) != inverse[block_ref(b)])


def graph_case(name: str, specs: Sequence[TaskSpec], rng: Random, counters: Counters) -> Json:
    """Ask daisy everything graph.json records about one configuration."""
    tasks = make_tasks(specs)
    graph = DependencyGraph(tasks)
    local: dict[str, Any] = graph.task_dependency_graphs

    num_blocks = {s.task_id: int(local[s.task_id].num_blocks) for s in specs}
    num_levels = {s.task_id: int(local[s.task_id].num_levels) for s in specs}
    roots_by_task = graph.roots()
    root_tasks = [str(t) for t in roots_by_task]
    roots: dict[str, list[int]] = {}
    for task_id, (num_roots, generator) in roots_by_task.items():
        ids = [int(b.block_id[1]) for b in generator]
        if int(num_roots) != len(ids):
            raise InconsistentError(f"{task_id}: num_roots {num_roots} but {len(ids)} roots")
        roots[str(task_id)] = ids

    blocks: list[Json] = []
    for spec in specs:
        task_graph = local[spec.task_id]
        count = 0
        for block, _ in task_graph.enumerate_all_dependencies():
            count += 1
            blocks.append(
                {
                    "taskId": spec.task_id,
                    "blockId": int(block.block_id[1]),
                    "level": int(task_graph._level(block)),
                    "readRoi": daisy_roi_json(block.read_roi),
                    "writeRoi": daisy_roi_json(block.write_roi),
                    "upstream": refs(graph.upstream(block)),
                    "downstream": refs(graph.downstream(block)),
                }
            )
        if count != num_blocks[spec.task_id]:
            raise InconsistentError(f"{spec.task_id}: num_blocks {num_blocks[spec.task_id]} but {count} blocks")

    subgraph: list[Json] = []
    for _ in range(SUBGRAPH_DRAWS_PER_CASE):
        if len(subgraph) == SUBGRAPH_QUERIES_PER_CASE:
            break
        spec = rng.choice(list(specs))
        offset, shape = draw_sub_roi(rng, spec)
        read_roi = rng.random() < 0.5
        try:
            found = local[spec.task_id].get_subgraph_blocks(daisy.Roi(offset, shape), read_roi=read_roi)
        except Exception:  # noqa: BLE001 - any error of daisy's drops the query
            # daisy cannot answer a query whose ROI misses the total write ROI
            counters.subgraph_raised += 1
            continue
        subgraph.append(
            {
                "taskId": spec.task_id,
                "roi": roi_json(offset, shape),
                "readRoi": read_roi,
                "blockIds": [int(b.block_id[1]) for b in found],
            }
        )

    return {
        "name": name,
        "tasks": [s.to_json() for s in specs],
        "numBlocks": num_blocks,
        "numLevels": num_levels,
        "rootTasks": root_tasks,
        "roots": roots,
        "blocks": blocks,
        "subgraph": subgraph,
        "daisyDownstreamMismatches": downstream_mismatches(graph, specs),
    }


def draw_sub_roi(rng: Random, spec: TaskSpec) -> tuple[Vec, Vec]:
    """A non-empty ROI that intersects the task's total ROI."""
    offset: Vec = []
    shape: Vec = []
    for begin, size in zip(spec.total_offset, spec.total_shape):
        end = begin + size
        lo = rng.randint(begin - 6, end - 1)
        min_size = max(1, begin - lo + 1)
        shape.append(rng.randint(min_size, min_size + max(1, size // 2) + 4))
        offset.append(lo)
    return offset, shape


def generate_graph(counters: Counters) -> Json:
    rng = Random(20_240_601)
    cases: list[Json] = []

    def attempt(name: str, draw: Callable[[], list[TaskSpec]]) -> None:
        for _ in range(MAX_DRAWS):
            specs = draw()
            try:
                case = graph_case(name, specs, Random(rng.getrandbits(64)), counters)
            except InconsistentError:
                counters.inconsistent += 1
                continue
            except Exception as error:  # noqa: BLE001 - any error of daisy's drops the configuration
                counters.add_raise(error)
                continue
            if len(case["blocks"]) > MAX_GRAPH_BLOCKS_PER_CASE:
                counters.out_of_range += 1
                continue
            cases.append(case)
            return
        raise RuntimeError(f"no usable configuration for {name}")

    for i in range(NUM_SINGLE_GRAPH_CASES):
        attempt(f"single-{i:03d}", lambda: [_graph_spec(draw_single_task(rng, "t0", 150))])
    for i in range(NUM_MULTI_GRAPH_CASES):
        attempt(f"multi-{i:03d}", lambda: [_graph_spec(s) for s in draw_chain(rng, 60)])
    return {"daisy": DAISY_VERSION, "cases": cases}


def _graph_spec(spec: TaskSpec) -> TaskSpec:
    """graph.json cases use daisy's default max_retries."""
    return TaskSpec(**{**spec.__dict__, "max_retries": 2})


# --------------------------------------------------------------------------
# scheduler.json


def always_fails(block_id: int, task_index: int, perm_pct: int) -> bool:
    return (block_id * 13 + task_index * 7) % 100 < perm_pct


def transient_fail(block_id: int, attempt: int, task_index: int, transient_pct: int) -> bool:
    return (block_id * 7919 + attempt * 104729 + task_index * 31) % 100 < transient_pct


def check_done(block_id: int, task_index: int, skip_pct: int) -> bool:
    return (block_id * 31 + task_index * 17) % 100 < skip_pct


@dataclass(frozen=True)
class SchedulerConfig:
    specs: list[TaskSpec]
    count_all_orphans: bool
    parallelism: int
    perm_pct: int
    transient_pct: int
    skip_pct: int


class DaisyAnomaly(Exception):
    """The run broke an invariant daisy's scheduler is meant to keep."""


def run_scheduler(name: str, config: SchedulerConfig) -> Json:
    specs = config.specs
    task_index = {s.task_id: i for i, s in enumerate(specs)}
    skipped: dict[str, list[int]] = {s.task_id: [] for s in specs}
    orphaned: dict[str, list[int]] = {s.task_id: [] for s in specs}
    failed: dict[str, list[int]] = {s.task_id: [] for s in specs}

    def make_check(index: int, task_id: str) -> Callable[[Any], bool]:
        def check(block: Any) -> bool:
            done = check_done(int(block.block_id[1]), index, config.skip_pct)
            if done:
                skipped[task_id].append(int(block.block_id[1]))
            return done

        return check

    checks: list[Callable[[Any], bool] | None] = [
        None if config.skip_pct == 0 else make_check(i, s.task_id) for i, s in enumerate(specs)
    ]
    scheduler = daisy.Scheduler(make_tasks(specs, checks), count_all_orphans=config.count_all_orphans)

    surface = scheduler.ready_surface
    original_mark_failure = surface.mark_failure

    def mark_failure(node: Any, count_all_orphans: bool = False) -> Any:
        orphans = original_mark_failure(node, count_all_orphans=count_all_orphans)
        failed[str(node.task_id)].append(int(node.block_id[1]))
        for orphan in orphans:
            orphaned[str(orphan.task_id)].append(int(orphan.block_id[1]))
        return orphans

    surface.mark_failure = mark_failure

    total_blocks = sum(int(scheduler.task_states[s.task_id].total_block_count) for s in specs)
    max_events = 10 * (total_blocks + 1) * (max(s.max_retries for s in specs) + 1)
    events: list[list[Any]] = []
    attempts: dict[tuple[str, int], int] = {}
    processing: list[Any] = []
    acquires = 0
    while True:
        while len(processing) < config.parallelism:
            ready = sorted(str(t.task_id) for t in scheduler.get_ready_tasks())
            if not ready:
                break
            task_id = ready[acquires % len(ready)]
            acquires += 1
            block = scheduler.acquire_block(task_id)
            if block is None:
                continue
            key = (task_id, int(block.block_id[1]))
            events.append(["acquire", key[0], key[1]])
            attempts[key] = attempts.get(key, 0) + 1
            processing.append(block)
        if not processing:
            break
        block = processing.pop(0)
        key = (str(block.task_id), int(block.block_id[1]))
        t = task_index[key[0]]
        fail = always_fails(key[1], t, config.perm_pct) or transient_fail(
            key[1], attempts[key] - 1, t, config.transient_pct
        )
        block.status = daisy.BlockStatus.FAILED if fail else daisy.BlockStatus.SUCCESS
        scheduler.release_block(block)
        events.append(["release", key[0], key[1], "failed" if fail else "success"])
        if len(events) > max_events:
            raise DaisyAnomaly("the run does not end")

    final_states: dict[str, Json] = {}
    for task_id, state in scheduler.task_states.items():
        final_states[str(task_id)] = {
            "totalBlockCount": int(state.total_block_count),
            "readyCount": int(state.ready_count),
            "processingCount": int(state.processing_count),
            "pendingCount": int(state.pending_count),
            "completedCount": int(state.completed_count),
            "skippedCount": int(state.skipped_count),
            "failedCount": int(state.failed_count),
            "orphanedCount": int(state.orphaned_count),
            "isDone": bool(state.is_done()),
        }

    return {
        "name": name,
        "tasks": [s.to_json() for s in specs],
        "countAllOrphans": config.count_all_orphans,
        "parallelism": config.parallelism,
        "permPct": config.perm_pct,
        "transientPct": config.transient_pct,
        "skipPct": config.skip_pct,
        "events": events,
        "finalStates": final_states,
        "failedIds": {k: sorted(v) for k, v in failed.items()},
        "orphanedIds": {k: sorted(v) for k, v in orphaned.items()},
        "skippedIds": {k: sorted(v) for k, v in skipped.items()},
        "daisyDownstreamMismatches": downstream_mismatches(scheduler.dependency_graph, specs),
    }


def draw_scheduler_config(rng: Random, index: int) -> SchedulerConfig:
    if index % 3 == 2:
        specs = draw_chain(rng, 100)
    else:
        spec = draw_single_task(rng, "t0", 300, conflict=rng.random() < 0.8)
        specs = [spec]
    no_failures = index % 6 == 0
    perm_pct = 0 if no_failures else rng.randint(0, 15)
    transient_pct = 0 if no_failures else rng.randint(0, 40)
    return SchedulerConfig(
        specs=specs,
        count_all_orphans=index % 2 == 0,
        parallelism=rng.randint(1, 6),
        perm_pct=perm_pct,
        transient_pct=transient_pct,
        skip_pct=0 if rng.random() < 0.5 else rng.randint(1, 30),
    )


def generate_scheduler(counters: Counters) -> Json:
    rng = Random(20_240_602)
    cases: list[Json] = []
    for i in range(NUM_SCHEDULER_CASES):
        name = f"sched-{i:03d}"
        for _ in range(MAX_DRAWS):
            config = draw_scheduler_config(rng, i)
            try:
                graph = DependencyGraph(make_tasks(config.specs))
                total = sum(int(graph.num_blocks(s.task_id)) for s in config.specs)
                if not 5 <= total <= 300 or any(int(graph.num_blocks(s.task_id)) < 1 for s in config.specs):
                    counters.out_of_range += 1
                    continue
                case = run_scheduler(name, config)
            except Exception as error:  # noqa: BLE001 - any error of daisy's drops the configuration
                counters.add_raise(error)
                continue
            cases.append(case)
            break
        else:
            raise RuntimeError(f"no usable configuration for {name}")
    return {"daisy": DAISY_VERSION, "cases": cases}


# --------------------------------------------------------------------------
# output


def dump(data: Json) -> str:
    return json.dumps(data, sort_keys=True, indent=None, separators=(",", ":"), allow_nan=False) + "\n"


def diff_summary(name: str, expected: str, path: Path) -> list[str]:
    if not path.exists():
        return [f"{path}: missing"]
    actual = path.read_text(encoding="utf-8")
    if actual == expected:
        return []
    lines = [f"{path}: differs from what daisy {DAISY_VERSION} produces now"]
    try:
        old = {c["name"]: c for c in json.loads(actual)["cases"]}
    except (ValueError, KeyError, TypeError):
        return [*lines, "  (the file is not a vector file)"]
    new = {c["name"]: c for c in json.loads(expected)["cases"]}
    changed = sorted(n for n in new.keys() & old.keys() if new[n] != old[n])
    added = sorted(new.keys() - old.keys())
    removed = sorted(old.keys() - new.keys())
    for label, names in (("changed", changed), ("missing", added), ("unexpected", removed)):
        if names:
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            lines.append(f"  {len(names)} {label} case(s): {shown}")
    for n in changed[:3]:
        keys = sorted(k for k in new[n].keys() | old[n].keys() if new[n].get(k) != old[n].get(k))
        lines.append(f"  {n}: fields {', '.join(keys)} differ")
    if not (changed or added or removed):
        lines.append("  same cases, different bytes (formatting or top-level fields)")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="directory of graph.json and scheduler.json")
    parser.add_argument("--check", action="store_true", help="compare with the files in --out instead of writing")
    args = parser.parse_args(argv)

    version = getattr(daisy, "__version__", None)
    if version is None:
        from importlib.metadata import version as package_version

        version = package_version("daisy")
    if version != DAISY_VERSION:
        print(f"generate_vectors: need daisy {DAISY_VERSION}, found {version}", file=sys.stderr)
        return 2

    started = time.monotonic()
    counters = Counters()
    outputs = {
        "graph.json": dump(generate_graph(counters)),
        "scheduler.json": dump(generate_scheduler(counters)),
    }
    elapsed = time.monotonic() - started
    print(f"generate_vectors: dropped configurations: {counters.summary()}", file=sys.stderr)

    if args.check:
        problems: list[str] = []
        for name, text in outputs.items():
            problems += diff_summary(name, text, args.out / name)
        if problems:
            print("\n".join(problems), file=sys.stderr)
            print(
                "regenerate with: .cache/venv-daisy1/bin/python tests/oracle/generate_vectors.py --out tests/vectors",
                file=sys.stderr,
            )
            return 1
        print(f"generate_vectors: {args.out} is up to date ({elapsed:.1f} s)")
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (args.out / name).write_text(text, encoding="utf-8")
    sizes = ", ".join(f"{n} {len(t.encode()) / 1e6:.2f} MB" for n, t in outputs.items())
    print(f"generate_vectors: wrote {sizes} to {args.out} in {elapsed:.1f} s")
    return 0


def _ensure_hash_seed() -> None:
    """daisy iterates Python sets of blocks: pin the hash seed, re-executing if needed."""
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, *sys.argv])


if __name__ == "__main__":
    _ensure_hash_seed()
    sys.exit(main())
