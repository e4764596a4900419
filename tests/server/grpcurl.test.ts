/**
 * A generic gRPC client, grpcurl, against a real server on loopback with no
 * .proto file: everything it knows comes from server reflection. It lists
 * the services, describes them, asks the health service, and reads the
 * scheduler's task states as JSON.
 *
 * grpcurl is DAISYCHAIN_GRPCURL (tests/run-all.sh sets it), or else what
 * tests/server/setup-grpcurl.sh installs (about a minute the first time on a
 * machine, then cached).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { file_daisychain_v1_geometry } from '../../src/gen/daisychain/v1/geometry_pb.js';
import { AcquireSchema, file_daisychain_v1_scheduler, HelloSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { SchedulerService } from '../../src/server/scheduler-service.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';

const setupScript = fileURLToPath(new URL('../../../tests/server/setup-grpcurl.sh', import.meta.url));

function grpcurlPath(): string {
  const fromEnv = process.env['DAISYCHAIN_GRPCURL'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return execFileSync('bash', [setupScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let grpcurl = '';
let server: RunningServer;
let worker: RawStream;

/** grpcurl with `args` against the server, plain text, with a deadline; never rejects. */
function run(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(grpcurl, ['-plaintext', '-max-time', '10', ...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const outcome = await run(...args);
  assert.equal(outcome.code, 0, `grpcurl ${args.join(' ')} failed (${outcome.code}): ${outcome.stderr}`);
  return outcome.stdout;
}

before(async () => {
  grpcurl = grpcurlPath();
  server = await startServer(new SchedulerService([lineTask('t', 3)]));
  // One block out, so that the task states read below are not all zero.
  worker = new RawStream(server.address);
  worker.send({ case: 'hello', value: create(HelloSchema, { taskId: 't', workerId: 'w' }) });
  worker.send({ case: 'acquire', value: create(AcquireSchema, { count: 1 }) });
  assert.equal((await worker.nextOf('blocks')).blocks.length, 1);
});

after(async () => {
  worker?.close();
  await server?.close();
});

test('grpcurl list shows the scheduler, health and reflection services', async () => {
  const services = (await ok(server.address, 'list')).trim().split('\n');
  assert.deepEqual(services, [
    'daisychain.v1.SchedulerService',
    'grpc.health.v1.Health',
    'grpc.reflection.v1.ServerReflection',
    'grpc.reflection.v1alpha.ServerReflection',
  ]);
  assert.deepEqual((await ok(server.address, 'list', 'grpc.health.v1.Health')).trim().split('\n'), [
    'grpc.health.v1.Health.Check',
    'grpc.health.v1.Health.List',
    'grpc.health.v1.Health.Watch',
  ]);
});

test('grpcurl describes the service and its messages, across files, with proto3 optional kept', async () => {
  const service = await ok(server.address, 'describe', 'daisychain.v1.SchedulerService');
  assert.match(service, /rpc Work \( stream \.daisychain\.v1\.WorkRequest \) returns \( stream \.daisychain\.v1\.WorkResponse \)/);
  assert.match(service, /rpc GetTaskStates \( \.daisychain\.v1\.GetTaskStatesRequest \) returns \( \.daisychain\.v1\.GetTaskStatesResponse \)/);
  assert.match(service, /rpc WatchProgress \( \.daisychain\.v1\.WatchProgressRequest \) returns \( stream \.daisychain\.v1\.WatchProgressResponse \)/);
  assert.match(await ok(server.address, 'describe', 'daisychain.v1.Rejected'), /optional uint64 about_block = 4;/);
  // Block lives in scheduler.proto, Roi in geometry.proto: the import is followed.
  assert.match(await ok(server.address, 'describe', 'daisychain.v1.Block'), /\.daisychain\.v1\.Roi read_roi = 3;/);
  assert.match(await ok(server.address, 'describe', 'daisychain.v1.Coordinate'), /repeated int64 values = 1;/);
  assert.match(await ok(server.address, 'describe', 'grpc.health.v1.HealthCheckResponse'), /NOT_SERVING = 2;/);
});

test('reflection hands out exactly the descriptors buf compiled, options included', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-grpcurl-'));
  try {
    const out = join(dir, 'scheduler.protoset');
    await ok('-protoset-out', out, server.address, 'describe', 'daisychain.v1.SchedulerService');
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(out));
    const received = new Map(set.file.map((file) => [file.name, toBinary(FileDescriptorProtoSchema, file)]));
    assert.deepEqual([...received.keys()].sort(), ['daisychain/v1/geometry.proto', 'daisychain/v1/scheduler.proto']);
    for (const file of [file_daisychain_v1_geometry, file_daisychain_v1_scheduler]) {
      assert.deepEqual(received.get(file.proto.name), toBinary(FileDescriptorProtoSchema, file.proto), file.proto.name);
    }
    const scheduler = set.file.find((file) => file.name === 'daisychain/v1/scheduler.proto')!;
    assert.equal(scheduler.options?.goPackage, 'github.com/daisychain/daisychain/clients/go/gen/daisychain/v1;daisychainv1');
    assert.equal(scheduler.options?.javaPackage, 'io.github.daisychain.v1');
    assert.equal(scheduler.options?.javaMultipleFiles, true);
    assert.equal(scheduler.options?.csharpNamespace, 'Daisychain.V1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Health/Check: SERVING for the server and the scheduler service, NOT_FOUND for an unknown service', async () => {
  for (const name of ['', 'daisychain.v1.SchedulerService']) {
    const reply: unknown = JSON.parse(await ok('-d', JSON.stringify({ service: name }), server.address, 'grpc.health.v1.Health/Check'));
    assert.deepEqual(reply, { status: 'SERVING' }, `service '${name}'`);
  }
  const unknown = await run('-format-error', '-d', '{"service":"no.such.Service"}', server.address, 'grpc.health.v1.Health/Check');
  // grpcurl exits with 64 + the status code, and -format-error prints the status as JSON on stderr.
  assert.equal(unknown.code, 64 + status.NOT_FOUND);
  const error: unknown = JSON.parse(unknown.stderr);
  assert.deepEqual(error, { code: status.NOT_FOUND, message: 'Health status unknown for service no.such.Service' });
});

test('Health/List gives every status', async () => {
  const reply: unknown = JSON.parse(await ok(server.address, 'grpc.health.v1.Health/List'));
  assert.deepEqual(reply, {
    statuses: {
      '': { status: 'SERVING' },
      'daisychain.v1.SchedulerService': { status: 'SERVING' },
    },
  });
});

test('SchedulerService/GetTaskStates answers grpcurl with the task states as JSON', async () => {
  const reply: unknown = JSON.parse(await ok('-emit-defaults', '-d', '{"taskIds": ["t"]}', server.address, 'daisychain.v1.SchedulerService/GetTaskStates'));
  assert.deepEqual(reply, {
    states: [
      {
        taskId: 't',
        started: true,
        // uint64 in proto3 JSON is a string.
        totalBlockCount: '3',
        readyCount: '2',
        processingCount: '1',
        pendingCount: '0',
        completedCount: '0',
        skippedCount: '0',
        failedCount: '0',
        orphanedCount: '0',
        done: false,
        abandoned: false,
        workerFailureCount: '0',
        workerRestartCount: '0',
      },
    ],
  });
  const unknown = await run('-format-error', '-d', '{"taskIds": ["nope"]}', server.address, 'daisychain.v1.SchedulerService/GetTaskStates');
  assert.equal(unknown.code, 64 + status.NOT_FOUND);
  assert.deepEqual(JSON.parse(unknown.stderr), { code: status.NOT_FOUND, message: 'unknown task id "nope"; this server runs "t"' });
});
