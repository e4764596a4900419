/**
 * A worker holds only the block it runs (daisy's default), and a block's
 * timeout runs from when its worker starts it, also for blocks it buffers
 * with a prefetch: real worker processes (tests/fixtures/record-worker.ts)
 * under runBlockwise.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Roi, type RunSummary, Task, runBlockwise } from '../../src/index.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

function records(file: string): { blockId: number; attempt: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [, blockId, , attempt] = l.split(' ');
      return { blockId: Number(blockId), attempt: Number(attempt) };
    });
}

function lineTask(dir: string, blocks: number, options: { timeout: number; maxRetries: number; env: Record<string, string> }): Task {
  const env = Object.entries({ RECORD_FILE: join(dir, 'records.txt'), ...options.env }).map(([k, v]) => `${k}=${v}`);
  return new Task({
    taskId: 'slow',
    totalRoi: new Roi([0], [10 * blocks]),
    readRoi: new Roi([0], [10]),
    writeRoi: new Roi([0], [10]),
    readWriteConflict: false,
    numWorkers: 1,
    maxRetries: options.maxRetries,
    timeout: options.timeout,
    workerCommand: ['env', ...env, process.execPath, workerScript],
  });
}

// daisy 2.0's test_slow_block_is_reclaimed_and_succeeds_on_retry, with
// max_retries=1: the first attempt outlives the timeout and is taken back,
// the retry succeeds. When the worker asked for its next block while it ran
// the slow one, the retry waited in its queue with the clock running and
// timed out too, which spent the last retry.
test('a slow first attempt is taken back and its retry succeeds: the block runs twice, as in daisy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-held-'));
  const task = lineTask(dir, 1, { timeout: 0.5, maxRetries: 1, env: { SLOW_FIRST_ATTEMPT_MS: '1500' } });
  let summary: RunSummary | undefined;
  const ok = await runBlockwise([task], { logDir: join(dir, 'logs'), progress: 'none', onSummary: (s) => (summary = s) });
  assert.equal(ok, true, JSON.stringify(summary?.failedBlocks));
  const runs = records(join(dir, 'records.txt'));
  assert.deepEqual(
    runs.map((r) => r.attempt).sort(),
    [0, 1],
    `the block ran once per attempt: ${JSON.stringify(runs)}`,
  );
  assert.equal(summary!.tasks[0]!.completed, 1);
  assert.equal(summary!.tasks[0]!.failed, 0);
});

test('blocks a worker buffers (prefetch) run no timeout until it starts them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-prefetch-'));
  // 4 blocks of 300 ms under a 0.5 s timeout, all buffered by one worker:
  // timed from hand-out, the third and fourth would be taken back.
  const task = lineTask(dir, 4, { timeout: 0.5, maxRetries: 0, env: { BLOCK_DELAY_MS: '300', PREFETCH: '4' } });
  let summary: RunSummary | undefined;
  const ok = await runBlockwise([task], { logDir: join(dir, 'logs'), progress: 'none', onSummary: (s) => (summary = s) });
  assert.equal(ok, true, JSON.stringify(summary?.failedBlocks));
  const runs = records(join(dir, 'records.txt'));
  assert.deepEqual(
    runs.map((r) => r.blockId).sort((a, b) => a - b),
    [0, 1, 2, 3],
  );
  assert.ok(runs.every((r) => r.attempt === 0), JSON.stringify(runs));
});
