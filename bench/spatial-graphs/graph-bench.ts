/**
 * Graph provider throughput: nodes/s and edges/s written block by block and
 * read back by ROI, for MongoDbGraphProvider (on DAISYCHAIN_MONGO_URL) and
 * the embedded SqliteGraphProvider, in one run. Prints one JSON line per
 * backend and operation; bench/spatial-graphs/format_table.py renders them.
 *
 *   node dist/bench/spatial-graphs/graph-bench.js NODES [WRITE_BLOCKS_PER_AXIS] [READ_ROIS_PER_AXIS]
 *
 * Nodes sit on a cubic lattice (NODES rounded down to a cube), each with a
 * 3-D position and two attributes, with an edge to its +x and +y
 * neighbours (about 2 edges per node). One process writes the blocks in
 * turn, each `writeGraph` restricted to its block, as a worker would.
 * BACKENDS=sqlite or BACKENDS=mongodb runs only one of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Graph, type GraphProvider, MongoDbGraphProvider, Roi, SqliteGraphProvider } from '../../src/index.js';

const [nodesArg, writeArg, readArg] = process.argv.slice(2);
const side = Math.floor(Math.cbrt(Number(nodesArg ?? 1_000_000)) + 1e-9);
const writeBlocks = Number(writeArg ?? 8);
const readRois = Number(readArg ?? 2);
const total = new Roi([0, 0, 0], [side, side, side]);

function blockRois(perAxis: number): Roi[] {
  const size = Math.ceil(side / perAxis);
  const rois: Roi[] = [];
  for (let z = 0; z < side; z += size)
    for (let y = 0; y < side; y += size) for (let x = 0; x < side; x += size) rois.push(new Roi([z, y, x], [size, size, size]));
  return rois;
}

const id = (z: number, y: number, x: number): number => (z * side + y) * side + x + 1;

/** The nodes of `roi` plus their +x/+y neighbours (the context an edge needs). */
function blockGraph(roi: Roi): Graph {
  const graph = new Graph();
  const [b, e] = [roi.begin.toArray() as number[], roi.end.toArray() as number[]];
  for (let z = b[0]!; z < Math.min(e[0]!, side); z++) {
    for (let y = b[1]!; y < Math.min(e[1]! + 1, side); y++) {
      for (let x = b[2]!; x < Math.min(e[2]! + 1, side); x++) {
        graph.addNode(id(z, y, x), { position: [z, y, x], score: (z + y + x) % 7, size: x * 0.5 });
      }
    }
  }
  for (let z = b[0]!; z < Math.min(e[0]!, side); z++) {
    for (let y = b[1]!; y < Math.min(e[1]!, side); y++) {
      for (let x = b[2]!; x < Math.min(e[2]!, side); x++) {
        if (x + 1 < side) graph.addEdge(id(z, y, x), id(z, y, x + 1), { aff: 0.5 });
        if (y + 1 < side) graph.addEdge(id(z, y, x), id(z, y + 1, x), { aff: 0.25 });
      }
    }
  }
  return graph;
}

async function bench(backend: string, provider: GraphProvider): Promise<void> {
  let [nodes, edges, seconds] = [0, 0, 0];
  for (const roi of blockRois(writeBlocks)) {
    const graph = blockGraph(roi);
    const start = process.hrtime.bigint();
    await provider.writeGraph(graph, { roi });
    seconds += Number(process.hrtime.bigint() - start) / 1e9;
    for (const [, attrs] of graph.nodes()) if (roi.contains(attrs['position'] as number[])) nodes++;
    for (const [u] of graph.edges()) if (roi.contains(graph.node(u)!['position'] as number[])) edges++;
  }
  report(backend, 'write', nodes, edges, seconds);
  [nodes, edges, seconds] = [0, 0, 0];
  for (const roi of blockRois(readRois)) {
    const start = process.hrtime.bigint();
    const read = await provider.readNodes(roi);
    const readEdges = await provider.readEdges(roi, { nodes: read });
    seconds += Number(process.hrtime.bigint() - start) / 1e9;
    nodes += read.length;
    edges += readEdges.length;
  }
  report(backend, 'read by ROI', nodes, edges, seconds);
}

function report(backend: string, op: string, nodes: number, edges: number, seconds: number): void {
  const line = { backend, op, nodes, edges, seconds, nodes_per_s: nodes / seconds, edges_per_s: edges / seconds };
  console.log(JSON.stringify(line));
}

const meta = { meta: true, nodes: side ** 3, side, write_blocks: blockRois(writeBlocks).length, read_rois: blockRois(readRois).length };
console.log(JSON.stringify(meta));

const backends = (process.env['BACKENDS'] ?? 'sqlite,mongodb').split(',');

const dir = mkdtempSync(join(tmpdir(), 'daisychain-graph-bench-'));
try {
  if (backends.includes('sqlite')) {
    const sqlite = new SqliteGraphProvider(join(dir, 'graph.db'), {
      mode: 'w',
      totalRoi: total,
      nodeAttrs: { position: { vec: 'int', size: 3 }, score: 'int', size: 'float' },
      edgeAttrs: { aff: 'float' },
    });
    await bench('SQLite (embedded)', sqlite);
    await sqlite.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (backends.includes('mongodb')) {
  const url = process.env['DAISYCHAIN_MONGO_URL'];
  if (url === undefined) throw new Error('DAISYCHAIN_MONGO_URL is not set (bench/spatial-graphs/run.sh starts FerretDB)');
  const mongo = await MongoDbGraphProvider.open(`graph_bench_${process.pid}`, { host: url, mode: 'w', totalRoi: total });
  await bench(process.env['MONGO_LABEL'] ?? 'MongoDB wire', mongo);
  await mongo.close();
}
