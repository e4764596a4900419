import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DependencyGraph } from '../../src/index.js';
import { loadVectors, roiFromJson, roiToJson, tasksFromJson, type RoiJson, type TaskJson } from '../support/vectors.js';

type BlockRef = [string, number];

interface GraphCase {
  name: string;
  tasks: TaskJson[];
  numBlocks: Record<string, number>;
  numLevels: Record<string, number>;
  rootTasks: string[];
  roots: Record<string, number[]>;
  blocks: {
    taskId: string;
    blockId: number;
    level: number;
    readRoi: RoiJson;
    writeRoi: RoiJson;
    upstream: BlockRef[];
    downstream: BlockRef[];
  }[];
  subgraph: { taskId: string; roi: RoiJson; readRoi: boolean; blockIds: number[] }[];
  /** Blocks whose downstream list in daisy is not the inverse of daisy's upstream lists. */
  daisyDownstreamMismatches: number;
}

const refKey = (r: BlockRef): string => `${r[0]}\u0000${r[1]}`;

/** The downstream lists implied by daisy's upstream lists: the exact dependency relation. */
function invertUpstream(c: GraphCase): Map<string, BlockRef[]> {
  const inverse = new Map<string, BlockRef[]>(c.blocks.map((b) => [refKey([b.taskId, b.blockId]), []]));
  for (const b of c.blocks) for (const up of b.upstream) inverse.get(refKey(up))?.push([b.taskId, b.blockId]);
  return inverse;
}

const sortedRefs = (refs: readonly BlockRef[]): BlockRef[] => {
  const unique = new Map(refs.map((r) => [`${r[0]}\u0000${r[1]}`, r] as const));
  return [...unique.values()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
};

const { cases } = loadVectors<{ cases: GraphCase[] }>('graph.json');

describe('dependency graph agrees with daisy 1.2.3', () => {
  test('the vectors cover enough single-task and multi-task cases', () => {
    const multi = cases.filter((c) => c.tasks.length > 1).length;
    assert.ok(cases.length - multi >= 150, `${cases.length - multi} single-task cases`);
    assert.ok(multi >= 30, `${multi} multi-task cases`);
    const consistentMulti = cases.filter((c) => c.tasks.length > 1 && c.daisyDownstreamMismatches === 0).length;
    assert.ok(consistentMulti >= 30, `${consistentMulti} multi-task cases on which daisy agrees with itself`);
  });

  for (const c of cases) {
    test(c.name, () => {
      const graph = new DependencyGraph(tasksFromJson(c.tasks));
      for (const spec of c.tasks) {
        const local = graph.graph(spec.taskId);
        assert.equal(local.numBlocks, c.numBlocks[spec.taskId], `numBlocks of ${spec.taskId}`);
        assert.equal(local.numLevels, c.numLevels[spec.taskId], `numLevels of ${spec.taskId}`);
      }
      const roots = graph.roots();
      assert.deepEqual([...roots.keys()], c.rootTasks, 'root tasks');
      for (const [taskId, { numRoots, blocks }] of roots) {
        const ids = [...blocks].map((b) => b.blockId);
        assert.deepEqual(ids, c.roots[taskId], `roots of ${taskId}`);
        assert.equal(numRoots, ids.length, `numRoots of ${taskId}`);
      }

      const actual = [];
      for (const spec of c.tasks) {
        const local = graph.graph(spec.taskId);
        for (const [block] of local.enumerateAllDependencies()) {
          actual.push({
            taskId: block.taskId,
            blockId: block.blockId,
            level: local.level(local.keyOfBlock(block)),
            readRoi: roiToJson(block.readRoi),
            writeRoi: roiToJson(block.writeRoi),
            upstream: sortedRefs(graph.upstream(block).map((b): BlockRef => [b.taskId, b.blockId])),
            downstream: sortedRefs(graph.downstream(block).map((b): BlockRef => [b.taskId, b.blockId])),
          });
        }
      }
      // Where daisy contradicts itself (asymmetric context across tasks, see
      // generate_vectors.py), the exact relation is the inverse of its upstream lists.
      const inverse = invertUpstream(c);
      const expected = c.blocks.map((b) => ({
        ...b,
        upstream: sortedRefs(b.upstream),
        downstream: sortedRefs(
          c.daisyDownstreamMismatches === 0 ? b.downstream : inverse.get(refKey([b.taskId, b.blockId]))!,
        ),
      }));
      assert.deepEqual(actual, expected);
      if (c.daisyDownstreamMismatches > 0) {
        // ...and daisy's own downstream lists are exactly its mirrored subgraph query.
        for (const b of c.blocks) {
          const block = graph.graph(b.taskId).block(graph.graph(b.taskId).keyOfWriteBegin(b.writeRoi.offset as number[])!);
          const mirrored: BlockRef[] = graph.graph(b.taskId).downstream(block).map((d) => [d.taskId, d.blockId]);
          for (const t of graph.tasks) {
            if (!t.upstreamTasks.some((u) => u.taskId === b.taskId)) continue;
            for (const d of graph.graph(t.taskId).getSubgraphBlocks(block.writeRoi, true)) mirrored.push([d.taskId, d.blockId]);
          }
          assert.deepEqual(sortedRefs(mirrored), sortedRefs(b.downstream), `daisy's downstream of ${b.taskId}/${b.blockId}`);
        }
      }

      for (const query of c.subgraph) {
        const blocks = graph.graph(query.taskId).getSubgraphBlocks(roiFromJson(query.roi), query.readRoi);
        assert.deepEqual(
          blocks.map((b) => b.blockId),
          query.blockIds,
          `subgraph of ${query.taskId} for ${JSON.stringify(query.roi)} (readRoi ${query.readRoi})`,
        );
      }
    });
  }
});

test('a task whose block ids would pass 2^53 is refused when it is scheduled, with a message', async () => {
  const { Roi, Scheduler, Task, TaskValidationError } = await import('../../src/index.js');
  const huge = new Task({
    taskId: 'huge',
    // 4 × 10^8 blocks, but the Cantor number of the far corner is about 2 × 10^16.
    totalRoi: new Roi([0, 0], [200_000_000, 2]),
    readRoi: new Roi([0, 0], [1, 1]),
    writeRoi: new Roi([0, 0], [1, 1]),
  });
  assert.throws(() => new Scheduler([huge]), (error: unknown) => {
    assert.ok(error instanceof TaskValidationError);
    assert.match(error.message, /task "huge" has block ids beyond 2\^53/);
    return true;
  });
});
