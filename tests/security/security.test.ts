/**
 * TLS, mTLS and bearer tokens against the real server on loopback, with
 * certificates made by openssl here: a CA, a server certificate for
 * 127.0.0.1/localhost (subjectAltName) and a client certificate.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Client } from '../../src/client/client.js';
import { type ClientTls } from '../../src/client/credentials.js';
import { ControlError, PipelineClient } from '../../src/client/pipeline-client.js';
import { PipelineRegistry } from '../../src/pipelines/pipeline-registry.js';
import { startPipelineServer } from '../../src/pipelines/pipeline-server.js';
import { Authorizer } from '../../src/server/authorization.js';
import type { RunningServer, ServerTls } from '../../src/server/server.js';
import { lineSpec } from '../support/pipeline-server.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const python = join(root, '.cache', 'venv-client', 'bin', 'python');
const pythonWorker = join(root, 'clients', 'python', 'tests', 'record_worker.py');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const OPERATOR_TOKEN = 'operator-token-for-the-tests-0123456789';

let dir = '';
const pem = (name: string): Buffer => readFileSync(join(dir, name));

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'daisychain-tls-'));
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=daisychain test CA');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=worker');
  openssl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2', '-extfile', 'client.ext');
});

interface Secured {
  registry: PipelineRegistry;
  server: RunningServer;
  close(): Promise<void>;
}

const opened: Secured[] = [];
after(async () => {
  for (const s of opened) await s.close();
});

async function secureServer(options: { mtls?: boolean; tokens?: boolean } = {}): Promise<Secured> {
  const tokens = options.tokens ?? true;
  const registry = new PipelineRegistry({
    logDirOf: (pipeline) => join(dir, 'logs', pipeline.id),
    authorizer: new Authorizer(tokens ? { operatorToken: OPERATOR_TOKEN, workerTokens: true } : {}),
  });
  const tls: ServerTls = { cert: pem('server.pem'), key: pem('server.key'), clientCa: options.mtls === true ? pem('ca.pem') : null };
  const workerContext: Record<string, string> = { tls_ca: join(dir, 'ca.pem') };
  if (options.mtls === true) Object.assign(workerContext, { tls_cert: join(dir, 'client.pem'), tls_key: join(dir, 'client.key') });
  const server = await startPipelineServer(registry, '127.0.0.1', 0, '127.0.0.1', { tls, workerContext });
  const secured = {
    registry,
    server,
    close: async () => {
      await registry.close();
      await server.close();
    },
  };
  opened.push(secured);
  return secured;
}

const caOnly = (): ClientTls => ({ ca: pem('ca.pem') });
const withCert = (): ClientTls => ({ ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client.key') });

async function controlCode(call: Promise<unknown>): Promise<number> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ControlError) return error.code;
    throw error;
  }
  return -1;
}

/** A TS worker with the given context extras; resolves with the blocks it completed, or the error that ended it. */
async function runWorker(server: RunningServer, taskId: string, extra: Record<string, string>): Promise<{ done: number; error: Error | null }> {
  const client = new Client({ hostname: '127.0.0.1', port: String(server.port), task_id: taskId, worker_id: 'w', ...extra });
  let done = 0;
  try {
    while (await client.acquire(() => {})) done += 1;
    return { done, error: null };
  } catch (error) {
    return { done, error: error as Error };
  } finally {
    await client.close().catch(() => {});
  }
}

test('over TLS with tokens, a TS worker (its context only) completes every block', async () => {
  const s = await secureServer();
  const control = new PipelineClient(s.server.address, { tls: caOnly(), token: OPERATOR_TOKEN });
  try {
    const { pipeline, workerToken } = await control.submitWithToken({ tasks: [lineSpec('ts', 12)] });
    assert.match(workerToken, /^[A-Za-z0-9_-]{43}$/);
    const result = await runWorker(s.server, 'ts', { pipeline_id: pipeline.pipelineId, tls_ca: join(dir, 'ca.pem'), worker_token: workerToken });
    assert.equal(result.error, null);
    assert.equal(result.done, 12);
    assert.equal(await s.registry.get(pipeline.pipelineId)!.whenEnded(), 'succeeded');
  } finally {
    control.close();
  }
});

test('over mTLS with tokens, Python workers the server starts complete every block', { skip: existsSync(python) ? false : `${python} is missing` }, async () => {
  const s = await secureServer({ mtls: true });
  const control = new PipelineClient(s.server.address, { tls: withCert(), token: OPERATOR_TOKEN });
  const records = join(dir, 'records.txt');
  try {
    const p = await control.submit({ tasks: [lineSpec('py', 10, { numWorkers: 2, workerCommand: [python, pythonWorker], workerEnv: { RECORD_FILE: records } })] });
    assert.equal(await s.registry.get(p.pipelineId)!.whenEnded(), 'succeeded');
    assert.equal(new Set(readFileSync(records, 'utf8').trim().split('\n')).size, 10);
  } finally {
    control.close();
  }
});

test('mTLS refuses a client without a certificate at the handshake', async () => {
  const s = await secureServer({ mtls: true, tokens: false });
  const without = new PipelineClient(s.server.address, { tls: caOnly() });
  const withOne = new PipelineClient(s.server.address, { tls: withCert() });
  try {
    assert.equal(await controlCode(without.list()), GrpcStatus.UNAVAILABLE);
    assert.deepEqual(await withOne.list(), []);
  } finally {
    without.close();
    withOne.close();
  }
});

test('a missing or wrong token is UNAUTHENTICATED and changes nothing', async () => {
  const s = await secureServer();
  const control = new PipelineClient(s.server.address, { tls: caOnly(), token: OPERATOR_TOKEN });
  const anonymous = new PipelineClient(s.server.address, { tls: caOnly() });
  const wrong = new PipelineClient(s.server.address, { tls: caOnly(), token: 'not-the-operator-token-at-all' });
  try {
    const p = await control.submit({ tasks: [lineSpec('t', 4)] });
    assert.equal(await controlCode(anonymous.submit({ tasks: [lineSpec('t', 4)] })), GrpcStatus.UNAUTHENTICATED);
    assert.equal(await controlCode(wrong.cancel(p.pipelineId)), GrpcStatus.UNAUTHENTICATED);
    assert.equal(await controlCode(wrong.list()), GrpcStatus.UNAUTHENTICATED);
    for (const token of [{}, { worker_token: 'wrong-token' }] as Record<string, string>[]) {
      const result = await runWorker(s.server, 't', { pipeline_id: p.pipelineId, tls_ca: join(dir, 'ca.pem'), ...token });
      assert.equal(result.done, 0);
      assert.match(String(result.error), /token/);
    }
    const pipelines = await control.list();
    assert.equal(pipelines.length, 1, 'nothing submitted');
    assert.equal(pipelines[0]!.status, 'running', 'nothing cancelled');
    const state = pipelines[0]!.states[0]!;
    assert.equal(state.completedCount + state.processingCount + state.failedCount, 0, 'no block handed out');
  } finally {
    for (const c of [control, anonymous, wrong]) c.close();
  }
});

test('a worker token cannot call the control plane, nor open a stream of another pipeline', async () => {
  const s = await secureServer();
  const control = new PipelineClient(s.server.address, { tls: caOnly(), token: OPERATOR_TOKEN });
  try {
    const a = await control.submitWithToken({ tasks: [lineSpec('t', 3)] });
    const b = await control.submitWithToken({ tasks: [lineSpec('t', 3)] });
    const asWorker = new PipelineClient(s.server.address, { tls: caOnly(), token: a.workerToken });
    assert.equal(await controlCode(asWorker.list()), GrpcStatus.PERMISSION_DENIED);
    assert.equal(await controlCode(asWorker.cancel(b.pipeline.pipelineId)), GrpcStatus.PERMISSION_DENIED);
    asWorker.close();
    const crossed = await runWorker(s.server, 't', { pipeline_id: b.pipeline.pipelineId, tls_ca: join(dir, 'ca.pem'), worker_token: a.workerToken });
    assert.equal(crossed.done, 0);
    assert.match(String(crossed.error), /not one of pipeline/);
    // The operator token opens no work stream either: the scopes are apart.
    const operatorAsWorker = await runWorker(s.server, 't', { pipeline_id: a.pipeline.pipelineId, tls_ca: join(dir, 'ca.pem'), worker_token: OPERATOR_TOKEN });
    assert.equal(operatorAsWorker.done, 0);
    for (const id of [a.pipeline.pipelineId, b.pipeline.pipelineId]) {
      const state = (await control.get(id)).states[0]!;
      assert.equal(state.completedCount + state.processingCount, 0, `pipeline ${id} untouched`);
    }
    // A's token, without pipeline_id in its Hello, reaches A although the server holds two.
    const own = await runWorker(s.server, 't', { tls_ca: join(dir, 'ca.pem'), worker_token: a.workerToken });
    assert.equal(own.done, 3);
  } finally {
    control.close();
  }
});

/** Runs the CLI until it prints `until` on stderr (then SIGTERM) or exits. */
function runCli(args: string[], env: NodeJS.ProcessEnv, until: RegExp | null): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (until !== null && until.test(stderr)) child.kill('SIGTERM');
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('serve --listen 0.0.0.0:0 without TLS or a token exits 2 saying how; --insecure starts it with a warning', async () => {
  const logDir = join(dir, 'cli-logs');
  const env = { DAISYCHAIN_OPERATOR_TOKEN: '' };
  const refused = await runCli(['serve', '--listen', '0.0.0.0:0', '--log-dir', logDir], env, null);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /refusing to listen on 0\.0\.0\.0 without TLS or a token: give --tls-cert FILE --tls-key FILE/);
  assert.equal(refused.stderr.trim().split('\n').length, 1);
  const insecure = await runCli(['serve', '--listen', '0.0.0.0:0', '--insecure', '--log-dir', logDir], env, /server listening on/);
  assert.match(insecure.stderr, /warning: listening on 0\.0\.0\.0 without TLS or tokens/);
  assert.equal(insecure.code, 0);
  const token = join(dir, 'operator.token');
  writeFileSync(token, `${OPERATOR_TOKEN}\n`);
  const withTls = await runCli(
    ['serve', '--listen', '0.0.0.0:0', '--tls-cert', join(dir, 'server.pem'), '--tls-key', join(dir, 'server.key'), '--operator-token-file', token, '--log-dir', logDir],
    env,
    /server listening on/,
  );
  assert.doesNotMatch(withTls.stderr, /warning/);
  assert.doesNotMatch(withTls.stderr, new RegExp(OPERATOR_TOKEN), 'the operator token is never echoed');
  assert.equal(withTls.code, 0);
});

test('daisychain submit --worker-token-out writes the pipeline worker token (mode 0600) with which a worker started elsewhere is served', async () => {
  const token = join(dir, 'operator-submit.token');
  writeFileSync(token, `${OPERATOR_TOKEN}\n`);
  const server = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--tls-cert', join(dir, 'server.pem'), '--tls-key', join(dir, 'server.key'), '--operator-token-file', token, '--log-dir', join(dir, 'submit-logs')], {
    env: { ...process.env, DAISYCHAIN_OPERATOR_TOKEN: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      server.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const found = /server listening on (\S+);/.exec(stderr);
        if (found !== null) resolve(found[1]!);
      });
      server.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    const pipeline = join(dir, 'external.json');
    const write = { offset: [0], shape: [10] };
    writeFileSync(pipeline, JSON.stringify({ tasks: [{ taskId: 'ext', totalRoi: { offset: [0], shape: [50] }, readRoi: write, writeRoi: write }] }));
    const tokenOut = join(dir, 'worker.token');
    const submitted = execFileSync(
      process.execPath,
      [cli, 'submit', pipeline, '--server', address, '--tls-ca', join(dir, 'ca.pem'), '--operator-token-file', token, '--worker-token-out', tokenOut],
      { env: { ...process.env, DAISYCHAIN_OPERATOR_TOKEN: '' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const pipelineId = submitted.trim();
    const { statSync } = await import('node:fs');
    assert.equal(statSync(tokenOut).mode & 0o777, 0o600);
    const workerToken = readFileSync(tokenOut, 'utf8').trim();
    assert.ok(workerToken.length >= 16);
    const port = address.split(':').at(-1)!;
    const context = { hostname: '127.0.0.1', port, task_id: 'ext', worker_id: 'outside', pipeline_id: pipelineId, tls_ca: join(dir, 'ca.pem') };
    // Without the token the stream is refused; with it the worker gets every block.
    const refused = new Client(context);
    await assert.rejects(refused.acquire(() => {}), (error: Error & { code?: number }) => error.code === GrpcStatus.UNAUTHENTICATED || /UNAUTHENTICATED|token/i.test(error.message));
    await refused.close().catch(() => {});
    const worker = new Client({ ...context, worker_token: workerToken });
    let ran = 0;
    while (await worker.acquire(() => void ran++)) {
      // until the task is done
    }
    await worker.close();
    assert.equal(ran, 5);
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
});

test('health and reflection answer without a token (probes and grpcurl need none); the services beside them still refuse', async () => {
  const { credentials } = await import('@grpc/grpc-js');
  const { healthCheck, reflectedServices } = await import('../support/standard-services.js');
  const s = await secureServer();
  const tls = credentials.createSsl(pem('ca.pem'));
  assert.equal(await healthCheck(s.server.address, '', tls), 'SERVING');
  assert.equal(await healthCheck(s.server.address, 'daisychain.v1.PipelineService', credentials.createSsl(pem('ca.pem'))), 'SERVING');
  const services = await reflectedServices(s.server.address, credentials.createSsl(pem('ca.pem')));
  assert.ok(services.includes('daisychain.v1.PipelineService') && services.includes('grpc.health.v1.Health'), services.join(', '));
  const anonymous = new PipelineClient(s.server.address, { tls: caOnly() });
  assert.equal(await controlCode(anonymous.list()), GrpcStatus.UNAUTHENTICATED);
  anonymous.close();
});
