import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { BlockTracker, TrackingGroupError, taskHash } from '../../src/tracking/index.js';
import { blocksOf, key, runDaisy2, skip, taskOf, type TaskSpec, withDir } from '../support/daisy2-tracking.js';

const halfTask: TaskSpec = {
  taskId: 'half',
  totalRoi: { offset: [-10, 4], shape: [64, 36] },
  readRoi: { offset: [0, 0], shape: [10, 8] },
  writeRoi: { offset: [1, 2], shape: [8, 4] },
  fit: 'overhang',
};

test(
  'daisy 2.0.0 stops half way; the tracker reads exactly the blocks daisy marked done, and its failure counts',
  { skip },
  withDir('a', async (dir) => {
    const basedir = path.join(dir, 'trk');
    const report = await runDaisy2(dir, basedir, halfTask, 20);
    assert.equal(report.result, false, JSON.stringify(report));
    const task = taskOf(halfTask);
    const blocks = blocksOf(task);
    assert.equal(report.seen.length, blocks.size, 'daisy ran every block once');
    const failed = new Set(report.failed.map(key));
    assert.ok(failed.size > 0 && failed.size < blocks.size, `some blocks fail, not all (${failed.size} of ${blocks.size})`);

    const tracker = BlockTracker.openUnder(basedir, task);
    for (const [offset, block] of blocks) {
      assert.equal(tracker.isDone(block), !failed.has(offset), `block at ${offset}`);
      assert.equal(tracker.failures(block), failed.has(offset) ? 1 : 0, `failures of the block at ${offset}`);
    }
    assert.equal(tracker.doneCount, blocks.size - failed.size, 'no cell outside the blocks is marked');
    tracker.close();
  }),
);

const resumedTask: TaskSpec = {
  taskId: 'resumed',
  totalRoi: { offset: [-7, -5, 3], shape: [13, 10, 9] },
  readRoi: { offset: [-1, -1, -1], shape: [4, 4, 4] },
  writeRoi: { offset: [0, 0, 0], shape: [2, 2, 2] },
  fit: 'shrink',
};

test(
  'the tracker marks every other block done; daisy 2.0.0 resumes the group and runs exactly the others',
  { skip },
  withDir('b', async (dir) => {
    const basedir = path.join(dir, 'trk');
    const task = taskOf(resumedTask);
    const blocks = [...blocksOf(task).entries()];
    const tracker = BlockTracker.openUnder(basedir, task, { flushIntervalMs: 60_000 });
    const marked = new Set<string>();
    blocks.forEach(([offset, block], index) => {
      if (index % 2 === 0) return;
      tracker.markDone(block);
      marked.add(offset);
    });
    tracker.countFailure(blocks[0]![1]);
    tracker.close();
    assert.ok(marked.size > 0);

    const report = await runDaisy2(dir, basedir, resumedTask, null);
    assert.equal(report.result, true, JSON.stringify(report));
    const expected = blocks.map(([offset]) => offset).filter((offset) => !marked.has(offset)).sort();
    assert.deepEqual(report.seen.map(key).sort(), expected);

    const after = BlockTracker.openUnder(basedir, task);
    assert.equal(after.doneCount, blocks.length, 'daisy marked the rest');
    after.close();
  }),
);

test(
  'a group of another task is refused on both sides, naming its path, both hashes and the ROIs',
  { skip },
  withDir('c', async (dir) => {
    const basedir = path.join(dir, 'trk');
    const report = await runDaisy2(dir, basedir, halfTask, null);
    assert.equal(report.result, true, JSON.stringify(report));
    const original = taskOf(halfTask);
    const other = taskOf({ ...halfTask, writeRoi: { offset: [1, 2], shape: [8, 3] } });
    const group = path.join(basedir, 'half');
    const groupBefore = readFileSync(path.join(group, 'zarr.json'), 'utf8');
    assert.throws(
      () => BlockTracker.openUnder(basedir, other),
      (error: unknown) => {
        assert.ok(error instanceof TrackingGroupError);
        for (const part of [group, taskHash(original), taskHash(other), other.writeRoi.toString(), 'fit overhang']) {
          assert.ok(error.message.includes(part), `${JSON.stringify(part)} in ${error.message}`);
        }
        return true;
      },
    );
    assert.equal(readFileSync(path.join(group, 'zarr.json'), 'utf8'), groupBefore, 'the refused group is unchanged');

    // The reverse: a group the tracker wrote for another task, which daisy 2.0.0 refuses by its hash.
    const otherBase = path.join(dir, 'trk-other');
    BlockTracker.openUnder(otherBase, { ...other, taskId: 'half' }).close();
    const refused = await runDaisy2(dir, otherBase, halfTask, null);
    assert.equal(refused.result, undefined);
    assert.match(refused.error ?? '', new RegExp(`stored hash = ${taskHash(other)}, expected = ${taskHash(original)}`));
    assert.deepEqual(refused.seen, []);
  }),
);
