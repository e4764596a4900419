/**
 * Where the pre-check runs in the Scheduler: inline in acquireBlock (daisy's
 * synchronous behaviour), or outside it (`checks: 'external'`, the service's
 * mode, which may await asynchronous checks).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CheckFunction, Scheduler, SchedulerError } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';

const line = (taskId: string, blocks: number, checkFunction: CheckFunction | null) => lineTask(taskId, blocks, { checkFunction });

test('inline: a pre-check that returns a Promise is refused with a SchedulerError naming where async checks run, and changes no count', async () => {
  let calls = 0;
  const scheduler = new Scheduler([
    line('t', 3, () => {
      calls++;
      return Promise.reject(new Error('never looked at'));
    }),
  ]);
  const state = scheduler.taskStates.get('t')!;
  const before = JSON.stringify(state.toJSON());
  assert.throws(
    () => scheduler.acquireBlock('t'),
    (error: unknown) =>
      error instanceof SchedulerError && /asynchronous/.test(error.message) && /runBlockwise/.test(error.message) && /SchedulerService/.test(error.message),
  );
  assert.equal(calls, 1);
  assert.equal(JSON.stringify(state.toJSON()), before);
  // The rejected promise was handled: no unhandledRejection ends the test process.
  await new Promise((resolve) => setImmediate(resolve));
});

test('inline: a synchronous pre-check still skips in acquireBlock, as daisy does', () => {
  const scheduler = new Scheduler([line('t', 4, (b) => b.blockId < 2)]);
  const block = scheduler.acquireBlock('t')!;
  assert.equal(block.blockId, 2);
  const state = scheduler.taskStates.get('t')!;
  assert.deepEqual([state.skippedCount, state.completedCount, state.processingCount, state.started], [2, 2, 1, true]);
});

test("external: acquireBlock leaves the pre-check to the caller; releaseSkipped and markRunning settle the block with daisy's counts", () => {
  let calls = 0;
  const scheduler = new Scheduler(
    [
      line('t', 2, () => {
        calls++;
        return true;
      }),
    ],
    { checks: 'external' },
  );
  const state = scheduler.taskStates.get('t')!;
  const first = scheduler.acquireBlock('t')!;
  const second = scheduler.acquireBlock('t')!;
  assert.equal(calls, 0, 'acquireBlock did not call the check');
  assert.deepEqual([state.processingCount, state.started], [2, false], 'blocks under check count as processing, and the task has not started');
  assert.equal(scheduler.releaseSkipped(first), 'succeeded');
  assert.deepEqual([state.skippedCount, state.completedCount], [1, 1]);
  scheduler.markRunning(second);
  assert.equal(state.started, true, 'a block the check found not done is run: the task started');
  assert.throws(() => scheduler.markRunning(first), /not being processed/);
});

test('external: tasks without a pre-check start at their first acquired block', () => {
  const scheduler = new Scheduler([line('t', 1, null)], { checks: 'external' });
  scheduler.acquireBlock('t');
  assert.equal(scheduler.taskStates.get('t')!.started, true);
});

test('an unknown checks option is refused', () => {
  assert.throws(() => new Scheduler([line('t', 1, null)], { checks: 'later' as 'inline' }), /checks must be 'inline' or 'external'/);
});
