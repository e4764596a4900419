/**
 * The TypeScript client sends its context's worker_secret in Hello: a pool's
 * worker is served with it and refused without it; a worker started by hand
 * needs none. Against a real server on loopback.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, ClientError, SchedulerService, startServer } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';

const SECRET = '5e'.repeat(32);

test("a client with its pool's worker_secret is served as the pool's worker; without it, its stream fails; by hand, none is needed", async () => {
  const service = new SchedulerService([lineTask('t', 3)]);
  const server = await startServer(service);
  service.expectWorker('t', '4', SECRET);
  const releases: string[] = [];
  service.on('workerRelease', (workerId, _taskId, ok) => releases.push(`${workerId} ${ok}`));
  const base = { hostname: '127.0.0.1', port: String(server.port), task_id: 't' };

  const impostor = new Client({ ...base, worker_id: '4' });
  await assert.rejects(impostor.acquireBlock(), (error: unknown) => {
    assert.ok(error instanceof ClientError);
    assert.match(error.message, /worker id "4" belongs to a worker this server started for task "t"; this stream did not present its secret/);
    return true;
  });
  await impostor.close().catch(() => {});

  const worker = new Client({ ...base, worker_id: '4', worker_secret: SECRET });
  assert.equal(await worker.acquire(() => {}), true);
  await worker.close();
  assert.deepEqual(releases, ['4 true'], "the pool's worker, bound");

  const byHand = new Client({ ...base, worker_id: 'by-hand' });
  while (await byHand.acquire(() => {})) {
    // the rest of the task
  }
  await byHand.close();
  assert.deepEqual(releases, ['4 true'], 'a worker started by hand is served, unbound');
  assert.equal(service.state('t').completedCount, 3);
  await server.close();
});
