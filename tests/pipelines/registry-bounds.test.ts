/**
 * The registry's bounds: at most `maxPipelines` held, the oldest ended ones
 * forgotten to make room, a submission refused (RESOURCE_EXHAUSTED) when all
 * are running; List in pages that a client follows to the end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client as GrpcClient, credentials, status } from '@grpc/grpc-js';
import { ControlError } from '../../src/client/pipeline-client.js';
import { listPipelinesRequest, type ListPipelinesResponse } from '../../src/wire/pipeline-messages.js';
import { pipelineServiceDefinition } from '../../src/wire/pipeline-service-definition.js';
import { lineSpec, startTestPipelineServer } from '../support/pipeline-server.js';

test('a full registry forgets its oldest ended pipeline, and refuses a submission when every one runs', async () => {
  const h = await startTestPipelineServer({ maxPipelines: 2 });
  try {
    const first = await h.control.submit({ tasks: [lineSpec('t', 1)] });
    const second = await h.control.submit({ tasks: [lineSpec('t', 1)] });
    await assert.rejects(h.control.submit({ tasks: [lineSpec('t', 1)] }), (error: ControlError) => error.code === status.RESOURCE_EXHAUSTED && /2 running pipelines, its limit/.test(error.message));
    assert.equal((await h.control.list()).length, 2, 'the refused submission held nothing');
    await h.control.cancel(first.pipelineId, 'make room');
    const third = await h.control.submit({ tasks: [lineSpec('t', 1)] });
    assert.deepEqual(
      (await h.control.list()).map((p) => p.pipelineId),
      [second.pipelineId, third.pipelineId],
      'the ended one was forgotten',
    );
  } finally {
    await h.close();
  }
});

test('ListPipelines pages by page_size and next_page_token, oldest first', async () => {
  const h = await startTestPipelineServer();
  const grpc = new GrpcClient(h.server.address, credentials.createInsecure());
  const list = (pageSize: number, token: string): Promise<ListPipelinesResponse> =>
    new Promise((resolve, reject) => {
      const m = pipelineServiceDefinition['listPipelines']!;
      grpc.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize as (b: Buffer) => ListPipelinesResponse, listPipelinesRequest(pageSize, token), (error, response) =>
        error === null ? resolve(response!) : reject(error),
      );
    });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await h.control.submit({ name: `p${i}`, tasks: [lineSpec('t', 1)] })).pipelineId);
    const seen: string[] = [];
    let token = '';
    let pages = 0;
    do {
      const page = await list(2, token);
      assert.ok(page.pipelines.length <= 2);
      seen.push(...page.pipelines.map((p) => p.pipelineId));
      token = page.nextPageToken;
      pages++;
    } while (token !== '');
    assert.deepEqual(seen, ids);
    assert.equal(pages, 3);
    assert.deepEqual((await h.control.list()).map((p) => p.spec.name), ['p0', 'p1', 'p2', 'p3', 'p4']);
  } finally {
    grpc.close();
    await h.close();
  }
});
