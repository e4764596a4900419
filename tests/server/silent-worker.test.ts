/**
 * The server notices a silent worker within one lease (proto/daisychain/v1/
 * README.md, "Reconnecting"): a real worker process frozen with SIGSTOP
 * holds a block and answers nothing, not even pings. Without a task timeout
 * the keepalive drops its connection (30 s + 20 s in the protocol; 0.5 s +
 * 0.5 s here) and its block goes back as a failed attempt; with a timeout the
 * lease timer takes the block back when it passes. Either way another worker
 * finishes the task.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type FailureRecord, formatContext, SchedulerService, startServer } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

function startWorker(port: number, workerId: string, env: Record<string, string>): { child: ChildProcess; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [workerScript], {
    env: {
      ...process.env,
      RECORD_FILE: join(mkdtempSync(join(tmpdir(), 'daisychain-silent-')), 'records.txt'),
      DAISY_CONTEXT: formatContext({ hostname: '127.0.0.1', port: String(port), task_id: 't', worker_id: workerId }),
      ...env,
    },
    stdio: 'ignore',
  });
  return { child, exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const { name, timeout, connection, expected } of [
  { name: 'without a task timeout, the keepalive drops a frozen worker', timeout: null, connection: { keepaliveTimeMs: 500, keepaliveTimeoutMs: 500 }, expected: /left while holding it/ },
  { name: 'with a task timeout, the lease timer takes back the block of a frozen worker', timeout: 1, connection: {}, expected: /timed out: held for more than 1 s by worker frozen/ },
]) {
  test(`${name}: its block goes back as a failed attempt and another worker finishes the task`, async () => {
    const service = new SchedulerService([lineTask('t', 2, { timeout })]);
    const failures: FailureRecord[] = [];
    service.on('failure', (record: FailureRecord) => failures.push(record));
    const server = await startServer(service, '127.0.0.1', 0, {}, connection);
    const frozen = startWorker(server.port, 'frozen', { BLOCK_DELAY_MS: '600000' });
    try {
      await until(() => service.state('t').processingCount === 1, 'the worker holds a block');
      frozen.child.kill('SIGSTOP');
      await until(() => failures.length === 1, 'the server takes the block back');
      assert.equal(failures[0]!.workerId, 'frozen');
      assert.equal(failures[0]!.permanent, false);
      assert.match(failures[0]!.error, expected);
      const rescuer = startWorker(server.port, 'rescuer', {});
      assert.equal(await rescuer.exit, 0);
      assert.equal(service.state('t').completedCount, 2);
    } finally {
      frozen.child.kill('SIGKILL');
      await frozen.exit;
      await server.close();
    }
  });
}
