import { DependencyGraph } from '../dependencies/dependency-graph.js';
import { type Block, BlockStatus } from '../model/block.js';
import { type DoneMarks, KeyedDoneMarks } from './done-marks.js';
import { ProcessingQueue } from './processing-queue.js';
import { ReadySurface } from './ready-surface.js';
import type { Task } from '../model/task.js';
import { TaskState } from '../model/task-state.js';

export interface SchedulerOptions {
  /**
   * daisy's flag. daisy 1.2.3 enumerates every orphan whatever its value, and
   * so does this scheduler, so that counts agree with daisy; it is accepted
   * for compatibility.
   */
  countAllOrphans?: boolean;
  /** Called for each permanent failure with the ids of the blocks it orphaned. */
  onPermanentFailure?: (block: Block, orphans: ReadonlyArray<readonly [taskId: string, blockId: number]>) => void;
  /**
   * Where pre-checks run. `'inline'` (the default, daisy's way): `acquireBlock`
   * calls the task's pre-check and skips done blocks itself, so the check must
   * answer synchronously. `'external'`: `acquireBlock` hands out blocks
   * unchecked and the caller settles each one it checks, with `releaseSkipped`
   * (done) or `markRunning` (to run); the service does this, since it may
   * await asynchronous checks.
   */
  checks?: SchedulerChecks;
  /**
   * Done markers by task id (daisy 2.0's tracking; src/tracking's
   * `BlockTracker`). A ready block whose cell is set is skipped before any
   * check, counted skipped and completed, without building or handing out
   * the block; a block that succeeds is marked, and each failed attempt is
   * counted.
   */
  doneMarks?: ReadonlyMap<string, DoneMarks>;
  /**
   * At most this many marked blocks are skipped inside one `acquireBlock`;
   * beyond, it returns null with marked blocks still ahead
   * (`hasMarkedAhead`), and `skipMarked` goes on, so that a caller serving
   * other work (the service) is never blocked for long. Default: no bound.
   */
  markedSkipsPerAcquire?: number;
  /**
   * The failed attempts counted in the done markers (`doneMarks`) spend the
   * blocks' retries, as if they had failed here: a pipeline that a durable
   * server resumes after a crash goes on with its blocks' attempts rather
   * than starting them over. Off by default, so that running a task again
   * on purpose retries the blocks that failed before.
   */
  retriesFromMarks?: boolean;
}

export type SchedulerChecks = 'inline' | 'external';

export class SchedulerError extends Error {
  override name = 'SchedulerError';
}

/** What became of a released block. */
export type ReleaseOutcome = 'succeeded' | 'retried' | 'failed';

interface TaskRuntime {
  readonly task: Task;
  readonly index: number;
  readonly state: TaskState;
  queue: ProcessingQueue;
  /** Blocks handed out and not yet released: block id -> global key. */
  readonly processing: Map<number, number>;
  /** Failed attempts of blocks that will be retried. */
  readonly retries: Map<number, number>;
  /**
   * Ids of the blocks that failed for good. A block that ran is always
   * listed; of those failed by abandonment without running, only the first
   * `LISTED_ABANDONED` roots not yet generated are, the others are counted
   * in `unlistedFailed`.
   */
  readonly failedBlockIds: number[];
  unlistedFailed: number;
  /** The task's done markers, or null when it is not tracked. */
  readonly marks: KeyedDoneMarks | null;
}

/** How many never-generated roots of an abandoned task are named in `failedBlockIds`. */
const LISTED_ABANDONED = 1024;

/**
 * Hands out ready blocks of a set of tasks and takes back their results:
 * checks blocks first (skipping those already done), retries failures up to
 * `maxRetries`, and orphans everything downstream of a permanent failure.
 * Only the ready surface is held in memory, never the whole block graph.
 */
export class Scheduler {
  readonly dependencyGraph: DependencyGraph;
  readonly countAllOrphans: boolean;
  /** Per task id, in daisy's order: root tasks first. */
  readonly taskStates = new Map<string, TaskState>();
  private readonly readySurface: ReadySurface;
  private readonly runtimes: TaskRuntime[];
  private readonly runtimeById = new Map<string, TaskRuntime>();
  private readonly onPermanentFailure: SchedulerOptions['onPermanentFailure'];
  private readonly inlineChecks: boolean;
  private readonly markedSkipsPerAcquire: number;
  private readonly retriesFromMarks: boolean;

  constructor(tasks: readonly Task[], options: SchedulerOptions = {}) {
    this.dependencyGraph = new DependencyGraph(tasks);
    this.readySurface = new ReadySurface(this.dependencyGraph);
    this.countAllOrphans = options.countAllOrphans ?? true;
    this.onPermanentFailure = options.onPermanentFailure;
    const checks = options.checks ?? 'inline';
    if (checks !== 'inline' && checks !== 'external') {
      throw new SchedulerError(`checks must be 'inline' or 'external', got ${JSON.stringify(checks)}`);
    }
    this.inlineChecks = checks === 'inline';
    this.markedSkipsPerAcquire = options.markedSkipsPerAcquire ?? Infinity;
    this.retriesFromMarks = options.retriesFromMarks ?? false;
    const graph = this.dependencyGraph;
    const doneMarks = options.doneMarks ?? new Map<string, DoneMarks>();
    for (const taskId of doneMarks.keys()) {
      if (!graph.tasks.some((task) => task.taskId === taskId)) {
        throw new SchedulerError(`doneMarks names task ${JSON.stringify(taskId)}, which is not one of the scheduled tasks`);
      }
    }
    this.runtimes = graph.tasks.map((task, index) => ({
      task,
      index,
      state: new TaskState(graph.graphs[index]!.numBlocks),
      queue: new ProcessingQueue(0, null),
      processing: new Map(),
      retries: new Map(),
      failedBlockIds: [],
      unlistedFailed: 0,
      marks: doneMarks.has(task.taskId) ? new KeyedDoneMarks(doneMarks.get(task.taskId)!, graph.graphs[index]!) : null,
    }));
    const rootIndices = graph.rootTaskIndices();
    for (const index of rootIndices) {
      const runtime = this.runtimes[index]!;
      const local = graph.graphs[index]!;
      runtime.queue = new ProcessingQueue(local.numRoots(), this.globalRootKeys(index));
      runtime.state.becameReady(local.numRoots());
    }
    for (const runtime of this.runtimes) {
      if (rootIndices.includes(runtime.index)) continue;
      let count = 0;
      for (const _ of graph.detachedKeys(runtime.index)) count++;
      if (count === 0) continue;
      runtime.queue = new ProcessingQueue(count, graph.detachedKeys(runtime.index));
      runtime.state.becameReady(count);
    }
    const order = [...rootIndices, ...this.runtimes.map((r) => r.index).filter((i) => !rootIndices.includes(i))];
    for (const index of order) {
      const runtime = this.runtimes[index]!;
      this.taskStates.set(runtime.task.taskId, runtime.state);
      this.runtimeById.set(runtime.task.taskId, runtime);
    }
  }

  private *globalRootKeys(taskIndex: number): Generator<number> {
    for (const local of this.dependencyGraph.graphs[taskIndex]!.rootKeys()) {
      yield this.dependencyGraph.globalKey(taskIndex, local);
    }
  }

  private runtime(taskId: string): TaskRuntime {
    const runtime = this.runtimeById.get(taskId);
    if (runtime === undefined) {
      throw new SchedulerError(
        `unknown task id ${JSON.stringify(taskId)}; known tasks: ${[...this.runtimeById.keys()].map((t) => JSON.stringify(t)).join(', ')}`,
      );
    }
    return runtime;
  }

  get tasks(): readonly Task[] {
    return this.dependencyGraph.tasks;
  }

  /** Tasks that have blocks ready to hand out now. */
  getReadyTasks(): Task[] {
    const ready: Task[] = [];
    for (const runtime of this.runtimeById.values()) if (runtime.state.readyCount > 0) ready.push(runtime.task);
    return ready;
  }

  /**
   * Ids of the blocks of a task that failed permanently, in order of failure.
   * Bounded: an abandoned task's roots never generated are named up to a
   * limit, the rest are in `unlistedFailedCount`.
   */
  failedBlockIds(taskId: string): readonly number[] {
    return this.runtime(taskId).failedBlockIds;
  }

  /** Blocks failed for good (by abandonment) that `failedBlockIds` does not name: failedCount - failedBlockIds.length. */
  unlistedFailedCount(taskId: string): number {
    return this.runtime(taskId).unlistedFailed;
  }

  /**
   * A ready block of `taskId` that may run now, or null when none is ready.
   * With inline checks, blocks the task's pre-check reports as done are
   * skipped (counted as skipped and completed) without being handed out.
   * With external checks, a block of a task that has a pre-check is handed
   * out unchecked: it counts as processing, and the caller settles it with
   * `releaseSkipped` or `markRunning`.
   */
  acquireBlock(taskId: string): Block | null {
    const runtime = this.runtime(taskId);
    const { state, task, marks } = runtime;
    let markedSkips = 0;
    for (;;) {
      const key = runtime.queue.next();
      if (key === undefined) return null;
      if (marks !== null && marks.isDone(this.dependencyGraph.localKey(key))) {
        if (markedSkips === this.markedSkipsPerAcquire) {
          runtime.queue.unshift(key);
          return null;
        }
        markedSkips++;
        this.skipMarkedKey(runtime, key);
        continue;
      }
      const block = this.dependencyGraph.block(key);
      if (this.earlierFailures(runtime, block) > task.maxRetries) {
        // It had failed for good before this scheduler (a resumed pipeline): it does not run again.
        block.status = BlockStatus.FAILED;
        this.failPermanently(runtime, block, key, 'ready');
        continue;
      }
      state.handedOut();
      runtime.processing.set(block.blockId, key);
      block.status = BlockStatus.PROCESSING;
      if (task.preCheck !== null) {
        if (!this.inlineChecks) return block;
        if (this.alreadyDone(runtime, key, block)) {
          block.status = BlockStatus.SUCCESS;
          this.settle(runtime, key, block, true);
          continue;
        }
      }
      state.markStarted();
      return block;
    }
  }

  /**
   * Skips marked blocks at the head of the task's queue, at most `budget`,
   * stopping at the first block that is not marked; returns how many it
   * skipped. Marked blocks are skipped by `acquireBlock` too: this lets a
   * caller skip them in slices, ahead of any request.
   */
  skipMarked(taskId: string, budget: number): number {
    const runtime = this.runtime(taskId);
    if (runtime.marks === null) return 0;
    let skipped = 0;
    while (skipped < budget) {
      const key = runtime.queue.next();
      if (key === undefined) break;
      if (!runtime.marks.isDone(this.dependencyGraph.localKey(key))) {
        runtime.queue.unshift(key);
        break;
      }
      this.skipMarkedKey(runtime, key);
      skipped++;
    }
    return skipped;
  }

  /** Whether the next ready block of the task is marked done (to be skipped by `skipMarked` or `acquireBlock`). */
  hasMarkedAhead(taskId: string): boolean {
    const runtime = this.runtime(taskId);
    if (runtime.marks === null) return false;
    const key = runtime.queue.next();
    if (key === undefined) return false;
    runtime.queue.unshift(key);
    return runtime.marks.isDone(this.dependencyGraph.localKey(key));
  }

  /** Whether the task has done markers. */
  isTracked(taskId: string): boolean {
    return this.runtime(taskId).marks !== null;
  }

  /**
   * A marked block leaves the queue as daisy 2.0 skips it (acquired, then
   * released as a skipped success), without a Block, a check or a mark.
   */
  private skipMarkedKey(runtime: TaskRuntime, key: number): void {
    runtime.state.handedOut();
    runtime.state.succeeded(true);
    if (this.readySurface.isCut(key)) return;
    for (const ready of this.readySurface.markSuccess(key)) {
      const target = this.runtimes[this.dependencyGraph.taskIndexOfKey(ready)]!;
      target.queue.push(ready);
      target.state.becameReady();
    }
  }

  /**
   * A block acquired unchecked (external checks) that its pre-check found
   * not done: it will run, so its task has started (skipped blocks do not
   * start a task, as in daisy).
   */
  markRunning(block: Block): void {
    const runtime = this.runtime(block.taskId);
    this.requireProcessing(block);
    runtime.state.markStarted();
  }

  /** How many times a block being processed failed before: 0 on its first attempt. */
  attemptOf(block: Block): number {
    const runtime = this.runtime(block.taskId);
    return runtime.retries.get(this.requireProcessing(block)) ?? this.earlierFailures(runtime, block);
  }

  /** Failed attempts of a block before this scheduler: none, or those its markers counted (`retriesFromMarks`). */
  private earlierFailures(runtime: TaskRuntime, block: Block): number {
    if (!this.retriesFromMarks || runtime.marks === null) return 0;
    return runtime.marks.marks.failures(block);
  }

  private alreadyDone(runtime: TaskRuntime, key: number, block: Block): boolean {
    const { task } = runtime;
    let done: unknown;
    try {
      done = task.preCheck!(block);
    } catch {
      // A check that throws means "not known to be done": run the block (daisy does the same).
      return false;
    }
    if (typeof done === 'boolean') return done;
    if (isThenable(done)) {
      // Nobody will look at this answer: a rejection must not become an unhandled one.
      done.then(undefined, () => {});
      this.putBack(runtime, key, block);
      throw new SchedulerError(
        `the check function of task ${JSON.stringify(task.taskId)} is asynchronous (it returned a Promise): ` +
          'Scheduler.acquireBlock runs checks synchronously; asynchronous checks run in runBlockwise / SchedulerService',
      );
    }
    this.putBack(runtime, key, block);
    throw new SchedulerError(`the check function of task ${JSON.stringify(task.taskId)} must return a boolean, got ${typeof done}`);
  }

  /** Undoes an acquisition that cannot go on, so that a refused call changes no count. */
  private putBack(runtime: TaskRuntime, key: number, block: Block): void {
    runtime.processing.delete(block.blockId);
    runtime.queue.unshift(key);
    runtime.state.handedBack();
    block.status = BlockStatus.CREATED;
  }

  /** Takes back a block with status SUCCESS or FAILED, and says what became of it. */
  releaseBlock(block: Block): ReleaseOutcome {
    const runtime = this.runtime(block.taskId);
    const key = this.requireProcessing(block);
    if (block.status !== BlockStatus.SUCCESS && block.status !== BlockStatus.FAILED) {
      throw new SchedulerError(
        `block ${block.blockId} of task ${JSON.stringify(block.taskId)} was released with status ${BlockStatus[block.status] ?? String(block.status)}; expected SUCCESS or FAILED`,
      );
    }
    return this.settle(runtime, key, block, false);
  }

  /**
   * Takes back a block the worker's own check found already done: counted as
   * skipped and completed, as a block the task's check function skips.
   */
  releaseSkipped(block: Block): ReleaseOutcome {
    const runtime = this.runtime(block.taskId);
    const key = this.requireProcessing(block); // a refused release changes nothing
    block.status = BlockStatus.SUCCESS;
    return this.settle(runtime, key, block, true);
  }

  private settle(runtime: TaskRuntime, key: number, block: Block, skipped: boolean): ReleaseOutcome {
    const outcome = this.settleCounts(runtime, key, block, skipped);
    // Marked last, once the scheduler is consistent: a mark that cannot be written (a full disk) throws to
    // the caller but strands no block; unmarked, the block runs again after a restart (at-least-once).
    // Skipped by a check or run, a success is marked as daisy 2.0 marks it.
    if (outcome === 'succeeded') runtime.marks?.marks.markDone(block);
    else runtime.marks?.marks.countFailure(block);
    return outcome;
  }

  private settleCounts(runtime: TaskRuntime, key: number, block: Block, skipped: boolean): ReleaseOutcome {
    runtime.processing.delete(block.blockId);
    if (block.status === BlockStatus.SUCCESS) {
      runtime.retries.delete(key);
      runtime.state.succeeded(skipped);
      // A cut block's downstream blocks are all cut: counted orphaned already.
      if (this.readySurface.isCut(key)) return 'succeeded';
      for (const ready of this.readySurface.markSuccess(key)) {
        const target = this.runtimes[this.dependencyGraph.taskIndexOfKey(ready)]!;
        target.queue.push(ready);
        target.state.becameReady();
      }
      return 'succeeded';
    }
    const retries = runtime.retries.get(key) ?? this.earlierFailures(runtime, block);
    if (retries >= runtime.task.maxRetries || runtime.state.abandoned) {
      runtime.retries.delete(key);
      this.failPermanently(runtime, block, key, 'processing');
      return 'failed';
    }
    runtime.queue.push(key);
    runtime.state.retried();
    runtime.retries.set(key, retries + 1);
    return 'retried';
  }

  /**
   * Takes back a block its worker never started: it is ready again, first in
   * line, and keeps its attempt count (no attempt was spent). A block of an
   * abandoned task fails instead, as every block that would run does.
   */
  returnBlock(block: Block): void {
    const runtime = this.runtime(block.taskId);
    const key = this.requireProcessing(block);
    runtime.processing.delete(block.blockId);
    block.status = BlockStatus.CREATED;
    if (runtime.state.abandoned) {
      this.failPermanently(runtime, block, key, 'processing');
      return;
    }
    runtime.state.handedBack();
    runtime.queue.unshift(key);
  }

  /**
   * Gives up on a task (its workers cannot run). Every ready block of it
   * fails for good, and every pending block of it and of the tasks
   * downstream of it is orphaned, all at once: the cost is what the
   * scheduler holds, not the tasks' block counts. Blocks being processed
   * finish normally (a success counts; a failure is final); ready blocks of
   * downstream tasks still run, but nothing new becomes ready there.
   * Abandoning twice changes nothing.
   */
  abandonTask(taskId: string): void {
    const runtime = this.runtime(taskId);
    if (runtime.state.abandoned) return;
    const cut = this.downstreamClosure(runtime.index).filter((i) => !this.readySurface.isTaskCut(i));
    const { listed, unlisted } = runtime.queue.clear(Math.max(0, LISTED_ABANDONED - runtime.failedBlockIds.length));
    // Pending counts first, while the task's ready blocks still count as ready.
    for (const index of cut) if (index !== runtime.index) this.runtimes[index]!.state.orphanRest();
    runtime.state.abandonRest();
    this.readySurface.cutTasks(cut);
    runtime.unlistedFailed += unlisted;
    for (const key of listed) {
      const block = this.dependencyGraph.block(key);
      block.status = BlockStatus.FAILED;
      runtime.retries.delete(key);
      runtime.failedBlockIds.push(block.blockId);
      this.onPermanentFailure?.(block, []);
    }
  }

  /** The task and every task downstream of it, by index. */
  private downstreamClosure(index: number): number[] {
    const closure = new Set([index]);
    for (const current of closure) {
      const id = this.runtimes[current]!.task.taskId;
      for (const other of this.runtimes) {
        if (other.task.upstreamTasks.some((up) => up.taskId === id)) closure.add(other.index);
      }
    }
    return [...closure];
  }

  isAbandoned(taskId: string): boolean {
    return this.runtime(taskId).state.abandoned;
  }

  private requireProcessing(block: Block): number {
    const key = this.runtime(block.taskId).processing.get(block.blockId);
    if (key === undefined) {
      throw new SchedulerError(
        `block ${block.blockId} of task ${JSON.stringify(block.taskId)} is not being processed: released twice, or never acquired`,
      );
    }
    return key;
  }

  private failPermanently(runtime: TaskRuntime, block: Block, key: number, from: 'processing' | 'ready'): void {
    // A cut block's downstream blocks are all cut, counted orphaned already.
    const orphans = this.readySurface.isCut(key) ? [] : this.readySurface.markFailure(key);
    runtime.state.failedForGood(from);
    runtime.failedBlockIds.push(block.blockId);
    for (const orphan of orphans) this.runtimes[this.dependencyGraph.taskIndexOfKey(orphan)]!.state.orphanedOne();
    if (this.onPermanentFailure !== undefined) {
      const graph = this.dependencyGraph;
      this.onPermanentFailure(
        block,
        orphans.map((o) => [graph.tasks[graph.taskIndexOfKey(o)]!.taskId, graph.blockId(o)] as const),
      );
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
