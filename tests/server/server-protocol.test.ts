/**
 * The work protocol against a real server on loopback: parking, shutdown,
 * timeouts, and requests that must be refused without changing anything.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { BlockStatus as WireBlockStatus, HelloSchema, ReleaseSchema, AcquireSchema, SkipSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { Client, MAX_MESSAGE_BYTES, Roi, SchedulerService, Task, startServer, type RunningServer } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';

const hello = (taskId: string, workerId = 'w') => ({ case: 'hello' as const, value: create(HelloSchema, { taskId, workerId, language: 'test', host: 'localhost', pid: process.pid }) });
const acquire = (count = 1) => ({ case: 'acquire' as const, value: create(AcquireSchema, { count }) });
const release = (blockId: bigint, ok = true) => ({
  case: 'release' as const,
  value: create(ReleaseSchema, { blockId, status: ok ? WireBlockStatus.SUCCESS : WireBlockStatus.FAILED, error: ok ? '' : 'boom' }),
});


function snapshot(service: SchedulerService): string {
  return JSON.stringify([...service.states()].map(([id, s]) => [id, s.toJSON()]));
}

describe('work protocol', () => {
  let service: SchedulerService;
  let server: RunningServer;
  before(async () => {
    const upstream = lineTask('up', 4);
    const down = lineTask('down', 4, { upstreamTasks: [upstream] });
    service = new SchedulerService([down, lineTask('slow', 3, { timeout: 0.3, maxRetries: 5 })]);
    server = await startServer(service);
  });
  after(() => server.close());

  test('an unknown task id ends the stream with NOT_FOUND naming the known tasks', async () => {
    const stream = new RawStream(server.address);
    stream.send(hello('nope'));
    assert.equal(await stream.next(), null);
    assert.equal(stream.error?.code, status.NOT_FOUND);
    assert.match(stream.error!.details, /unknown task id "nope".*"up"/);
    stream.close();
  });

  test('a stream that does not start with Hello is refused', async () => {
    const stream = new RawStream(server.address);
    stream.send(acquire());
    assert.equal(await stream.next(), null);
    assert.equal(stream.error?.code, status.FAILED_PRECONDITION);
    assert.match(stream.error!.details, /must start with Hello/);
    stream.close();
  });

  test('a malformed message ends only its own stream with INVALID_ARGUMENT, and a readable error', async () => {
    const before = snapshot(service);
    const honest = new RawStream(server.address);
    honest.send(hello('up', 'honest'));
    const stream = new RawStream(server.address, () => Buffer.from([0x0a, 0xff, 0xff, 0xff]));
    stream.send(hello('up'));
    assert.equal(await stream.next(), null);
    assert.equal(stream.error?.code, status.INVALID_ARGUMENT);
    assert.match(`${stream.error!.details}`, /^malformed daisychain\.v1\.WorkRequest message: /);
    assert.equal(snapshot(service), before);
    // The stream beside it is still served.
    honest.send(acquire());
    assert.equal((await honest.nextOf('blocks')).blocks.length, 1);
    honest.close();
    stream.close();
  });

  test('an oversized message is refused with RESOURCE_EXHAUSTED', async () => {
    const stream = new RawStream(server.address);
    stream.send(hello('up'));
    stream.send({ case: 'release', value: create(ReleaseSchema, { blockId: 0n, status: WireBlockStatus.FAILED, traceback: 'x'.repeat(MAX_MESSAGE_BYTES + 10) }) });
    assert.equal(await stream.next(), null);
    assert.equal(stream.error?.code, status.RESOURCE_EXHAUSTED);
    stream.close();
  });

  test('acquire counts outside 1..1024 are rejected and change nothing', async () => {
    const stream = new RawStream(server.address);
    stream.send(hello('up'));
    const before = snapshot(service);
    stream.send(acquire(0));
    const rejected = await stream.nextOf('rejected');
    assert.equal(rejected.code, status.INVALID_ARGUMENT);
    assert.match(rejected.message, /between 1 and 1024/);
    assert.equal(snapshot(service), before);
    stream.close();
  });

  test('parked requests are served when upstream blocks finish; double and foreign releases are refused', async () => {
    const a = new RawStream(server.address);
    const b = new RawStream(server.address);
    const d = new RawStream(server.address);
    a.send(hello('up', 'a'));
    b.send(hello('up', 'b'));
    d.send(hello('down', 'd'));
    d.send(acquire(2));
    assert.ok(await d.nextOf('wait'), 'nothing of "down" is ready before "up" ran: the request is parked');

    a.send(acquire(1));
    const [mine] = (await a.nextOf('blocks')).blocks;
    assert.ok(mine !== undefined);

    // b releases a's block: refused, nothing changes.
    const before = snapshot(service);
    b.send(release(mine.blockId));
    const foreign = await b.nextOf('rejected');
    assert.equal(foreign.code, status.PERMISSION_DENIED);
    assert.match(foreign.message, /held by another worker/);
    // a block nobody holds
    b.send(release(3n));
    assert.equal((await b.nextOf('rejected')).code, status.FAILED_PRECONDITION);
    // a status that is neither success nor failure
    a.send({ case: 'release', value: create(ReleaseSchema, { blockId: mine.blockId, status: WireBlockStatus.PROCESSING }) });
    assert.equal((await a.nextOf('rejected')).code, status.INVALID_ARGUMENT);
    assert.equal(snapshot(service), before);

    a.send(release(mine.blockId));
    // The release made the "down" block reading it ready: the parked request gets it.
    const served = (await d.nextOf('blocks')).blocks;
    assert.equal(served.length, 1);
    assert.equal(served[0]!.taskId, 'down');
    assert.equal(served[0]!.blockId, mine.blockId);

    const afterRelease = snapshot(service);
    a.send(release(mine.blockId));
    const double = await a.nextOf('rejected');
    assert.equal(double.code, status.FAILED_PRECONDITION);
    assert.match(double.message, /released twice, or never acquired/);
    assert.equal(snapshot(service), afterRelease);

    // Finish everything: the remaining "up" blocks by a, "down" by d.
    a.send(acquire(8));
    const rest = (await a.nextOf('blocks')).blocks;
    assert.equal(rest.length, 3);
    for (const block of rest) a.send(release(block.blockId));
    d.send(release(served[0]!.blockId));
    let downDone = 1;
    while (downDone < 4) {
      const blocks = (await d.nextOf('blocks')).blocks;
      for (const block of blocks) d.send(release(block.blockId));
      downDone += blocks.length;
      if (downDone < 4) d.send(acquire(1));
    }
    d.send(acquire(1));
    assert.match((await d.nextOf('shutdown')).reason, /"down" is done/);
    assert.match((await a.nextOf('shutdown')).reason, /"up" is done/);
    assert.equal(service.states().get('down')!.completedCount, 4);
    for (const s of [a, b, d]) s.close();
  });

  test("a task's timeout reclaims a hung block; the late release is refused", async () => {
    const hung = new RawStream(server.address);
    hung.send(hello('slow', 'hung'));
    hung.send(acquire(1));
    const [block] = (await hung.nextOf('blocks')).blocks;
    assert.equal(block!.attempt, 0);

    const rescuer = new Client({ hostname: '127.0.0.1', port: String(server.port), task_id: 'slow', worker_id: 'rescuer' });
    const seen: { id: number; attempt: number }[] = [];
    while (await rescuer.acquire((b) => void seen.push({ id: b.blockId, attempt: rescuer.attemptOf(b) }))) {
      // until the task is done
    }
    assert.ok(seen.some((s) => s.id === Number(block!.blockId) && s.attempt === 1), JSON.stringify(seen));
    const state = service.states().get('slow')!;
    assert.equal(state.completedCount, 3);
    assert.ok(service.failures.some((f) => f.taskId === 'slow' && /timed out/.test(f.error)));

    const revoked = await hung.nextOf('revoked'); // the hung worker is told its block was taken back
    assert.equal(revoked.blockId, block!.blockId);
    assert.match(revoked.reason, /timed out/);
    await hung.nextOf('shutdown'); // the task is done: every stream of it is told so
    const before = snapshot(service);
    hung.send(release(block!.blockId));
    const late = await hung.nextOf('rejected');
    assert.equal(late.code, status.FAILED_PRECONDITION);
    assert.match(late.message, /taken back .* after its timeout/);
    assert.equal(snapshot(service), before);
    hung.close();
    await rescuer.close();
  });
});

test('a closed stream returns its blocks as failed attempts, to be handed out again', async () => {
  const service = new SchedulerService([lineTask('t', 2)]);
  const server = await startServer(service);
  const first = new RawStream(server.address);
  first.send(hello('t', 'first'));
  first.send(acquire(2));
  assert.equal((await first.nextOf('blocks')).blocks.length, 2);
  first.call.cancel();
  const second = new Client({ hostname: '127.0.0.1', port: String(server.port), task_id: 't', worker_id: 'second' });
  const attempts: number[] = [];
  while (await second.acquire((b) => void attempts.push(second.attemptOf(b)))) {
    // until done
  }
  assert.deepEqual(attempts, [1, 1]);
  assert.equal(service.failures.filter((f) => /left while holding it/.test(f.error)).length, 2);
  await second.close();
  await server.close();
});

test('a skip counts the block as skipped and completed', async () => {
  const service = new SchedulerService([lineTask('t', 3)]);
  const server = await startServer(service);
  const stream = new RawStream(server.address);
  stream.send(hello('t'));
  stream.send(acquire(3));
  const blocks = (await stream.nextOf('blocks')).blocks;
  stream.send({ case: 'skip', value: create(SkipSchema, { blockId: blocks[0]!.blockId }) });
  for (const b of blocks.slice(1)) stream.send(release(b.blockId));
  stream.send(acquire(1));
  await stream.nextOf('shutdown');
  const s = service.states().get('t')!;
  assert.deepEqual([s.completedCount, s.skippedCount], [3, 1]);
  stream.close();
  await server.close();
});

test('200 concurrent worker streams on one server: every block handed out exactly once', async () => {
  const write = new Roi([0, 0], [10, 10]);
  const service = new SchedulerService([
    new Task({ taskId: 'many', totalRoi: new Roi([0, 0], [500, 400]), readRoi: write.grow(2, 2), writeRoi: write, readWriteConflict: true }),
  ]);
  const server = await startServer(service);
  const counts = new Map<number, number>();
  const clients = Array.from({ length: 200 }, (_, i) => new Client({ hostname: '127.0.0.1', port: String(server.port), task_id: 'many', worker_id: String(i) }, { prefetch: 2 }));
  await Promise.all(
    clients.map(async (client) => {
      while (
        await client.acquire(async (block) => {
          counts.set(block.blockId, (counts.get(block.blockId) ?? 0) + 1);
          await new Promise((resolve) => setImmediate(resolve));
        })
      ) {
        // until done
      }
      await client.close();
    }),
  );
  const state = service.states().get('many')!;
  assert.equal(state.totalBlockCount, 49 * 39); // the write ROIs tile 496 x 396
  assert.equal(state.completedCount, state.totalBlockCount);
  assert.equal(counts.size, state.totalBlockCount);
  assert.ok([...counts.values()].every((c) => c === 1));
  assert.equal(service.failures.length, 0);
  await server.close();
});

test('GetTaskStates and the WatchProgress feed report the states until every task is done', async () => {
  const { Client: GrpcClient, credentials } = await import('@grpc/grpc-js');
  const { grpcServiceDefinition } = await import('../../src/wire/service-definition.js');
  const { SchedulerService: Descriptor, GetTaskStatesRequestSchema, WatchProgressRequestSchema } = await import('../../src/gen/daisychain/v1/scheduler_pb.js');
  type Methods = ReturnType<typeof grpcServiceDefinition>;
  const methods: Methods = grpcServiceDefinition(Descriptor);
  const service = new SchedulerService([lineTask('t', 20)]);
  const server = await startServer(service);
  const grpc = new GrpcClient(server.address, credentials.createInsecure());

  const states = (ids: string[]) =>
    new Promise<{ code?: number; details?: string; states?: { taskId: string; totalBlockCount: bigint; completedCount: bigint; done: boolean }[] }>((resolve) => {
      const m = methods['getTaskStates']!;
      grpc.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, create(GetTaskStatesRequestSchema, { taskIds: ids }), (error, response) =>
        resolve(error !== null ? { code: error.code, details: error.details } : (response as { states: never })),
      );
    });
  const initial = await states([]);
  assert.equal(initial.states![0]!.taskId, 't');
  assert.equal(initial.states![0]!.totalBlockCount, 20n);
  const unknown = await states(['x']);
  assert.equal(unknown.code, status.NOT_FOUND);
  assert.match(unknown.details!, /unknown task id "x"/);
  // Bytes that are no GetTaskStatesRequest (a field 1 whose length runs past the end) blame the sender.
  const garbage = (): Buffer => Buffer.from([0x0a, 0x7f, 0x01]);
  const malformed = await new Promise<{ code: number; details: string }>((resolve) => {
    const m = methods['getTaskStates']!;
    grpc.makeUnaryRequest(m.path, garbage, m.responseDeserialize, null, (error) => resolve({ code: error?.code ?? -1, details: error?.details ?? '' }));
  });
  assert.equal(malformed.code, status.INVALID_ARGUMENT);
  assert.match(malformed.details, /^malformed daisychain\.v1\.GetTaskStatesRequest message: /);
  const malformedWatch = await new Promise<{ code: number; details: string }>((resolve) => {
    const m = methods['watchProgress']!;
    const call = grpc.makeServerStreamRequest(m.path, garbage, m.responseDeserialize, null);
    call.on('data', () => resolve({ code: -2, details: 'sent data' }));
    call.on('error', (error: { code: number; details: string }) => resolve(error));
  });
  assert.equal(malformedWatch.code, status.INVALID_ARGUMENT);
  assert.match(malformedWatch.details, /^malformed daisychain\.v1\.WatchProgressRequest message: /);

  const watch = methods['watchProgress']!;
  const feed = grpc.makeServerStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, create(WatchProgressRequestSchema));
  const updates: { finished: boolean; completed: number }[] = [];
  const ended = new Promise<void>((resolve) => feed.on('end', resolve));
  feed.on('data', (u: { finished: boolean; states: { completedCount: bigint }[] }) => updates.push({ finished: u.finished, completed: Number(u.states[0]!.completedCount) }));
  feed.on('error', () => {});

  const worker = new Client({ hostname: '127.0.0.1', port: String(server.port), task_id: 't', worker_id: 'w' }, { prefetch: 4 });
  while (await worker.acquire(() => new Promise((resolve) => setTimeout(resolve, 10)))) {
    // until done
  }
  await ended;
  assert.equal(updates[0]!.completed, 0);
  assert.deepEqual(updates.at(-1), { finished: true, completed: 20 });
  assert.ok(updates.length >= 2);
  const final = await states(['t']);
  assert.equal(final.states![0]!.done, true);
  await worker.close();
  grpc.close();
  await server.close();
});

test('the WatchProgress feed reports every failed attempt and whether it was permanent', async () => {
  const { Client: GrpcClient, credentials } = await import('@grpc/grpc-js');
  const { grpcServiceDefinition } = await import('../../src/wire/service-definition.js');
  const { SchedulerService: Descriptor, WatchProgressRequestSchema } = await import('../../src/gen/daisychain/v1/scheduler_pb.js');
  const watch = grpcServiceDefinition(Descriptor)['watchProgress']!;
  const service = new SchedulerService([
    new Task({ taskId: 'f', totalRoi: new Roi([0], [1]), readRoi: new Roi([0], [1]), writeRoi: new Roi([0], [1]), maxRetries: 1 }),
  ]);
  const server = await startServer(service);
  const grpc = new GrpcClient(server.address, credentials.createInsecure());
  const feed = grpc.makeServerStreamRequest(watch.path, watch.requestSerialize, watch.responseDeserialize, create(WatchProgressRequestSchema));
  const failures: { attempt: number; permanent: boolean; error: string }[] = [];
  feed.on('data', (u: { failure?: { attempt: number; permanent: boolean; error: string } }) => {
    if (u.failure !== undefined) failures.push({ attempt: u.failure.attempt, permanent: u.failure.permanent, error: u.failure.error });
  });
  const ended = new Promise<void>((resolve) => feed.on('end', resolve));
  feed.on('error', () => {});
  const worker = new Client({ hostname: '127.0.0.1', port: String(server.port), task_id: 'f', worker_id: 'w' });
  while (
    await worker.acquire(() => {
      throw new Error('boom');
    })
  ) {
    // until the block failed for good
  }
  await ended;
  assert.deepEqual(
    failures.map(({ attempt, permanent }) => ({ attempt, permanent })),
    [
      { attempt: 0, permanent: false },
      { attempt: 1, permanent: true },
    ],
  );
  assert.match(failures[0]!.error, /boom/);
  assert.deepEqual(
    service.failures.map((f) => f.permanent),
    [false, true],
  );
  await worker.close();
  grpc.close();
  await server.close();
});
