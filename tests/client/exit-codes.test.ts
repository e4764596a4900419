/**
 * The worker exit-code contract (proto/daisychain/v1/README.md, "Exit
 * codes"), for a TypeScript worker process: 0 when it finds no server within
 * its reconnect grace (the run is over: nothing to do), 0 after the server's
 * Shutdown, 75 when its server goes away in the middle of the run and does
 * not come back within the grace (a short one here: DAISYCHAIN_RECONNECT_GRACE).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SchedulerService, formatContext, startServer } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';
import { freePort } from '../support/free-port.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

function runWorker(port: number, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-exit-'));
  const child = spawn(process.execPath, [workerScript], {
    env: {
      ...process.env,
      RECORD_FILE: join(dir, 'records.txt'),
      DAISY_CONTEXT: formatContext({ hostname: '127.0.0.1', port: String(port), task_id: 't', worker_id: 'w' }),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}


const task = (blocks: number) => lineTask('t', blocks);

test('a worker that finds no server within its grace exits 0 and says why', async () => {
  const { code, stderr } = await runWorker(await freePort(), { DAISYCHAIN_RECONNECT_GRACE: '0.5' });
  assert.equal(code, 0);
  assert.match(stderr, /no daisychain server/);
});

test('a worker exits 0 after the Shutdown of a finished task', async () => {
  const service = new SchedulerService([task(3)]);
  const server = await startServer(service);
  const { code } = await runWorker(server.port);
  assert.equal(code, 0);
  assert.equal(service.state('t').completedCount, 3);
  await server.close();
});

test('a worker whose server goes away in the middle of the run and stays away exits 75', async () => {
  const service = new SchedulerService([task(100)]);
  const server = await startServer(service);
  const exited = runWorker(server.port, { BLOCK_DELAY_MS: '50', DAISYCHAIN_RECONNECT_GRACE: '1' });
  // A fixed sleep raced the worker's start on a loaded machine: wait until it has done some work.
  while (service.state('t').completedCount < 2) await new Promise((resolve) => setTimeout(resolve, 20));
  await server.close(); // the server goes away while the worker holds a block
  const { code, stderr } = await exited;
  assert.equal(code, 75, stderr);
  assert.match(stderr, /ServerLostError/);
});
