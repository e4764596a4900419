/**
 * The operator commands against a real `daisychain serve` process (no
 * pipeline file: a long-running service): submit, status, watch, cancel,
 * their wrong input (exit status 2, one line), and the service's stop on
 * SIGTERM (held blocks back, the workers it started stopped).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '../../src/client/client.js';
import { type CliResult, cliPath, runCli, type ServeProcess, startServe } from '../support/cli-process.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

function assertWrongInput(result: CliResult, message: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^daisychain: /);
  assert.match(lines[0]!, message);
  assert.match(lines[0]!, /--help/);
}

/** `daisychain serve` without a file on a free port, once it says where it listens. */
const startService = (logDir: string): Promise<ServeProcess> => startServe(['--listen', '127.0.0.1:0', '--log-dir', logDir]);

const line = (taskId: string, blocks: number, extra: Record<string, unknown> = {}) => ({
  taskId,
  totalRoi: { offset: [0], shape: [10 * blocks] },
  readRoi: { offset: [0], shape: [10] },
  writeRoi: { offset: [0], shape: [10] },
  readWriteConflict: false,
  ...extra,
});

test('submit, status, watch and cancel against a real daisychain serve; SIGTERM stops it cleanly', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-control-cli-'));
  const service = await startService(join(dir, 'logs'));
  try {
    // A pipeline whose workers the server runs, watched to its end.
    const records = join(dir, 'records.txt');
    writeFileSync(
      join(dir, 'pooled.yaml'),
      `name: pooled run\ntasks:\n  - ${JSON.stringify(line('p', 12, { numWorkers: 2, workerCommand: [process.execPath, workerScript], workerEnv: { RECORD_FILE: records, BLOCK_DELAY_MS: '20' } }))}\n`,
    );
    const submitted = await runCli(['submit', join(dir, 'pooled.yaml'), '--server', service.address, '--wait', '--progress', 'lines']);
    assert.equal(submitted.code, 0, submitted.stderr);
    const id = submitted.stdout.trim();
    assert.match(id, /^[a-z0-9]+-[a-z0-9]{8}$/);
    assert.match(submitted.stderr, /p: 100% \(12\/12 blocks/);
    assert.match(submitted.stderr, /All blocks succeeded\./);
    assert.match(submitted.stderr, new RegExp(`pipeline ${id} succeeded`));
    const watchedAfter = await runCli(['watch', id, '--server', service.address, '--progress', 'lines']);
    assert.equal(watchedAfter.code, 0, watchedAfter.stderr);

    // A pipeline for workers started elsewhere, cancelled while one of them holds a block.
    writeFileSync(join(dir, 'external.json'), JSON.stringify({ tasks: [line('x', 5)] }));
    const second = await runCli(['submit', join(dir, 'external.json'), '--server', service.address]);
    assert.equal(second.code, 0, second.stderr);
    const externalId = second.stdout.trim();
    const worker = new Client({ hostname: '127.0.0.1', port: String(service.port), task_id: 'x', worker_id: 'ext', pipeline_id: externalId });
    const held = await worker.acquireBlock();
    assert.ok(held !== null);
    const listing = await runCli(['status', '--server', service.address]);
    assert.equal(listing.code, 0, listing.stderr);
    assert.match(listing.stdout, new RegExp(`^${id}  succeeded  12/12 blocks  pooled run$`, 'm'));
    assert.match(listing.stdout, new RegExp(`^${externalId}  running    0/5 blocks  external$`, 'm'));
    const one = await runCli(['status', externalId, '--server', service.address]);
    assert.match(one.stdout, /x: 5 blocks, 0 completed \(0 skipped\), 0 failed, 0 orphaned, 1 processing, 4 ready, 0 pending/);
    const watching = runCli(['watch', externalId, '--server', service.address, '--progress', 'json']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cancelled = await runCli(['cancel', externalId, '--server', service.address, '--reason', 'not needed']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, new RegExp(`pipeline ${externalId} \\(external\\): cancelled: not needed`));
    assert.match(cancelled.stdout, /x: 5 blocks, 0 completed .*, 5 failed, 0 orphaned, 0 processing/);
    const watched = await watching;
    assert.equal(watched.code, 1, 'a cancelled pipeline did not succeed');
    assert.match(watched.stderr, /"event":"summary"/);
    assert.match(watched.stderr, new RegExp(`pipeline ${externalId} cancelled: not needed`));
    assert.equal(await worker.acquireBlock(), null);
    assert.equal(worker.isRevoked(held), true);
    await worker.close();

    // Wrong input: one line, exit status 2, nothing submitted.
    assertWrongInput(await runCli(['cancel', externalId, '--server', service.address]), /already ended \(cancelled\)/);
    assertWrongInput(await runCli(['status', 'nope', '--server', service.address]), /unknown pipeline id "nope"/);
    assertWrongInput(await runCli(['watch', '--server', service.address]), /no pipeline id given.*daisychain watch --help/);
    assertWrongInput(await runCli(['status']), /--server HOST:PORT is required/);
    assertWrongInput(await runCli(['status', '--server', 'nowhere']), /--server must be HOST:PORT/);
    assertWrongInput(await runCli(['submit', join(dir, 'external.json'), '--server', service.address, '--wait=yes']), /--wait takes no value/);
    assertWrongInput(await runCli(['cancel', 'x', '--server', service.address, '--reason']), /--reason needs a value/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ tasks: [line('b', 1, { numWorkers: 0 })] }));
    assertWrongInput(await runCli(['submit', join(dir, 'bad.json'), '--server', service.address]), /tasks\[0\]\.numWorkers must be a positive integer, got 0/);
    assertWrongInput(await runCli(['status', '--server', '127.0.0.1:1']), /no daisychain server answers at 127\.0\.0\.1:1/);
    const after = await runCli(['status', '--server', service.address]);
    assert.equal(after.stdout.trim().split('\n').length, 2, 'the refused submission added nothing');

    // The service's stop: a running pipeline is cancelled, its server-run workers stopped.
    writeFileSync(join(dir, 'slow.json'), JSON.stringify({ tasks: [line('s', 50, { workerCommand: [process.execPath, workerScript], workerEnv: { RECORD_FILE: records, BLOCK_DELAY_MS: '500' } })] }));
    const slow = await runCli(['submit', join(dir, 'slow.json'), '--server', service.address]);
    assert.equal(slow.code, 0, slow.stderr);
    await new Promise((resolve) => setTimeout(resolve, 500));
    service.child.kill('SIGTERM');
    assert.equal(await service.exit, 0, service.stderr());
    assert.match(service.stderr(), new RegExp(`pipeline ${slow.stdout.trim()} cancelled: the server is stopping`));
  } finally {
    service.child.kill('SIGKILL');
  }
});

test('each operator command has --help', async () => {
  for (const [command, usage] of [
    ['submit', /usage: daisychain submit PIPELINE --server HOST:PORT/],
    ['status', /usage: daisychain status \[PIPELINE_ID\] --server HOST:PORT/],
    ['watch', /usage: daisychain watch PIPELINE_ID --server HOST:PORT/],
    ['cancel', /usage: daisychain cancel PIPELINE_ID --server HOST:PORT \[--reason TEXT\]/],
  ] as const) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    assert.match(stdout, usage);
    assert.match(stdout, /--server HOST:PORT/);
    assert.match(stdout, /exit status:/);
  }
  const main = await runCli(['--help']);
  assert.match(main.stdout, /submit PIPELINE[\s\S]*status \[ID\][\s\S]*watch ID[\s\S]*cancel ID/);
});

test('serve FILE --keep-running prints the summary when its pipeline is done and goes on serving until SIGTERM', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-keep-running-'));
  writeFileSync(join(dir, 'p.json'), JSON.stringify({ name: 'first', tasks: [line('k', 3)] }));
  const child = spawn(process.execPath, [cliPath, 'serve', join(dir, 'p.json'), '--listen', '127.0.0.1:0', '--keep-running', '--progress', 'lines', '--log-dir', join(dir, 'logs')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const announced = await new Promise<RegExpExecArray>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on 127\.0\.0\.1:(\d+), pipeline ([a-z0-9-]+);[^\n]*\n.*DAISY_CONTEXT=.*\n/.exec(stderr);
        if (match !== null) resolve(match);
      });
    });
    const [port, id] = [announced[1]!, announced[2]!];
    assert.match(stderr, new RegExp(`DAISY_CONTEXT=hostname=127\\.0\\.0\\.1:port=${port}:task_id=k:worker_id=<id>:pipeline_id=${id}`));
    const worker = new Client({ hostname: '127.0.0.1', port, task_id: 'k', worker_id: 'w', pipeline_id: id });
    while (await worker.acquire(() => {})) {
      // one block per iteration
    }
    await worker.close();
    for (let i = 0; i < 100 && !/All blocks succeeded/.test(stderr); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.match(stderr, /All blocks succeeded/);
    // Still serving: the control plane answers, and takes another pipeline.
    writeFileSync(join(dir, 'q.json'), JSON.stringify({ tasks: [line('q', 1)] }));
    const more = await runCli(['submit', join(dir, 'q.json'), '--server', `127.0.0.1:${port}`]);
    assert.equal(more.code, 0, more.stderr);
    const listing = await runCli(['status', '--server', `127.0.0.1:${port}`]);
    assert.match(listing.stdout, new RegExp(`^${id}  succeeded  3/3 blocks  first$`, 'm'));
    child.kill('SIGTERM');
    assert.equal(await exit, 0, stderr);
  } finally {
    child.kill('SIGKILL');
  }
});
