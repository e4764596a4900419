/**
 * Worker logs stay inside the log directory, and a log directory that
 * cannot be used is refused before the server or any worker starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LogDirError, runBlockwise } from '../../src/index.js';
import { taskLogDir, workerLogBase } from '../../src/workers/log-paths.js';
import { lineTask } from '../support/line-task.js';

test('log paths built from a task id stay one directory below the log directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'daisychain-logs-'));
  assert.equal(taskLogDir(root, 'seg_1'), join(root, 'seg_1'));
  assert.equal(taskLogDir(root, '...'), join(root, '...'));
  assert.equal(workerLogBase(root, 'task-2', '17'), join(root, 'task-2', 'worker_17'));
  for (const taskId of ['../../..', '..', '.', '', 'a/../..', 'a/b', '/etc', `..${'/'}x`]) {
    assert.throws(() => taskLogDir(root, taskId), LogDirError, taskId);
  }
  assert.throws(() => workerLogBase(root, 'a', '../1'), LogDirError);
});

test('runBlockwise refuses a log directory under a file before starting anything', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-logs-'));
  writeFileSync(join(dir, 'file'), '');
  const marker = join(dir, 'ran');
  let initRan = false;
  const task = lineTask('t', 2, {
    workerCommand: ['sh', '-c', `touch ${marker}`],
    initCallbackFn: () => {
      initRan = true;
    },
  });
  await assert.rejects(
    runBlockwise([task], { logDir: join(dir, 'file', 'logs'), progress: 'none' }),
    // The done markers under the log directory (<logDir>/tracking/t) are the first thing it refuses.
    (error: unknown) => error instanceof LogDirError && /file\/logs\/tracking\/t\/zarr.json.*ENOTDIR|ENOTDIR.*file\/logs\/tracking\/t/.test(error.message),
  );
  assert.equal(initRan, false, 'no init callback ran');
  assert.deepEqual(readdirSync(dir), ['file'], 'no worker ran');
});

test('tasks without a workerCommand and without done markers need no log directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-logs-'));
  writeFileSync(join(dir, 'file'), '');
  const ok = await runBlockwise([lineTask('t', 2, { processFunction: () => {} })], { logDir: join(dir, 'file', 'logs'), trackingBasedir: false, progress: 'none' });
  assert.equal(ok, true);
});
