/**
 * Check functions end to end: runBlockwise with a real server on loopback
 * and real worker processes (tests/fixtures/record-worker.ts, and the Python
 * client's clients/python/tests/record_worker.py), or in-process workers.
 *
 * Every run gets an abort signal: a run that would hang (the bugs these tests
 * were written for) is stopped, returns false and fails the assertions,
 * instead of hanging the test file.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Block, type CheckFunction, Roi, type RunSummary, Task, type TaskOptions, runBlockwise } from '../../src/index.js';

const tsWorker = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const python = join(root, '.cache', 'venv-client', 'bin', 'python');
const pyWorker = join(root, 'clients', 'python', 'tests', 'record_worker.py');

const RUN_LIMIT_MS = 15_000;

interface Run {
  ok: boolean;
  summary: RunSummary;
  /** `<task> <block>` of every block a worker processed, in order. */
  processed: string[];
  /** Attempt of each processed block, as `<task> <block> <attempt>`. */
  attempts: string[];
}

function readRecords(file: string): string[][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' '));
}

type Workers = 'ts' | 'python' | 'in-process';

/** A task of `blocks` one-dimensional blocks, processed by the kind of workers asked for. */
function lineTask(dir: string, taskId: string, blocks: number, workers: Workers, extra: Partial<TaskOptions> = {}): Task {
  const write = new Roi([0], [10]);
  const records = join(dir, 'records.txt');
  const base: TaskOptions = {
    taskId,
    totalRoi: new Roi([0], [10 * blocks]),
    readRoi: write,
    writeRoi: write,
    readWriteConflict: false,
    numWorkers: 2,
    ...extra,
  };
  if (workers === 'in-process') {
    // The record line the worker programs write, so that every kind of worker is read alike.
    const processFunction = (block: Block): void => appendFileSync(records, `${block.taskId} ${block.blockId} inprocess 0\n`);
    return new Task({ ...base, processFunction });
  }
  const program = workers === 'ts' ? [process.execPath, tsWorker] : [python, pyWorker];
  return new Task({ ...base, workerCommand: ['env', `RECORD_FILE=${records}`, ...program] });
}

async function run(dir: string, tasks: Task[]): Promise<Run> {
  let summary: RunSummary | undefined;
  const ok = await runBlockwise(tasks, {
    logDir: join(dir, 'logs'),
    progress: 'none',
    handleSigint: false,
    signal: AbortSignal.timeout(RUN_LIMIT_MS),
    onSummary: (s) => (summary = s),
  });
  const records = readRecords(join(dir, 'records.txt'));
  return {
    ok,
    summary: summary!,
    processed: records.map((r) => `${r[0]} ${r[1]}`),
    attempts: records.map((r) => `${r[0]} ${r[1]} ${r[3]}`),
  };
}

function counts(summary: RunSummary, taskId: string): { completed: number; skipped: number; failed: number } {
  const t = summary.tasks.find((s) => s.task === taskId)!;
  return { completed: t.completed, skipped: t.skipped, failed: t.failed };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
const doneIn = (ids: number[]): CheckFunction => {
  const done = new Set(ids);
  return (block) => done.has(block.blockId);
};

// -- resume: the pre-check reports blocks done --------------------------------

for (const workers of ['ts', 'in-process'] as const) {
  for (const [name, done] of [
    ['all blocks', range(0, 10)],
    ['the last half', range(5, 10)],
    ['the first half', range(0, 5)],
  ] as const) {
    test(`resume (${workers} workers): a pre-check reporting ${name} done skips them and the run ends`, { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'daisychain-resume-'));
      const result = await run(dir, [lineTask(dir, 'resume', 10, workers, { checkFunction: doneIn([...done]) })]);
      assert.equal(result.ok, true, 'the run finished on its own, every block succeeded');
      assert.deepEqual(counts(result.summary, 'resume'), { completed: 10, skipped: done.length, failed: 0 });
      const expected = range(0, 10).filter((b) => !done.includes(b)).map((b) => `resume ${b}`);
      assert.deepEqual([...result.processed].sort(), expected.sort(), 'exactly the blocks not done ran');
    });
  }
}

test('resume: a chain whose upstream task is all done runs only the downstream task', { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resume-chain-'));
  const upstream = lineTask(dir, 'up', 10, 'ts', { checkFunction: () => true });
  const downstream = lineTask(dir, 'down', 10, 'ts', { upstreamTasks: [upstream] });
  const result = await run(dir, [downstream]);
  assert.equal(result.ok, true);
  assert.deepEqual(counts(result.summary, 'up'), { completed: 10, skipped: 10, failed: 0 });
  assert.deepEqual(counts(result.summary, 'down'), { completed: 10, skipped: 0, failed: 0 });
  assert.deepEqual([...result.processed].sort(), range(0, 10).map((b) => `down ${b}`).sort());
});

test('resume: a chain where both tasks are all done ends without running anything', { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-resume-both-'));
  const upstream = lineTask(dir, 'up', 10, 'ts', { checkFunction: () => true });
  const downstream = lineTask(dir, 'down', 10, 'ts', { upstreamTasks: [upstream], checkFunction: () => true });
  const result = await run(dir, [downstream]);
  assert.equal(result.ok, true);
  assert.deepEqual(counts(result.summary, 'up'), { completed: 10, skipped: 10, failed: 0 });
  assert.deepEqual(counts(result.summary, 'down'), { completed: 10, skipped: 10, failed: 0 });
  assert.deepEqual(result.processed, []);
});

// -- asynchronous pre-checks -----------------------------------------------------

test('an asynchronous pre-check is awaited in the server: done blocks are skipped, a rejected check means not done', { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-async-check-'));
  const check: CheckFunction = async (block) => {
    await new Promise((resolve) => setTimeout(resolve, 5 + (block.blockId % 3) * 5));
    if (block.blockId === 7) throw new Error('the check could not tell');
    return block.blockId % 2 === 0;
  };
  const result = await run(dir, [lineTask(dir, 'async', 20, 'ts', { checkFunction: check })]);
  assert.equal(result.ok, true);
  assert.deepEqual(counts(result.summary, 'async'), { completed: 20, skipped: 10, failed: 0 });
  // Odd blocks are not done; block 7's check threw, which counts as not done too.
  assert.deepEqual([...result.processed].sort(), range(0, 20).filter((b) => b % 2 === 1).map((b) => `async ${b}`).sort());
  assert.deepEqual(result.summary.failedBlocks, []);
});

// -- the post-check, with worker processes ----------------------------------------

/**
 * Where daisychain follows daisy. daisy 0.2 (scheduler.py, block_return) ran
 * the task's post-check in the scheduler whenever a worker returned a block as
 * SUCCESS; a False or an exception turned the return into FAILED_POST_CHECK,
 * and the block was rescheduled like any failed block. daisy 1.x documents
 * the same pair in Task's check_function docstring ("the second one will be
 * called after it was run to check if the run succeeded"), but its scheduler
 * only ever calls check_function before a block (Scheduler.__precheck), so a
 * pair is not split there. daisychain keeps the documented meaning, as 0.2
 * ran it: the server runs the post-check on every SUCCESS release, whatever
 * the worker's language, and "not done" (or a throw) is a failed attempt,
 * retried up to maxRetries and then failed for good.
 */
for (const workers of ['ts', 'python'] as const) {
  test(`the post-check runs in the server for ${workers} worker processes and fails blocks it finds not done`, { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daisychain-post-check-'));
    const postChecked: number[] = [];
    // Block 3 is found not done after its first run only; block 5 never.
    const post: CheckFunction = async (block) => {
      postChecked.push(block.blockId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (block.blockId === 5) return false;
      return !(block.blockId === 3 && postChecked.filter((b) => b === 3).length === 1);
    };
    const task = lineTask(dir, 'post', 8, workers, { checkFunction: [() => false, post], maxRetries: 1 });
    const result = await run(dir, [task]);
    assert.equal(result.ok, false, 'block 5 never passes its post-check');
    assert.deepEqual(counts(result.summary, 'post'), { completed: 7, skipped: 0, failed: 1 });
    assert.equal(postChecked.filter((b) => b === 3).length, 2, 'block 3 ran again after its post-check failed');
    assert.equal(postChecked.filter((b) => b === 5).length, 2, 'block 5 ran twice (maxRetries 1)');
    assert.ok(result.attempts.includes('post 3 1'), `block 3's second run was its attempt 1: ${result.attempts.join(', ')}`);
    assert.equal(result.summary.failedBlocks.length, 1);
    assert.equal(result.summary.failedBlocks[0]!.blockId, 5);
    assert.match(result.summary.failedBlocks[0]!.error, /the post-check of task "post" found block 5 not done/);
  });
}

test('a pre-check with Python worker processes: done blocks are skipped and the run ends', { timeout: RUN_LIMIT_MS + 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-python-resume-'));
  const result = await run(dir, [lineTask(dir, 'py', 10, 'python', { checkFunction: async (b) => b.blockId >= 5 })]);
  assert.equal(result.ok, true);
  assert.deepEqual(counts(result.summary, 'py'), { completed: 10, skipped: 5, failed: 0 });
  assert.deepEqual([...result.processed].sort(), range(0, 5).map((b) => `py ${b}`).sort());
});
