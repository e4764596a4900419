/**
 * Cancel mid-run: the server's own worker processes stop, an external
 * worker is told (Revoked for its block, then Shutdown), held blocks are
 * taken back, the rest fails or is orphaned, and the reason is reported.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '../../src/client/client.js';
import type { PipelineEvent } from '../../src/model/pipeline-view.js';
import { lineSpec, startTestPipelineServer } from '../support/pipeline-server.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('cancel mid-run returns held blocks, stops the pool and ends an external worker', async () => {
  const h = await startTestPipelineServer();
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-cancel-'));
  const records = join(dir, 'records.txt');
  const pids: number[] = [];
  // Before the submission: its workers start as it is accepted.
  h.registry.on('submitted', (submitted) =>
    submitted.on('workerEvent', (event) => {
      const pid = /^pid (\d+)/.exec(event.detail);
      if (event.kind === 'started' && pid !== null) pids.push(Number(pid[1]));
    }),
  );
  try {
    const p = await h.control.submit({
      name: 'to cancel',
      tasks: [
        lineSpec('pooled', 100, { numWorkers: 2, workerCommand: [process.execPath, workerScript], workerEnv: { RECORD_FILE: records, BLOCK_DELAY_MS: '200' } }),
        lineSpec('external', 10),
        lineSpec('after', 10, { upstreamTasks: ['pooled'] }),
      ],
    });
    const pipeline = h.registry.get(p.pipelineId)!;
    const events: PipelineEvent[] = [];
    const watching = (async () => {
      for await (const event of h.control.watch(p.pipelineId)) events.push(event);
    })();
    const external = new Client({ hostname: '127.0.0.1', port: String(h.server.port), task_id: 'external', worker_id: 'ext', pipeline_id: p.pipelineId });
    const held = await external.acquireBlock();
    assert.ok(held !== null);
    // Both pool workers hold a block.
    for (let i = 0; i < 200 && (await h.control.get(p.pipelineId)).states.find((s) => s.taskId === 'pooled')!.processingCount < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(pids.length, 2);
    assert.ok(existsSync(join(h.logDir, p.pipelineId, 'pooled')), 'pool logs under <logDir>/<pipelineId>/<taskId>');
    const cancelled = await h.control.cancel(p.pipelineId, 'wrong parameters');
    assert.equal(cancelled.status, 'cancelled');
    for (const s of cancelled.states) {
      assert.equal(s.processingCount, 0, `${s.taskId}: held blocks taken back`);
      assert.ok(s.done, `${s.taskId} is done`);
    }
    const pooled = cancelled.states.find((s) => s.taskId === 'pooled')!;
    assert.equal(pooled.completedCount + pooled.failedCount, 100);
    // Blocks of "after" whose upstream block succeeded before the cancel were ready: they fail with their abandoned task; the others are orphaned.
    const after = cancelled.states.find((s) => s.taskId === 'after')!;
    assert.equal(after.completedCount + after.failedCount + after.orphanedCount, 10);
    // The external worker: its block was revoked, and it is told to stop.
    assert.equal(await external.acquireBlock(), null);
    assert.equal(external.isRevoked(held), true);
    assert.equal(external.shutdownMessage, 'wrong parameters');
    external.releaseBlock(held); // not sent: the server took it back
    await external.close();
    assert.deepEqual(external.rejections, [], 'the late release was not even sent');
    await pipeline.workersExited();
    assert.deepEqual(pids.filter(alive), [], 'every pool worker exited');
    await watching;
    const last = events.at(-1)!;
    assert.deepEqual([last.finished, last.status, last.cancelReason], [true, 'cancelled', 'wrong parameters']);
    const listed = (await h.control.list()).find((v) => v.pipelineId === p.pipelineId)!;
    assert.equal(listed.cancelReason, 'wrong parameters');
    const before = existsSync(records) ? readFileSync(records, 'utf8') : '';
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(existsSync(records) ? readFileSync(records, 'utf8') : '', before, 'nothing ran after the cancel');
  } finally {
    await h.close();
  }
});
