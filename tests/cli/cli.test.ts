/**
 * The `daisychain` command: `run` and `serve` on pipeline files, with real
 * worker processes (tests/fixtures/record-worker.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

function runCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('daisychain run processes a YAML pipeline with its worker commands', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-cli-'));
  const records = join(dir, 'records.txt');
  writeFileSync(
    join(dir, 'pipeline.yaml'),
    `tasks:
  - taskId: first
    totalRoi: {offset: [0, 0], shape: [40, 40]}
    readRoi: {offset: [0, 0], shape: [10, 10]}
    writeRoi: {offset: [0, 0], shape: [10, 10]}
    numWorkers: 2
    workerCommand: [env, RECORD_FILE=${records}, ${process.execPath}, ${workerScript}]
  - taskId: second
    totalRoi: {offset: [0, 0], shape: [40, 40]}
    readRoi: {offset: [-5, -5], shape: [20, 20]}
    writeRoi: {offset: [0, 0], shape: [10, 10]}
    fit: shrink
    upstreamTasks: [first]
    workerCommand: [env, RECORD_FILE=${records}, ${process.execPath}, ${workerScript}]
`,
  );
  const { code, stderr } = await runCli(['run', join(dir, 'pipeline.yaml'), '--progress', 'lines', '--log-dir', join(dir, 'logs')]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /All blocks succeeded/);
  assert.match(stderr, /first: 100%/);
  const lines = readFileSync(records, 'utf8').trim().split('\n');
  assert.equal(lines.length, 16 + 9); // second writes [5, 35) per axis, in 3 blocks (the last shrunk)
  assert.equal(new Set(lines.map((l) => l.split(' ').slice(0, 2).join(' '))).size, 16 + 9);
});

test('daisychain reports a bad pipeline file clearly, with exit status 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-cli-'));
  writeFileSync(join(dir, 'p.json'), JSON.stringify({ tasks: [{ taskId: 'a', totalRoi: { offset: [0], shape: [10] }, readRoi: { offset: [0], shape: [5] }, writeRoi: { offset: [2], shape: [5] } }] }));
  const bad = await runCli(['run', join(dir, 'p.json')]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /writeRoi .* is not contained in readRoi/);
  const missing = await runCli(['run', join(dir, 'nope.json')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read pipeline file/);
  const usage = await runCli(['frobnicate']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown command "frobnicate"/);
});

test('daisychain serve runs until workers started elsewhere finish the task', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-serve-'));
  const records = join(dir, 'records.txt');
  writeFileSync(
    join(dir, 'p.json'),
    JSON.stringify({ tasks: [{ taskId: 'remote', totalRoi: { offset: [0], shape: [100] }, readRoi: { offset: [0], shape: [10] }, writeRoi: { offset: [0], shape: [10] } }] }),
  );
  const port = 20000 + (process.pid % 20000);
  const server = runCli(['serve', join(dir, 'p.json'), '--listen', `127.0.0.1:${port}`, '--progress', 'lines']);
  await new Promise((resolve) => setTimeout(resolve, 700));
  // A worker started "by hand": only DAISY_CONTEXT tells it where the server is.
  const worker = spawn(process.execPath, [workerScript], {
    env: { ...process.env, RECORD_FILE: records, DAISY_CONTEXT: `hostname=127.0.0.1:port=${port}:task_id=remote:worker_id=7` },
    stdio: 'inherit',
  });
  const workerExit = await new Promise<number | null>((resolve) => worker.on('exit', resolve));
  const { code, stderr } = await server;
  assert.equal(workerExit, 0);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /DAISY_CONTEXT=hostname=127\.0\.0\.1:port=\d+:task_id=remote/);
  assert.equal(readFileSync(records, 'utf8').trim().split('\n').length, 10);
});
