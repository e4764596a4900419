import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type Block, BlockStatus, Roi, Scheduler, Task, type Fit } from '../../src/index.js';

interface TaskSpec {
  blockShape: number[];
  contextNeg: number[];
  contextPos: number[];
  blocksPerAxis: number[];
  conflict: boolean;
  fit: Fit;
  maxRetries: number;
}

const taskSpec = (dims: number): fc.Arbitrary<TaskSpec> =>
  fc.record({
    blockShape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: dims, maxLength: dims }),
    contextNeg: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: dims, maxLength: dims }),
    contextPos: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: dims, maxLength: dims }),
    blocksPerAxis: fc.array(fc.integer({ min: 1, max: dims === 3 ? 4 : 6 }), { minLength: dims, maxLength: dims }),
    conflict: fc.boolean(),
    fit: fc.constantFrom<Fit>('valid', 'overhang', 'shrink'),
    maxRetries: fc.integer({ min: 0, max: 2 }),
  });

/** A chain of 1–3 tasks over the same volume; task i requires task i-1. */
const pipeline = fc.integer({ min: 1, max: 3 }).chain((dims) =>
  fc.record({
    specs: fc.array(taskSpec(dims), { minLength: 1, maxLength: 3 }),
    origin: fc.array(fc.integer({ min: -10, max: 10 }), { minLength: dims, maxLength: dims }),
    extra: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: dims, maxLength: dims }),
  }),
);

interface Pipeline {
  specs: TaskSpec[];
  origin: number[];
  extra: number[];
}

function buildTasks(p: Pipeline): Task[] {
  const tasks: Task[] = [];
  p.specs.forEach((s, i) => {
    const readShape = s.blockShape.map((b, d) => b + s.contextNeg[d]! + s.contextPos[d]!);
    const totalShape = s.blockShape.map((b, d) => b * s.blocksPerAxis[d]! + s.contextNeg[d]! + s.contextPos[d]! + p.extra[d]!);
    tasks.push(
      new Task({
        taskId: `t${i}`,
        totalRoi: new Roi(p.origin, totalShape),
        readRoi: new Roi(s.blockShape.map(() => 0), readShape),
        writeRoi: new Roi(s.contextNeg, s.blockShape),
        readWriteConflict: s.conflict,
        fit: s.fit,
        maxRetries: s.maxRetries,
        upstreamTasks: i > 0 ? [tasks[i - 1]!] : [],
      }),
    );
  });
  return tasks;
}

const key = (b: Block): string => `${b.taskId}/${b.blockId}`;

test('scheduler invariants hold for random pipelines and random interleavings', () => {
  fc.assert(
    fc.property(
      pipeline,
      fc.array(fc.nat(), { minLength: 400, maxLength: 400 }),
      fc.integer({ min: 0, max: 40 }),
      (p, choices, failPct) => {
        const tasks = buildTasks(p);
        const scheduler = new Scheduler(tasks);
        const graph = scheduler.dependencyGraph;
        const byId = new Map(tasks.map((t) => [t.taskId, t]));
        const succeeded = new Set<string>();
        const processing = new Map<string, Block>();
        const acquired = new Map<string, number>();
        const failedAttempts = new Map<string, number>();
        let step = 0;
        const next = (): number => choices[step++ % choices.length]! + step;

        const checkCounters = (): void => {
          for (const [id, s] of scheduler.taskStates) {
            for (const v of [s.readyCount, s.processingCount, s.pendingCount, s.completedCount, s.failedCount, s.orphanedCount]) {
              assert.ok(v >= 0, `negative counter in ${id}: ${s.toString()}`);
            }
            assert.equal(
              s.readyCount + s.processingCount + s.pendingCount + s.completedCount + s.failedCount + s.orphanedCount,
              s.totalBlockCount,
            );
            assert.equal(s.processingCount, [...processing.values()].filter((b) => b.taskId === id).length);
          }
        };

        for (let guard = 0; guard < 100_000; guard++) {
          const ready = scheduler.getReadyTasks();
          const acquire = ready.length > 0 && (processing.size === 0 || next() % 3 !== 0);
          if (acquire) {
            const taskId = ready[next() % ready.length]!.taskId;
            const block = scheduler.acquireBlock(taskId);
            assert.ok(block !== null, 'a ready task handed out no block');
            const k = key(block);
            assert.ok(!processing.has(k), `block ${k} handed out while already out`);
            assert.ok(!succeeded.has(k), `block ${k} handed out after it succeeded`);
            // Every block it depends on (earlier level, upstream task) has succeeded.
            for (const up of graph.upstream(block)) assert.ok(succeeded.has(key(up)), `${k} started before ${key(up)}`);
            // No running block of a conflicting task writes where this one reads, or reads where it writes.
            const task = byId.get(block.taskId)!;
            for (const other of processing.values()) {
              if (other.taskId === block.taskId && task.readWriteConflict) {
                assert.ok(!block.readRoi.intersects(other.writeRoi), `${k} reads what ${key(other)} writes`);
                assert.ok(!other.readRoi.intersects(block.writeRoi), `${key(other)} reads what ${k} writes`);
              }
            }
            processing.set(k, block);
            acquired.set(k, (acquired.get(k) ?? 0) + 1);
          } else if (processing.size > 0) {
            const out = [...processing.values()];
            const block = out[next() % out.length]!;
            processing.delete(key(block));
            const fail = next() % 100 < failPct;
            block.status = fail ? BlockStatus.FAILED : BlockStatus.SUCCESS;
            scheduler.releaseBlock(block);
            if (fail) failedAttempts.set(key(block), (failedAttempts.get(key(block)) ?? 0) + 1);
            else succeeded.add(key(block));
          } else {
            break;
          }
          checkCounters();
        }

        // Everything ran to an end: each block was handed out once per attempt.
        for (const [k, count] of acquired) {
          const failures = failedAttempts.get(k) ?? 0;
          const task = byId.get(k.slice(0, k.indexOf('/')))!;
          const expected = succeeded.has(k) ? failures + 1 : task.maxRetries + 1;
          assert.equal(count, expected, `block ${k} acquired ${count} times with ${failures} failures`);
        }
        for (const [id, s] of scheduler.taskStates) {
          assert.ok(s.isDone(), `task ${id} not done: ${s.toString()}`);
          const successes = [...succeeded].filter((k) => k.startsWith(`${id}/`)).length;
          assert.equal(s.completedCount, successes);
          assert.equal(s.failedCount, scheduler.failedBlockIds(id).length);
        }
      },
    ),
    { numRuns: 150, seed: 20261124 },
  );
});
