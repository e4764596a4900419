import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockStatus, Roi, Scheduler, Task, type TaskState } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';

const HUGE = 1e12;

/** What a task's counters must always satisfy, after abandonment too. */
function assertAddsUp(s: TaskState): void {
  for (const n of [s.readyCount, s.processingCount, s.pendingCount, s.completedCount, s.failedCount, s.orphanedCount]) assert.ok(n >= 0, s.toString());
  assert.equal(s.readyCount + s.processingCount + s.pendingCount + s.completedCount + s.failedCount + s.orphanedCount, s.totalBlockCount);
}

function settle(scheduler: Scheduler, block: { status: BlockStatus }, status: BlockStatus): string {
  block.status = status;
  return scheduler.releaseBlock(block as never);
}

/** Runs `fn`, returns its wall time (ms) and heap growth (MB). */
function measure(fn: () => void): { ms: number; mb: number } {
  const heap = process.memoryUsage().heapUsed;
  const start = process.hrtime.bigint();
  fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, mb: (process.memoryUsage().heapUsed - heap) / 2 ** 20 };
}

test('abandoning a task of 10^12 blocks is immediate; blocks in flight still finish and the task is then done', () => {
  const scheduler = new Scheduler([lineTask('t', HUGE)]);
  const [a, b, c] = [scheduler.acquireBlock('t')!, scheduler.acquireBlock('t')!, scheduler.acquireBlock('t')!];
  const { ms, mb } = measure(() => scheduler.abandonTask('t'));
  assert.ok(ms < 500, `abandonTask took ${ms} ms`);
  assert.ok(mb < 50, `abandonTask grew the heap by ${mb} MB`);
  const s = scheduler.taskStates.get('t')!;
  assert.deepEqual([s.abandoned, s.isOver(), s.isDone(), s.readyCount, s.processingCount, s.failedCount], [true, true, false, 0, 3, HUGE - 3]);
  assertAddsUp(s);
  assert.equal(scheduler.acquireBlock('t'), null);
  assert.equal(settle(scheduler, a, BlockStatus.SUCCESS), 'succeeded');
  assert.equal(settle(scheduler, b, BlockStatus.FAILED), 'failed');
  scheduler.returnBlock(c);
  assert.deepEqual([s.completedCount, s.failedCount, s.orphanedCount, s.isDone()], [1, HUGE - 1, 0, true]);
  assertAddsUp(s);
  // Bounded: a few roots are named, the rest only counted.
  const ids = scheduler.failedBlockIds('t');
  assert.ok(ids.length <= 1100, `${ids.length} ids listed`);
  assert.ok(ids.includes(b.blockId) && ids.includes(c.blockId));
  assert.equal(ids.length + scheduler.unlistedFailedCount('t'), s.failedCount);
});

test('abandoning the upstream task of a chain of 10^12-block tasks orphans the downstream task at once', () => {
  const up = lineTask('up', HUGE);
  const down = lineTask('down', HUGE, { upstreamTasks: [up] });
  const scheduler = new Scheduler([up, down]);
  const [a, b, c] = [scheduler.acquireBlock('up')!, scheduler.acquireBlock('up')!, scheduler.acquireBlock('up')!];
  settle(scheduler, a, BlockStatus.SUCCESS);
  const su = scheduler.taskStates.get('up')!;
  const sd = scheduler.taskStates.get('down')!;
  assert.equal(sd.readyCount, 1, 'the block below a is ready');
  const { ms, mb } = measure(() => scheduler.abandonTask('up'));
  assert.ok(ms < 500, `abandonTask took ${ms} ms`);
  assert.ok(mb < 50, `abandonTask grew the heap by ${mb} MB`);
  assert.deepEqual([sd.abandoned, sd.readyCount, sd.pendingCount, sd.orphanedCount, sd.isOver()], [false, 1, 0, HUGE - 1, false]);
  assertAddsUp(su);
  assertAddsUp(sd);
  // The downstream block made ready before still runs; nothing new becomes ready.
  const d = scheduler.acquireBlock('down')!;
  assert.equal(d.blockId, a.blockId);
  settle(scheduler, d, BlockStatus.SUCCESS);
  settle(scheduler, b, BlockStatus.SUCCESS);
  assert.equal(sd.readyCount, 0, 'a success upstream frees nothing below an abandoned task');
  assert.equal(settle(scheduler, c, BlockStatus.FAILED), 'failed');
  assert.deepEqual([su.completedCount, su.failedCount, su.isDone()], [2, HUGE - 2, true]);
  assert.deepEqual([sd.completedCount, sd.failedCount, sd.orphanedCount, sd.isDone()], [1, 0, HUGE - 1, true]);
  assertAddsUp(su);
  assertAddsUp(sd);
  // Abandoning again, or abandoning the downstream task now, changes no count.
  scheduler.abandonTask('up');
  scheduler.abandonTask('down');
  assert.deepEqual([sd.completedCount, sd.failedCount, sd.orphanedCount, sd.isDone(), sd.isOver()], [1, 0, HUGE - 1, true, true]);
});

test('a huge task with dependencies inside it (read-write conflicts): abandon fails what is ready and orphans the rest', () => {
  // Blocks read their neighbours: daisy runs them in levels, so most blocks wait on others of the same task.
  const task = new Task({
    taskId: 'c',
    totalRoi: new Roi([-10], [10 * HUGE + 20]),
    readRoi: new Roi([-10], [30]),
    writeRoi: new Roi([0], [10]),
    readWriteConflict: true,
  });
  const scheduler = new Scheduler([task]);
  const s = scheduler.taskStates.get('c')!;
  const first = scheduler.acquireBlock('c')!;
  const ready = s.readyCount;
  const { ms, mb } = measure(() => scheduler.abandonTask('c'));
  assert.ok(ms < 500, `abandonTask took ${ms} ms`);
  assert.ok(mb < 50, `abandonTask grew the heap by ${mb} MB`);
  assert.equal(s.failedCount, ready);
  assert.equal(s.orphanedCount, s.totalBlockCount - ready - 1);
  settle(scheduler, first, BlockStatus.SUCCESS);
  assert.deepEqual([s.completedCount, s.readyCount, s.isDone()], [1, 0, true]);
  assertAddsUp(s);
});

test('abandoning a small task: ready blocks fail (named), pending ones and those downstream are orphaned, in-flight ones finish', () => {
  const up = lineTask('up', 4);
  const down = lineTask('down', 4, { upstreamTasks: [up] });
  const failures: number[] = [];
  const scheduler = new Scheduler([up, down], { onPermanentFailure: (block) => failures.push(block.blockId) });
  const a = scheduler.acquireBlock('up')!;
  const b = scheduler.acquireBlock('up')!;
  settle(scheduler, a, BlockStatus.SUCCESS);
  scheduler.abandonTask('up');
  const su = scheduler.taskStates.get('up')!;
  const sd = scheduler.taskStates.get('down')!;
  assert.deepEqual([su.failedCount, su.processingCount, su.completedCount], [2, 1, 1]);
  assert.deepEqual([...scheduler.failedBlockIds('up')].sort(), [...failures].sort());
  assert.equal(scheduler.failedBlockIds('up').length, 2);
  assert.equal(scheduler.unlistedFailedCount('up'), 0);
  assert.deepEqual([sd.readyCount, sd.orphanedCount], [1, 3]);
  settle(scheduler, b, BlockStatus.FAILED);
  const d = scheduler.acquireBlock('down')!;
  settle(scheduler, d, BlockStatus.SUCCESS);
  assert.deepEqual([su.isDone(), sd.isDone(), su.failedCount, sd.completedCount], [true, true, 3, 1]);
  assert.equal(scheduler.failedBlockIds('up').length, su.failedCount);
});
