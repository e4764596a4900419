/**
 * Soak: one long run whose worker processes are SIGKILLed one at a time at a
 * fixed interval, with the default maxWorkerRestarts. It must succeed: the
 * restart cap counts restarts without progress (src/workers/README.md).
 * Prints one JSON line of figures; exits non-zero when a block was lost, the
 * task was abandoned or the run failed. Not a test: bench/soak/run.sh runs it.
 *
 * Environment: BLOCKS (default 20000), WORKERS (4), BLOCK_DELAY_MS (20),
 * KILL_EVERY_MS (2000).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Roi, type RunSummary, Task, runBlockwise } from '../../src/index.js';
import { workerTracker } from '../../tests/support/worker-tracker.js';

const env = process.env;
const blocks = Number(env['BLOCKS'] ?? '20000');
const workers = Number(env['WORKERS'] ?? '4');
const delayMs = Number(env['BLOCK_DELAY_MS'] ?? '20');
const killEveryMs = Number(env['KILL_EVERY_MS'] ?? '2000');
const workerScript = fileURLToPath(new URL('../../tests/fixtures/record-worker.js', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'daisychain-soak-'));
const records = join(dir, 'records.txt');
const write = new Roi([0], [10]);
const task = new Task({
  taskId: 'soak',
  totalRoi: new Roi([0], [10 * blocks]),
  readRoi: write,
  writeRoi: write,
  readWriteConflict: false,
  numWorkers: workers,
  workerCommand: ['env', `RECORD_FILE=${records}`, `BLOCK_DELAY_MS=${delayMs}`, process.execPath, workerScript],
});

// Live worker pids, from the pool's started/exited events in JSON progress.
const { out, live } = workerTracker();

let kills = 0;
const killer = setInterval(() => {
  const pids = [...live.values()];
  if (pids.length === 0) return;
  try {
    process.kill(pids[Math.floor(Math.random() * pids.length)]!, 'SIGKILL');
    kills++;
  } catch {
    // It exited between its event and now.
  }
}, killEveryMs);

let summary: RunSummary | undefined;
const started = Date.now();
const ok = await runBlockwise([task], { logDir: join(dir, 'logs'), progress: 'json', out, onSummary: (s) => (summary = s) }).finally(() => clearInterval(killer));
const seconds = (Date.now() - started) / 1000;
const counts = new Map<number, number>();
if (existsSync(records)) for (const line of readFileSync(records, 'utf8').trim().split('\n')) counts.set(Number(line.split(' ')[1]), (counts.get(Number(line.split(' ')[1])) ?? 0) + 1);
const repeats = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
const lost = blocks - counts.size;
const row = summary!.tasks[0]!;
const figures = {
  blocks,
  workers,
  blockDelayMs: delayMs,
  killEveryMs,
  seconds,
  kills,
  succeeded: ok,
  abandoned: row['abandoned'],
  completed: row['completed'],
  failed: row['failed'],
  lost,
  repeatedRuns: repeats,
  blocksPerSecond: Math.round(blocks / seconds),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
rmSync(dir, { recursive: true, force: true });
process.exitCode = ok && lost === 0 && repeats <= kills ? 0 : 1;
