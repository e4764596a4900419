/**
 * The worker pool with real processes and hostile streams (hardening finding
 * 6): a stream that claims a live pool worker's id without its secret is
 * refused, one that claims an id it has no secret for cannot get any pool
 * worker restarted, and the pool's own workers (TypeScript and Python)
 * present their secret, so that the restart after 3 failed blocks in a row
 * still works. The protocol rules themselves: tests/server/worker-secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { AcquireSchema, BlockStatus as WireBlockStatus, HelloSchema, ReleaseSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { SchedulerService, type Task, type TaskOptions, type WorkerEvent, WorkerProcessPool } from '../../src/index.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';

const tsWorker = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));
const python = join(root, '.cache', 'venv-client', 'bin', 'python');
const pyWorker = join(root, 'clients', 'python', 'tests', 'record_worker.py');

/** A run that would hang (a pool that never finishes) fails instead, after this. */
const RUN_LIMIT_MS = 30_000;

const hello = (taskId: string, workerId: string, workerSecret = '') => ({
  case: 'hello' as const,
  value: create(HelloSchema, { taskId, workerId, workerSecret, language: 'hostile' }),
});
const acquire = { case: 'acquire' as const, value: create(AcquireSchema, { count: 1 }) };
const failed = (blockId: bigint) => ({
  case: 'release' as const,
  value: create(ReleaseSchema, { blockId, status: WireBlockStatus.FAILED, error: 'hostile failure' }),
});

interface PoolRun {
  service: SchedulerService;
  server: RunningServer;
  pool: WorkerProcessPool;
  events: WorkerEvent[];
  /** Resolves once every task finished and the workers exited (or the limit passed). */
  done: Promise<void>;
}

/** Starts `task`'s pool against a server of its own; `beforeStart` runs once the server listens. */
async function startPool(task: Task, beforeStart: (server: RunningServer) => Promise<void> = async () => {}): Promise<PoolRun> {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-secrets-'));
  const service = new SchedulerService([task]);
  const server = await startServer(service);
  const events: WorkerEvent[] = [];
  const pool = new WorkerProcessPool(task, service, { host: '127.0.0.1', port: server.port, logDir: join(dir, 'logs'), onEvent: (e) => events.push(e) });
  await beforeStart(server);
  const finished = new Promise<void>((resolve) => service.once('finished', resolve));
  pool.start();
  const done = (async () => {
    const limit = new Promise<'limit'>((resolve) => setTimeout(resolve, RUN_LIMIT_MS, 'limit').unref());
    if ((await Promise.race([finished, limit])) === 'limit') await pool.stop();
    await pool.drained(5000);
  })();
  return { service, server, pool, events, done };
}

function recorded(file: string): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(file)) return counts;
  for (const line of readFileSync(file, 'utf8').split('\n').filter((l) => l !== '')) {
    const id = Number(line.split(' ')[1]);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Acquires and fails `n` blocks on a stream that said Hello, then hangs up (holding one more: lost). */
async function failBlocks(stream: RawStream, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    stream.send(acquire);
    const [block] = (await stream.nextOf('blocks')).blocks;
    stream.send(failed(block!.blockId));
  }
  stream.send(acquire);
  await stream.nextOf('blocks');
  stream.close();
}

test("hostile streams claiming live pool workers' ids: refused without the secret, powerless without it; no worker restarted, the task completes", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-secrets-'));
  const records = join(dir, 'records.txt');
  const BLOCKS = 60;
  const task = lineTask('p', BLOCKS, {
    numWorkers: 2,
    maxRetries: 20,
    workerCommand: ['env', `RECORD_FILE=${records}`, 'BLOCK_DELAY_MS=20', process.execPath, tsWorker],
  });
  // Pool worker ids are a counter: a peer can say Hello under each of them
  // before the pool starts its workers, when none is registered yet.
  const early = new Map<string, RawStream>();
  const run = await startPool(task, async (server) => {
    for (let i = 0; i < 50; i++) {
      const stream = new RawStream(server.address);
      stream.send(hello('p', String(i)));
      early.set(String(i), stream);
    }
    await until(() => [...early.values()].every((s) => s.welcome !== null), 'the early streams to be welcomed');
  });
  const { service, server, events, pool } = run;
  await until(() => events.filter((e) => e.kind === 'started').length === 2, 'both workers to start');
  const workerIds = events.filter((e) => e.kind === 'started').map((e) => e.workerId);
  assert.equal(service.expectedWorkerCount, 2, 'the pool registered both workers');
  const target = workerIds[0]!;
  assert.ok(early.has(target), `worker id ${target} is among the ids claimed early`);

  // (a) A new stream claiming a live worker's id, without the secret or with a wrong one, is refused at Hello.
  for (const secret of ['', 'f'.repeat(64)]) {
    const failuresBefore = service.failures.length;
    const hostile = new RawStream(server.address);
    hostile.send(hello('p', target, secret));
    hostile.send(acquire);
    assert.equal(await hostile.next(3000), null);
    assert.equal(hostile.error?.code, status.PERMISSION_DENIED);
    assert.match(hostile.error!.details, new RegExp(`worker id "${target}" belongs to a worker this server started`));
    assert.equal(service.failures.length, failuresBefore, 'no failure recorded for it');
    hostile.close();
  }

  // (b) The stream that claimed the id before the pool registered it is served, but unbound: failing
  // more blocks in a row than maxConsecutiveFailures in the real worker's name restarts nobody.
  // So does one claiming an id no pool worker has.
  const unused = [...early.keys()].find((id) => !workerIds.includes(id))!;
  await Promise.all([failBlocks(early.get(target)!, 5), failBlocks(early.get(unused)!, 5)]);
  for (const [id, stream] of early) if (id !== target && id !== unused) stream.close();

  await run.done;
  await server.close();
  const hostileFailures = service.failures.filter((f) => f.workerId === target || f.workerId === unused);
  assert.equal(hostileFailures.length, 12, '5 failed and 1 lost block per hostile stream, counted as failures of their blocks');
  assert.deepEqual(
    events.filter((e) => e.kind !== 'started' && e.kind !== 'exited'),
    [],
    'no restart, no abandon',
  );
  assert.deepEqual(
    events.filter((e) => e.kind === 'started').map((e) => e.workerId),
    workerIds,
    'the two workers ran the whole task: none was replaced',
  );
  assert.equal(pool.restarts, 0);
  const state = service.state('p');
  assert.equal(state.completedCount, BLOCKS);
  assert.equal(state.failedCount, 0);
  assert.equal(state.abandoned, false);
  assert.equal(recorded(records).size, BLOCKS, 'every block ran in a real worker');
  assert.equal(service.expectedWorkerCount, 0, 'the pool forgot its workers as they exited');
});

const fixtures: [string, (records: string, marker: string) => string[]][] = [
  ['TypeScript', (records, marker) => ['env', `RECORD_FILE=${records}`, `FAIL_ALL_MARKER=${marker}`, 'BLOCK_DELAY_MS=20', process.execPath, tsWorker]],
  ['Python', (records, marker) => ['env', `RECORD_FILE=${records}`, `FAIL_ALL_MARKER=${marker}`, 'BLOCK_DELAY_S=0.02', python, pyWorker]],
];

for (const [language, command] of fixtures) {
  test(`${language} workers started by the pool present their secret: the one that keeps failing is restarted, the task completes`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'daisychain-secrets-'));
    const records = join(dir, 'records.txt');
    const BLOCKS = 20;
    const options: Partial<TaskOptions> = { numWorkers: 2, maxRetries: 5, workerCommand: command(records, join(dir, 'fail-all')) };
    const run = await startPool(lineTask('r', BLOCKS, options));
    await run.done;
    await run.server.close();
    const restarting = run.events.filter((e) => e.kind === 'restarting');
    assert.equal(restarting.length, 1, JSON.stringify(run.events));
    assert.match(restarting[0]!.detail, /failed 3 blocks in a row/);
    assert.equal(run.events.filter((e) => e.kind === 'started').length, 3, 'two workers and the replacement of the failing one');
    assert.equal(run.pool.restarts, 1);
    assert.ok(
      run.service.failures.every((f) => f.workerId === restarting[0]!.workerId),
      'only the failing worker failed blocks (nobody was refused at Hello)',
    );
    // Its third failure stopped it before a fourth block reached it: none was lost with it.
    assert.deepEqual(
      run.service.failures.map((f) => /fails every block/.test(f.error)),
      [true, true, true],
      JSON.stringify(run.service.failures.map((f) => f.error)),
    );
    const state = run.service.state('r');
    assert.equal(state.completedCount, BLOCKS);
    assert.equal(state.failedCount, 0);
    assert.equal(recorded(records).size, BLOCKS);
    assert.equal(run.service.expectedWorkerCount, 0);
  });
}
