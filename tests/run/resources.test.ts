/**
 * Resource budgets (daisy 2.0's `resources` and `requires`) in the worker
 * pools of runBlockwise, with real worker processes
 * (tests/fixtures/interval-worker.ts) that record when they start and end:
 * the sum of `requires` over the workers alive at one moment never exceeds
 * the budget, and the budget is used (workers do overlap up to it).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Roi, type RunSummary, SpecError, Task, runBlockwise } from '../../src/index.js';
import { peak, readIntervals } from '../support/intervals.js';

const workerScript = fileURLToPath(new URL('../fixtures/interval-worker.js', import.meta.url));

function lineTask(taskId: string, blocks: number, numWorkers: number, env: Record<string, string>, extra: Partial<ConstructorParameters<typeof Task>[0]> = {}): Task {
  const unit = new Roi([0], [10]);
  return new Task({
    taskId,
    totalRoi: new Roi([0], [10 * blocks]),
    readRoi: unit,
    writeRoi: unit,
    readWriteConflict: false,
    numWorkers,
    workerCommand: [process.execPath, workerScript],
    workerEnv: { BLOCK_DELAY_MS: '20', ...env },
    ...extra,
  });
}

async function run(dir: string, tasks: Task[], resources: Record<string, number>): Promise<RunSummary> {
  let summary: RunSummary | undefined;
  const ok = await runBlockwise(tasks, { logDir: join(dir, 'logs'), progress: 'none', resources, onSummary: (s) => (summary = s) });
  assert.ok(ok, `the run succeeds: ${JSON.stringify(summary?.tasks)}`);
  return summary!;
}

test('gpu 2, two tasks requiring 1 gpu with 2 workers each: at most 2 workers alive at once, 2 do overlap, one of each task first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resources-'));
  const file = join(dir, 'intervals.txt');
  // Each worker waits for 2 starts before its first block: with a budget of 2 that is at once; had the pool started only one, the overlap below fails.
  const env = { INTERVAL_FILE: file, BARRIER_STARTS: '2' };
  await run(dir, [lineTask('a', 8, 2, env, { requires: { gpu: 1 } }), lineTask('b', 8, 2, env, { requires: { gpu: 1 } })], { gpu: 2 });
  const intervals = readIntervals(file);
  assert.equal(peak(intervals), 2, `never more than 2 alive, and 2 overlapped: ${JSON.stringify(intervals)}`);
  // Fair from the start: the first two slots went one to each task, not both to the first pool.
  const first = [...intervals].sort((x, y) => x.start - y.start).slice(0, 2);
  assert.deepEqual(first.map((i) => i.taskId).sort(), ['a', 'b']);
});

test('several resources at once: no resource is ever over budget, a task without requires is not bounded by it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resources-'));
  const bounded = join(dir, 'bounded.txt');
  const free = join(dir, 'free.txt');
  const requires: Record<string, Record<string, number>> = { g: { gpu: 1, cpu: 1 }, c: { cpu: 2 }, free: {} };
  await run(
    dir,
    [
      lineTask('g', 10, 3, { INTERVAL_FILE: bounded, BARRIER_STARTS: '2' }, { requires: requires['g']! }),
      lineTask('c', 10, 2, { INTERVAL_FILE: bounded, BARRIER_STARTS: '2' }, { requires: requires['c']! }),
      // Its 3 workers wait for each other: only an unbounded task gets past this.
      lineTask('free', 6, 3, { INTERVAL_FILE: free, BARRIER_STARTS: '3' }),
    ],
    { gpu: 2, cpu: 3 },
  );
  const intervals = readIntervals(bounded);
  const cpu = peak(intervals, (i) => requires[i.taskId]!['cpu'] ?? 0);
  const gpu = peak(intervals, (i) => requires[i.taskId]!['gpu'] ?? 0);
  assert.ok(cpu <= 3 && gpu <= 2, `cpu peak ${cpu} of 3, gpu peak ${gpu} of 2: ${JSON.stringify(intervals)}`);
  assert.equal(cpu, 3, 'the cpu budget was used: one g worker and one c worker overlapped');
  assert.equal(peak(readIntervals(free)), 3, 'the task without requires ran all its workers at once');
});

test('a crashing worker gives its slot back when it exits, and its replacement starts within the budget', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resources-'));
  const file = join(dir, 'intervals.txt');
  const crashDir = join(dir, 'crashes');
  mkdirSync(crashDir);
  // Two workers, one gpu: every worker starts only after the previous one exited, the two that crash included.
  await run(dir, [lineTask('t', 6, 2, { INTERVAL_FILE: file, CRASH_DIR: crashDir, CRASHES: '2' }, { requires: { gpu: 1 } })], { gpu: 1 });
  const intervals = readIntervals(file);
  assert.equal(readdirSync(crashDir).length, 2, 'two workers crashed');
  assert.ok(intervals.length >= 3, `the crashed workers were replaced: ${JSON.stringify(intervals)}`);
  assert.equal(peak(intervals), 1, `one worker at a time: ${JSON.stringify(intervals)}`);
});

// Without the rule that a task gets a slot only once it has ready blocks, 'down' (its pool asks first) would take the one slot and wait forever for 'up'.
test('chained tasks sharing one slot: the downstream task waits for ready blocks and the slot, and both finish', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resources-'));
  const file = join(dir, 'intervals.txt');
  const up = lineTask('up', 4, 1, { INTERVAL_FILE: file }, { requires: { gpu: 1 } });
  const down = lineTask('down', 4, 2, { INTERVAL_FILE: file }, { requires: { gpu: 1 }, upstreamTasks: [up] });
  await run(dir, [down, up], { gpu: 1 });
  const intervals = readIntervals(file);
  assert.equal(peak(intervals), 1, JSON.stringify(intervals));
  const upEnd = Math.max(...intervals.filter((i) => i.taskId === 'up').map((i) => i.end));
  assert.ok(intervals.filter((i) => i.taskId === 'down').every((i) => i.start >= upEnd), 'no downstream worker took the slot while the upstream task ran');
});

test('a task requiring more than the budget (or any resource without one) is refused before anything starts, naming the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resources-'));
  const file = join(dir, 'intervals.txt');
  const greedy = lineTask('greedy', 2, 1, { INTERVAL_FILE: file }, { requires: { gpu: 8 } });
  await assert.rejects(
    runBlockwise([greedy], { logDir: join(dir, 'logs'), progress: 'none', resources: { gpu: 1 } }),
    (error: unknown) => error instanceof SpecError && /tasks\[0\]\.requires\.gpu is 8, more than the pipeline's resources\.gpu \(the budget has only 1\): no worker of task "greedy"/.test(error.message),
  );
  await assert.rejects(
    runBlockwise([greedy], { logDir: join(dir, 'logs'), progress: 'none' }),
    /tasks\[0\]\.requires\.gpu is 8, more than the pipeline's resources\.gpu \(the pipeline declares no resources\)/,
  );
  assert.throws(() => lineTask('neg', 2, 1, {}, { requires: { gpu: -1 } }), /task "neg": requires\.gpu must be a non-negative integer/);
  assert.throws(() => lineTask('name', 2, 1, {}, { requires: { 'g:pu': 1 } }), /requires has the resource name "g:pu"/);
  await assert.rejects(runBlockwise([lineTask('ok', 2, 1, {})], { progress: 'none', logDir: join(dir, 'logs'), resources: { gpu: -2 } }), /resources\.gpu must be a non-negative integer/);
  assert.deepEqual(readdirSync(dir), [], 'no worker started, no log directory made');
  // A requirement of 0 requires nothing, as in daisy 2.0: it needs no budget.
  await run(dir, [lineTask('zero', 2, 1, { INTERVAL_FILE: file }, { requires: { gpu: 0 } })], {});
});
