/**
 * runBlockwise end to end: a real gRPC server on loopback and real worker
 * processes (tests/fixtures/record-worker.ts) that record every block they
 * process in a file.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BlockStatus, DependencyGraph, Roi, type RunSummary, Task, runBlockwise } from '../../src/index.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

interface BlockRecord {
  taskId: string;
  blockId: number;
  workerId: string;
  attempt: number;
}

function readRecords(file: string): BlockRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [taskId, blockId, workerId, attempt] = l.split(' ');
      return { taskId: taskId!, blockId: Number(blockId), workerId: workerId!, attempt: Number(attempt) };
    });
}

/** Every block id of every task, from the dependency graph. */
function allBlocks(tasks: Task[]): Set<string> {
  const ids = new Set<string>();
  for (const [block] of new DependencyGraph(tasks).enumerateAllDependencies()) ids.add(`${block.taskId} ${block.blockId}`);
  return ids;
}

function pipeline(dir: string, env: Record<string, string> = {}, numWorkers = 2): Task[] {
  const command = ['env', `RECORD_FILE=${join(dir, 'records.txt')}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, workerScript];
  const write = new Roi([0, 0, 0], [10, 10, 10]);
  const smooth = new Task({
    taskId: 'smooth',
    totalRoi: new Roi([0, 0, 0], [42, 42, 22]),
    readRoi: write.grow(1, 1),
    writeRoi: write.shift(1),
    readWriteConflict: true,
    numWorkers,
    workerCommand: command,
  });
  const segment = new Task({
    taskId: 'segment',
    totalRoi: new Roi([1, 1, 1], [40, 40, 20]),
    readRoi: write,
    writeRoi: write,
    readWriteConflict: true,
    numWorkers,
    workerCommand: command,
    upstreamTasks: [smooth],
  });
  return [smooth, segment];
}

test('a two-task pipeline with conflicts runs on worker processes, every block exactly once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-run-'));
  const tasks = pipeline(dir);
  let summary: RunSummary | undefined;
  const ok = await runBlockwise(tasks, { logDir: join(dir, 'logs'), progress: 'none', onSummary: (s) => (summary = s) });
  assert.equal(ok, true);
  const records = readRecords(join(dir, 'records.txt'));
  const seen = records.map((r) => `${r.taskId} ${r.blockId}`);
  assert.equal(new Set(seen).size, seen.length, 'no block processed twice');
  assert.deepEqual(new Set(seen), allBlocks(tasks));
  assert.ok(new Set(records.map((r) => r.workerId)).size >= 2, 'more than one worker did work');
  const graph = new DependencyGraph(tasks);
  assert.deepEqual(
    summary!.tasks.map((t) => [t['task'], t['completed'], t['failed'], t['orphaned']]),
    [...graph.taskIds].map((id) => [id, graph.numBlocks(id), 0, 0]),
  );
  // daisy's log layout: <logdir>/<task>/worker_<id>.{out,err}
  const logs = readdirSync(join(dir, 'logs', 'smooth'));
  assert.ok(logs.some((f) => /^worker_\d+\.out$/.test(f)) && logs.some((f) => /^worker_\d+\.err$/.test(f)), logs.join(', '));
});

test('a worker killed with SIGKILL mid-block loses nothing: the block is retried elsewhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-kill-'));
  const marker = join(dir, 'killed');
  const tasks = pipeline(dir, { KILL_ONCE_BLOCK: '5', KILL_MARKER: marker });
  let summary: RunSummary | undefined;
  const ok = await runBlockwise(tasks, { logDir: join(dir, 'logs'), progress: 'none', onSummary: (s) => (summary = s) });
  assert.equal(ok, true);
  assert.ok(existsSync(marker), 'a worker was killed');
  const records = readRecords(join(dir, 'records.txt'));
  const seen = records.map((r) => `${r.taskId} ${r.blockId}`);
  assert.deepEqual(new Set(seen), allBlocks(tasks), 'no block lost');
  // A block the killed worker finished just before dying may run again: its
  // release can die with the process (at-least-once, as in daisy).
  const killed = readFileSync(marker, 'utf8').trim();
  const counts = new Map<string, number>();
  for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
  const repeated = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
  assert.ok(repeated.length <= 1, `repeated: ${repeated.join(', ')}`);
  for (const s of repeated) assert.ok(records.some((r) => `${r.taskId} ${r.blockId}` === s && r.workerId === killed));
  const retried = records.filter((r) => r.blockId === 5);
  assert.ok(retried.some((r) => r.attempt === 1), `block 5 was retried: ${JSON.stringify(retried)}`);
  assert.ok(summary!.failedBlocks.length === 0);
});

test('a block that always fails is retried maxRetries times, then its downstream is orphaned', async () => {
  const write = new Roi([0, 0], [10, 10]);
  const attempts: number[] = [];
  const processed = new Set<number>();
  const first = new Task({
    taskId: 'first',
    totalRoi: new Roi([0, 0], [60, 60]),
    readRoi: write,
    writeRoi: write,
    readWriteConflict: false,
    maxRetries: 2,
    numWorkers: 3,
    processFunction: (block) => {
      if (block.blockId === 12) {
        attempts.push(block.blockId);
        throw new Error('this block always fails');
      }
    },
  });
  const second = new Task({
    taskId: 'second',
    totalRoi: new Roi([0, 0], [60, 60]),
    readRoi: write.grow(10, 10),
    writeRoi: write,
    readWriteConflict: false,
    numWorkers: 2,
    upstreamTasks: [first],
    processFunction: (block) => {
      processed.add(block.blockId);
    },
  });
  let summary: RunSummary | undefined;
  const ok = await runBlockwise([second], { progress: 'none', logDir: mkdtempSync(join(tmpdir(), 'daisychain-fail-')), onSummary: (s) => (summary = s) });
  assert.equal(ok, false);
  assert.equal(attempts.length, 3, 'one attempt and maxRetries = 2 retries');
  // The orphans are exactly the blocks of `second` whose read ROI touches block 12 of `first`.
  const graph = new DependencyGraph([second]);
  const failedBlock = [...graph.graph('first').rootGen()].find((b) => b.blockId === 12)!;
  const orphans = graph.downstream(failedBlock).map((b) => b.blockId);
  assert.equal(orphans.length, 9);
  const byTask = new Map(summary!.tasks.map((t) => [t['task'], t]));
  assert.equal(byTask.get('first')!['failed'], 1);
  assert.equal(byTask.get('second')!['orphaned'], 9);
  assert.equal(byTask.get('second')!['completed'], graph.numBlocks('second') - 9);
  for (const orphan of orphans) assert.ok(!processed.has(orphan), `orphan ${orphan} was never processed`);
  assert.equal(summary!.failedBlocks.length, 1);
  assert.match(summary!.failedBlocks[0]!.error, /this block always fails/);
  assert.match(summary!.failedBlocks[0]!.traceback, /run-blockwise\.test/);
  assert.equal(BlockStatus[BlockStatus.FAILED], 'FAILED');
});

test('workers that keep crashing make the task abandoned, not respawned forever', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-crash-'));
  const write = new Roi([0], [10]);
  const task = new Task({
    taskId: 'crashing',
    totalRoi: new Roi([0], [100]),
    readRoi: write,
    writeRoi: write,
    numWorkers: 2,
    maxWorkerRestarts: 3,
    workerCommand: ['env', 'EXIT_AT_START=1', `RECORD_FILE=${join(dir, 'r')}`, process.execPath, workerScript],
  });
  let summary: RunSummary | undefined;
  const ok = await runBlockwise([task], { logDir: join(dir, 'logs'), progress: 'none', onSummary: (s) => (summary = s) });
  assert.equal(ok, false);
  assert.equal(summary!.tasks[0]!['abandoned'], true);
  assert.equal(summary!.tasks[0]!['failed'], 10);
  // 2 workers, then 3 restarts allowed, the 4th crash abandons: 5 or 6 starts (both initial workers crash).
  const starts = readdirSync(join(dir, 'logs', 'crashing')).filter((f) => f.endsWith('.out')).length;
  assert.ok(starts >= 5 && starts <= 6, `${starts} worker starts`);
});

test('abandoning a task of 10^12 blocks (and the 10^12 below it) ends the run at once', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-crash-huge-'));
  const write = new Roi([0], [10]);
  const options = { totalRoi: new Roi([0], [1e13]), readRoi: write, writeRoi: write, readWriteConflict: false };
  const up = new Task({
    taskId: 'up',
    ...options,
    numWorkers: 1,
    maxWorkerRestarts: 0,
    workerCommand: ['env', 'EXIT_AT_START=1', `RECORD_FILE=${join(dir, 'r')}`, process.execPath, workerScript],
  });
  const down = new Task({ taskId: 'down', ...options, upstreamTasks: [up], numWorkers: 1, workerCommand: [process.execPath, workerScript] });
  let summary: RunSummary | undefined;
  const heap = process.memoryUsage().heapUsed;
  const ok = await runBlockwise([up, down], { logDir: join(dir, 'logs'), progress: 'none', onSummary: (s) => (summary = s) });
  assert.equal(ok, false);
  assert.ok(process.memoryUsage().heapUsed - heap < 100 * 2 ** 20, 'the heap stays small');
  const [su, sd] = summary!.tasks;
  assert.deepEqual([su!['abandoned'], su!['failed'], su!['completed'], su!['pending']], [true, 1e12, 0, 0]);
  assert.deepEqual([sd!['orphaned'], sd!['pending']], [1e12, 0]);
  assert.ok(summary!.failedBlocks.length <= 1100, `${summary!.failedBlocks.length} failed blocks listed`);
});

test('initCallbackFn runs once per task with the context; an abort stops the workers and returns false', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-abort-'));
  const contexts: Readonly<Record<string, string>>[] = [];
  const write = new Roi([0], [10]);
  const task = new Task({
    taskId: 'slow',
    totalRoi: new Roi([0], [1000]),
    readRoi: write,
    writeRoi: write,
    numWorkers: 2,
    initCallbackFn: (context) => void contexts.push(context),
    // Workers that take a second per block: the run is stopped long before the end.
    workerCommand: ['env', `RECORD_FILE=${join(dir, 'r')}`, 'BLOCK_DELAY_MS=1000', process.execPath, workerScript],
  });
  const abort = new AbortController();
  setTimeout(() => abort.abort(), 1500);
  let summary: RunSummary | undefined;
  const started = Date.now();
  const ok = await runBlockwise([task], { logDir: join(dir, 'logs'), progress: 'none', signal: abort.signal, onSummary: (s) => (summary = s) });
  assert.equal(ok, false);
  assert.ok(Date.now() - started < 10_000, 'stopped promptly');
  assert.equal(summary!.interrupted, true);
  assert.ok((summary!.tasks[0]!['completed'] as number) < 100);
  assert.equal(contexts.length, 1);
  assert.equal(contexts[0]!['task_id'], 'slow');
  assert.match(contexts[0]!['port']!, /^\d+$/);
});
