/**
 * Check functions in the service, against a real server on loopback: the
 * pre-check runs before hand-out (asynchronous ones in a bounded pool), the
 * post-check on every SUCCESS release, and neither can become an `internal
 * error` on a work stream.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { AcquireSchema, BlockStatus as WireBlockStatus, HelloSchema, ReleaseSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { type Block, type CheckFunction, Client, SchedulerService, startServer } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';


/** A promise with its resolve, to hold a check until the test lets it answer. */
function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

const until = async (what: string, condition: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

async function serveAll(client: Client, processed: number[]): Promise<void> {
  while (await client.acquire((b) => void processed.push(b.blockId))) {
    // until the task is done
  }
  await client.close();
}

const connect = (port: number, taskId: string, workerId: string, prefetch = 1): Client =>
  new Client({ hostname: '127.0.0.1', port: String(port), task_id: taskId, worker_id: workerId }, { prefetch });

test('a synchronous pre-check that finds every block done finishes the task at the first request', { timeout: 10_000 }, async () => {
  const service = new SchedulerService([lineTask('t', 10, { checkFunction: () => true })]);
  const finished = new Promise<void>((resolve) => service.once('finished', resolve));
  const server = await startServer(service);
  const processed: number[] = [];
  await serveAll(connect(server.port, 't', 'w'), processed);
  await finished;
  const s = service.state('t');
  assert.deepEqual([s.completedCount, s.skippedCount, s.isDone()], [10, 10, true]);
  assert.deepEqual(processed, []);
  await server.close();
});

test('asynchronous pre-checks run in a bounded pool ahead of hand-out; blocks under check are not handed out', { timeout: 10_000 }, async () => {
  const gates = new Map<number, ReturnType<typeof gate<boolean>>>();
  let inFlight = 0;
  let most = 0;
  const check: CheckFunction = async (block: Block) => {
    inFlight++;
    most = Math.max(most, inFlight);
    const g = gate<boolean>();
    gates.set(block.blockId, g);
    try {
      return await g.promise;
    } finally {
      inFlight--;
    }
  };
  const service = new SchedulerService([lineTask('t', 100, { checkFunction: check })]);
  const server = await startServer(service);
  const processed: number[] = [];
  const client = connect(server.port, 't', 'w', 4);
  const serving = serveAll(client, processed);
  await until('the pool is full', () => gates.size === 16);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(gates.size, 16, 'no more than 16 checks in flight');
  assert.equal(service.state('t').processingCount, 16, 'blocks under check count as processing');
  assert.deepEqual(processed, [], 'nothing is handed out before its check answered');
  // Every check answers as it is asked: block ids divisible by 3 are done, and block 4's check rejects.
  const answer = (): void => {
    for (const [id, g] of gates) {
      if (id === 4) g.promise.catch(() => {});
      g.open(id % 3 === 0);
    }
  };
  const pump = setInterval(answer, 2);
  await serving;
  clearInterval(pump);
  const s = service.state('t');
  const done = Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 === 0);
  assert.deepEqual([s.completedCount, s.skippedCount, s.isDone()], [100, done.length, true]);
  assert.deepEqual([...processed].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0));
  assert.ok(most <= 16, `at most 16 checks in flight, saw ${most}`);
  await server.close();
});

test('a pre-check that throws or rejects means "not done": the block runs, and no stream sees an internal error', { timeout: 10_000 }, async () => {
  const service = new SchedulerService([
    lineTask('sync', 4, {
      checkFunction: (b) => {
        if (b.blockId % 2 === 0) throw new Error('cannot tell');
        return true;
      },
    }),
    lineTask('async', 4, { checkFunction: async (b) => (b.blockId % 2 === 0 ? Promise.reject(new Error('cannot tell')) : true) }),
    lineTask('odd', 2, { checkFunction: (() => 'yes') as unknown as CheckFunction }),
  ]);
  const server = await startServer(service);
  const processed = new Map<string, number[]>([['sync', []], ['async', []], ['odd', []]]);
  const clients = [...processed.keys()].map((id) => connect(server.port, id, id));
  await Promise.all(clients.map((c) => serveAll(c, processed.get(c.taskId)!)));
  assert.deepEqual(processed.get('sync'), [0, 2]);
  assert.deepEqual([...processed.get('async')!].sort(), [0, 2]);
  assert.deepEqual(processed.get('odd'), [0, 1], 'an answer that is not a boolean is not "done"');
  for (const c of clients) assert.deepEqual(c.rejections, []);
  assert.deepEqual(service.failures, []);
  await server.close();
});

test('an asynchronous pre-check of a downstream task skips blocks freed by upstream successes, and the run finishes', { timeout: 10_000 }, async () => {
  const up = lineTask('up', 5, { checkFunction: async () => true });
  const down = lineTask('down', 5, { upstreamTasks: [up], checkFunction: async (b) => b.blockId !== 2 });
  const service = new SchedulerService([down]);
  const finished = new Promise<void>((resolve) => service.once('finished', resolve));
  const server = await startServer(service);
  const processed: number[] = [];
  // Only the downstream task has a worker; the upstream one needs none, as all its blocks are done.
  const downWorker = serveAll(connect(server.port, 'down', 'd'), processed);
  const upWorker = serveAll(connect(server.port, 'up', 'u'), []);
  await Promise.all([downWorker, upWorker, finished]);
  assert.deepEqual(processed, [2]);
  assert.deepEqual([service.state('up').skippedCount, service.state('down').skippedCount, service.state('down').completedCount], [5, 4, 5]);
  await server.close();
});

// -- the post-check ------------------------------------------------------------------

const hello = (taskId: string, workerId: string) => ({ case: 'hello' as const, value: create(HelloSchema, { taskId, workerId, language: 'test', host: 'localhost', pid: process.pid }) });
const acquire = (count = 1) => ({ case: 'acquire' as const, value: create(AcquireSchema, { count }) });
const succeeded = (blockId: bigint) => ({ case: 'release' as const, value: create(ReleaseSchema, { blockId, status: WireBlockStatus.SUCCESS }) });

test('an asynchronous post-check holds the block until it answers; "not done" makes the release a failed attempt', { timeout: 10_000 }, async () => {
  const answers: ReturnType<typeof gate<boolean>>[] = [];
  const post: CheckFunction = (block) => {
    const g = gate<boolean>();
    answers.push(g);
    return g.promise.then((ok) => ok && block.blockId === 0);
  };
  const service = new SchedulerService([lineTask('t', 1, { checkFunction: [() => false, post], maxRetries: 1 })]);
  const server = await startServer(service);
  const worker = new RawStream(server.address);
  worker.send(hello('t', 'w'));
  worker.send(acquire());
  const [block] = (await worker.nextOf('blocks')).blocks;
  worker.send(succeeded(block!.blockId));
  await until('the post-check is asked', () => answers.length === 1);
  assert.equal(service.state('t').processingCount, 1, 'the block stays processing while its post-check runs');
  // Nobody else gets the block meanwhile, and the worker cannot release it again.
  const other = new RawStream(server.address);
  other.send(hello('t', 'other'));
  other.send(acquire());
  assert.equal((await other.next())?.message.case, 'wait');
  worker.send(succeeded(block!.blockId));
  const again = await worker.nextOf('rejected');
  assert.equal(again.code, status.FAILED_PRECONDITION);
  assert.equal(answers.length, 1, 'the refused release did not run the post-check again');
  answers[0]!.open(false);
  // The failed attempt is retried: the parked stream gets the block, at attempt 1.
  const retry = (await other.nextOf('blocks')).blocks[0]!;
  assert.deepEqual([retry.blockId, retry.attempt], [block!.blockId, 1]);
  assert.equal(service.failures.length, 1);
  const failure = service.failures[0]!;
  assert.deepEqual([failure.workerId, failure.attempt, failure.permanent], ['w', 0, false]);
  assert.match(failure.error, /the post-check of task "t" found block 0 not done/);
  other.send(succeeded(retry.blockId));
  await until('the second post-check is asked', () => answers.length === 2);
  answers[1]!.open(true);
  await other.nextOf('shutdown');
  assert.deepEqual([service.state('t').completedCount, service.state('t').isDone()], [1, true]);
  worker.close();
  other.close();
  await server.close();
});

test('a post-check that throws fails the attempt with its message; a worker that leaves meanwhile changes nothing', { timeout: 10_000 }, async () => {
  const held = gate<void>();
  let calls = 0;
  const post: CheckFunction = async () => {
    calls++;
    await held.promise;
    if (calls === 1) throw new Error('disk unreadable');
    return true;
  };
  const service = new SchedulerService([lineTask('t', 1, { checkFunction: [() => false, post] })]);
  const server = await startServer(service);
  const worker = new RawStream(server.address);
  worker.send(hello('t', 'w'));
  worker.send(acquire());
  const [block] = (await worker.nextOf('blocks')).blocks;
  worker.send(succeeded(block!.blockId));
  await until('the post-check is asked', () => calls === 1);
  worker.call.cancel();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(service.failures, [], 'the block was given back already: leaving does not lose it a second time');
  held.open();
  await until('the post-check answered', () => service.failures.length === 1);
  const failures: readonly { error: string }[] = service.failures;
  assert.match(failures[0]!.error, /the post-check of task "t" failed on block 0: disk unreadable/);
  const processed: number[] = [];
  await serveAll(connect(server.port, 't', 'rescuer'), processed);
  assert.deepEqual(processed, [0]);
  assert.equal(service.state('t').completedCount, 1);
  await server.close();
});

test('a downstream worker that waits while the upstream task is skipped entirely gets the freed blocks', { timeout: 10_000 }, async () => {
  const up = lineTask('up', 5, { checkFunction: () => true });
  const down = lineTask('down', 5, { upstreamTasks: [up] });
  const service = new SchedulerService([down]);
  const server = await startServer(service);
  const processed: number[] = [];
  const downWorker = serveAll(connect(server.port, 'down', 'd'), processed);
  // The downstream worker is parked (nothing of its task is ready) before the upstream one asks.
  await until('the downstream worker waits', () => service.state('down').pendingCount === 5);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const upWorker = serveAll(connect(server.port, 'up', 'u'), []);
  await Promise.all([downWorker, upWorker]);
  assert.deepEqual([...processed].sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual([service.state('up').skippedCount, service.state('down').completedCount], [5, 5]);
  await server.close();
});

test('abandoning a task fails its blocks that were checked and are waiting for a worker, or are still under check', { timeout: 10_000 }, async () => {
  const answers: ReturnType<typeof gate<boolean>>[] = [];
  const check: CheckFunction = () => {
    const g = gate<boolean>();
    answers.push(g);
    return g.promise;
  };
  const service = new SchedulerService([lineTask('t', 40, { checkFunction: check })]);
  const finished = new Promise<void>((resolve) => service.once('finished', resolve));
  const server = await startServer(service);
  const worker = new RawStream(server.address);
  worker.send(hello('t', 'w'));
  worker.send(acquire(1));
  await until('the pool is full', () => answers.length === 16);
  for (const g of answers.slice(0, 10)) g.open(false);
  await worker.nextOf('blocks');
  await new Promise((resolve) => setImmediate(resolve));
  service.abandonTask('t', 'test');
  await worker.nextOf('shutdown');
  for (const g of answers.slice(10)) g.open(false);
  worker.close();
  await finished;
  const s = service.state('t');
  assert.deepEqual([s.failedCount, s.completedCount, s.processingCount, s.isDone()], [40, 0, 0, true]);
  await server.close();
});
