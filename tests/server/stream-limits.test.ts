/** Streams that never say Hello are closed after a deadline, and the server bounds how many streams it holds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { AcquireSchema, HelloSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { SchedulerService } from '../../src/server/scheduler-service.js';
import { startServer } from '../../src/server/server.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';

const hello = (workerId: string) => ({ case: 'hello' as const, value: create(HelloSchema, { taskId: 't', workerId }) });
const acquire = { case: 'acquire' as const, value: create(AcquireSchema, { count: 1 }) };

test('a stream that says no Hello within the deadline ends with FAILED_PRECONDITION; a greeted one stays', async () => {
  const service = new SchedulerService([lineTask('t', 2)], { helloTimeoutMs: 200 });
  const server = await startServer(service);
  const silent = new RawStream(server.address);
  const greeted = new RawStream(server.address);
  greeted.send(hello('g'));
  assert.equal(await silent.next(3000), null);
  assert.equal(silent.error?.code, status.FAILED_PRECONDITION);
  assert.match(silent.error!.details, /no Hello within 200 ms/);
  await new Promise((r) => setTimeout(r, 300));
  greeted.send(acquire);
  assert.equal((await greeted.nextOf('blocks')).blocks.length, 1);
  assert.equal(service.state('t').processingCount, 1);
  silent.close();
  greeted.close();
  await server.close();
});

test('a stream beyond maxStreams ends at once with RESOURCE_EXHAUSTED; the others are served', async () => {
  const service = new SchedulerService([lineTask('t', 4)], { maxStreams: 2 });
  const server = await startServer(service);
  const a = new RawStream(server.address);
  const b = new RawStream(server.address);
  a.send(hello('a'));
  b.send(hello('b'));
  // Both are open on the server once both are welcomed.
  while (a.welcome === null || b.welcome === null) await new Promise((r) => setTimeout(r, 10));
  const c = new RawStream(server.address);
  c.send(hello('c'));
  assert.equal(await c.next(3000), null);
  assert.equal(c.error?.code, status.RESOURCE_EXHAUSTED);
  assert.match(c.error!.details, /2 work streams open, its limit/);
  a.send(acquire);
  b.send(acquire);
  assert.equal((await a.nextOf('blocks')).blocks.length, 1);
  assert.equal((await b.nextOf('blocks')).blocks.length, 1);
  // A slot freed is a slot again.
  a.close();
  await new Promise((r) => setTimeout(r, 200));
  const d = new RawStream(server.address);
  d.send(hello('d'));
  d.send(acquire);
  assert.equal((await d.nextOf('blocks')).blocks.length, 1);
  for (const s of [b, c, d]) s.close();
  await server.close();
});

test('a 100 KB task id in Hello is echoed cut to 200 characters, escaped', async () => {
  const service = new SchedulerService([lineTask('t', 1)]);
  const server = await startServer(service);
  const stream = new RawStream(server.address);
  stream.send({ case: 'hello', value: create(HelloSchema, { taskId: '\u001b[31m' + 'y'.repeat(100_000) }) });
  assert.equal(await stream.next(3000), null);
  assert.equal(stream.error?.code, status.NOT_FOUND);
  const details = stream.error!.details;
  assert.ok(details.length < 400, `details of ${details.length} characters`);
  assert.ok(!details.includes('\u001b'));
  assert.match(details, /^unknown task id "\\u001b\[31my+"… \(100005 characters\); this server runs "t"$/);
  stream.close();
  await server.close();
});
