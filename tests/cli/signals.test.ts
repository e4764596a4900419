/**
 * SIGTERM and SIGINT to `daisychain run`, a real CLI process with real worker
 * processes (tests/fixtures/record-worker.ts) that ignore SIGTERM, so only the
 * pool's SIGKILL ends them: the first signal stops the run with a summary and
 * exit status 1; a second one exits at once with 128 + the signal number.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));
const WORKERS = 2;

interface Run {
  /** Resolves with the pids of the first WORKERS workers, once they all started. */
  readonly workerPids: Promise<number[]>;
  /** Resolves once every worker finished a block: they run their code (and ignore SIGTERM) by then, however slowly the machine started them. */
  readonly working: Promise<void>;
  readonly exit: Promise<{ code: number | null; stderr: string; at: number }>;
  kill(signal: NodeJS.Signals): void;
}

/** `daisychain run` on a task far too slow to finish (a second per block). */
function startRun(): Run {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-signals-'));
  const pipeline = join(dir, 'p.json');
  const command = ['env', `RECORD_FILE=${join(dir, 'r')}`, 'BLOCK_DELAY_MS=1000', 'IGNORE_SIGTERM=1', process.execPath, workerScript];
  const write = { offset: [0], shape: [10] };
  writeFileSync(pipeline, JSON.stringify({ tasks: [{ taskId: 'slow', totalRoi: { offset: [0], shape: [1000] }, readRoi: write, writeRoi: write, numWorkers: WORKERS, workerCommand: command }] }));
  const child = spawn(process.execPath, [cli, 'run', pipeline, '--progress', 'lines', '--log-dir', join(dir, 'logs')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let gotPids: (pids: number[]) => void = () => {};
  const workerPids = new Promise<number[]>((resolve) => (gotPids = resolve));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    const pids = [...stderr.matchAll(/ started: pid (\d+):/g)].map((m) => Number(m[1]));
    if (pids.length >= WORKERS) gotPids(pids);
  });
  const exit = new Promise<{ code: number | null; stderr: string; at: number }>((resolve) => child.on('close', (code) => resolve({ code, stderr, at: Date.now() })));
  const recorders = (): number => (existsSync(join(dir, 'r')) ? new Set(readFileSync(join(dir, 'r'), 'utf8').trim().split('\n').map((l) => l.split(' ')[2])).size : 0);
  const working = (async () => {
    for (let i = 0; i < 300 && recorders() < WORKERS; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  })();
  return { workerPids, working, exit, kill: (signal) => child.kill(signal) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True once none of `pids` runs any more (orphans are reaped by init shortly after their parent exits). */
async function allGone(pids: number[]): Promise<boolean> {
  for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  return !pids.some(alive);
}

test('SIGTERM to daisychain run: workers stopped, summary says interrupted, exit status 1, no worker left', async () => {
  const run = startRun();
  const pids = await run.workerPids;
  // Let the workers take blocks, so there are held blocks to give back.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  run.kill('SIGTERM');
  const { code, stderr } = await run.exit;
  assert.equal(code, 1, stderr);
  assert.match(stderr, /Summary \([\d.]+ s, interrupted\):/);
  assert.match(stderr, /Not every block succeeded/);
  assert.ok(await allGone(pids), `workers still running: ${pids.filter(alive).join(', ')}`);
});

for (const [signal, status] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  test(`a second ${signal} exits at once with status ${status}, killing the workers`, async () => {
    const run = startRun();
    const pids = await run.workerPids;
    // A signal before a worker installed its SIGTERM handler would simply end it (a loaded machine starts node slowly).
    await run.working;
    run.kill(signal);
    // The workers ignore the pool's SIGTERM: without the second signal the run would wait 3 s to SIGKILL them.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = Date.now();
    run.kill(signal);
    const { code, stderr, at } = await run.exit;
    assert.equal(code, status, stderr);
    assert.ok(at - second < 1500, `exited ${at - second} ms after the second signal`);
    assert.doesNotMatch(stderr, /Summary/);
    assert.ok(await allGone(pids), `workers still running: ${pids.filter(alive).join(', ')}`);
  });
}
