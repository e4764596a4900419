import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Block, BlockStatus, Scheduler } from '../../src/index.js';
import { loadVectors, tasksFromJson, type TaskJson } from '../support/vectors.js';

type Event = ['acquire', string, number] | ['release', string, number, 'success' | 'failed'];

interface SchedulerCase {
  name: string;
  tasks: TaskJson[];
  countAllOrphans: boolean;
  parallelism: number;
  permPct: number;
  transientPct: number;
  skipPct: number;
  events: Event[];
  finalStates: Record<string, Record<string, number | boolean>>;
  failedIds: Record<string, number[]>;
  orphanedIds: Record<string, number[]>;
  skippedIds: Record<string, number[]>;
  /** Blocks whose downstream list in daisy is not the inverse of daisy's upstream lists. */
  daisyDownstreamMismatches: number;
}

/**
 * The oracle's deterministic driver (see tests/oracle/generate_vectors.py):
 * keeps up to `parallelism` blocks out, picks ready tasks round-robin in id
 * order, releases the oldest block first, fails blocks by fixed rules.
 */
function drive(c: SchedulerCase) {
  const skipped: Record<string, number[]> = {};
  const orphaned: Record<string, number[]> = {};
  const tasks = tasksFromJson(c.tasks, (taskIndex) =>
    c.skipPct === 0
      ? null
      : (block: Block) => {
          const done = (block.blockId * 31 + taskIndex * 17) % 100 < c.skipPct;
          if (done) (skipped[block.taskId] ??= []).push(block.blockId);
          return done;
        },
  );
  const taskIndex = new Map(c.tasks.map((t, i) => [t.taskId, i]));
  const scheduler = new Scheduler(tasks, {
    countAllOrphans: c.countAllOrphans,
    onPermanentFailure: (_block, orphans) => {
      for (const [taskId, blockId] of orphans) (orphaned[taskId] ??= []).push(blockId);
    },
  });
  const events: Event[] = [];
  const attempts = new Map<string, number>();
  const processing: Block[] = [];
  let acquires = 0;
  for (;;) {
    while (processing.length < c.parallelism) {
      const ready = scheduler
        .getReadyTasks()
        .map((t) => t.taskId)
        .sort();
      if (ready.length === 0) break;
      const taskId = ready[acquires % ready.length]!;
      acquires++;
      const block = scheduler.acquireBlock(taskId);
      if (block === null) continue;
      events.push(['acquire', taskId, block.blockId]);
      const key = `${taskId}/${block.blockId}`;
      attempts.set(key, (attempts.get(key) ?? 0) + 1);
      processing.push(block);
    }
    const block = processing.shift();
    if (block === undefined) break;
    const t = taskIndex.get(block.taskId)!;
    const attempt = attempts.get(`${block.taskId}/${block.blockId}`)! - 1;
    const fail =
      (block.blockId * 13 + t * 7) % 100 < c.permPct ||
      (block.blockId * 7919 + attempt * 104729 + t * 31) % 100 < c.transientPct;
    block.status = fail ? BlockStatus.FAILED : BlockStatus.SUCCESS;
    scheduler.releaseBlock(block);
    events.push(['release', block.taskId, block.blockId, fail ? 'failed' : 'success']);
  }
  const finalStates = Object.fromEntries([...scheduler.taskStates].map(([id, s]) => {
    const { started: _started, ...counts } = s.toJSON();
    return [id, counts];
  }));
  const failedIds = Object.fromEntries(c.tasks.map((t) => [t.taskId, [...scheduler.failedBlockIds(t.taskId)].sort((a, b) => a - b)]));
  const sortAll = (r: Record<string, number[]>) =>
    Object.fromEntries(c.tasks.map((t) => [t.taskId, [...(r[t.taskId] ?? [])].sort((a, b) => a - b)]));
  return { events, finalStates, failedIds, orphanedIds: sortAll(orphaned), skippedIds: sortAll(skipped) };
}

const { cases } = loadVectors<{ cases: SchedulerCase[] }>('scheduler.json');
const normalise = (r: Record<string, number[]>, c: SchedulerCase) =>
  Object.fromEntries(c.tasks.map((t) => [t.taskId, [...(r[t.taskId] ?? [])].sort((a, b) => a - b)]));

describe('scheduler agrees with daisy 1.2.3', () => {
  test('the vectors cover failures, retries, checks and both orphan modes', () => {
    assert.ok(cases.length >= 60);
    assert.ok(cases.some((c) => c.countAllOrphans) && cases.some((c) => !c.countAllOrphans));
    assert.ok(cases.some((c) => Object.values(c.orphanedIds).some((ids) => ids.length > 0)));
    assert.ok(cases.some((c) => Object.values(c.skippedIds).some((ids) => ids.length > 0)));
  });

  for (const c of cases.filter((c) => c.daisyDownstreamMismatches === 0)) {
    test(c.name, () => {
      const run = drive(c);
      assert.deepEqual(run.events, c.events, 'acquire/release sequence');
      assert.deepEqual(run.finalStates, c.finalStates, 'final task states');
      assert.deepEqual(run.failedIds, normalise(c.failedIds, c), 'permanently failed blocks');
      assert.deepEqual(run.orphanedIds, normalise(c.orphanedIds, c), 'orphaned blocks');
      assert.deepEqual(run.skippedIds, normalise(c.skippedIds, c), 'skipped blocks');
    });
  }
});

/**
 * On these pipelines daisy 1.2.3's downstream lookup contradicts its upstream
 * lookup (asymmetric context across tasks), and its runs stall with blocks
 * pending forever or hand a block out twice. daisychain must instead finish
 * every block that is neither failed nor orphaned.
 */
describe('where daisy 1.2.3 contradicts itself, the scheduler still finishes', () => {
  const broken = cases.filter((c) => c.daisyDownstreamMismatches > 0);
  test('the vectors hold such pipelines, and daisy mis-scheduled at least one', () => {
    assert.ok(broken.length > 0);
    assert.ok(broken.some((c) => Object.values(c.finalStates).some((s) => s.isDone === false || (s.pendingCount as number) < 0)));
  });
  for (const c of broken) {
    test(c.name, () => {
      const run = drive(c);
      const handedOut = new Set<string>();
      for (const event of run.events) {
        const key = `${event[1]}/${event[2]}`;
        if (event[0] === 'acquire') {
          assert.ok(!handedOut.has(key), `${key} handed out while held`);
          handedOut.add(key);
        } else handedOut.delete(key);
      }
      for (const [taskId, state] of Object.entries(run.finalStates)) {
        assert.equal(state.isDone, true, `${taskId} is done`);
        assert.equal(state.pendingCount, 0, `${taskId} has nothing pending`);
        assert.equal(
          (state.completedCount as number) + (state.failedCount as number) + (state.orphanedCount as number),
          state.totalBlockCount,
          `${taskId}: every block completed, failed or orphaned`,
        );
      }
    });
  }
});
