/**
 * A pipeline file's `resources` and its tasks' `requires` with `daisychain
 * run`: the budget bounds the workers the run starts (real processes,
 * tests/fixtures/interval-worker.ts), and a task requiring more than the
 * budget is refused with exit status 2 and one line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { peak, readIntervals } from '../support/intervals.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/interval-worker.js', import.meta.url));

function task(taskId: string, fields: Record<string, unknown>): Record<string, unknown> {
  return { taskId, totalRoi: { offset: [0], shape: [60] }, readRoi: { offset: [0], shape: [10] }, writeRoi: { offset: [0], shape: [10] }, readWriteConflict: false, ...fields };
}

test('daisychain run bounds the workers by the file\'s resources, and refuses a task requiring more with exit status 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resources-cli-'));
  const file = join(dir, 'intervals.txt');
  const workers = { numWorkers: 3, workerCommand: [process.execPath, workerScript], workerEnv: { INTERVAL_FILE: file, BARRIER_STARTS: '2', BLOCK_DELAY_MS: '20' } };
  const yaml = join(dir, 'p.json');
  writeFileSync(yaml, JSON.stringify({ resources: { gpu: 2 }, tasks: [task('a', { ...workers, requires: { gpu: 1 } }), task('b', { ...workers, requires: { gpu: 1 } })] }));
  const ok = spawnSync(process.execPath, [cli, 'run', yaml, '--progress', 'none', '--log-dir', join(dir, 'logs')], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(ok.status, 0, ok.stderr);
  const intervals = readIntervals(file);
  assert.equal(peak(intervals), 2, `at most 2 of the 6 workers alive at once, and 2 were: ${JSON.stringify(intervals)}`);

  const bad = join(dir, 'bad', 'p.json');
  spawnSync('mkdir', [join(dir, 'bad')]);
  writeFileSync(bad, JSON.stringify({ resources: { gpu: 1 }, tasks: [task('greedy', { ...workers, requires: { gpu: 2 } })] }));
  const refused = spawnSync(process.execPath, [cli, 'run', bad, '--log-dir', join(dir, 'bad', 'logs')], { encoding: 'utf8' });
  assert.equal(refused.status, 2, refused.stderr);
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
  assert.match(refused.stderr, /p\.json: tasks\[0\]\.requires\.gpu is 2, more than the pipeline's resources\.gpu \(the budget has only 1\): no worker of task "greedy" could ever start/);
  assert.deepEqual(readdirSync(join(dir, 'bad')), ['p.json'], 'nothing started');
});
