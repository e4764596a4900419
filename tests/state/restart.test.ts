/**
 * `daisychain serve --state-dir` as an operator uses it: a real server
 * process, SIGKILLed mid-run and started again on the same address and
 * directory. The run finishes; no block is lost; the blocks that run twice
 * are at most those held at the kill; the worker processes of the killed
 * server are stopped before the new one starts its own; a cancelled pipeline
 * stays cancelled; a stop (SIGTERM) resumes like a crash; a directory in use
 * or a record that is not one is refused in one line.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, startServe } from '../support/cli-process.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

function recordedBlocks(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((entry) => entry !== '')
    .map((entry) => Number(entry.split(' ')[1]));
}

async function until(what: string, condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Running: a zombie (killed, not yet reaped by init, which adopted it when its server died) is not. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
}

const BLOCKS = 60;
const WORKERS = 2;

function writePipeline(dir: string, records: string): string {
  const file = join(dir, 'pipeline.yaml');
  const task = {
    taskId: 'p',
    totalRoi: { offset: [0], shape: [10 * BLOCKS] },
    readRoi: { offset: [0], shape: [10] },
    writeRoi: { offset: [0], shape: [10] },
    readWriteConflict: false,
    numWorkers: WORKERS,
    workerCommand: [process.execPath, workerScript],
    workerEnv: { RECORD_FILE: records, BLOCK_DELAY_MS: '25' },
  };
  writeFileSync(file, `name: durable\ntasks:\n  - ${JSON.stringify(task)}\n`);
  return file;
}

/** Every block ran, and the blocks that ran twice are at most those the workers held at the kills. */
function assertEveryBlockOnce(records: string, kills: number): void {
  const counts = new Map<number, number>();
  for (const block of recordedBlocks(records)) counts.set(block, (counts.get(block) ?? 0) + 1);
  for (let block = 0; block < BLOCKS; block++) assert.ok((counts.get(block) ?? 0) >= 1, `block ${block} never ran`);
  const twice = [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
  // A worker holds one block at a time (prefetch 1): at most WORKERS blocks were held at each kill.
  assert.ok(twice <= WORKERS * kills, `${twice} blocks ran more than once after ${kills} kills of a server with ${WORKERS} workers holding one block each`);
}

function poolPids(stateDir: string, pipelineId: string): number[] {
  const workers = JSON.parse(readFileSync(join(stateDir, 'pipelines', pipelineId, 'workers.json'), 'utf8')) as { pid: number }[];
  return workers.map((worker) => worker.pid);
}

test('a server SIGKILLed mid-run and started again on its state directory finishes the run: done blocks do not run again, its old workers are stopped', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-restart-'));
  const stateDir = join(dir, 'state');
  const records = join(dir, 'records.txt');
  const pipelineFile = writePipeline(dir, records);
  let service = await startServe(['--listen', '127.0.0.1:0', '--state-dir', stateDir, '--log-dir', join(dir, 'logs')]);
  const port = service.port;
  try {
    const submitted = await runCli(['submit', pipelineFile, '--server', service.address]);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    await until('a third of the blocks ran', () => recordedBlocks(records).length >= BLOCKS / 3);
    const oldWorkers = poolPids(stateDir, id);
    assert.equal(oldWorkers.length, WORKERS);
    service.child.kill('SIGKILL');
    await service.exit;

    service = await startServe(['--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--log-dir', join(dir, 'logs')]);
    assert.match(service.stderr(), /resuming 1 running pipelines/);
    // Stopped before the new server listened: a pool never runs twice over.
    for (const pid of oldWorkers) assert.equal(isAlive(pid), false, `worker ${pid} of the killed server still runs`);
    const watched = await runCli(['watch', id, '--server', service.address, '--progress', 'none']);
    assert.equal(watched.code, 0, watched.stderr);
    assertEveryBlockOnce(records, 1);
    const status = await runCli(['status', id, '--server', service.address]);
    assert.match(status.stdout, /succeeded/);
  } finally {
    service.child.kill('SIGKILL');
  }
});

test('a cancelled pipeline stays cancelled across a crash; a stop with SIGTERM resumes a running one', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-restart-cancel-'));
  const stateDir = join(dir, 'state');
  const records = join(dir, 'records.txt');
  const pipelineFile = writePipeline(dir, records);
  const serveArgs = (port: number) => ['--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--log-dir', join(dir, 'logs')];
  let service = await startServe(serveArgs(0));
  const port = service.port;
  try {
    const first = (await runCli(['submit', pipelineFile, '--server', service.address])).stdout.trim();
    const cancelled = await runCli(['cancel', first, '--server', service.address, '--reason', 'wrong input']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    const second = (await runCli(['submit', pipelineFile, '--server', service.address])).stdout.trim();
    await until('blocks of the second pipeline ran', () => recordedBlocks(records).length >= 5);
    // A stop, not a crash: the server cancels nothing it would have to resume.
    service.child.kill('SIGTERM');
    assert.equal(await service.exit, 0);
    service = await startServe(serveArgs(port));
    assert.match(service.stderr(), /resuming 1 running pipelines, 1 cancelled/);
    const status = await runCli(['status', first, '--server', service.address]);
    assert.match(status.stdout, /cancelled/);
    assert.match(status.stdout, /wrong input/);
    const watched = await runCli(['watch', second, '--server', service.address, '--progress', 'none']);
    assert.equal(watched.code, 0, watched.stderr);
  } finally {
    service.child.kill('SIGKILL');
  }
});

test('serve FILE --state-dir run again after a crash resumes the same pipeline rather than submitting it anew', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-restart-file-'));
  const stateDir = join(dir, 'state');
  const records = join(dir, 'records.txt');
  const pipelineFile = writePipeline(dir, records);
  const args = (port: number) => [pipelineFile, '--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--log-dir', join(dir, 'logs'), '--progress', 'none'];
  let service = await startServe(args(0));
  const id = /pipeline (\S+);/.exec(service.stderr())![1]!;
  await until('a third of the blocks ran', () => recordedBlocks(records).length >= BLOCKS / 3);
  service.child.kill('SIGKILL');
  await service.exit;
  service = await startServe(args(service.port));
  try {
    assert.match(service.stderr(), new RegExp(`pipeline ${id};`));
    assert.equal(await service.exit, 0, service.stderr());
    assertEveryBlockOnce(records, 1);
  } finally {
    service.child.kill('SIGKILL');
  }
});

test('a state directory in use by a live server, or holding a record that is not one, is refused in one line with exit status 2', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-state-refused-'));
  const stateDir = join(dir, 'state');
  const service = await startServe(['--listen', '127.0.0.1:0', '--state-dir', stateDir]);
  try {
    const second = await runCli(['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir]);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, /^daisychain: state directory .* is in use by another server \(pid \d+\)/);
    assert.equal(second.stderr.trimEnd().split('\n').length, 1);
  } finally {
    service.child.kill('SIGKILL');
    await service.exit;
  }
  // The lock of the killed server is taken over; a broken record is named.
  mkdirSync(join(stateDir, 'pipelines', 'broken'), { recursive: true });
  writeFileSync(join(stateDir, 'pipelines', 'broken', 'pipeline.json'), '{"format": 1, "id": "broken"');
  const refused = await runCli(['serve', '--listen', '127.0.0.1:0', '--state-dir', stateDir]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /pipelines\/broken\/pipeline\.json is not JSON/);
  const empty = await runCli(['serve', '--state-dir', '']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /--state-dir needs a/);
});

test('workers started elsewhere ride out a crash of the server: they reconnect to the restarted one and finish the run', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-restart-external-'));
  const stateDir = join(dir, 'state');
  const records = join(dir, 'records.txt');
  const file = join(dir, 'external.yaml');
  const task = { taskId: 'p', totalRoi: { offset: [0], shape: [10 * BLOCKS] }, readRoi: { offset: [0], shape: [10] }, writeRoi: { offset: [0], shape: [10] }, readWriteConflict: false };
  writeFileSync(file, `name: external\ntasks:\n  - ${JSON.stringify(task)}\n`);
  const serveArgs = (port: number) => ['--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--log-dir', join(dir, 'logs')];
  let service = await startServe(serveArgs(0));
  const port = service.port;
  const workers: { child: ChildProcess; exit: Promise<number | null> }[] = [];
  try {
    const id = (await runCli(['submit', file, '--server', service.address])).stdout.trim();
    for (let i = 0; i < WORKERS; i++) {
      const context = `hostname=127.0.0.1:port=${port}:task_id=p:worker_id=outside-${i}:pipeline_id=${id}:reconnect_grace=60`;
      const child = spawn(process.execPath, [workerScript], { stdio: 'ignore', env: { ...process.env, DAISY_CONTEXT: context, RECORD_FILE: records, BLOCK_DELAY_MS: '25' } });
      workers.push({ child, exit: new Promise((resolve) => child.on('exit', resolve)) });
    }
    await until('a third of the blocks ran', () => recordedBlocks(records).length >= BLOCKS / 3);
    service.child.kill('SIGKILL');
    await service.exit;
    // Down for a while: the workers keep retrying.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    service = await startServe(serveArgs(port));
    const watched = await runCli(['watch', id, '--server', service.address, '--progress', 'none']);
    assert.equal(watched.code, 0, watched.stderr);
    // Told to shut down at the end, they exit as workers do when their task is over.
    for (const worker of workers) assert.equal(await worker.exit, 0);
    assertEveryBlockOnce(records, 1);
  } finally {
    for (const worker of workers) worker.child.kill('SIGKILL');
    service.child.kill('SIGKILL');
  }
});
