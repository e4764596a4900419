/**
 * A real `daisychain serve` SIGKILLed mid-run: every block whose release it
 * had processed is marked in the task's tracking group (the journal), and a
 * `daisychain run` of the same file afterwards runs exactly the blocks that
 * were not marked.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PipelineClient } from '../../src/client/pipeline-client.js';
import { Roi } from '../../src/geometry/index.js';
import { BlockTracker } from '../../src/tracking/index.js';

const cli = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const recordWorker = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));
const BLOCKS = 60;

const taskFields = { taskId: 'line', totalRoi: { offset: [0], shape: [10 * BLOCKS] }, readRoi: { offset: [0], shape: [10] }, writeRoi: { offset: [0], shape: [10] }, readWriteConflict: false };
const tracked = { taskId: 'line', totalRoi: new Roi([0], [10 * BLOCKS]), readRoi: new Roi([0], [10]), writeRoi: new Roi([0], [10]), fit: 'valid' as const };

function pipelineFile(dir: string, group: string, records: string): string {
  const file = join(dir, 'p.json');
  const worker = { workerCommand: [process.execPath, recordWorker], numWorkers: 2, workerEnv: { RECORD_FILE: records, BLOCK_DELAY_MS: '20' } };
  writeFileSync(file, JSON.stringify({ tasks: [{ ...taskFields, ...worker, trackingPath: group }] }));
  return file;
}

/** The processes whose parent is `pid` (the workers a server started). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter((l) => l.trim() !== '').map(Number);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

const blockIds = (records: string): number[] => readFileSync(records, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => Number(l.split(' ')[1]));

test('marks of releases a SIGKILLed `daisychain serve` had processed survive; a rerun runs exactly the unmarked blocks', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-tracking-kill-'));
  const group = join(dir, 'trk', 'line');
  try {
    const first = join(dir, 'first.txt');
    const server = spawn(process.execPath, [cli, 'serve', pipelineFile(dir, group, first), '--listen', '127.0.0.1:0', '--progress', 'none', '--log-dir', join(dir, 'logs')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise((resolve) => server.on('exit', resolve));
    let stderr = '';
    const port = await new Promise<number>((resolve, reject) => {
      server.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
        if (match !== null) resolve(Number(match[1]));
      });
      void exited.then(() => reject(new Error(`serve exited: ${stderr}`)));
    });
    const control = new PipelineClient(`127.0.0.1:${port}`);
    let completed = 0;
    try {
      while (completed < 15) {
        await sleep(20);
        const [pipeline] = await control.list();
        completed = pipeline?.states[0]?.completedCount ?? 0;
      }
    } finally {
      control.close();
    }
    assert.ok(completed < BLOCKS, 'killed mid-run');
    const workers = childrenOf(server.pid!);
    server.kill('SIGKILL');
    await exited;
    for (const pid of workers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }

    const tracker = BlockTracker.open(group, tracked);
    assert.ok(tracker.doneCount >= completed, `${tracker.doneCount} blocks marked, at least the ${completed} whose release was processed`);
    const marked = new Set<number>();
    for (let i = 0; i < BLOCKS; i++) if (tracker.isDone({ writeRoi: new Roi([i * 10], [10]) })) marked.add(i);
    tracker.close();
    for (const id of marked) assert.ok(blockIds(first).includes(id), `block ${id} is marked, so it ran`);

    const second = join(dir, 'second.txt');
    const rerun = spawn(process.execPath, [cli, 'run', pipelineFile(dir, group, second), '--progress', 'none', '--log-dir', join(dir, 'logs')], { stdio: 'ignore' });
    assert.equal(await new Promise((resolve) => rerun.on('exit', resolve)), 0);
    const ran = blockIds(second).sort((a, b) => a - b);
    const unmarked = [...Array(BLOCKS).keys()].filter((i) => !marked.has(i));
    assert.deepEqual(ran, unmarked, 'no marked block ran again, every other block ran once');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
