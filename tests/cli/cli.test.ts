/**
 * The `daisychain` command: `run` and `serve` on pipeline files, with real
 * worker processes (tests/fixtures/record-worker.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { healthCheck, reflectedServices } from '../support/standard-services.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  onStderr: (soFar: string) => void = () => {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr(stderr);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Wrong usage: exit status 2 and one line naming the mistake, with a pointer to --help and no stack trace. */
function assertWrongUsage(result: { code: number | null; stderr: string }, message: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^daisychain: /);
  assert.match(lines[0]!, message);
  assert.match(lines[0]!, /--help/);
  assert.doesNotMatch(result.stderr, /\bat .*\.js:\d+/);
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

test('daisychain serve, with health and reflection, runs until workers started elsewhere finish the task', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-serve-'));
  const records = join(dir, 'records.txt');
  writeFileSync(
    join(dir, 'p.json'),
    JSON.stringify({ tasks: [{ taskId: 'remote', totalRoi: { offset: [0], shape: [100] }, readRoi: { offset: [0], shape: [10] }, writeRoi: { offset: [0], shape: [10] } }] }),
  );
  // A free port, read from the server's own announcement, so that a slow start cannot make the worker miss it.
  let announced: (port: number) => void = () => {};
  const listening = new Promise<number>((resolve) => (announced = resolve));
  const server = runCli(['serve', join(dir, 'p.json'), '--listen', '127.0.0.1:0', '--progress', 'lines'], process.env, (soFar) => {
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(soFar);
    if (match !== null) announced(Number(match[1]));
  });
  const port = await listening;
  // Health and reflection come with it, for probes and generic clients.
  const address = `127.0.0.1:${port}`;
  assert.equal(await healthCheck(address, ''), 'SERVING');
  assert.equal(await healthCheck(address, 'daisychain.v1.SchedulerService'), 'SERVING');
  // serve is a server of pipelines: the control plane is served beside the work streams.
  assert.equal(await healthCheck(address, 'daisychain.v1.PipelineService'), 'SERVING');
  assert.deepEqual((await reflectedServices(address)).sort(), [
    'daisychain.v1.PipelineService',
    'daisychain.v1.SchedulerService',
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
    'grpc.reflection.v1alpha.ServerReflection',
  ]);
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

test('daisychain --help, help and every command --help print usage with defaults and exit codes', async () => {
  for (const args of [['--help'], ['-h'], ['help']]) {
    const { code, stdout, stderr } = await runCli(args);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /usage: daisychain <command>/);
    assert.match(stdout, /run PIPELINE/);
    assert.match(stdout, /serve \[PIPELINE\]/);
    assert.match(stdout, /exit status:\n\s+0 .*\n\s+1 .*failed.*\n\s+2 .*wrong usage/);
  }
  for (const args of [['run', '--help'], ['help', 'run'], ['run', 'pipeline.yaml', '-h', '--bogus']]) {
    const { code, stdout, stderr } = await runCli(args);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /usage: daisychain run PIPELINE/);
    assert.match(stdout, /--progress MODE .*default: auto/);
    assert.match(stdout, /--log-dir DIR[\s\S]*default: daisy_logs/);
    assert.match(stdout, /--listen HOST:PORT .*default: 127\.0\.0\.1:0/);
    assert.match(stdout, /exit status:/);
  }
  const serve = await runCli(['serve', '--help']);
  assert.equal(serve.code, 0, serve.stderr);
  assert.match(serve.stdout, /usage: daisychain serve \[PIPELINE\]/);
  assert.match(serve.stdout, /--listen HOST:PORT .*default: 127\.0\.0\.1:50051/);
  // serve starts the workers of tasks with a workerCommand, for its file's pipeline and for submitted ones.
  assert.match(serve.stdout, /--log-dir DIR[\s\S]*<pipeline id>\/<task>/);
  assert.match(serve.stdout, /--keep-running/);
  assert.match(serve.stdout, /exit status:/);
});

test('daisychain without arguments prints the usage on stderr with exit status 2', async () => {
  const { code, stdout, stderr } = await runCli([]);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.match(stderr, /usage: daisychain <command>/);
});

test('daisychain --version prints the version of package.json', async () => {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const { code, stdout } = await runCli(['--version']);
  assert.equal(code, 0);
  assert.equal(stdout, `daisychain ${manifest.version}\n`);
});

test('wrong usage exits with status 2 and one line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-usage-'));
  const pipelineFile = join(dir, 'p.json');
  writeFileSync(pipelineFile, JSON.stringify({ tasks: [{ taskId: 'a', totalRoi: { offset: [0], shape: [10] }, readRoi: { offset: [0], shape: [5] }, writeRoi: { offset: [0], shape: [5] } }] }));
  assertWrongUsage(await runCli(['frobnicate']), /unknown command "frobnicate"/);
  assertWrongUsage(await runCli(['--frobnicate']), /unknown option "--frobnicate"/);
  assertWrongUsage(await runCli(['help', 'frobnicate']), /unknown command "frobnicate"/);
  assertWrongUsage(await runCli(['run']), /no pipeline file given.*daisychain run --help/);
  assertWrongUsage(await runCli(['run', pipelineFile, '--bogus']), /unknown option "--bogus"/);
  assertWrongUsage(await runCli(['serve', pipelineFile, '--wait']), /unknown option "--wait" for serve.*daisychain serve --help/);
  assertWrongUsage(await runCli(['serve', '--keep-running']), /--keep-running needs a pipeline file/);
  assertWrongUsage(await runCli(['run', pipelineFile, '--progress']), /--progress needs a value/);
  assertWrongUsage(await runCli(['run', pipelineFile, '--progress', '--listen', '127.0.0.1:0']), /--progress needs a value/);
  assertWrongUsage(await runCli(['run', pipelineFile, '--progress', 'fancy']), /--progress must be one of auto, bars, lines, json, none/);
  assertWrongUsage(await runCli(['run', pipelineFile, 'second.json']), /unexpected argument "second\.json"/);
  for (const listen of ['127.0.0.1', 'localhost:99999', ':5000', '::1:5000']) {
    assertWrongUsage(await runCli(['serve', pipelineFile, '--listen', listen]), /--listen/);
  }
  assertWrongUsage(await runCli(['serve', pipelineFile, '--listen', '[::1]:5000']), /IPv6/);
  // A token: past the refusal to listen beyond loopback unprotected, to the address itself.
  assertWrongUsage(await runCli(['serve', pipelineFile, '--listen', 'no-such-host.invalid:5000'], { ...process.env, DAISYCHAIN_OPERATOR_TOKEN: 'a-test-operator-token-0123456789' }), /cannot listen on no-such-host\.invalid:5000/);
  // Pipeline files are input too: one line, also for a YAML error that the parser draws over several.
  assertWrongUsage(await runCli(['run', pipelineFile]), /neither a processFunction nor a workerCommand/);
  writeFileSync(join(dir, 'bad.yaml'), 'tasks:\n  - taskId: a\n    totalRoi: {offset: [0], shape: [10]: x}\n');
  assertWrongUsage(await runCli(['run', join(dir, 'bad.yaml')]), /bad\.yaml is not valid YAML: .*line 3/);
  assertWrongUsage(await runCli(['run', join(dir, 'no\x1b[31mpe.json')]), /cannot read pipeline file .*no\\x1b\[31mpe\.json/);
});

test('user errors in a pipeline are refused up front: exit status 2 and one line, nothing started', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-input-'));
  const logs = join(dir, 'a', 'b', 'logs');
  const marker = join(dir, 'worker-ran');
  const run = async (fields: Record<string, unknown>, logDir = logs): Promise<{ code: number | null; stderr: string }> => {
    const file = join(dir, 'p.json');
    const task = { taskId: 't', totalRoi: { offset: [0], shape: [10] }, readRoi: { offset: [0], shape: [5] }, writeRoi: { offset: [0], shape: [5] } };
    writeFileSync(file, JSON.stringify({ tasks: [{ ...task, workerCommand: ['touch', marker], ...fields }] }));
    return runCli(['run', file, '--progress', 'lines', '--log-dir', logDir]);
  };
  const cube = { offset: [0, 0, 0], shape: [1e15, 1e15, 1e15] };
  const unit = { offset: [0, 0, 0], shape: [1, 1, 1] };
  assertWrongUsage(await run({ totalRoi: cube, readRoi: unit, writeRoi: unit }), /task "t" has more than 2\^53 blocks/);
  assertWrongUsage(await run({ totalRoi: { offset: [0], shape: [1e17] } }), /tasks\[0\]\.totalRoi\.shape\[0\] must be an integer within ±2\^53, got 100000000000000000/);
  // DAISY_CONTEXT splits on ':' and '=': such an id would fail only once workers start.
  assertWrongUsage(await run({ taskId: 'a:b=c' }), /taskId must consist of letters, digits.*DAISY_CONTEXT; got "a:b=c"/);
  // An id names a directory under --log-dir: it must not climb out of it.
  assertWrongUsage(await run({ taskId: '../../..' }), /taskId must consist of .*got "\.\.\/\.\.\/\.\."/);
  assertWrongUsage(await run({ numWorkers: 1e9 }), /numWorkers must be at most 10000, got 1000000000/);
  assertWrongUsage(await run({ maxRetries: 1e6 }), /maxRetries must be at most 1000/);
  assertWrongUsage(await run({ maxWorkerRestarts: 1e9 }), /maxWorkerRestarts must be at most 100000/);
  assertWrongUsage(await run({ timeout: 1e9 }), /timeout must be at most 2147483 seconds/);
  writeFileSync(join(dir, 'a'), 'a file where the log directory should be');
  // The tasks' done markers (<logDir>/tracking/<taskId>) are the first thing the log directory must take.
  assertWrongUsage(await run({}), /cannot keep done markers: ENOTDIR: .*a\/b\/logs\/tracking\/t/);
  assertWrongUsage(await run({ trackingPath: false }), /cannot write worker logs to .*a\/b\/logs\/t: ENOTDIR/);
  assert.deepEqual(readdirSync(dir).sort(), ['a', 'p.json'], 'no worker ran, no log was written');
});
