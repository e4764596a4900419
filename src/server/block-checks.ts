import { type Block, BlockStatus } from '../model/block.js';
import type { CheckFunction, Task } from '../model/task.js';
import type { Scheduler } from '../scheduler/scheduler.js';

/** Pre-checks of one task that may be awaited at once. */
export const PRE_CHECKS_IN_FLIGHT = 16;

/** Why a block was found not done, for a failed attempt; null when it is done. */
export type PostCheckVerdict = { error: string; traceback: string } | null;

type Answer = { done: true } | { done: false; error: unknown; threw: boolean };

/**
 * Calls a check and reads its answer as daisy does: only `true` is "done";
 * a throw, a rejection or any other answer is "not done". A synchronous
 * answer stays synchronous, so that the common case costs no turn of the
 * event loop.
 */
function ask(check: CheckFunction, block: Block): Answer | Promise<Answer> {
  let result: unknown;
  try {
    result = check(block);
  } catch (error) {
    return { done: false, error, threw: true };
  }
  if (result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function')) {
    return Promise.resolve(result as PromiseLike<unknown>).then(
      (value) => read(value),
      (error: unknown) => ({ done: false, error, threw: true }),
    );
  }
  return read(result);
}

function read(value: unknown): Answer {
  return value === true ? { done: true } : { done: false, error: null, threw: false };
}

function isPending<T>(answer: T | Promise<T>): answer is Promise<T> {
  return answer instanceof Promise;
}

/**
 * The post-check of a block a worker returned as succeeded (a task's
 * `[preCheck, postCheck]` pair): whether it is really done. Asynchronous
 * checks give a promise; the block stays processing until it answers.
 */
export function postCheck(task: Task, block: Block): PostCheckVerdict | Promise<PostCheckVerdict> {
  const answer = ask(task.postCheck!, block);
  const verdict = (a: Answer): PostCheckVerdict => {
    if (a.done) return null;
    const where = `the post-check of task ${JSON.stringify(task.taskId)}`;
    if (!a.threw) return { error: `${where} found block ${block.blockId} not done`, traceback: '' };
    const message = a.error instanceof Error ? a.error.message : String(a.error);
    return { error: `${where} failed on block ${block.blockId}: ${message}`, traceback: a.error instanceof Error ? (a.error.stack ?? '') : '' };
  };
  return isPending(answer) ? answer.then(verdict) : verdict(answer);
}

interface Pool {
  /** Checks started and not yet answered. */
  inFlight: number;
  /** Blocks found not done, waiting for a worker; they count as processing in the scheduler. */
  readonly checked: Block[];
}

/**
 * Runs the tasks' pre-checks ahead of hand-out, for a scheduler with
 * external checks. A synchronous check answers inline, as daisy's does; an
 * asynchronous one joins a small per-task pool (at most `limit` blocks under
 * check or checked and waiting), so that no request waits on a check and a
 * slow check cannot hold the whole task. Done blocks are skipped through
 * `Scheduler.releaseSkipped`, so that counts stay daisy's.
 */
export class PreChecks {
  private readonly pools = new Map<string, Pool>();

  /** `onChange` is called after blocks were settled outside a hand-out (skipped, or checked later): serve again. */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly onChange: () => void,
    private readonly limit = PRE_CHECKS_IN_FLIGHT,
  ) {}

  /** Checked blocks of the task waiting for a worker. */
  waiting(taskId: string): number {
    return this.pools.get(taskId)?.checked.length ?? 0;
  }

  /**
   * The next block of `task` to hand to a worker, or null when none is
   * ready now. Keeps the task's pool of asynchronous checks full on the way.
   */
  next(task: Task): Block | null {
    const check = task.preCheck;
    if (check === null) return this.scheduler.acquireBlock(task.taskId);
    const pool = this.pool(task.taskId);
    let found = pool.checked.shift() ?? null;
    let skipped = false;
    while (pool.inFlight + pool.checked.length < this.limit) {
      const block = this.scheduler.acquireBlock(task.taskId);
      if (block === null) break;
      const answer = ask(check, block);
      if (isPending(answer)) {
        pool.inFlight++;
        void answer.then((a) => this.answered(pool, block, a));
        continue;
      }
      if (answer.done) {
        this.scheduler.releaseSkipped(block);
        skipped = true;
        continue;
      }
      this.scheduler.markRunning(block);
      if (found === null) found = block;
      else pool.checked.push(block);
      // A synchronous check needs no look-ahead: stop at the first block to run.
      break;
    }
    if (skipped) this.onChange();
    return found;
  }

  /** The task was abandoned: its checked blocks fail for good instead of waiting for workers that are gone. */
  abandon(taskId: string): void {
    const pool = this.pools.get(taskId);
    if (pool === undefined) return;
    for (const block of pool.checked.splice(0)) this.failAbandoned(block);
  }

  private answered(pool: Pool, block: Block, answer: Answer): void {
    pool.inFlight--;
    if (answer.done) {
      this.scheduler.releaseSkipped(block);
    } else if (this.scheduler.isAbandoned(block.taskId)) {
      this.failAbandoned(block);
    } else {
      this.scheduler.markRunning(block);
      pool.checked.push(block);
    }
    this.onChange();
  }

  private failAbandoned(block: Block): void {
    block.status = BlockStatus.FAILED;
    this.scheduler.releaseBlock(block);
  }

  private pool(taskId: string): Pool {
    let pool = this.pools.get(taskId);
    if (pool === undefined) this.pools.set(taskId, (pool = { inFlight: 0, checked: [] }));
    return pool;
  }
}
