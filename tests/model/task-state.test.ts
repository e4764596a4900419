import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TaskState } from '../../src/index.js';

const counts = (s: TaskState) => ({
  ready: s.readyCount,
  processing: s.processingCount,
  pending: s.pendingCount,
  completed: s.completedCount,
  skipped: s.skippedCount,
  failed: s.failedCount,
  orphaned: s.orphanedCount,
});

test('each transition moves one block between counts and keeps the total', () => {
  const s = new TaskState(5);
  assert.deepEqual(counts(s), { ready: 0, processing: 0, pending: 5, completed: 0, skipped: 0, failed: 0, orphaned: 0 });
  s.becameReady(3);
  s.handedOut();
  assert.equal(s.started, false, 'a block handed out to be checked has not started the task');
  s.markStarted();
  s.retried();
  s.handedOut();
  s.succeeded(false);
  s.handedOut();
  s.succeeded(true);
  s.handedOut();
  s.failedForGood('processing');
  s.orphanedOne();
  assert.deepEqual(counts(s), { ready: 0, processing: 0, pending: 1, completed: 2, skipped: 1, failed: 1, orphaned: 1 });
  assert.equal(s.started, true);
  assert.equal(s.isDone(), false);
  s.failedForGood('pending');
  assert.equal(s.isDone(), true);
  assert.equal(s.succeededEntirely(), false);
});

test('an abandoned task is over before it is done', () => {
  const s = new TaskState(2);
  s.becameReady(2);
  assert.equal(s.isOver(), false);
  s.abandon();
  assert.equal(s.abandoned, true);
  assert.equal(s.isDone(), false);
  assert.equal(s.isOver(), true);
  s.failedForGood('ready');
  s.failedForGood('ready');
  assert.deepEqual(counts(s), { ready: 0, processing: 0, pending: 0, completed: 0, skipped: 0, failed: 2, orphaned: 0 });
  assert.equal(s.isDone(), true);
});

test('a task of no blocks is done and succeeded entirely', () => {
  const s = new TaskState(0);
  assert.equal(s.isDone(), true);
  assert.equal(s.succeededEntirely(), true);
});

test('abandonRest fails every ready block and orphans every pending one at once; processing ones stay', () => {
  const s = new TaskState(1e12);
  s.becameReady(1e6);
  s.handedOut();
  s.handedOut();
  s.abandonRest();
  assert.equal(s.abandoned, true);
  assert.deepEqual(counts(s), { ready: 0, processing: 2, pending: 0, completed: 0, skipped: 0, failed: 1e6 - 2, orphaned: 1e12 - 1e6 });
  assert.deepEqual([s.isOver(), s.isDone()], [true, false]);
  s.succeeded(false);
  s.failedForGood('processing');
  assert.equal(s.isDone(), true);
});

test('orphanRest orphans every pending block; ready and processing ones still run', () => {
  const s = new TaskState(1e12);
  s.becameReady(3);
  s.handedOut();
  s.orphanRest();
  assert.deepEqual(counts(s), { ready: 2, processing: 1, pending: 0, completed: 0, skipped: 0, failed: 0, orphaned: 1e12 - 3 });
  assert.deepEqual([s.abandoned, s.isOver()], [false, false]);
});
