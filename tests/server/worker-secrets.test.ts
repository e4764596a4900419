/**
 * A stream speaks for a pool's worker only with that worker's secret
 * (hardening finding 6): a Hello claiming the id of a worker the server's
 * pool registered must present its secret, and only streams that did reach
 * the pool through `workerRelease`. The pool itself, with real processes,
 * is tested in tests/run/worker-secrets.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { AcquireSchema, BlockStatus as WireBlockStatus, HelloSchema, ReleaseSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { SchedulerService } from '../../src/server/scheduler-service.js';
import { startServer } from '../../src/server/server.js';
import { PROTOCOL_REVISION } from '../../src/wire/work-messages.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';

const SECRET = 'a'.repeat(32) + '0123456789abcdef0123456789abcdef';

const hello = (workerId: string, workerSecret = '', taskId = 't') => ({
  case: 'hello' as const,
  value: create(HelloSchema, { taskId, workerId, workerSecret, language: 'test' }),
});
const acquire = { case: 'acquire' as const, value: create(AcquireSchema, { count: 1 }) };
const release = (blockId: bigint, ok: boolean) => ({
  case: 'release' as const,
  value: create(ReleaseSchema, { blockId, status: ok ? WireBlockStatus.SUCCESS : WireBlockStatus.FAILED, error: ok ? '' : 'hostile failure' }),
});

/** A service on loopback with the pool's `workerRelease` events recorded. */
async function setUp(blocks = 6) {
  const service = new SchedulerService([lineTask('t', blocks, { maxRetries: 20 }), lineTask('u', 2)]);
  const server = await startServer(service);
  const releases: string[] = [];
  service.on('workerRelease', (workerId, taskId, ok) => releases.push(`${taskId}/${workerId} ${ok ? 'ok' : 'failed'}`));
  const streams: RawStream[] = [];
  const open = (): RawStream => {
    const s = new RawStream(server.address);
    streams.push(s);
    return s;
  };
  const close = async (): Promise<void> => {
    for (const s of streams) s.close();
    await server.close();
  };
  return { service, server, releases, open, close };
}

/** Acquires and fails `n` blocks on a stream that said Hello; resolves once each release was read. */
async function failBlocks(stream: RawStream, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    stream.send(acquire);
    const [block] = (await stream.nextOf('blocks')).blocks;
    stream.send(release(block!.blockId, false));
  }
  // A request after the last release is answered after it: the release was read.
  stream.send(acquire);
  await stream.nextOf('blocks');
}

function counts(service: SchedulerService, taskId = 't'): string {
  const s = service.state(taskId);
  return JSON.stringify([s.readyCount, s.processingCount, s.completedCount, s.failedCount, s.pendingCount]);
}

test("a Hello claiming a pool worker's id without its secret, or with another, ends with PERMISSION_DENIED and changes nothing", async () => {
  const { service, releases, open, close } = await setUp();
  service.expectWorker('t', '3', SECRET);
  const before = counts(service);
  const wrongSameLength = SECRET.replace(/.$/, 'e');
  const attempts: [string, string, RegExp][] = [
    ['no secret', '', /sent no Hello\.worker_secret/],
    ['a wrong secret of the same length', wrongSameLength, /not this worker's/],
    ['a prefix of the secret', SECRET.slice(0, 16), /not this worker's/],
    ['the secret and more', `${SECRET}00`, /not this worker's/],
    ['a 1 MiB secret', 'x'.repeat(1 << 20), /not this worker's/],
    ['a secret of multi-byte characters as long as the real one in UTF-16', 'é'.repeat(SECRET.length), /not this worker's/],
  ];
  for (const [what, secret, why] of attempts) {
    const hostile = open();
    hostile.send(hello('3', secret));
    // Acquire and a failed release right behind the Hello: none of it may be read.
    hostile.send(acquire);
    hostile.send(release(0n, false));
    assert.equal(await hostile.next(3000), null, `${what}: the stream ends`);
    assert.equal(hostile.welcome, null, `${what}: no Welcome`);
    assert.equal(hostile.error?.code, status.PERMISSION_DENIED, what);
    const details = hostile.error!.details;
    assert.match(details, /worker id "3" belongs to a worker this server started for task "t"; this stream did not present its secret/, what);
    assert.match(details, why, what);
    assert.ok(!details.includes(SECRET) && (secret.length < 8 || !details.includes(secret.slice(0, 8))), `${what}: no secret in ${details}`);
  }
  assert.equal(counts(service), before, 'no count changed');
  assert.deepEqual(service.failures, []);
  assert.deepEqual(releases, []);
  // The worker itself, with its secret, is welcomed and bound.
  const worker = open();
  worker.send(hello('3', SECRET));
  await failBlocks(worker, 2);
  assert.equal(worker.welcome?.workerId, '3');
  assert.equal(worker.welcome?.protocolRevision, PROTOCOL_REVISION);
  assert.ok(PROTOCOL_REVISION >= 2, 'Hello.worker_secret came with revision 2');
  assert.deepEqual(releases, ['t/3 failed', 't/3 failed']);
  await close();
});

test('a stream claiming an id no pool registered is served, but its releases never reach the pool', async () => {
  const { service, releases, open, close } = await setUp();
  const external = open();
  external.send(hello('external-1', 'whatever it says'));
  await failBlocks(external, 4);
  assert.equal(external.welcome?.workerId, 'external-1');
  assert.equal(service.failures.length, 4, 'its failures are failures like any other');
  assert.deepEqual(releases, [], 'but no workerRelease: it is no pool worker');
  await close();
});

test('a stream that said Hello before a pool registered its id stays unbound; a new one then needs the secret', async () => {
  const { service, releases, open, close } = await setUp();
  const early = open();
  early.send(hello('5'));
  early.send(acquire);
  const [held] = (await early.nextOf('blocks')).blocks;
  // Now a pool starts its worker 5 (ids are a counter: easy to guess ahead).
  service.expectWorker('t', '5', SECRET);
  early.send(release(held!.blockId, false));
  await failBlocks(early, 3);
  assert.deepEqual(releases, [], 'the early stream cannot drive the pool');
  const late = open();
  late.send(hello('5'));
  assert.equal(await late.next(3000), null);
  assert.equal(late.error?.code, status.PERMISSION_DENIED);
  const worker = open();
  worker.send(hello('5', SECRET));
  worker.send(acquire);
  const [block] = (await worker.nextOf('blocks')).blocks;
  worker.send(release(block!.blockId, true));
  worker.send(acquire);
  await worker.nextOf('blocks');
  assert.deepEqual(releases, ['t/5 ok']);
  await close();
});

test("a pool worker's secret holds for its task only, and a forgotten worker's id is free again, unbound", async () => {
  const { service, releases, open, close } = await setUp();
  service.expectWorker('t', '8', SECRET);
  assert.equal(service.expectedWorkerCount, 1);
  const elsewhere = open();
  elsewhere.send(hello('8', '', 'u'));
  await failBlocks(elsewhere, 0);
  assert.equal(elsewhere.welcome?.taskId, 'u', "id 8 of task u is nobody's");
  service.forgetWorker('t', '8');
  assert.equal(service.expectedWorkerCount, 0);
  const after = open();
  after.send(hello('8'));
  await failBlocks(after, 3);
  assert.equal(after.welcome?.workerId, '8');
  assert.deepEqual(releases, []);
  await close();
});

test('expectWorker refuses an unknown task, an empty id and an empty secret', async () => {
  const { service, close } = await setUp();
  assert.throws(() => service.expectWorker('nope', '1', SECRET), /unknown task id "nope"/);
  assert.throws(() => service.expectWorker('t', '', SECRET), /needs a worker id/);
  assert.throws(() => service.expectWorker('t', '1', ''), /needs a non-empty secret/);
  assert.equal(service.expectedWorkerCount, 0);
  await close();
});
