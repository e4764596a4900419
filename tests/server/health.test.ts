/**
 * The health service seen by a grpc-js client built from grpc-health-check's
 * own service definition: Watch hears SERVING at once and NOT_SERVING when
 * the server closes, before its stream ends, and the open Watch does not
 * hold the server's close back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, credentials, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { SchedulerService } from '../../src/server/scheduler-service.js';
import { startServer } from '../../src/server/server.js';
import { lineTask } from '../support/line-task.js';

interface Watched {
  /** Statuses in the order they came. */
  readonly statuses: string[];
  /** Resolves with the stream's final status code. */
  readonly ended: Promise<number>;
  /** Resolves once `count` statuses have come. */
  received(count: number): Promise<void>;
  readonly call: ClientReadableStream<object>;
}

function watch(client: Client, name: string): Watched {
  const method = healthService['Watch']!;
  const call = client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, { service: name });
  const statuses: string[] = [];
  const waiters: (() => void)[] = [];
  call.on('data', (message: object) => {
    // grpc-health-check loads health.proto with enums as strings.
    statuses.push(String((message as { status?: unknown }).status));
    for (const wake of waiters.splice(0)) wake();
  });
  const ended = new Promise<number>((resolve) => {
    call.on('status', (s: { code: number }) => resolve(s.code));
    // The 'status' event follows an 'error' too; the listener keeps an error from being thrown.
    call.on('error', (_: ServiceError) => {});
  });
  const received = async (count: number): Promise<void> => {
    while (statuses.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { statuses, ended, received, call };
}

test('Watch reports SERVING, then NOT_SERVING when the server closes, then ends; close is not held back', async () => {
  const server = await startServer(new SchedulerService([lineTask('t', 2)]));
  const client = new Client(server.address, credentials.createInsecure());
  const whole = watch(client, '');
  const scheduler = watch(client, 'daisychain.v1.SchedulerService');
  await Promise.all([whole.received(1), scheduler.received(1)]);
  assert.deepEqual(whole.statuses, ['SERVING']);
  assert.deepEqual(scheduler.statuses, ['SERVING']);

  const closing = performance.now();
  await server.close();
  // The server forces its shutdown after 2 s when calls stay open: the Watches must not need that.
  assert.ok(performance.now() - closing < 1500, `close took ${Math.round(performance.now() - closing)} ms`);
  assert.equal(await whole.ended, status.OK);
  assert.equal(await scheduler.ended, status.OK);
  assert.deepEqual(whole.statuses, ['SERVING', 'NOT_SERVING']);
  assert.deepEqual(scheduler.statuses, ['SERVING', 'NOT_SERVING']);
  client.close();
});

test('Watch of a service the server does not serve says SERVICE_UNKNOWN and stays open', async () => {
  const server = await startServer(new SchedulerService([lineTask('t', 2)]));
  const client = new Client(server.address, credentials.createInsecure());
  const unknown = watch(client, 'no.such.Service');
  await unknown.received(1);
  assert.deepEqual(unknown.statuses, ['SERVICE_UNKNOWN']);
  await server.close();
  assert.equal(await unknown.ended, status.OK);
  // An unknown name has no status to change to: nothing more came.
  assert.deepEqual(unknown.statuses, ['SERVICE_UNKNOWN']);
  client.close();
});
