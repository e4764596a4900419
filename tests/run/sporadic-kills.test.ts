/**
 * A soak in small: worker processes SIGKILLed one at a time, more often than
 * maxWorkerRestarts allows in total, while they make progress. The cap counts
 * restarts without progress (src/workers/README.md), so the run must succeed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunSummary, runBlockwise } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';
import { workerTracker } from '../support/worker-tracker.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));
const BLOCKS = 600;

test('workers SIGKILLed one at a time, more often than maxWorkerRestarts, while making progress: the run succeeds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-soak-'));
  const records = join(dir, 'records.txt');
  const task = lineTask('soak', BLOCKS, {
    numWorkers: 3,
    // What is under test is the cap on worker restarts. With daisy's 2 retries, a block whose three
    // holders all happen to be killed fails for good (once in five fresh-clone runs on 2026-12-02).
    maxRetries: 100,
    workerCommand: ['env', `RECORD_FILE=${records}`, 'BLOCK_DELAY_MS=25', process.execPath, workerScript],
  });
  assert.equal(task.maxWorkerRestarts, 10, 'the default cap');
  const { out, live } = workerTracker();
  let kills = 0;
  let done = false;
  // Kill a random live worker every 300 ms until the run ends.
  const killer = setInterval(() => {
    const pids = [...live.values()];
    if (done || pids.length === 0) return;
    try {
      process.kill(pids[Math.floor(Math.random() * pids.length)]!, 'SIGKILL');
      kills++;
    } catch {
      // It exited between its event and now.
    }
  }, 300);
  let summary: RunSummary | undefined;
  const ok = await runBlockwise([task], { logDir: join(dir, 'logs'), progress: 'json', out, onSummary: (s) => (summary = s) }).finally(() => {
    done = true;
    clearInterval(killer);
  });
  assert.ok(kills > 15, `${kills} kills: more than maxWorkerRestarts + 5`);
  assert.equal(ok, true, JSON.stringify(summary?.tasks));
  assert.equal(summary!.tasks[0]!['abandoned'], false);
  const seen = existsSync(records) ? readFileSync(records, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[1])) : [];
  const counts = new Map<number, number>();
  for (const id of seen) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.equal(counts.size, BLOCKS, 'no block lost');
  // At least once: a block finished right before a kill may run again, at most one per kill.
  const repeats = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
  assert.ok(repeats <= kills, `${repeats} repeated runs for ${kills} kills`);
});
