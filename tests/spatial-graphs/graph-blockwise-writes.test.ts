/**
 * Block-wise graph writes as daisy pipelines do them: runBlockwise starts
 * several worker processes (tests/fixtures/graph-block-writer.ts) that write
 * the nodes and edges of their blocks into one database at the same time;
 * afterwards ROI reads must return exactly the nodes and edges of each ROI,
 * every node and edge once.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Roi, Task, runBlockwise } from '../../src/index.js';
import {
  TOTAL_ROI,
  type Backend,
  expectedEdges,
  expectedNodeIds,
  mongoBackend,
  mongoUrl,
  sqliteBackend,
  uniqueName,
} from '../support/lattice-graph.js';

const writer = fileURLToPath(new URL('../fixtures/graph-block-writer.js', import.meta.url));

const CHECK_ROIS = [
  TOTAL_ROI,
  new Roi([10, 10, 10], [10, 10, 10]),
  new Roi([5, 0, 15], [20, 40, 10]),
  new Roi([null, 20, null], [null, 5, null]),
];

for (const backend of [mongoBackend, sqliteBackend()] as Backend[]) {
  describe(`${backend.name}: block-wise writes from worker processes`, () => {
    for (const directed of [false, true]) {
      test(`${directed ? 'directed' : 'undirected'}: 4 workers, 64 blocks, then exact ROI reads`, async () => {
        const name = uniqueName('blockwise');
        const created = await backend.open(name, { mode: 'w', directed, totalRoi: TOTAL_ROI });
        await created.close();
        const env = [
          `GRAPH_BACKEND=${backend.name}`,
          `GRAPH_DB=${backend.location(name)}`,
          `GRAPH_DIRECTED=${directed ? 1 : 0}`,
          ...(backend.name === 'mongodb' ? [`DAISYCHAIN_MONGO_URL=${mongoUrl()}`] : []),
        ];
        const task = new Task({
          taskId: 'write_graph',
          totalRoi: TOTAL_ROI.grow(5, 5),
          readRoi: new Roi([-5, -5, -5], [20, 20, 20]),
          writeRoi: new Roi([0, 0, 0], [10, 10, 10]),
          readWriteConflict: false,
          numWorkers: 4,
          workerCommand: ['env', ...env, process.execPath, writer],
          maxRetries: 0,
        });
        assert.equal(await runBlockwise([task], { progress: 'none', trackingBasedir: false }), true);

        const provider = await backend.open(name, { mode: 'r' });
        try {
          assert.equal(provider.directed, directed);
          for (const roi of CHECK_ROIS) {
            const nodes = await provider.readNodes(roi);
            assert.deepEqual(nodes.map((n) => n.id).sort((a, b) => a - b), expectedNodeIds(roi), `nodes in ${roi.toString()}`);
            const edges = await provider.readEdges(roi);
            assert.deepEqual(edges.map((e) => `${String(e['u'])}-${String(e['v'])}`).sort(), expectedEdges(directed, roi), `edges in ${roi.toString()}`);
          }
        } finally {
          await provider.close();
        }
      });
    }
  });
}
