import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Roi } from '../../src/index.js';
import { BlockTracker, TrackingGroupError, type TrackedTask } from '../../src/tracking/index.js';

const task: TrackedTask = {
  taskId: 't',
  totalRoi: new Roi([0, 0], [40, 30]),
  readRoi: new Roi([0, 0], [14, 10]),
  writeRoi: new Roi([2, 0], [10, 10]),
  fit: 'valid',
};
const blockAt = (offset: number[]) => ({ writeRoi: new Roi(offset, [10, 10]) });

function inDir(body: (dir: string) => void | Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tracking-'));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const doneOnDisk = (dir: string): number[] => [...readFileSync(path.join(dir, 't', 'done', 'c', '0', '0'))];

test(
  'a new group holds the hash, and zeroed chunks of the grid’s size',
  inDir((dir) => {
    const tracker = BlockTracker.openUnder(dir, task);
    assert.deepEqual(tracker.gridShape, [4, 3]);
    const group = JSON.parse(readFileSync(path.join(dir, 't', 'zarr.json'), 'utf8')) as { attributes: Record<string, string> };
    assert.equal(group.attributes.daisy_task_hash, '69214ab177613973eb4e6dd1d421b740787842f4c77788a921ee96a0512980f0');
    assert.deepEqual(doneOnDisk(dir), new Array(12).fill(0));
    assert.equal(readFileSync(path.join(dir, 't', 'failures', 'c', '0', '0')).length, 48);
    tracker.close();
  }),
);

test(
  'marks stay in memory until the interval passes, flush or close',
  inDir(async (dir) => {
    const tracker = BlockTracker.openUnder(dir, task, { flushIntervalMs: 50 });
    tracker.markDone(blockAt([12, 10]));
    assert.ok(tracker.isDone(blockAt([12, 10])));
    assert.ok(!tracker.isDone(blockAt([2, 10])));
    assert.equal(tracker.cellOf(blockAt([12, 10]).writeRoi), 4);
    assert.deepEqual(tracker.gridIndexOf(4), [1, 1]);
    assert.equal(doneOnDisk(dir)[4], 0, 'not yet on disk');
    await sleep(150);
    assert.equal(doneOnDisk(dir)[4], 1, 'written after the interval');

    const slow = BlockTracker.openUnder(dir, task, { flushIntervalMs: 60_000 });
    slow.markDone(blockAt([22, 20]));
    assert.equal(slow.countFailure(blockAt([2, 0])), 1);
    assert.equal(slow.countFailure(blockAt([2, 0])), 2);
    assert.equal(doneOnDisk(dir)[8], 0);
    slow.close();
    assert.equal(doneOnDisk(dir)[8], 1, 'written on close');
    assert.throws(() => slow.markDone(blockAt([2, 0])), /closed/);
    tracker.close();

    const reopened = BlockTracker.openUnder(dir, task);
    assert.equal(reopened.doneCount, 2);
    assert.equal(reopened.failures(blockAt([2, 0])), 2);
    assert.equal(reopened.failures(blockAt([12, 0])), 0);
    assert.throws(() => reopened.cellOf(new Roi([42, 0], [10, 10])), /outside the grid/);
    reopened.close();
  }),
);

test(
  'a group of another hash is refused, naming the path, both hashes, the ROIs and fit; nothing changes',
  inDir((dir) => {
    BlockTracker.openUnder(dir, task).close();
    const before = readFileSync(path.join(dir, 't', 'zarr.json'), 'utf8');
    const other = { ...task, fit: 'shrink' as const };
    assert.throws(
      () => BlockTracker.openUnder(dir, other),
      (error: unknown) =>
        error instanceof TrackingGroupError &&
        error.message.includes(path.join(dir, 't')) &&
        error.message.includes('69214ab177613973eb4e6dd1d421b740787842f4c77788a921ee96a0512980f0') &&
        error.message.includes('fit shrink') &&
        error.message.includes(task.writeRoi.toString()),
    );
    assert.equal(readFileSync(path.join(dir, 't', 'zarr.json'), 'utf8'), before);
  }),
);

test(
  'arrays of another layout are refused, naming the array and what differs',
  inDir((dir) => {
    BlockTracker.openUnder(dir, task).close();
    const file = path.join(dir, 't', 'done', 'zarr.json');
    const metadata = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [change, message] of [
      [{ data_type: 'uint16' }, /data_type "uint16", expected "uint8"/],
      [{ shape: [4, 4] }, /shape \[4,4\], expected the task's grid \[4,3\]/],
      [{ codecs: [{ name: 'bytes' }, { name: 'gzip' }] }, /codecs/],
      [{ chunk_grid: { name: 'regular', configuration: { chunk_shape: [2, 3] } } }, /chunk_grid/],
      [{ fill_value: 1 }, /fill_value 1/],
    ] as const) {
      writeFileSync(file, JSON.stringify({ ...metadata, ...change }));
      assert.throws(() => BlockTracker.openUnder(dir, task), (error: unknown) => {
        assert.ok(error instanceof TrackingGroupError);
        assert.ok(error.message.includes(path.join(dir, 't', 'done')), error.message);
        assert.match(error.message, message);
        return true;
      });
    }
    writeFileSync(file, JSON.stringify(metadata));
    writeFileSync(path.join(dir, 't', 'done', 'c', '0', '0'), new Uint8Array(5));
    assert.throws(() => BlockTracker.openUnder(dir, task), /holds 5 bytes, expected 12/);
    writeFileSync(path.join(dir, 't', 'zarr.json'), '{"zarr_format": 2}');
    assert.throws(() => BlockTracker.openUnder(dir, task), /not a Zarr v3 group/);
  }),
);
