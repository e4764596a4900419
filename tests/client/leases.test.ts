/**
 * The TypeScript client's side of the leases: Welcome, buffered blocks given
 * back unstarted when it closes, Revoked blocks not released, renewals.
 * Against a real server on loopback.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, SchedulerService, startServer } from '../../src/index.js';
import { PROTOCOL_REVISION } from '../../src/wire/work-messages.js';
import { lineTask } from '../support/line-task.js';

const line = (blocks: number, timeout: number | null = null) => lineTask('t', blocks, { timeout });

const context = (port: number, workerId: string) => ({ hostname: '127.0.0.1', port: String(port), task_id: 't', worker_id: workerId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the Welcome tells the client the protocol, the task timeout and the limits', async () => {
  const service = new SchedulerService([line(1, 6)]);
  const server = await startServer(service);
  const client = new Client(context(server.port, 'w'));
  const block = await client.acquireBlock();
  assert.ok(block !== null);
  assert.deepEqual(
    { ...client.welcome, serverVersion: typeof client.welcome?.serverVersion },
    {
      protocolVersion: 1,
      protocolRevision: PROTOCOL_REVISION,
      serverVersion: 'string',
      taskId: 't',
      workerId: 'w',
      timeout: 6,
      renewInterval: 2,
      maxAcquire: 1024,
      maxMessageBytes: 4 * 1024 * 1024,
      pipelineId: '',
    },
  );
  client.releaseBlock(block);
  await client.close();
  await server.close();
});

test('blocks a client buffered and never started go back without an attempt when it closes', async () => {
  const service = new SchedulerService([line(4)]);
  const server = await startServer(service);
  const first = new Client(context(server.port, 'first'), { prefetch: 4 });
  const block = await first.acquireBlock();
  assert.ok(block !== null);
  await sleep(100); // the buffered blocks arrive
  assert.equal(service.state('t').processingCount, 4, 'one block running, three buffered');
  first.releaseBlock(block);
  await first.close();
  const second = new Client(context(server.port, 'second'));
  const attempts: number[] = [];
  while (await second.acquire((b) => void attempts.push(second.attemptOf(b)))) {
    // until the task is done
  }
  assert.deepEqual(attempts, [0, 0, 0]);
  assert.equal(service.failures.length, 0);
  assert.equal(service.state('t').completedCount, 4);
  await second.close();
  await server.close();
});

test('a block whose timeout passed is revoked: the client knows, and does not release it', async () => {
  const service = new SchedulerService([line(1, 0.2)]);
  const server = await startServer(service);
  const slow = new Client(context(server.port, 'slow'));
  const block = await slow.acquireBlock();
  assert.ok(block !== null);
  await sleep(400);
  assert.equal(slow.isRevoked(block), true);
  slow.releaseBlock(block);
  await sleep(100);
  assert.deepEqual(slow.rejections, [], 'the release of a revoked block is not sent');
  assert.equal(service.failures.length, 1);
  assert.match(service.failures[0]!.error, /timed out/);
  await slow.close();
  await server.close();
});

test('renewing a lease keeps a block that runs longer than the timeout', async () => {
  const service = new SchedulerService([line(1, 0.3)]);
  const server = await startServer(service);
  const client = new Client(context(server.port, 'w'));
  const block = await client.acquireBlock();
  assert.ok(block !== null);
  for (let i = 0; i < 5; i++) {
    await sleep(100);
    client.renewLease(block);
  }
  assert.equal(client.isRevoked(block), false);
  client.releaseBlock(block);
  await sleep(100);
  assert.equal(service.failures.length, 0);
  assert.equal(service.state('t').completedCount, 1);
  await client.close();
  await server.close();
});
