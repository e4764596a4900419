/**
 * The scheduler with done markers (SchedulerOptions.doneMarks, a real
 * BlockTracker): marked blocks are skipped before any check and never handed
 * out, counted skipped and completed as daisy 2.0.0 counts them; successes
 * are marked, failed attempts counted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { BlockStatus, Roi, Scheduler, Task } from '../../src/index.js';
import { BlockTracker } from '../../src/tracking/index.js';

function inDir(body: (dir: string) => void): () => void {
  return () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'done-marks-'));
    try {
      body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

// 6 × 5 blocks of 10 with a context of 2: four levels, every block has neighbours.
const grid = (checkFunction?: (block: unknown) => boolean): Task =>
  new Task({
    taskId: 'grid',
    totalRoi: new Roi([-2, -2], [64, 54]),
    readRoi: new Roi([0, 0], [14, 14]),
    writeRoi: new Roi([2, 2], [10, 10]),
    readWriteConflict: true,
    maxRetries: 1,
    processFunction: () => {},
    ...(checkFunction === undefined ? {} : { checkFunction }),
  });

test(
  'marked blocks are skipped before the check, never handed out, and counted skipped and completed',
  inDir((dir) => {
    let checks = 0;
    const task = grid(() => {
      checks++;
      return false;
    });
    const tracker = BlockTracker.openUnder(dir, task);
    // Mark every block of the first three rows (x < 30).
    const marked = new Set<number>();
    for (let x = 0; x < 30; x += 10) {
      for (let y = 0; y < 50; y += 10) {
        const block = { writeRoi: new Roi([x, y], [10, 10]) };
        tracker.markDone(block);
        marked.add(tracker.cellOf(block.writeRoi));
      }
    }
    const scheduler = new Scheduler([task], { doneMarks: new Map([['grid', tracker]]) });
    const handed: number[] = [];
    for (;;) {
      const block = scheduler.acquireBlock('grid');
      if (block === null) break;
      const cell = tracker.cellOf(block.writeRoi);
      assert.ok(!marked.has(cell), `marked block at ${block.writeRoi.toString()} was handed out`);
      handed.push(cell);
      block.status = BlockStatus.SUCCESS;
      scheduler.releaseBlock(block);
    }
    const state = scheduler.taskStates.get('grid')!;
    assert.equal(handed.length, 30 - 15, 'every unmarked block ran once');
    assert.equal(checks, 15, 'the check ran for the unmarked blocks only');
    assert.equal(state.skippedCount, 15);
    assert.equal(state.completedCount, 30);
    assert.ok(state.isDone());
    assert.equal(tracker.doneCount, 30, 'the blocks that ran are marked');
    tracker.close();
  }),
);

test(
  'a fully marked task is done by skipMarked alone, in slices, without a hand-out',
  inDir((dir) => {
    const task = grid();
    const tracker = BlockTracker.openUnder(dir, task);
    for (let x = 0; x < 60; x += 10) for (let y = 0; y < 50; y += 10) tracker.markDone({ writeRoi: new Roi([x, y], [10, 10]) });
    const scheduler = new Scheduler([task], { doneMarks: new Map([['grid', tracker]]), markedSkipsPerAcquire: 4 });
    assert.ok(scheduler.hasMarkedAhead('grid'));
    assert.equal(scheduler.acquireBlock('grid'), null, 'the hand-out stops at its bound of skips');
    assert.equal(scheduler.taskStates.get('grid')!.skippedCount, 4);
    let slices = 0;
    while (scheduler.skipMarked('grid', 7) > 0) slices++;
    const state = scheduler.taskStates.get('grid')!;
    assert.ok(slices >= 3);
    assert.equal(state.skippedCount, 30);
    assert.ok(state.isDone() && !state.started, 'skipped blocks do not start a task');
    assert.ok(!scheduler.hasMarkedAhead('grid'));
    tracker.close();
  }),
);

test(
  'failed attempts are counted per cell, and a block that fails for good is not marked',
  inDir((dir) => {
    const task = grid();
    const tracker = BlockTracker.openUnder(dir, task);
    const scheduler = new Scheduler([task], { doneMarks: new Map([['grid', tracker]]) });
    const first = scheduler.acquireBlock('grid')!;
    first.status = BlockStatus.FAILED;
    assert.equal(scheduler.releaseBlock(first), 'retried');
    const again = scheduler.acquireBlock('grid');
    assert.ok(again !== null);
    let retried = again.blockId === first.blockId ? again : null;
    while (retried === null) {
      const block = scheduler.acquireBlock('grid')!;
      if (block.blockId === first.blockId) retried = block;
      else {
        block.status = BlockStatus.SUCCESS;
        scheduler.releaseBlock(block);
      }
    }
    if (again.blockId !== first.blockId) {
      again.status = BlockStatus.SUCCESS;
      scheduler.releaseBlock(again);
    }
    retried.status = BlockStatus.FAILED;
    assert.equal(scheduler.releaseBlock(retried), 'failed');
    assert.equal(tracker.failures(first), 2);
    assert.equal(tracker.isDone(first), false);
    tracker.close();
  }),
);

test('doneMarks naming a task that is not scheduled is refused', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'done-marks-'));
  try {
    const task = grid();
    const tracker = BlockTracker.openUnder(dir, task);
    assert.throws(() => new Scheduler([task], { doneMarks: new Map([['other', tracker]]) }), /doneMarks names task "other", which is not one of the scheduled tasks/);
    tracker.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'retriesFromMarks: failed attempts the markers counted spend retries, and a block failed for good before is not run again; without it, attempts start over',
  inDir((dir) => {
    const line = (): Task =>
      new Task({
        taskId: 'line',
        totalRoi: new Roi([0], [30]),
        readRoi: new Roi([0], [10]),
        writeRoi: new Roi([0], [10]),
        maxRetries: 2,
        processFunction: () => {},
      });
    const tracker = BlockTracker.openUnder(dir, line());
    const at = (x: number) => ({ writeRoi: new Roi([x], [10]) });
    // Block at 0 failed twice before (one retry left of 2), block at 10 three times (failed for good), block at 20 never.
    for (let i = 0; i < 2; i++) tracker.countFailure(at(0));
    for (let i = 0; i < 3; i++) tracker.countFailure(at(10));

    const resumed = new Scheduler([line()], { doneMarks: new Map([['line', tracker]]), retriesFromMarks: true });
    const attempts = new Map<number, number[]>();
    for (;;) {
      const block = resumed.acquireBlock('line');
      if (block === null) break;
      const start = block.writeRoi.offset.get(0) as number;
      attempts.set(start, [...(attempts.get(start) ?? []), resumed.attemptOf(block)]);
      block.status = start === 20 ? BlockStatus.SUCCESS : BlockStatus.FAILED;
      resumed.releaseBlock(block);
    }
    assert.deepEqual([...attempts.entries()].sort((a, b) => a[0] - b[0]), [
      [0, [2]],
      [20, [0]],
    ]);
    const state = resumed.taskStates.get('line')!;
    assert.equal(state.failedCount, 2);
    assert.equal(state.completedCount, 1);
    assert.ok(state.isDone());

    // A run started on purpose (not resumed) retries them from their first attempt.
    const fresh = new Scheduler([line()], { doneMarks: new Map([['line', tracker]]) });
    const first = fresh.acquireBlock('line')!;
    assert.equal(fresh.attemptOf(first), 0);
  }),
);
