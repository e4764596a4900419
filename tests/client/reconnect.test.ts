/**
 * Workers that reconnect (proto/daisychain/v1/README.md, "Reconnecting"):
 * real TypeScript worker processes (tests/fixtures/record-worker.ts) against
 * real servers on loopback that come up late, go away, come back on the same
 * port (a SIGKILLed `daisychain serve` restarted), cut the connection under
 * the worker, refuse its Hello, or tell it Shutdown. Graces are short here
 * (DAISYCHAIN_RECONNECT_GRACE); only generous time bounds are asserted.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { backoffDelayMs, endKind, reconnectGraceSeconds } from '../../src/client/reconnect.js';
import { Client, DEFAULT_RECONNECT_GRACE_SECONDS, formatContext, RECONNECT_GRACE_VARIABLE, SchedulerService, startServer } from '../../src/index.js';
import { lineTask } from '../support/line-task.js';
import { freePort } from '../support/free-port.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));
const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Worker {
  exit: Promise<{ code: number | null; stderr: string; at: number }>;
  records: () => string[];
}

function startWorker(port: number, context: Record<string, string>, env: Record<string, string>): Worker {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-reconnect-'));
  const recordFile = join(dir, 'records.txt');
  const child = spawn(process.execPath, [workerScript], {
    env: {
      ...process.env,
      RECORD_FILE: recordFile,
      DAISY_CONTEXT: formatContext({ hostname: '127.0.0.1', port: String(port), task_id: 't', ...context }),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    exit: new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr, at: Date.now() }))),
    records: () => (existsSync(recordFile) ? readFileSync(recordFile, 'utf8').split('\n').filter((line) => line !== '') : []),
  };
}


async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const blockIds = (records: string[]) => new Set(records.map((line) => Number(line.split(' ')[1])));

test('workers started while the server is down join when it comes up, and finish every block', async () => {
  const port = await freePort();
  const workers = [1, 2].map((i) => startWorker(port, { worker_id: `w${i}` }, { DAISYCHAIN_RECONNECT_GRACE: '30' }));
  await new Promise((resolve) => setTimeout(resolve, 1500)); // they find nothing for a while
  const service = new SchedulerService([lineTask('t', 20)]);
  const server = await startServer(service, '127.0.0.1', port);
  try {
    for (const worker of workers) assert.equal((await worker.exit).code, 0, (await worker.exit).stderr);
    assert.equal(service.state('t').completedCount, 20);
    assert.deepEqual(blockIds(workers.flatMap((worker) => worker.records())), new Set(Array.from({ length: 20 }, (_, i) => i)));
  } finally {
    await server.close();
  }
});

test('a worker whose server never comes back exits 75 after its grace, even while its block still runs', async () => {
  const service = new SchedulerService([lineTask('t', 3)]);
  const server = await startServer(service);
  // The block never ends by itself: the process must end anyway once the grace is over.
  const worker = startWorker(server.port, { worker_id: 'w' }, { DAISYCHAIN_RECONNECT_GRACE: '2', BLOCK_DELAY_MS: '600000' });
  await until(() => service.state('t').processingCount === 1, 'the worker holds a block');
  const gone = Date.now();
  await server.close();
  const { code, stderr, at } = await worker.exit;
  assert.equal(code, 75, stderr);
  assert.match(stderr, /ServerLostError: .*did not come back within 2 s.*a block still runs/);
  assert.ok(at - gone >= 2000, `exited ${at - gone} ms after its server went away, before its grace of 2 s`);
});

test('a daisychain serve SIGKILLed and restarted on the same port: its workers say Hello again and finish the pipeline', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-restart-'));
  const pipeline = join(dir, 'p.json');
  const line = { totalRoi: { offset: [0], shape: [400] }, readRoi: { offset: [0], shape: [10] }, writeRoi: { offset: [0], shape: [10] }, readWriteConflict: false };
  writeFileSync(pipeline, JSON.stringify({ name: 'restarted', tasks: [{ taskId: 't', ...line }] }));
  const port = await freePort();
  const serve = () => {
    const child = spawn(process.execPath, [cli, 'serve', pipeline, '--listen', `127.0.0.1:${port}`, '--progress', 'none', '--log-dir', join(dir, 'logs')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const listening = until(() => /listening on/.test(stderr), 'serve listens');
    const exit = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
    return { child, listening, exit };
  };
  let server: { child: ChildProcess; listening: Promise<void>; exit: Promise<{ code: number | null; stderr: string }> } = serve();
  try {
    await server.listening;
    // Without a pipeline_id in their context the workers ask for the server's only pipeline, which the fresh server holds too.
    const workers = [1, 2].map((i) => startWorker(port, { worker_id: `w${i}` }, { DAISYCHAIN_RECONNECT_GRACE: '30', BLOCK_DELAY_MS: '40' }));
    await until(() => workers.flatMap((worker) => worker.records()).length >= 6, 'the workers have done some blocks');
    server.child.kill('SIGKILL');
    assert.equal((await server.exit).code, null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    server = serve(); // a fresh server, on the same port, of the same file: it runs every block again
    const { code, stderr } = await server.exit;
    assert.equal(code, 0, stderr);
    for (const worker of workers) assert.equal((await worker.exit).code, 0, (await worker.exit).stderr);
    assert.deepEqual(blockIds(workers.flatMap((worker) => worker.records())), new Set(Array.from({ length: 40 }, (_, i) => i)));
  } finally {
    server.child.kill('SIGKILL');
  }
});

/** A TCP relay to `port` whose connections the test can cut, as a broken network would. */
async function relayTo(port: number): Promise<{ port: number; cut: () => void; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const relay: Server = createServer((inbound) => {
    const outbound = createConnection(port, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return {
    port: (relay.address() as { port: number }).port,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => new Promise((resolve) => relay.close(() => resolve())),
  };
}

test('a connection cut under a worker: the same server takes its blocks back, and the worker drops its buffer, says Hello again and carries on', async () => {
  const service = new SchedulerService([lineTask('t', 8)]);
  const server = await startServer(service);
  const relay = await relayTo(server.port);
  try {
    // With a buffer of 2 blocks beside the one it runs.
    const worker = startWorker(relay.port, { worker_id: 'w' }, { DAISYCHAIN_RECONNECT_GRACE: '30', BLOCK_DELAY_MS: '300', PREFETCH: '3' });
    await until(() => worker.records().length >= 2 && service.state('t').processingCount === 3, 'the worker runs its third block');
    relay.cut();
    const { code, stderr } = await worker.exit;
    assert.equal(code, 0, stderr);
    const state = service.state('t');
    assert.equal(state.completedCount, 8);
    assert.equal(state.failedCount, 0);
    // The block held at the cut came back as a failed attempt and ran again (its late release was never sent);
    // the buffered ones went back unspent. One the worker took from its buffer before it saw the loss (its Start
    // lost with the stream) may run again in the same attempt: at least once, never more than once again, and
    // nothing beyond what the worker held and buffered at the cut.
    const runs = worker.records().map((line) => line.split(' ').slice(1, 4).filter((_, i) => i !== 1).join(' '));
    assert.equal(runs.filter((run) => run.endsWith(' 1')).length, 1, runs.join('\n'));
    const perBlock = new Map<string, number>();
    for (const run of runs) perBlock.set(run.split(' ')[0]!, (perBlock.get(run.split(' ')[0]!) ?? 0) + 1);
    assert.ok([...perBlock.values()].every((count) => count <= 2), `a block ran three times:\n${runs.join('\n')}`);
    assert.ok(runs.length <= 8 + 3, `more runs than the blocks plus the 3 held or buffered at the cut:\n${runs.join('\n')}`);
  } finally {
    relay.cut();
    await relay.close();
    await server.close();
  }
});

test('in a Client: a block of a lost stream reads as revoked, its release is not sent, and the next block comes on the new stream', async () => {
  const service = new SchedulerService([lineTask('t', 3)]);
  const server = await startServer(service);
  const relay = await relayTo(server.port);
  const client = new Client({ hostname: '127.0.0.1', port: String(relay.port), task_id: 't', worker_id: 'in-process' }, { reconnectGrace: 30 });
  try {
    const held = await client.acquireBlock();
    assert.ok(held !== null);
    relay.cut();
    await until(() => client.isRevoked(held), 'the client knows the block is the server\'s again');
    client.releaseBlock(held); // the late release: not sent, and no error
    const attempts: string[] = [];
    while (await client.acquire((block) => void attempts.push(`${block.blockId} ${client.attemptOf(block)}`))) {
      // one block per iteration, on the new stream
    }
    assert.deepEqual(attempts.sort(), ['0 0', '1 0', '2 0'].map((run) => (run.startsWith(`${held.blockId} `) ? `${held.blockId} 1` : run)).sort());
    assert.deepEqual(client.rejections, []);
    assert.equal(service.state('t').completedCount, 3);
  } finally {
    await client.close();
    relay.cut();
    await relay.close();
    await server.close();
  }
});

test('Shutdown still ends a worker at once: a cancelled pipeline does not keep it waiting for its grace', async () => {
  const service = new SchedulerService([lineTask('t', 100)]);
  const server = await startServer(service);
  try {
    const worker = startWorker(server.port, { worker_id: 'w' }, { DAISYCHAIN_RECONNECT_GRACE: '600', BLOCK_DELAY_MS: '50' });
    await until(() => worker.records().length >= 1, 'the worker has done a block');
    const cancelled = Date.now();
    service.cancel('stopped by the test');
    const { code, stderr, at } = await worker.exit;
    assert.equal(code, 0, stderr);
    assert.ok(at - cancelled < 30_000, `exited ${at - cancelled} ms after the Shutdown`);
  } finally {
    await server.close();
  }
});

test("a restarted server that does not know a pool worker's secret refuses its new Hello: the worker exits 77 without retrying", async () => {
  const first = new SchedulerService([lineTask('t', 100)]);
  const server = await startServer(first);
  first.expectWorker('t', '7', 'a1'.repeat(32));
  const worker = startWorker(server.port, { worker_id: '7', worker_secret: 'a1'.repeat(32) }, { DAISYCHAIN_RECONNECT_GRACE: '600', BLOCK_DELAY_MS: '50' });
  await until(() => worker.records().length >= 1, 'the worker has done a block');
  await server.close();
  // The new server's pool started its own worker 7, with a secret of its own.
  const second = new SchedulerService([lineTask('t', 100)]);
  second.expectWorker('t', '7', 'b2'.repeat(32));
  const restarted = await startServer(second, '127.0.0.1', server.port);
  try {
    const { code, stderr } = await worker.exit;
    assert.equal(code, 77, stderr);
    assert.match(stderr, /HelloRefusedError: .*refused this worker's Hello: .*did not present its secret/);
    assert.equal(second.state('t').completedCount, 0);
  } finally {
    await restarted.close();
  }
});

test('the reconnect rule: the grace from the option, the context, the environment or the default; a capped, jittered backoff; which ends retry', () => {
  const env = { [RECONNECT_GRACE_VARIABLE]: '9' };
  assert.equal(reconnectGraceSeconds(5, { reconnect_grace: '7' }, env), 5);
  assert.equal(reconnectGraceSeconds(undefined, { reconnect_grace: '7.5' }, env), 7.5);
  assert.equal(reconnectGraceSeconds(undefined, {}, { [RECONNECT_GRACE_VARIABLE]: '0' }), 0);
  assert.equal(reconnectGraceSeconds(undefined, {}, {}), DEFAULT_RECONNECT_GRACE_SECONDS);
  assert.ok(DEFAULT_RECONNECT_GRACE_SECONDS >= 60);
  for (const bad of ['-1', 'soon', '', 'Infinity']) {
    assert.throws(() => reconnectGraceSeconds(undefined, { reconnect_grace: bad }, {}), /reconnect_grace/);
  }
  assert.throws(() => new Client({ hostname: '127.0.0.1', port: '1', task_id: 't', reconnect_grace: 'x' }), /reconnect_grace="x"/);
  const delays = Array.from({ length: 30 }, (_, attempt) => backoffDelayMs(attempt));
  assert.ok(delays[0]! >= 125 && delays[0]! <= 250 && Math.max(...delays) <= 5000, delays.join(' '));
  assert.equal(backoffDelayMs(20, () => 0), 2500);
  assert.deepEqual(
    [null, status.UNAVAILABLE, status.CANCELLED, status.PERMISSION_DENIED, status.UNAUTHENTICATED, status.NOT_FOUND, status.INTERNAL].map(endKind),
    ['retry', 'retry', 'retry', 'refused', 'refused', 'fail', 'fail'],
  );
});
