/**
 * Work and memory per message are bounded whatever the message holds: the
 * refusals of one request come back as one Rejected, and a block-id list
 * longer than a stream could hold is refused whole before it is read.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { AcquireSchema, BlockStatus as WireBlockStatus, HelloSchema, ReleaseSchema, ReleasesSchema, StartSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { Client, SchedulerService, startServer } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';

const hello = (taskId: string, workerId: string) => ({ case: 'hello' as const, value: create(HelloSchema, { taskId, workerId }) });
const acquire = (count: number) => ({ case: 'acquire' as const, value: create(AcquireSchema, { count }) });
const ids = (from: number, n: number): bigint[] => Array.from({ length: n }, (_, i) => BigInt(from + i));

function snapshot(service: SchedulerService): string {
  return JSON.stringify([...service.states()].map(([id, s]) => [id, s.toJSON()]));
}

/** How many replies `stream` gets from now on (a listener of its own, so that the stream's queue is left alone). */
function countReplies(stream: RawStream): () => number {
  let n = 0;
  stream.call.on('data', () => n++);
  return () => n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a Releases of 100,000 ids is refused whole with one Rejected; the server still serves others', async () => {
  const service = new SchedulerService([lineTask('t', 4)]);
  const server = await startServer(service);
  const raw = new RawStream(server.address);
  raw.send(hello('t', 'raw'));
  raw.send(acquire(1));
  const [held] = (await raw.nextOf('blocks')).blocks;
  const before = snapshot(service);

  // The held block is in the list, first: a refused request applies nothing, not even its valid items.
  const releases = [held!.blockId, ...ids(1000, 100_000)].map((blockId) => create(ReleaseSchema, { blockId, status: WireBlockStatus.SUCCESS }));
  const replies = countReplies(raw);
  raw.send({ case: 'releases', value: create(ReleasesSchema, { releases }) });
  const rejected = await raw.nextOf('rejected');
  assert.equal(rejected.code, status.INVALID_ARGUMENT);
  assert.equal(rejected.aboutBlock, undefined);
  assert.match(rejected.message, /Releases\.releases lists 100001 blocks, more than this stream could hold \(1024\); nothing in the request was applied/);
  await sleep(300);
  assert.equal(replies(), 1, 'one reply for the whole message');
  assert.equal(snapshot(service), before);

  // An honest worker on another stream is served meanwhile, and the raw stream still holds its block.
  const honest = new Client({ hostname: '127.0.0.1', port: String(server.port), task_id: 't', worker_id: 'honest' });
  let ran = 0;
  while (ran < 3 && (await honest.acquire(() => void ran++))) {
    // three of the four blocks
  }
  assert.equal(ran, 3);
  await waitFor(() => service.state('t').completedCount === 3);
  raw.send({ case: 'release', value: releases[0]! });
  await raw.nextOf('shutdown');
  assert.equal(service.state('t').completedCount, 4);
  await honest.close();
  raw.close();
  await server.close();
});

test('the refusals of one list come back as one Rejected naming how many and the first ids', async () => {
  const service = new SchedulerService([lineTask('t', 4)]);
  const server = await startServer(service);
  const raw = new RawStream(server.address);
  raw.send(hello('t', 'raw'));
  raw.send(acquire(2));
  const blocks = (await raw.nextOf('blocks')).blocks;
  const before = snapshot(service);
  // 1000 ids nobody holds, within the list bound: each judged, refused, and reported together.
  const replies = countReplies(raw);
  raw.send({ case: 'start', value: create(StartSchema, { blockIds: ids(500, 1000) }) });
  const rejected = await raw.nextOf('rejected');
  assert.equal(rejected.code, status.FAILED_PRECONDITION);
  assert.equal(rejected.aboutBlock, 500n);
  assert.match(rejected.message, /^1000 items of this request were refused; the first: block 500 of task "t" is not held by this stream.*; 999 more: blocks 501, 502, 503, 504, 505, …$/);
  assert.ok(rejected.message.length < 400);
  await sleep(300);
  assert.equal(replies(), 1);
  assert.equal(snapshot(service), before);

  // Valid items of a list with refused ones still count.
  const releases = [blocks[0]!.blockId, 900n, blocks[1]!.blockId].map((blockId) => create(ReleaseSchema, { blockId, status: WireBlockStatus.SUCCESS }));
  raw.send({ case: 'releases', value: create(ReleasesSchema, { releases }) });
  const one = await raw.nextOf('rejected');
  assert.equal(one.aboutBlock, 900n);
  assert.doesNotMatch(one.message, /items of this request/);
  await waitFor(() => service.state('t').completedCount === 2);
  raw.close();
  await server.close();
});

async function waitFor(condition: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("a failure keeps at most 4 KiB of error and 64 KiB of traceback, marked as truncated", async () => {
  const service = new SchedulerService([lineTask('t', 2, { maxRetries: 0 })]);
  const server = await startServer(service);
  const raw = new RawStream(server.address);
  raw.send(hello('t', 'raw'));
  raw.send(acquire(2));
  const blocks = (await raw.nextOf('blocks')).blocks;
  const error = 'é'.repeat(100_000);
  const traceback = 'x'.repeat(1_000_000);
  raw.send({ case: 'release', value: create(ReleaseSchema, { blockId: blocks[0]!.blockId, status: WireBlockStatus.FAILED, error, traceback }) });
  raw.send({ case: 'release', value: create(ReleaseSchema, { blockId: blocks[1]!.blockId, status: WireBlockStatus.FAILED, error: 'short', traceback: 'tb' }) });
  await raw.nextOf('shutdown');
  const [big, small] = service.failures;
  assert.ok(big !== undefined && small !== undefined);
  assert.match(big.error, /^(é)+… \[truncated 195904 bytes\]$/);
  assert.ok(Buffer.byteLength(big.error) <= 4096 + 40);
  assert.match(big.traceback, /^x{65536}… \[truncated 934464 bytes\]$/);
  assert.deepEqual([small.error, small.traceback], ['short', 'tb']);
  assert.equal(service.state('t').failedCount, 2);
  raw.close();
  await server.close();
});

test('the failure history is bounded: the last 100 attempts, and the records of the first 1000 blocks failed for good', async () => {
  const { KEPT_PERMANENT_FAILURES, RECENT_FAILURES } = await import('../../src/server/failure-history.js');
  const { summarize } = await import('../../src/run/summary.js');
  const total = KEPT_PERMANENT_FAILURES + 100;
  const service = new SchedulerService([lineTask('t', total, { maxRetries: 0 })]);
  const server = await startServer(service);
  const raw = new RawStream(server.address);
  raw.send(hello('t', 'raw'));
  let failed = 0;
  while (failed < total) {
    raw.send(acquire(1024));
    const blocks = (await raw.nextOf('blocks')).blocks;
    const releases = blocks.map((b) => create(ReleaseSchema, { blockId: b.blockId, status: WireBlockStatus.FAILED, error: `boom ${b.blockId}`, traceback: 't'.repeat(1000) }));
    raw.send({ case: 'releases', value: create(ReleasesSchema, { releases }) });
    failed += blocks.length;
  }
  await raw.nextOf('shutdown');
  assert.equal(service.state('t').failedCount, total);

  const recent = service.failures;
  assert.equal(recent.length, RECENT_FAILURES);
  assert.deepEqual(
    recent.map((f) => f.blockId),
    Array.from({ length: RECENT_FAILURES }, (_, i) => total - RECENT_FAILURES + i),
    'the newest, oldest first',
  );
  assert.equal(service.failureRecordsDropped, total - KEPT_PERMANENT_FAILURES);
  assert.equal(service.permanentFailure('t', 0)?.error, 'boom 0');
  assert.equal(service.permanentFailure('t', KEPT_PERMANENT_FAILURES - 1)?.error, `boom ${KEPT_PERMANENT_FAILURES - 1}`);
  assert.equal(service.permanentFailure('t', KEPT_PERMANENT_FAILURES), undefined);

  // The summary still names every block that failed, with its error where it was kept.
  const summary = summarize(service, 1, false);
  assert.equal(summary.failedBlocks.length, total);
  assert.equal(summary.failedBlocks[0]!.error, 'boom 0');
  assert.match(summary.failedBlocks.at(-1)!.error, /its error was not kept: the server keeps those of the first 1000 blocks/);
  raw.close();
  await server.close();
});
