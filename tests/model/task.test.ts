/**
 * Task validation: ids that could not name a log directory or travel in
 * DAISY_CONTEXT, and counts too large to be meant, are refused with a
 * TaskValidationError that names the option.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Roi, TASK_LIMITS, Task, type TaskOptions, TaskValidationError } from '../../src/index.js';

function task(extra: Partial<TaskOptions>): Task {
  const write = new Roi([0], [10]);
  return new Task({ taskId: 't', totalRoi: new Roi([0], [100]), readRoi: write, writeRoi: write, ...extra });
}

function assertRefused(extra: Partial<TaskOptions>, message: RegExp): void {
  assert.throws(() => task(extra), (error: unknown) => error instanceof TaskValidationError && message.test(error.message));
}

test('daisy-like task ids are accepted', () => {
  for (const taskId of ['smooth', 'seg_1', 'task-2', 'Predict.v2', '-', '...', 'Smoothing with context', 'a b', 'a'.repeat(TASK_LIMITS.maxTaskIdLength)]) {
    assert.equal(task({ taskId }).taskId, taskId);
  }
});

test('task ids that are not safe path components or context values are refused', () => {
  for (const taskId of ['a:b', 'a=b', '../../..', '..', '.', 'a/b', 'a\\b', ' leading', 'trailing ', ' ', 'bell\x07', 'esc\x1b[31m', 'new\nline', 'é', '']) {
    assertRefused({ taskId }, /taskId must/);
  }
  assertRefused({ taskId: 'a'.repeat(TASK_LIMITS.maxTaskIdLength + 1) }, /taskId must be at most 255 characters/);
  // The refusal names what is allowed, and shows the id escaped.
  assertRefused({ taskId: 'a:b=c' }, /letters, digits, spaces \(not at either end\), '\.', '_' and '-'.*DAISY_CONTEXT; got "a:b=c"/);
  assertRefused({ taskId: 'esc\x1b' }, /got "esc\\u001b"/);
});

test('counts beyond their bounds are refused with the bound', () => {
  assert.equal(task({ numWorkers: TASK_LIMITS.maxWorkers }).numWorkers, 10_000);
  assertRefused({ numWorkers: 1e9 }, /task "t": numWorkers must be at most 10000, got 1000000000/);
  assertRefused({ numWorkers: 0 }, /numWorkers must be a positive integer, got 0/);
  assertRefused({ numWorkers: 1.5 }, /numWorkers must be a positive integer/);
  assert.equal(task({ maxRetries: TASK_LIMITS.maxRetries }).maxRetries, TASK_LIMITS.maxRetries);
  assertRefused({ maxRetries: TASK_LIMITS.maxRetries + 1 }, /maxRetries must be at most 1000/);
  assertRefused({ maxRetries: -1 }, /maxRetries must be a non-negative integer/);
  assertRefused({ maxWorkerRestarts: 1e12 }, /maxWorkerRestarts must be at most 100000/);
  assertRefused({ maxWorkerRestarts: Infinity }, /maxWorkerRestarts must be a non-negative integer/);
});

test('a timeout beyond what a timer can wait is refused, null means none', () => {
  assert.equal(task({ timeout: null }).timeout, null);
  assert.equal(task({ timeout: TASK_LIMITS.maxTimeoutSeconds }).timeout, 2_147_483);
  // Beyond 2^31 - 1 ms a Node timer fires at once: every block would be reclaimed immediately.
  assertRefused({ timeout: 30 * 86_400 }, /timeout must be at most 2147483 seconds .*or null/);
  assertRefused({ timeout: Infinity }, /timeout must be a positive number of seconds or null/);
  assertRefused({ timeout: 0 }, /timeout must be a positive number/);
});

test('ROI entries beyond 2^53 are refused as such', () => {
  assertRefused({ totalRoi: new Roi([0], [1e17]) }, /totalRoi .* must have integer offset and shape within ±2\^53/);
});
