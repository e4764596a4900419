/**
 * Deterministic regression tests for the bugs the work protocol's property
 * test (work-protocol.property.test.ts) found.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:http2';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { AcquireSchema, HelloSchema, ReleasesSchema, StartSchema, WorkRequestSchema, type WorkRequest } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { SchedulerService, startServer } from '../../src/index.js';
import { workMethod } from '../../src/wire/service-definition.js';
import { lineTask } from '../support/line-task.js';
import { RawStream } from '../support/raw-stream.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A message as gRPC frames it on the wire: uncompressed flag, 4-byte length, the bytes. */
function grpcFrame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}
const request = (message: WorkRequest['message']): Buffer => workMethod.requestSerialize(create(WorkRequestSchema, { message }));

test('bytes that are no WorkRequest, after requests the server has not read yet, end the stream with INVALID_ARGUMENT (the call used to hang without a status)', async (t) => {
  const service = new SchedulerService([lineTask('t', 4)]);
  const server = await startServer(service);
  // Hello, Acquire and unparseable bytes in one HTTP/2 DATA frame, which a gRPC client cannot be made to send: grpc-js then
  // ended the call on the bad bytes before the server had read the Acquire, and the Blocks the server wrote for it after
  // that end left the call open for ever, with no status.
  const session = connect(`http://${server.address}`);
  const call = session.request({ ':method': 'POST', ':path': workMethod.path, 'content-type': 'application/grpc', te: 'trailers' });
  t.after(async () => {
    call.close();
    session.close();
    await server.close();
  });
  let ended: { code: string; details: string } | null = null;
  call.on('trailers', (trailers) => (ended = { code: String(trailers['grpc-status']), details: decodeURIComponent(String(trailers['grpc-message'])) }));
  call.on('data', () => {});
  call.write(
    Buffer.concat([
      grpcFrame(request({ case: 'hello', value: create(HelloSchema, { taskId: 't', workerId: 'w' }) })),
      grpcFrame(request({ case: 'acquire', value: create(AcquireSchema, { count: 1 }) })),
      grpcFrame(Uint8Array.from([0x12, 0x02, 0x08, 0x80])), // an Acquire whose count is cut off
    ]),
  );
  const until = Date.now() + 3000;
  while (ended === null && Date.now() < until) await sleep(10);
  assert.deepEqual(ended, { code: String(status.INVALID_ARGUMENT), details: 'malformed daisychain.v1.WorkRequest message: premature EOF' });
  // The requests before the bad bytes were read, in order: the block handed out came back as a failed attempt.
  await sleep(50);
  assert.deepEqual([service.state('t').readyCount, service.state('t').processingCount], [4, 0]);
  assert.equal(service.failures.length, 1);
  assert.match(service.failures[0]!.error, /^lost: worker w .* left while holding it/);
});

test('a block-id list longer than the bound before Hello ends the stream with FAILED_PRECONDITION, as any request but Hello (it used to be Rejected, and the stream stayed open)', async (t) => {
  const service = new SchedulerService([lineTask('t', 4)]);
  const server = await startServer(service);
  t.after(() => server.close());
  const long = Array.from({ length: 1025 }, (_, i) => BigInt(i));
  const cases: [string, WorkRequest['message']][] = [
    ['start', { case: 'start', value: create(StartSchema, { blockIds: long }) }],
    ['releases', { case: 'releases', value: create(ReleasesSchema, { started: long }) }],
  ];
  for (const [name, message] of cases) {
    const stream = new RawStream(server.address);
    stream.send(message);
    assert.equal(await stream.next(3000), null, `${name}: the stream ends without a reply`);
    assert.equal(stream.error?.code, status.FAILED_PRECONDITION);
    assert.equal(stream.error.details, `a work stream must start with Hello, got ${name}`);
    stream.close();
  }
});
