/**
 * The graph providers against real storage: MongoDbGraphProvider on the
 * FerretDB (or mongod) at DAISYCHAIN_MONGO_URL, started by tests/run-all.sh,
 * and the embedded SqliteGraphProvider on temp files. One suite, both
 * backends; expected answers are computed by brute force from the lattice.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MongoClient } from 'mongodb';
import {
  Graph,
  GraphMetaMismatchError,
  GraphWriteError,
  MongoDbGraphProvider,
  type GraphProvider,
  type NodeDoc,
  type PositionAttribute,
  Roi,
} from '../../src/index.js';
import {
  AXES,
  TOTAL_ROI,
  type Backend,
  expectedEdges,
  expectedNodeIds,
  latticeEdges,
  latticeGraph,
  latticeNodes,
  mongoBackend,
  mongoInListsBackend,
  mongoUrl,
  sqliteBackend,
  uniqueName,
} from '../support/lattice-graph.js';

const ROIS: Roi[] = [
  new Roi([10, 10, 10], [10, 10, 10]), // begins on nodes (included), ends on nodes (excluded)
  new Roi([0, 0, 0], [5, 5, 5]), // exactly one node
  new Roi([11, 0, 0], [4, 40, 40]), // between lattice planes: empty
  new Roi([10, null, null], [10, null, null]), // unbounded axes
  new Roi([-100, 15, 30], [200, 1, 6]), // a line of nodes, end 36 past the last node
  TOTAL_ROI,
];

const ids = (docs: readonly NodeDoc[]): number[] => docs.map((d) => d.id).sort((a, b) => a - b);
const edgeKeys = (docs: readonly Record<string, unknown>[], [u, v] = ['u', 'v']): string[] =>
  docs.map((d) => `${String(d[u])}-${String(d[v])}`).sort();

async function withProvider<T>(provider: Promise<GraphProvider>, body: (p: GraphProvider) => Promise<T>): Promise<T> {
  const p = await provider;
  try {
    return await body(p);
  } finally {
    await p.close();
  }
}

/** A fresh database holding the whole lattice graph. */
async function filled(backend: Backend, directed: boolean, positionAttribute: PositionAttribute): Promise<[string, GraphProvider]> {
  const name = uniqueName('lattice');
  const provider = await backend.open(name, { mode: 'w', directed, totalRoi: TOTAL_ROI, positionAttribute });
  await provider.writeGraph(latticeGraph(directed, positionAttribute));
  return [name, provider];
}

function suite(backend: Backend): void {
  describe(`${backend.name} graph provider`, () => {
    for (const [directed, position] of [
      [false, 'position'],
      [true, [...AXES]],
    ] as [boolean, PositionAttribute][]) {
      const kind = `${directed ? 'directed' : 'undirected'}, position ${JSON.stringify(position)}`;

      test(`ROI reads are half-open and return exactly the nodes and edges of the ROI (${kind})`, async () => {
        const [, provider] = await filled(backend, directed, position);
        await withProvider(Promise.resolve(provider), async (p) => {
          assert.equal(p.directed, directed);
          for (const roi of ROIS) {
            const where = roi.toString();
            const nodes = await p.readNodes(roi);
            assert.deepEqual(ids(nodes), expectedNodeIds(roi), `nodes in ${where}`);
            assert.equal(await p.numNodes(roi), expectedNodeIds(roi).length, `numNodes in ${where}`);
            const edges = expectedEdges(directed, roi);
            assert.deepEqual(edgeKeys(await p.readEdges(roi)), edges, `edges in ${where}`);
            assert.equal(await p.hasEdges(roi), edges.length > 0, `hasEdges in ${where}`);

            const graph = await p.getGraph(roi);
            assert.equal(graph.directed, directed);
            assert.ok(graph.roi?.equals(roi));
            assert.deepEqual([...graph.edges()].map(([u, v]) => `${u}-${v}`).sort(), edges);
            // far ends of edges leaving the ROI are present without attributes
            const inside = new Set(expectedNodeIds(roi));
            for (const [id, attrs] of graph.nodes()) {
              assert.equal(Object.keys(attrs).length > 0, inside.has(id), `attributes of node ${id} in ${where}`);
            }
          }
          // stored documents keep their attributes and types
          const origin = (await p.readNodes(new Roi([0, 0, 0], [1, 1, 1])))[0]!;
          const expectedPosition = typeof position === 'string' ? { position: [0, 0, 0] } : { z: 0, y: 0, x: 0 };
          assert.deepEqual(origin, { id: 1, ...expectedPosition, score: 0, label: 'even', flag: true });
        });
      });

      test(`filters and attribute selection (${kind})`, async () => {
        const [, provider] = await filled(backend, directed, position);
        await withProvider(Promise.resolve(provider), async (p) => {
          const roi = new Roi([0, 0, 0], [20, 40, 40]);
          const nodes = latticeNodes().filter((n) => roi.contains(n.position));
          const odd3 = nodes.filter((n) => n.attrs['label'] === 'odd' && n.attrs['score'] === 3).map((n) => n.id);
          const filtered = await p.readNodes(roi, { attrFilter: { label: 'odd', score: 3 } });
          assert.deepEqual(ids(filtered), odd3.sort((a, b) => a - b));
          assert.ok(odd3.length > 0);

          const positionKeys = typeof position === 'string' ? [position] : [...position];
          const selected = await p.readNodes(roi, { readAttrs: ['score'] });
          assert.equal(selected.length, nodes.length);
          for (const node of selected) assert.deepEqual(Object.keys(node).sort(), ['id', ...positionKeys, 'score'].sort());

          const xEdges = expectedEdges(directed, roi).filter((key) => {
            const e = latticeEdges(directed).find((x) => `${x.u}-${x.v}` === key)!;
            return e.attrs['kind'] === 'x';
          });
          const readX = await p.readEdges(roi, { attrFilter: { kind: 'x' }, readAttrs: ['kind'] });
          assert.deepEqual(edgeKeys(readX), xEdges);
          for (const edge of readX) assert.deepEqual(Object.keys(edge).sort(), ['kind', 'u', 'v']);

          const graph = await p.getGraph(roi, {
            nodesFilter: { flag: true },
            edgesFilter: { kind: 'y' },
            nodeAttrs: ['label'],
            edgeAttrs: [],
          });
          const flagged = new Set(nodes.filter((n) => n.attrs['flag'] === true).map((n) => n.id));
          const wantEdges = latticeEdges(directed)
            .filter((e) => flagged.has(e.u) && e.attrs['kind'] === 'y')
            .map((e) => `${e.u}-${e.v}`)
            .sort();
          assert.deepEqual([...graph.edges()].map(([u, v]) => `${u}-${v}`).sort(), wantEdges);
          for (const [, , attrs] of graph.edges()) assert.deepEqual(attrs, {});
          for (const id of flagged) assert.deepEqual(Object.keys(graph.node(id)!).sort(), [...positionKeys, 'label'].sort());
        });
      });
    }

    test('an undirected edge is stored once, smaller id first, in the block of that node', async () => {
      const name = uniqueName('undirected');
      await withProvider(backend.open(name, { mode: 'w', directed: false }), async (p) => {
        const graph = new Graph();
        graph.addNode(7, { position: [15, 0, 0] }).addNode(3, { position: [5, 0, 0] });
        graph.addEdge(7, 3, { aff: 1 });
        // u = 3 lies in [0, 10): the edge belongs there, not to the block of 7
        await p.writeNodes(graph);
        await p.writeEdges(graph, { roi: new Roi([10, 0, 0], [10, 10, 10]) });
        assert.equal((await p.readEdges(TOTAL_ROI)).length, 0);
        await p.writeEdges(graph, { roi: new Roi([0, 0, 0], [10, 10, 10]) });
        assert.deepEqual(await p.readEdges(TOTAL_ROI), [{ u: 3, v: 7, aff: 1 }]);
        assert.equal(await p.hasEdges(new Roi([10, 0, 0], [10, 10, 10])), false);
        assert.equal(await p.hasEdges(new Roi([0, 0, 0], [10, 10, 10])), true);
      });
    });

    test('writes are restricted to the ROI and to the selected attributes', async () => {
      const name = uniqueName('restricted');
      await withProvider(backend.open(name, { mode: 'w', totalRoi: TOTAL_ROI }), async (p) => {
        const graph = latticeGraph(false, 'position');
        const block = new Roi([10, 10, 10], [10, 10, 10]);
        await p.writeNodes(graph, { roi: block, attributes: ['position', 'score'] });
        await p.writeEdges(graph, { roi: block, attributes: ['kind'] });
        const nodes = await p.readNodes(TOTAL_ROI);
        assert.deepEqual(ids(nodes), expectedNodeIds(block));
        for (const node of nodes) assert.deepEqual(Object.keys(node).sort(), ['id', 'position', 'score']);
        const edges = await p.readEdges(TOTAL_ROI);
        assert.deepEqual(edgeKeys(edges), expectedEdges(false, block));
        for (const edge of edges) assert.deepEqual(Object.keys(edge).sort(), ['kind', 'u', 'v']);

        // the graph's own ROI is the default write ROI (daisy's sub-graph ROI)
        const part = latticeGraph(false, 'position');
        part.roi = new Roi([0, 0, 0], [5, 5, 5]);
        await p.writeGraph(part);
        assert.deepEqual(ids(await p.readNodes(new Roi([0, 0, 0], [10, 10, 10]))), expectedNodeIds(new Roi([0, 0, 0], [5, 5, 5])));
      });
    });

    test('failIfExists and failIfNotExists check every key and write nothing on failure', async () => {
      const name = uniqueName('flags');
      await withProvider(backend.open(name, { mode: 'w' }), async (p) => {
        const first = new Graph().addNode(1, { position: [0, 0, 0], score: 1 });
        await p.writeNodes(first, { failIfExists: true });
        const both = new Graph().addNode(1, { position: [0, 0, 0], score: 2 }).addNode(2, { position: [1, 0, 0], score: 2 });
        await assert.rejects(p.writeNodes(both, { failIfExists: true }), (e: Error) => {
          assert.ok(e instanceof GraphWriteError);
          assert.match(e.message, /1 of 2 .* already stored \(failIfExists\).*"id":1/);
          return true;
        });
        await assert.rejects(p.writeNodes(both, { failIfNotExists: true }), /not stored yet \(failIfNotExists\).*"id":2/);
        assert.deepEqual(await p.readNodes(TOTAL_ROI), [{ id: 1, position: [0, 0, 0], score: 1 }]);
        await assert.rejects(p.writeNodes(both, { failIfExists: true, failIfNotExists: true }), GraphWriteError);

        await p.writeNodes(new Graph().addNode(1, { position: [0, 0, 0], score: 5 }), { failIfNotExists: true });
        assert.deepEqual(await p.readNodes(TOTAL_ROI), [{ id: 1, position: [0, 0, 0], score: 5 }]);
        await p.writeNodes(both); // no flag: replace 1, insert 2
        assert.deepEqual(
          (await p.readNodes(TOTAL_ROI)).sort((a, b) => a.id - b.id),
          [
            { id: 1, position: [0, 0, 0], score: 2 },
            { id: 2, position: [1, 0, 0], score: 2 },
          ],
        );

        const edge = new Graph().addNode(1, { position: [0, 0, 0] }).addNode(2, { position: [1, 0, 0] }).addEdge(2, 1, { aff: 0.5 });
        await p.writeEdges(edge, { failIfExists: true });
        await assert.rejects(p.writeEdges(edge, { failIfExists: true }), /already stored.*"u":1,"v":2/);
        await p.writeEdges(edge, { failIfNotExists: true });
      });
    });

    test('updateNodeAttrs and updateEdgeAttrs set the selected attributes inside the ROI only', async () => {
      const [, provider] = await filled(backend, false, 'position');
      await withProvider(Promise.resolve(provider), async (p) => {
        const block = new Roi([0, 0, 0], [10, 40, 40]);
        const graph = await p.getGraph(TOTAL_ROI);
        for (const [, attrs] of graph.nodes()) {
          attrs['score'] = 4;
          attrs['label'] = 'changed';
        }
        for (const [, , attrs] of graph.edges()) {
          attrs['aff'] = 1.5;
          attrs['kind'] = 'changed';
        }
        await p.updateNodeAttrs(graph, { roi: block, attributes: ['score'] });
        await p.updateEdgeAttrs(graph, { roi: block, attributes: ['aff'] });
        const inBlock = new Set(expectedNodeIds(block));
        for (const node of await p.readNodes(TOTAL_ROI)) {
          const original = latticeNodes().find((n) => n.id === node.id)!;
          assert.equal(node['score'], inBlock.has(node.id) ? 4 : original.attrs['score'], `score of ${node.id}`);
          assert.equal(node['label'], original.attrs['label']);
        }
        for (const edge of await p.readEdges(TOTAL_ROI)) {
          const original = latticeEdges(false).find((e) => e.u === edge['u'] && e.v === edge['v'])!;
          assert.equal(edge['aff'], inBlock.has(original.u) ? 1.5 : original.attrs['aff']);
          assert.equal(edge['kind'], original.attrs['kind']);
        }
      });
    });

    test("mode 'w' drops the graph, 'r+' keeps and extends it, 'r' reads and refuses writes", async () => {
      const name = uniqueName('modes');
      const one = new Graph().addNode(1, { position: [0, 0, 0] });
      const two = new Graph().addNode(2, { position: [1, 0, 0] });
      await withProvider(backend.open(name, { mode: 'w' }), (p) => p.writeNodes(one));
      await withProvider(backend.open(name, { mode: 'r+' }), async (p) => {
        await p.writeNodes(two);
        assert.deepEqual(ids(await p.readNodes(TOTAL_ROI)), [1, 2]);
      });
      await withProvider(backend.open(name, { mode: 'r' }), async (p) => {
        assert.deepEqual(ids(await p.readNodes(TOTAL_ROI)), [1, 2]);
        await assert.rejects(p.writeNodes(one), /read-only \(mode 'r'\)/);
        await assert.rejects(p.writeEdges(one), GraphWriteError);
        await assert.rejects(p.updateNodeAttrs(one), GraphWriteError);
      });
      await withProvider(backend.open(name, { mode: 'w' }), async (p) => {
        assert.deepEqual(await p.readNodes(TOTAL_ROI), []);
      });
    });

    test('the stored metadata decides directedness and total ROI and refuses a mismatch', async () => {
      const name = uniqueName('meta');
      await withProvider(backend.open(name, { mode: 'w', directed: true, totalRoi: TOTAL_ROI }), async () => {});
      await withProvider(backend.open(name, { mode: 'r+' }), async (p) => {
        assert.equal(p.directed, true);
        assert.ok(p.totalRoi?.equals(TOTAL_ROI));
      });
      await assert.rejects(backend.open(name, { mode: 'r+', directed: false }), (e: Error) => {
        assert.ok(e instanceof GraphMetaMismatchError, String(e));
        assert.match(e.message, /directed=false.*stored graph has directed=true/);
        return true;
      });
      await assert.rejects(
        backend.open(name, { mode: 'r', totalRoi: new Roi([0, 0, 0], [10, 10, 10]) }),
        /total ROI \[0:10, 0:10, 0:10\].*stored graph has total ROI \[0:40, 0:40, 0:40\]/,
      );
      await withProvider(backend.open(name, { mode: 'r+', directed: true, totalRoi: TOTAL_ROI }), async (p) => {
        assert.equal(p.directed, true);
      });
    });
  });
}

suite(mongoBackend);
suite(mongoInListsBackend);
suite(sqliteBackend());

test('MongoDB: daisy indexes and the meta document are created', async () => {
  const name = uniqueName('indexes');
  await withProvider(mongoBackend.open(name, { mode: 'w', positionAttribute: [...AXES], totalRoi: TOTAL_ROI }), async () => {});
  const client = new MongoClient(mongoUrl());
  try {
    const db = client.db(name);
    const nodeIndexes = await db.collection('nodes').listIndexes().toArray();
    const byName = new Map(nodeIndexes.map((i) => [i.name as string, i]));
    assert.deepEqual(byName.get('position')?.key, { z: 1, y: 1, x: 1 });
    assert.deepEqual(byName.get('id')?.key, { id: 1 });
    assert.equal(byName.get('id')?.unique, true);
    const edgeIndexes = await db.collection('edges').listIndexes().toArray();
    const incident = edgeIndexes.find((i) => i.name === 'incident');
    assert.deepEqual(incident?.key, { u: 1, v: 1 });
    assert.equal(incident?.unique, true);
    assert.deepEqual(await db.collection('meta').find({}, { projection: { _id: 0 } }).toArray(), [
      { directed: false, total_roi_offset: [0, 0, 0], total_roi_shape: [40, 40, 40] },
    ]);
  } finally {
    await client.close();
  }
});

test('MongoDB: a database opened read-only that does not exist is left uncreated', async () => {
  const name = uniqueName('absent');
  await withProvider(mongoBackend.open(name, { mode: 'r' }), async (p) => {
    assert.deepEqual(await p.readNodes(TOTAL_ROI), []);
  });
  const client = new MongoClient(mongoUrl());
  try {
    assert.deepEqual(await client.db(name).listCollections().toArray(), []);
  } finally {
    await client.close();
  }
});

test('MongoDB: wrong options are refused before connecting', () => {
  assert.throws(() => new MongoDbGraphProvider('db', { mode: 'x' as 'r' }), /mode must be one of r, r\+, w; got x/);
  assert.throws(() => new MongoDbGraphProvider(''), /needs a database name/);
  assert.throws(
    () => new MongoDbGraphProvider('db', { manyIdQueries: 'scan' as 'auto' }),
    /manyIdQueries must be one of auto, \$in, range; got scan/,
  );
});
