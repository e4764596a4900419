/**
 * One server, two pipelines: task ids are scoped by pipeline, so a worker of
 * one can never touch the other's blocks, even where their task ids and
 * block ids are the same; and a Hello must say which pipeline when there are
 * several.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { Client as GrpcClient, credentials, status } from '@grpc/grpc-js';
import {
  AcquireSchema,
  BlockStatus as WireBlockStatus,
  GetTaskStatesRequestSchema,
  HelloSchema,
  ReleaseSchema,
  ReleasesSchema,
  SchedulerService as SchedulerServiceDescriptor,
  WatchProgressRequestSchema,
  type GetTaskStatesResponse,
  type WatchProgressResponse,
} from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { grpcServiceDefinition } from '../../src/wire/service-definition.js';
import { RawStream } from '../support/raw-stream.js';
import { lineSpec, startTestPipelineServer } from '../support/pipeline-server.js';

const hello = (pipelineId: string, workerId: string) =>
  ({ case: 'hello', value: create(HelloSchema, { taskId: 't', workerId, language: 'test', host: 'localhost', pid: 1, pipelineId }) }) as const;
const acquire = (count: number) => ({ case: 'acquire', value: create(AcquireSchema, { count }) }) as const;

test('a worker of pipeline A sending releases of B\'s blocks is refused, and nothing changes in either', async () => {
  const h = await startTestPipelineServer();
  try {
    const a = await h.control.submit({ name: 'a', tasks: [lineSpec('t', 2)] });
    const b = await h.control.submit({ name: 'b', tasks: [lineSpec('t', 2)] });
    assert.notEqual(a.pipelineId, b.pipelineId);
    const workerA = new RawStream(h.server.address);
    workerA.send(hello(a.pipelineId, 'wa'));
    workerA.send(acquire(1));
    const fromA = await workerA.nextOf('blocks');
    assert.equal(workerA.welcome?.pipelineId, a.pipelineId);
    const workerB = new RawStream(h.server.address);
    workerB.send(hello(b.pipelineId, 'wb'));
    workerB.send(acquire(2));
    const fromB = await workerB.nextOf('blocks');
    assert.deepEqual(fromB.blocks.map((block) => block.blockId).sort(), [0n, 1n]);
    // A holds block 0 of its own "t"; B holds blocks 0 and 1 of its "t". A releases them all.
    const other = fromA.blocks[0]!.blockId === 0n ? 1n : 0n;
    const release = create(ReleaseSchema, { blockId: other, status: WireBlockStatus.SUCCESS });
    workerA.send({ case: 'releases', value: create(ReleasesSchema, { releases: [release] }) });
    const refused = await workerA.nextOf('rejected');
    assert.equal(refused.code, status.FAILED_PRECONDITION);
    assert.match(refused.message, /is not held by this stream/);
    assert.equal(refused.aboutBlock, other);
    const [stateA, stateB] = await Promise.all([h.control.get(a.pipelineId), h.control.get(b.pipelineId)]);
    assert.deepEqual(
      [stateA.states[0]!.processingCount, stateA.states[0]!.completedCount, stateB.states[0]!.processingCount, stateB.states[0]!.completedCount],
      [1, 0, 2, 0],
      'nothing changed in A or B',
    );
    workerA.close();
    workerB.close();
  } finally {
    await h.close();
  }
});

test('with several pipelines an empty Hello.pipeline_id is refused naming them; an unknown one is NOT_FOUND', async () => {
  const h = await startTestPipelineServer();
  try {
    const only = await h.control.submit({ tasks: [lineSpec('t', 1)] });
    // One pipeline: an empty id names it, as workers of a single run send.
    const legacy = new RawStream(h.server.address);
    legacy.send(hello('', 'old'));
    legacy.send(acquire(1));
    await legacy.nextOf('blocks');
    assert.equal(legacy.welcome?.pipelineId, only.pipelineId);
    legacy.close();
    const second = await h.control.submit({ tasks: [lineSpec('t', 1)] });
    const empty = new RawStream(h.server.address);
    empty.send(hello('', 'w'));
    assert.equal(await empty.next(), null);
    assert.equal(empty.error?.code, status.FAILED_PRECONDITION);
    assert.match(empty.error!.details, new RegExp(`pipeline_id is empty, but this server holds 2 pipelines: "${only.pipelineId}", "${second.pipelineId}"`));
    const unknown = new RawStream(h.server.address);
    unknown.send(hello('nope', 'w'));
    assert.equal(await unknown.next(), null);
    assert.equal(unknown.error?.code, status.NOT_FOUND);
    assert.match(unknown.error!.details, /unknown pipeline id "nope"; this server holds 2 pipelines/);
  } finally {
    await h.close();
  }
});

test('GetTaskStates and WatchProgress name their pipeline; an empty id names the only one, and with several is refused', async () => {
  const h = await startTestPipelineServer();
  const grpc = new GrpcClient(h.server.address, credentials.createInsecure());
  const definition = grpcServiceDefinition(SchedulerServiceDescriptor);
  const getStates = (pipelineId: string): Promise<GetTaskStatesResponse> =>
    new Promise((resolve, reject) => {
      const m = definition['getTaskStates']!;
      grpc.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize as (b: Buffer) => GetTaskStatesResponse, create(GetTaskStatesRequestSchema, { pipelineId }), (error, response) =>
        error === null ? resolve(response!) : reject(error),
      );
    });
  try {
    const a = await h.control.submit({ tasks: [lineSpec('a', 3)] });
    assert.deepEqual((await getStates('')).states.map((s) => s.taskId), ['a'], 'the only pipeline');
    const b = await h.control.submit({ tasks: [lineSpec('b', 4)] });
    await assert.rejects(getStates(''), (error: { code: number; details: string }) => error.code === status.FAILED_PRECONDITION && /pipeline_id is empty/.test(error.details));
    await assert.rejects(getStates('nope'), (error: { code: number }) => error.code === status.NOT_FOUND);
    assert.deepEqual((await getStates(b.pipelineId)).states.map((s) => [s.taskId, Number(s.totalBlockCount)]), [['b', 4]]);
    assert.deepEqual((await getStates(a.pipelineId)).states.map((s) => s.taskId), ['a']);
    const m = definition['watchProgress']!;
    const watch = grpc.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize as (b: Buffer) => WatchProgressResponse, create(WatchProgressRequestSchema, { pipelineId: b.pipelineId }));
    const first = await new Promise<WatchProgressResponse>((resolve) => watch.once('data', resolve));
    assert.deepEqual(first.states.map((s) => s.taskId), ['b']);
    watch.on('error', () => {}); // its own cancel, below
    watch.cancel();
  } finally {
    grpc.close();
    await h.close();
  }
});
