/**
 * Resource budgets over the control plane: a spec's `resources` and its
 * tasks' `requires` are echoed by Get, a task requiring more than the budget
 * is refused with INVALID_ARGUMENT naming the field, and every pipeline of
 * one server has a budget of its own (real worker processes the server runs,
 * tests/fixtures/interval-worker.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status } from '@grpc/grpc-js';
import { ControlError } from '../../src/client/pipeline-client.js';
import { peak, readIntervals } from '../support/intervals.js';
import { lineSpec, startTestPipelineServer } from '../support/pipeline-server.js';

const workerScript = fileURLToPath(new URL('../fixtures/interval-worker.js', import.meta.url));

test('a task requiring more than its pipeline has is refused with INVALID_ARGUMENT naming spec.tasks[i].requires.<name>, and nothing is held', async () => {
  const h = await startTestPipelineServer();
  try {
    const refused = await h.control.submit({ tasks: [lineSpec('ok', 2, { requires: { gpu: 1 } }), lineSpec('greedy', 2, { requires: { gpu: 8, cpu: 1 } })], resources: { gpu: 1, cpu: 4 } }).then(
      () => assert.fail('accepted'),
      (error: unknown) => error as ControlError,
    );
    assert.ok(refused instanceof ControlError);
    assert.equal(refused.code, status.INVALID_ARGUMENT);
    assert.match(refused.message, /spec: tasks\[1\]\.requires\.gpu is 8, more than the pipeline's resources\.gpu \(the budget has only 1\): no worker of task "greedy" could ever start/);
    const noBudget = await h.control.submit({ tasks: [lineSpec('t', 2, { requires: { gpu: 1 } })] }).catch((error: unknown) => error as ControlError);
    assert.match((noBudget as ControlError).message, /tasks\[0\]\.requires\.gpu is 1, .*\(the pipeline declares no resources\)/);
    const badName = await h.control.submit({ tasks: [lineSpec('t', 2)], resources: { 'a b': 1 } }).catch((error: unknown) => error as ControlError);
    assert.equal((badName as ControlError).code, status.INVALID_ARGUMENT);
    assert.match((badName as ControlError).message, /spec: resources has the resource name "a b"/);
    assert.deepEqual(await h.control.list(), [], 'nothing was submitted');

    const accepted = await h.control.submit({ tasks: [lineSpec('t', 2, { requires: { gpu: 1, cpu: 0 } })], resources: { gpu: 2 } });
    const got = await h.control.get(accepted.pipelineId);
    assert.deepEqual(got.spec.resources, { gpu: 2 });
    assert.deepEqual(got.spec.tasks[0]!.requires, { gpu: 1, cpu: 0 });
    await h.control.cancel(accepted.pipelineId, 'done looking');
  } finally {
    await h.close();
  }
});

test('each pipeline of a server has its own budget: two pipelines of gpu 1 each run one worker each, at the same time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-pipeline-resources-'));
  const file = join(dir, 'intervals.txt');
  const h = await startTestPipelineServer();
  try {
    // Every worker waits for 2 starts (over both pipelines) before its first block: that needs one slot in each pipeline.
    const task = (id: string) =>
      lineSpec(id, 6, { numWorkers: 2, requires: { gpu: 1 }, workerCommand: [process.execPath, workerScript], workerEnv: { INTERVAL_FILE: file, BARRIER_STARTS: '2', BLOCK_DELAY_MS: '20' } });
    const submitted = [];
    for (const name of ['p0', 'p1']) submitted.push(await h.control.submit({ name, tasks: [task('a'), task('b')], resources: { gpu: 1 } }));
    for (const pipeline of submitted) {
      let last;
      for await (const event of h.control.watch(pipeline.pipelineId)) last = event;
      assert.equal(last?.status, 'succeeded');
      // The end lines are written as the workers exit, after the pipeline ended.
      await h.registry.get(pipeline.pipelineId)!.workersExited();
    }
    const intervals = readIntervals(file);
    assert.equal(peak(intervals), 2, `the two pipelines ran a worker each at the same time: ${JSON.stringify(intervals)}`);
    for (const pipeline of submitted) {
      const own = intervals.filter((i) => i.pipelineId === pipeline.pipelineId);
      assert.ok(own.length >= 2, `both tasks of ${pipeline.pipelineId} ran`);
      assert.equal(peak(own), 1, `one worker at a time in ${pipeline.pipelineId}: ${JSON.stringify(own)}`);
    }
  } finally {
    await h.close();
  }
});
