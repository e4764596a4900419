import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BlockwiseDependencyGraph } from '../../src/dependencies/blockwise-dependency-graph.js';
import { Task, type Fit } from '../../src/index.js';
import { BlockTracker, taskHash, trackingGridShape } from '../../src/tracking/index.js';
import { loadVectors, roiFromJson, type RoiJson } from '../support/vectors.js';

interface TrackingCase {
  totalRoi: RoiJson;
  readRoi: RoiJson;
  writeRoi: RoiJson;
  fit: Fit;
  hash: string;
  arrays: Record<'done' | 'failures', { shape: number[]; dataType: string; files: string[] }>;
  doneCells: number[];
}

const vectors = loadVectors<{ daisy: string; cases: TrackingCase[] }>('tracking-hash.json');

const taskOf = (c: TrackingCase, taskId = 't'): Task =>
  new Task({
    taskId,
    totalRoi: roiFromJson(c.totalRoi),
    readRoi: roiFromJson(c.readRoi),
    writeRoi: roiFromJson(c.writeRoi),
    fit: c.fit,
    processFunction: () => {},
  });

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(path.join(dir, name)).isFile())
    .map((name) => name.split(path.sep).join('/'))
    .sort();
}

test('the vectors come from daisy 2.0.0 and cover 1-3 dimensions, every fit and negative offsets', () => {
  assert.equal(vectors.daisy, '2.0.0');
  assert.deepEqual(new Set(vectors.cases.map((c) => c.totalRoi.offset.length)), new Set([1, 2, 3]));
  assert.deepEqual(new Set(vectors.cases.map((c) => c.fit)), new Set(['valid', 'overhang', 'shrink']));
  assert.ok(vectors.cases.some((c) => c.totalRoi.offset.some((v) => (v ?? 0) < 0)));
});

test('the issue’s example hash is daisy 2.0.0’s', () => {
  assert.equal(vectors.cases[0]!.hash, '69214ab177613973eb4e6dd1d421b740787842f4c77788a921ee96a0512980f0');
});

test('taskHash and the grid shape are what daisy 2.0.0 writes, for every case', () => {
  for (const c of vectors.cases) {
    const task = taskOf(c);
    assert.equal(taskHash(task), c.hash, JSON.stringify(c));
    assert.deepEqual(trackingGridShape(task), c.arrays.done.shape);
    assert.deepEqual(trackingGridShape(task), c.arrays.failures.shape);
  }
});

test('marking every block of the task fills the cells daisy 2.0.0 marked, in the files daisy writes', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tracking-hash-'));
  try {
    vectors.cases.forEach((c, index) => {
      const task = taskOf(c, `case${index}`);
      const tracker = BlockTracker.openUnder(root, task, { flushIntervalMs: 60_000 });
      const graph = BlockwiseDependencyGraph.fromTask(task);
      for (const [block] of graph.enumerateAllDependencies()) tracker.markDone(block);
      tracker.close();
      const cells = [...tracker.doneCells()].flatMap((value, cell) => (value ? [cell] : []));
      assert.deepEqual(cells, c.doneCells, `case ${index}`);
      const group = path.join(root, `case${index}`);
      for (const name of ['done', 'failures'] as const) {
        assert.deepEqual(filesUnder(path.join(group, name)), c.arrays[name].files, `case ${index} ${name}`);
        const metadata = JSON.parse(readFileSync(path.join(group, name, 'zarr.json'), 'utf8')) as { data_type: string };
        assert.equal(metadata.data_type, c.arrays[name].dataType);
      }
      const done = readFileSync(path.join(group, 'done', c.arrays.done.files[0]!));
      assert.deepEqual([...done].flatMap((value, cell) => (value ? [cell] : [])), c.doneCells);
      const reopened = BlockTracker.openUnder(root, task);
      assert.equal(reopened.doneCount, c.doneCells.length);
      reopened.close();
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
