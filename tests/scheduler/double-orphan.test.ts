/**
 * A block orphaned by two failures is counted twice, as daisy 2.0.0 counts it
 * (tests/oracle/generate_double_orphan_vector.py; daisy 1.2.3 raises on this
 * configuration). Kept as a test so that a change of these counts is a
 * decision, not an accident: daisy's total then falls short of its parts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Block, BlockStatus, Roi, Scheduler, Task } from '../../src/index.js';
import { loadVectors } from '../support/vectors.js';

interface Vector {
  daisy: string;
  events: (['acquire', string, number] | ['release', string, number, 'success' | 'failed'])[];
  finalStates: Record<string, Record<string, number>>;
}

test('a block orphaned by two failed downstream blocks is counted as daisy 2.0.0 counts it', () => {
  const vector = loadVectors<Vector>('double-orphan.json');
  assert.equal(vector.daisy, '2.0.0');
  const upstream = new Task({ taskId: 't0', totalRoi: new Roi([0], [18]), readRoi: new Roi([0], [2]), writeRoi: new Roi([0], [2]), readWriteConflict: false, maxRetries: 0 });
  const downstream = new Task({
    taskId: 't1',
    totalRoi: new Roi([0], [10]),
    readRoi: new Roi([0], [4]),
    writeRoi: new Roi([1], [2]),
    readWriteConflict: true,
    maxRetries: 0,
    upstreamTasks: [upstream],
  });
  const scheduler = new Scheduler([upstream, downstream]);
  const held = new Map<string, Block>();
  for (const event of vector.events) {
    const [kind, taskId, blockId] = event;
    if (kind === 'acquire') {
      const block = scheduler.acquireBlock(taskId);
      assert.equal(block?.blockId, blockId, `daisy handed out ${taskId}/${blockId} here`);
      held.set(`${taskId}/${blockId}`, block!);
    } else {
      const block = held.get(`${taskId}/${blockId}`)!;
      block.status = event[3] === 'success' ? BlockStatus.SUCCESS : BlockStatus.FAILED;
      scheduler.releaseBlock(block);
    }
  }
  for (const [taskId, expected] of Object.entries(vector.finalStates)) {
    const state = scheduler.taskStates.get(taskId)!.toJSON();
    for (const [key, value] of Object.entries(expected)) assert.equal(state[key], value, `${taskId}.${key}`);
  }
});
