import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockStatus, Scheduler } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';

const line = lineTask;

test('releaseBlock says whether a block succeeded, will be retried, or failed for good; attemptOf counts its failures', () => {
  const scheduler = new Scheduler([line('t', 1, { maxRetries: 1 })]);
  const first = scheduler.acquireBlock('t')!;
  assert.equal(scheduler.attemptOf(first), 0);
  first.status = BlockStatus.FAILED;
  assert.equal(scheduler.releaseBlock(first), 'retried');
  const second = scheduler.acquireBlock('t')!;
  assert.equal(second.blockId, first.blockId);
  assert.equal(scheduler.attemptOf(second), 1);
  second.status = BlockStatus.FAILED;
  assert.equal(scheduler.releaseBlock(second), 'failed');
  assert.deepEqual(scheduler.failedBlockIds('t'), [first.blockId]);
  assert.throws(() => scheduler.attemptOf(second), /not being processed/);
});

test('a retried block that the check function then skips starts over at attempt 0 when it is handed out again', () => {
  let skip = false;
  const scheduler = new Scheduler([line('t', 1, { maxRetries: 3, checkFunction: () => skip })]);
  const block = scheduler.acquireBlock('t')!;
  block.status = BlockStatus.FAILED;
  assert.equal(scheduler.releaseBlock(block), 'retried');
  skip = true;
  assert.equal(scheduler.acquireBlock('t'), null, 'the check skipped the retried block');
  const state = scheduler.taskStates.get('t')!;
  assert.equal(state.skippedCount, 1);
  assert.equal(state.completedCount, 1);
  assert.equal(state.isDone(), true);
});

test('releaseSkipped counts the block as skipped and completed', () => {
  const scheduler = new Scheduler([line('t', 2)]);
  const block = scheduler.acquireBlock('t')!;
  assert.equal(scheduler.releaseSkipped(block), 'succeeded');
  const state = scheduler.taskStates.get('t')!;
  assert.equal(state.skippedCount, 1);
  assert.equal(state.completedCount, 1);
  assert.throws(() => scheduler.releaseSkipped(block), /released twice, or never acquired/);
});
