import { Roi } from '../geometry/roi.js';
import { BlockStatus } from '../model/block.js';
import { Scheduler } from './scheduler.js';
import { Task } from '../model/task.js';

/**
 * What the warm-up runs: small schedules to the end (acquire, release,
 * retry, downstream tasks), then starts of a huge task (construction and
 * the first acquires), each enough times that V8 has compiled them before a
 * real task comes. Measured with bench/scheduler's first-block cases (10^9
 * blocks, medians of 11 fresh processes): without a warm-up the first block
 * takes ~1.8 ms. With 3 schedules run to the end and 30 huge starts it takes
 * ~120 µs in a fresh process and ~135 µs after a 1,000-block task. With only
 * 5 huge starts the latter was ~325 µs: V8 compiled the scheduler's
 * constructor to baseline code inside the timed window. Loading the core
 * costs ~17 ms with the warm-up, ~7.5 ms without (`import daisy` 2.0.0: ~13 ms).
 */
const SCHEDULES_TO_THE_END = 3;
const HUGE_STARTS = 30;

let warmedUp = false;

/** Set DAISYCHAIN_NO_WARMUP=1 to measure or debug the cold path. */
function disabledByEnvironment(): boolean {
  const flag = globalThis.process?.env?.['DAISYCHAIN_NO_WARMUP'];
  return flag !== undefined && flag !== '' && flag !== '0';
}

function tasks(withDownstream: boolean): Task[] {
  const grid = {
    totalRoi: new Roi([0, 0, 0], [6, 6, 6]),
    readRoi: new Roi([0, 0, 0], [4, 4, 4]),
    writeRoi: new Roi([1, 1, 1], [2, 2, 2]),
    readWriteConflict: true,
  };
  const upstream = new Task({ taskId: 'warm-up-a', ...grid, maxRetries: 1 });
  if (!withDownstream) return [upstream];
  return [upstream, new Task({ taskId: 'warm-up-b', ...grid, upstreamTasks: [upstream] })];
}

/**
 * A task far larger than any volume yet, so that block keys and counts pass
 * 2^31 during the warm-up too: V8 then compiles for both small integers and
 * doubles, and a real volume does not undo the compiled code.
 */
function huge(): Task {
  return new Task({
    taskId: 'warm-up-huge',
    totalRoi: new Roi([-7, 0, 3], [40_962, 40_962, 81_922]),
    readRoi: new Roi([0, 0, 0], [12, 12, 12]),
    writeRoi: new Roi([2, 2, 2], [8, 8, 8]),
    readWriteConflict: true,
  });
}

/** Schedules small tasks to the end, failing one block once. */
function runToTheEnd(withDownstream: boolean): void {
  const scheduler = new Scheduler(tasks(withDownstream));
  let failedOnce = false;
  for (;;) {
    const ready = scheduler.getReadyTasks();
    if (ready.length === 0) break;
    for (const task of ready) {
      const block = scheduler.acquireBlock(task.taskId);
      if (block === null) continue;
      block.status = failedOnce ? BlockStatus.SUCCESS : BlockStatus.FAILED;
      failedOnce = true;
      scheduler.releaseBlock(block);
    }
  }
}

/** Constructs a task and its scheduler and hands out two blocks. */
function startHuge(): void {
  const big = new Scheduler([huge()]);
  const first = big.acquireBlock('warm-up-huge');
  if (first !== null) {
    first.status = BlockStatus.SUCCESS;
    big.releaseBlock(first);
    big.acquireBlock('warm-up-huge');
  }
}

/**
 * Runs the scheduler's construction, acquire and release paths on small
 * and huge tasks, once per process. V8 compiles a function on its first call and
 * optimises it only after many; the constructors of a task run once per task,
 * so without this the first block of every process pays for compiling the
 * whole path in the interpreter (~1.9 ms, against ~0.25 ms for daisy 2.0's
 * compiled Rust). The places that run a scheduler call this (daisychain/core
 * at load, a SchedulerService when it is constructed), so the cost is paid
 * before the first task, once, and never by a worker that only imports the
 * client.
 */
export function warmUpScheduler(): void {
  if (warmedUp || disabledByEnvironment()) return;
  warmedUp = true;
  for (let round = 0; round < SCHEDULES_TO_THE_END; round++) runToTheEnd(round === 0);
  for (let round = 0; round < HUGE_STARTS; round++) startHuge();
}
