/**
 * PipelineService against a real server on loopback: submit, get, list,
 * watch and cancel, and specs that are refused with INVALID_ARGUMENT naming
 * the field, changing nothing.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { Client } from '../../src/client/client.js';
import { ControlError } from '../../src/client/pipeline-client.js';
import type { PipelineEvent } from '../../src/model/pipeline-view.js';
import type { TaskSpecData } from '../../src/model/task-spec.js';
import { lineSpec, startTestPipelineServer } from '../support/pipeline-server.js';

async function refusal(promise: Promise<unknown>): Promise<ControlError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ControlError) return error;
    throw error;
  }
  throw new Error('the call was not refused');
}

test('a submitted pipeline is listed and got with its settings (defaults written out), then served to its workers', async () => {
  const h = await startTestPipelineServer();
  try {
    const submitted = await h.control.submit({ name: 'two tasks', tasks: [lineSpec('up', 3), lineSpec('down', 3, { upstreamTasks: ['up'], maxRetries: 0, timeout: 60 })] });
    assert.equal(submitted.status, 'running');
    assert.match(submitted.pipelineId, /^[a-z0-9]+-[a-z0-9]{8}$/);
    const got = await h.control.get(submitted.pipelineId);
    assert.equal(got.spec.name, 'two tasks');
    assert.deepEqual(
      got.spec.tasks.map((t) => [t.taskId, t.numWorkers, t.maxRetries, t.timeout ?? null, t.upstreamTasks ?? [], t.fit, t.readWriteConflict]),
      [
        ['up', 1, 2, null, [], 'valid', false],
        ['down', 1, 0, 60, ['up'], 'valid', false],
      ],
    );
    assert.deepEqual(
      got.states.map((s) => [s.taskId, s.totalBlockCount, s.readyCount]),
      [
        ['up', 3, 3],
        ['down', 3, 0],
      ],
    );
    assert.ok(got.submittedAt.getTime() <= Date.now() && got.finishedAt === null);
    const listed = await h.control.list();
    assert.deepEqual(
      listed.map((p) => p.pipelineId),
      [submitted.pipelineId],
    );
    for (const taskId of ['up', 'down']) {
      const worker = new Client({ hostname: '127.0.0.1', port: String(h.server.port), task_id: taskId, worker_id: `w-${taskId}`, pipeline_id: submitted.pipelineId });
      while (await worker.acquire(() => {})) {
        // one block per iteration
      }
      assert.equal(worker.welcome?.pipelineId, submitted.pipelineId);
      await worker.close();
    }
    const done = await h.control.get(submitted.pipelineId);
    assert.equal(done.status, 'succeeded');
    assert.ok(done.finishedAt !== null);
  } finally {
    await h.close();
  }
});

test('wrong specs are refused with INVALID_ARGUMENT naming the field by its proto name, and change nothing', async () => {
  const h = await startTestPipelineServer();
  try {
    const good = lineSpec('t', 2);
    const cases: [TaskSpecData[], RegExp][] = [
      [[{ ...good, numWorkers: 100_000 }], /^spec: tasks\[0\]\.num_workers must be at most 10000, got 100000$/],
      [[{ ...good, taskId: 'a:b' }], /^spec: tasks\[0\]\.task_id must consist of letters, digits/],
      [[{ ...good, maxRetries: 5000 }], /tasks\[0\]\.max_retries must be at most 1000/],
      [[{ ...good, timeout: 1e9 }], /tasks\[0\]\.timeout_seconds must be at most 2147483 seconds/],
      [[{ ...good, upstreamTasks: ['ghost'] }], /tasks\[0\]\.upstream_task_ids\[0\]: upstream task "ghost" is not declared/],
      [[{ ...good, workerCommand: ['true'], workerEnv: { DAISY_CONTEXT: 'x' } }], /tasks\[0\]\.worker_launch\.env must map variable names/],
      [[good, good], /tasks\[1\]\.task_id: task id "t" is declared twice/],
      [[{ ...good, writeRoi: { offset: [5], shape: [10] } }], /task "t": writeRoi .* is not contained in readRoi/],
      [[{ ...good, totalRoi: { offset: [0, 0], shape: [10] } }], /tasks\[0\]\.total_roi has an offset of 2 dimensions and a shape of 1/],
      [[], /^spec: tasks must be a non-empty list of tasks$/],
    ];
    for (const [tasks, message] of cases) {
      const refused = await refusal(h.control.submit({ tasks }));
      assert.equal(refused.code, status.INVALID_ARGUMENT, refused.message);
      assert.match(refused.message, message);
      assert.equal(refused.message.split('\n').length, 1);
    }
    const badName = await refusal(h.control.submit({ name: 'a\nb', tasks: [good] }));
    assert.match(badName.message, /^spec: name must consist of letters/);
    assert.deepEqual(await h.control.list(), [], 'nothing was held');
  } finally {
    await h.close();
  }
});

test('unknown ids are NOT_FOUND; a cancel of an ended pipeline is FAILED_PRECONDITION; the cancel reason is recorded', async () => {
  const h = await startTestPipelineServer();
  try {
    assert.equal((await refusal(h.control.get('nope'))).code, status.NOT_FOUND);
    assert.equal((await refusal(h.control.cancel('nope'))).code, status.NOT_FOUND);
    assert.equal((await refusal(h.control.cancel(''))).code, status.INVALID_ARGUMENT);
    const p = await h.control.submit({ tasks: [lineSpec('t', 2), lineSpec('d', 2, { upstreamTasks: ['t'] })] });
    const cancelled = await h.control.cancel(p.pipelineId, 'operator said so');
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.cancelReason, 'operator said so');
    assert.deepEqual(
      cancelled.states.map((s) => [s.taskId, s.done, s.failedCount, s.orphanedCount, s.processingCount]),
      [
        ['t', true, 2, 0, 0],
        ['d', true, 0, 2, 0],
      ],
    );
    const again = await refusal(h.control.cancel(p.pipelineId, 'twice'));
    assert.equal(again.code, status.FAILED_PRECONDITION);
    assert.equal((await h.control.get(p.pipelineId)).cancelReason, 'operator said so', 'the refused cancel changed nothing');
    const late = new Client({ hostname: '127.0.0.1', port: String(h.server.port), task_id: 't', worker_id: 'late', pipeline_id: p.pipelineId });
    assert.equal(await late.acquireBlock(), null, "a cancelled pipeline's streams cannot acquire");
    assert.equal(late.shutdownMessage, 'operator said so');
    await late.close();
  } finally {
    await h.close();
  }
});

test('watch reports the states after every event, each failed attempt, and the end with the final status', async () => {
  const h = await startTestPipelineServer();
  try {
    const p = await h.control.submit({ tasks: [lineSpec('t', 20, { maxRetries: 1 })] });
    const events: PipelineEvent[] = [];
    const watching = (async () => {
      for await (const event of h.control.watch(p.pipelineId)) events.push(event);
    })();
    const worker = new Client({ hostname: '127.0.0.1', port: String(h.server.port), task_id: 't', worker_id: 'w', pipeline_id: p.pipelineId });
    while (
      await worker.acquire(async (block) => {
        await new Promise((resolve) => setTimeout(resolve, 15));
        if (block.blockId === 7) throw new Error('seven fails');
      })
    ) {
      // one block per iteration
    }
    await worker.close();
    await watching;
    assert.ok(events.length >= 3, `${events.length} events`);
    assert.equal(events[0]!.states[0]!.completedCount, 0, 'the first event is the state at the call');
    const completed = events.map((e) => e.states[0]!.completedCount);
    assert.deepEqual(completed, [...completed].sort((x, y) => x - y), 'counts only grow');
    const failures = events.filter((e) => e.failure !== null).map((e) => [e.failure!.blockId, e.failure!.attempt, e.failure!.permanent, e.failure!.error]);
    assert.deepEqual(failures, [
      [7, 0, false, 'Error: seven fails'],
      [7, 1, true, 'Error: seven fails'],
    ]);
    const last = events.at(-1)!;
    assert.equal(last.finished, true);
    assert.equal(last.status, 'failed');
    assert.deepEqual([last.states[0]!.completedCount, last.states[0]!.failedCount], [19, 1]);
    assert.equal(events.filter((e) => e.finished).length, 1, 'one end');
    // Watching an ended pipeline: its final state, at once.
    const after: PipelineEvent[] = [];
    for await (const event of h.control.watch(p.pipelineId)) after.push(event);
    assert.deepEqual(after.map((e) => [e.finished, e.status]), [[true, 'failed']]);
    assert.equal((await refusal((async () => { for await (const _ of h.control.watch('nope')) void _; })())).code, status.NOT_FOUND);
  } finally {
    await h.close();
  }
});
