/**
 * Done markers used by the scheduler, across daisy 2.0.0 and daisychain on
 * the same tracking groups: daisy 2.0.0 fails half a task (its blocks beyond
 * a plane fail for good) and daisychain resumes it — through runBlockwise and
 * through a pipeline file run by the CLI — running exactly the blocks daisy
 * did not mark; daisychain fails half and daisy 2.0.0 resumes; a group of
 * another task refuses the submission on every path, and nothing runs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ControlError } from '../../src/client/pipeline-client.js';
import { SpecError } from '../../src/pipelines/pipeline-spec.js';
import { runBlockwise } from '../../src/run/run-blockwise.js';
import type { RunSummary } from '../../src/run/summary.js';
import { BlockTracker, JOURNAL_FILE, taskHash } from '../../src/tracking/index.js';
import { blocksOf, key, runDaisy2, skip, taskOf, type TaskSpec, withDir } from '../support/daisy2-tracking.js';
import { startTestPipelineServer } from '../support/pipeline-server.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const recordWorker = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

// 8 × 6 blocks of 8 × 6 with a context of 1: daisy fails the blocks whose write offset on axis 0 is 33 or more.
const spec: TaskSpec = {
  taskId: 'half',
  totalRoi: { offset: [0, 0], shape: [66, 38] },
  readRoi: { offset: [0, 0], shape: [10, 8] },
  writeRoi: { offset: [1, 1], shape: [8, 6] },
  fit: 'valid',
};
const FAIL_FROM = 33;

function cliRun(args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** daisy 2.0.0 runs the task in `basedir` and fails every block at or beyond FAIL_FROM; the offsets it marked and those it did not. */
async function daisyHalf(dir: string, basedir: string): Promise<{ done: Set<string>; notDone: Set<string> }> {
  const report = await runDaisy2(dir, basedir, spec, FAIL_FROM);
  assert.equal(report.result, false, JSON.stringify(report));
  const failed = new Set(report.failed.map(key));
  const all = [...blocksOf(taskOf(spec)).keys()];
  const done = new Set(all.filter((offset) => !failed.has(offset)));
  assert.ok(done.size > 0 && failed.size > 0, `daisy did part of the task (${done.size} done, ${failed.size} failed)`);
  return { done, notDone: failed };
}

test(
  'daisy 2.0.0 fails half a task; runBlockwise resumes it and runs exactly the blocks daisy did not mark',
  { skip, timeout: 180_000 },
  withDir('resume-run', async (dir) => {
    const basedir = path.join(dir, 'trk');
    const { done, notDone } = await daisyHalf(dir, basedir);
    const ran: string[] = [];
    let checked = 0;
    let summary: RunSummary | undefined;
    const task = taskOf(spec, {
      processFunction: (block) => {
        ran.push(key(block.writeRoi.offset.toArray() as number[]));
      },
      checkFunction: () => {
        checked++;
        return false;
      },
    });
    const ok = await runBlockwise([task], { logDir: path.join(dir, 'logs'), trackingBasedir: basedir, progress: 'none', onSummary: (s) => (summary = s) });
    assert.equal(ok, true);
    assert.deepEqual(ran.sort(), [...notDone].sort(), 'exactly the blocks daisy did not mark ran, once each');
    assert.equal(checked, notDone.size, 'the check function ran only for blocks not marked');
    const counts = summary!.tasks[0]!;
    assert.equal(counts.skipped, done.size, 'the marked blocks were counted skipped');
    assert.equal(counts.completed, done.size + notDone.size);
    const tracker = BlockTracker.openUnder(basedir, task);
    assert.equal(tracker.doneCount, done.size + notDone.size, 'the blocks that ran are marked');
    assert.ok(!existsSync(path.join(basedir, 'half', JOURNAL_FILE)), 'the journal is gone once the run ended');
    tracker.close();
  }),
);

test(
  'daisy 2.0.0 fails half a task; `daisychain run` on a pipeline file naming its group resumes exactly the rest',
  { skip, timeout: 180_000 },
  withDir('resume-cli', async (dir) => {
    const basedir = path.join(dir, 'trk');
    const { notDone } = await daisyHalf(dir, basedir);
    const records = path.join(dir, 'records.txt');
    const file = path.join(dir, 'p.json');
    writeFileSync(
      file,
      JSON.stringify({
        tasks: [
          {
            ...spec,
            trackingPath: path.join(basedir, 'half'),
            numWorkers: 2,
            workerCommand: [process.execPath, recordWorker],
            workerEnv: { RECORD_FILE: records },
          },
        ],
      }),
    );
    const result = await cliRun(['run', file, '--progress', 'none', '--log-dir', path.join(dir, 'logs')], dir);
    assert.equal(result.code, 0, result.stderr);
    const byId = new Map([...blocksOf(taskOf(spec)).entries()].map(([offset, block]) => [block.blockId, offset]));
    const ran = readFileSync(records, 'utf8').trim().split('\n').map((line) => byId.get(Number(line.split(' ')[1])));
    assert.deepEqual(ran.sort(), [...notDone].sort());
  }),
);

test(
  'daisychain fails half a task; daisy 2.0.0 resumes the group (with a journal beside it) and runs exactly the others',
  { skip, timeout: 180_000 },
  withDir('reverse', async (dir) => {
    const basedir = path.join(dir, 'trk');
    const task = taskOf(spec, {
      maxRetries: 0,
      processFunction: (block) => {
        if ((block.writeRoi.offset.get(0) as number) >= FAIL_FROM) throw new Error('fails on purpose');
      },
    });
    assert.equal(await runBlockwise([task], { logDir: path.join(dir, 'logs'), trackingBasedir: basedir, progress: 'none' }), false);
    const all = [...blocksOf(task).keys()];
    const failed = all.filter((offset) => JSON.parse(offset)[0] >= FAIL_FROM);
    // A journal left by a killed server (here: a mark the chunk holds already): daisy must not mind it.
    const tracker = BlockTracker.openUnder(basedir, task);
    assert.equal(tracker.doneCount, all.length - failed.length);
    assert.equal(tracker.failures({ writeRoi: blocksOf(task).get(failed[0]!)!.writeRoi }), 1, 'failed attempts are counted');
    tracker.close();
    writeFileSync(path.join(basedir, 'half', JOURNAL_FILE), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]));

    const report = await runDaisy2(dir, basedir, spec, null);
    assert.equal(report.result, true, JSON.stringify(report));
    assert.deepEqual(report.seen.map(key).sort(), failed.sort());
  }),
);

test(
  'a group written for another task refuses runBlockwise, `daisychain run` (exit 2, one line) and SubmitPipeline (INVALID_ARGUMENT); nothing runs',
  { timeout: 120_000 },
  withDir('refused', async (dir) => {
    const basedir = path.join(dir, 'trk');
    const other = taskOf({ ...spec, writeRoi: { offset: [1, 1], shape: [8, 3] } });
    BlockTracker.openUnder(basedir, other).close();
    const group = path.join(basedir, 'half');
    const groupBefore = readFileSync(path.join(group, 'zarr.json'), 'utf8');
    const mentions = [group, taskHash(other), taskHash(taskOf(spec))];
    let ran = 0;
    const task = taskOf(spec, {
      processFunction: () => {
        ran++;
      },
    });

    await assert.rejects(runBlockwise([task], { logDir: path.join(dir, 'logs'), trackingBasedir: basedir, progress: 'none' }), (error: unknown) => {
      assert.ok(error instanceof SpecError, String(error));
      for (const part of mentions) assert.ok(error.message.includes(part), `${part} in ${error.message}`);
      return true;
    });
    assert.equal(ran, 0);

    const file = path.join(dir, 'p.json');
    const records = path.join(dir, 'records.txt');
    writeFileSync(file, JSON.stringify({ tasks: [{ ...spec, trackingPath: group, workerCommand: [process.execPath, recordWorker], workerEnv: { RECORD_FILE: records } }] }));
    const result = await cliRun(['run', file, '--progress', 'none', '--log-dir', path.join(dir, 'logs')], dir);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    for (const part of mentions) assert.ok(lines[0]!.includes(part), `${part} in ${lines[0]}`);
    assert.ok(!existsSync(records), 'no worker ran');

    const server = await startTestPipelineServer();
    try {
      await assert.rejects(server.control.submit({ tasks: [{ ...spec, trackingPath: group }] }), (error: unknown) => {
        assert.ok(error instanceof ControlError, String(error));
        assert.equal(error.code, GrpcStatus.INVALID_ARGUMENT);
        for (const part of mentions) assert.ok(error.message.includes(part), `${part} in ${error.message}`);
        return true;
      });
      assert.deepEqual(await server.control.list(), [], 'nothing is held');
    } finally {
      await server.close();
    }
    assert.equal(readFileSync(path.join(group, 'zarr.json'), 'utf8'), groupBefore, 'the refused group is unchanged');
  }),
);

test(
  'SubmitPipeline carries tracking_path and tracking_disabled: Get echoes them, the group is made at the path, none for the disabled task',
  { timeout: 60_000 },
  withDir('wire', async (dir) => {
    const server = await startTestPipelineServer();
    try {
      const group = path.join(dir, 'elsewhere', 'a');
      const submitted = await server.control.submit({
        tasks: [
          { ...spec, taskId: 'a', trackingPath: group },
          { ...spec, taskId: 'b', trackingPath: false },
          { ...spec, taskId: 'c' },
        ],
      });
      const got = await server.control.get(submitted.pipelineId);
      assert.deepEqual(
        got.spec.tasks.map((t) => [t.taskId, t.trackingPath]),
        [
          ['a', group],
          ['b', false],
          ['c', undefined],
        ],
      );
      const pipeline = server.registry.get(submitted.pipelineId)!;
      assert.equal(pipeline.tracking.pathOf('a'), group);
      assert.ok(existsSync(path.join(group, 'zarr.json')));
      assert.equal(pipeline.tracking.pathOf('b'), undefined);
      assert.equal(pipeline.tracking.pathOf('c'), path.join(server.logDir, submitted.pipelineId, 'tracking', 'c'), 'the default: <log dir>/tracking/<task id>');
      await server.control.cancel(submitted.pipelineId, 'done looking');
    } finally {
      await server.close();
    }
  }),
);
