/**
 * The test graph of the graph-provider tests: nodes on a 3-D lattice (spacing
 * 5, so block boundaries at multiples of 10 fall exactly on nodes), edges to
 * the +z/+y/+x neighbours, half of the ids above 2^32, and the providers of
 * both backends opened the same way. Expected answers are computed here by
 * brute force, independently of the providers.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Graph,
  MongoDbGraphProvider,
  SqliteGraphProvider,
  type AttrTypes,
  type Attributes,
  type GraphProvider,
  type NodeId,
  type PositionAttribute,
  type ProviderOptions,
  Roi,
} from '../../src/index.js';

export const SPACING = 5;
export const SIDE = 8; // nodes per axis: positions 0, 5, ..., 35
export const TOTAL_ROI = new Roi([0, 0, 0], [40, 40, 40]);
export const AXES = ['z', 'y', 'x'] as const;

export interface LatticeNode {
  id: NodeId;
  position: [number, number, number];
  attrs: Attributes;
}

export interface LatticeEdge {
  /** As stored: for undirected graphs the smaller id first. */
  u: NodeId;
  v: NodeId;
  attrs: Attributes;
}

export function nodeId(i: number, j: number, k: number): NodeId {
  const linear = (i * SIDE + j) * SIDE + k;
  return linear + 1 + (linear % 2) * 2 ** 32;
}

export function latticeNodes(): LatticeNode[] {
  const nodes: LatticeNode[] = [];
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      for (let k = 0; k < SIDE; k++) {
        const linear = (i * SIDE + j) * SIDE + k;
        nodes.push({
          id: nodeId(i, j, k),
          position: [i * SPACING, j * SPACING, k * SPACING],
          attrs: { score: linear % 5, label: linear % 2 ? 'odd' : 'even', flag: linear % 3 === 0 },
        });
      }
    }
  }
  return nodes;
}

/**
 * Edges to the +axis neighbours. Every third edge is added target-first; in a
 * directed graph that makes it a different edge, in an undirected one it
 * must still be stored once, smaller id first.
 */
export function latticeEdges(directed: boolean): LatticeEdge[] {
  const edges: LatticeEdge[] = [];
  let n = 0;
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE; j++) {
      for (let k = 0; k < SIDE; k++) {
        const steps: [number, number, number, string][] = [
          [i + 1, j, k, 'z'],
          [i, j + 1, k, 'y'],
          [i, j, k + 1, 'x'],
        ];
        for (const [a, b, c, kind] of steps) {
          if (a >= SIDE || b >= SIDE || c >= SIDE) continue;
          const [from, to] = n % 3 === 0 ? [nodeId(a, b, c), nodeId(i, j, k)] : [nodeId(i, j, k), nodeId(a, b, c)];
          const [u, v] = directed || from < to ? [from, to] : [to, from];
          edges.push({ u, v, attrs: { aff: ((n * 37) % 100) / 100 + 0.005, kind } });
          n++;
        }
      }
    }
  }
  return edges;
}

export function nodeAttributes(node: LatticeNode, position: PositionAttribute): Attributes {
  if (typeof position === 'string') return { [position]: [...node.position], ...node.attrs };
  const attrs: Attributes = { ...node.attrs };
  position.forEach((axis, d) => (attrs[axis] = node.position[d]!));
  return attrs;
}

/** The lattice graph restricted to nodes in `roi` and edges added as the test graph adds them. */
export function latticeGraph(directed: boolean, position: PositionAttribute, roi?: Roi): Graph {
  const graph = new Graph({ directed });
  for (const node of latticeNodes()) {
    if (roi === undefined || roi.contains(node.position)) graph.addNode(node.id, nodeAttributes(node, position));
  }
  for (const edge of latticeEdges(directed)) {
    if (graph.hasNode(edge.u) && graph.hasNode(edge.v)) graph.addEdge(edge.u, edge.v, { ...edge.attrs });
  }
  return graph;
}

export function expectedNodeIds(roi: Roi): NodeId[] {
  return latticeNodes()
    .filter((n) => roi.contains(n.position))
    .map((n) => n.id)
    .sort((a, b) => a - b);
}

export function expectedEdges(directed: boolean, roi: Roi): string[] {
  const positions = new Map(latticeNodes().map((n) => [n.id, n.position]));
  return latticeEdges(directed)
    .filter((e) => roi.contains(positions.get(e.u)!))
    .map((e) => `${e.u}-${e.v}`)
    .sort();
}

export function sqliteAttrTypes(position: PositionAttribute): { nodeAttrs: AttrTypes; edgeAttrs: AttrTypes } {
  const nodeAttrs: AttrTypes =
    typeof position === 'string'
      ? { [position]: { vec: 'int', size: 3 } }
      : Object.fromEntries(position.map((axis) => [axis, 'int' as const]));
  Object.assign(nodeAttrs, { score: 'int', label: 'str', flag: 'bool' });
  return { nodeAttrs, edgeAttrs: { aff: 'float', kind: 'str' } };
}

export interface Backend {
  name: 'mongodb' | 'mongodb, $in lists' | 'sqlite';
  /** Opens the graph database `name` (a MongoDB database, or a file in a temp dir) with these options. */
  open(name: string, options: ProviderOptions & { nodeAttrs?: AttrTypes; edgeAttrs?: AttrTypes }): Promise<GraphProvider>;
  /** Where `name` lives, for a worker process to open it too. */
  location(name: string): string;
}

export function mongoUrl(): string {
  const url = process.env['DAISYCHAIN_MONGO_URL'];
  if (!url) {
    throw new Error('DAISYCHAIN_MONGO_URL is not set: run the tests with `npm test` (it starts FerretDB) or point it at a mongod');
  }
  return url;
}

export const mongoBackend: Backend = {
  name: 'mongodb',
  open: (name, options) => MongoDbGraphProvider.open(name, { ...options, host: mongoUrl() }),
  location: (name) => name,
};

/** The same server, asked for many ids with `$in` lists whatever it is (mongod's way; FerretDB picks ranges by itself). */
export const mongoInListsBackend: Backend = {
  name: 'mongodb, $in lists',
  open: (name, options) => MongoDbGraphProvider.open(name, { ...options, host: mongoUrl(), manyIdQueries: '$in' }),
  location: (name) => name,
};

export function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-graphs-'));
  return {
    name: 'sqlite',
    open: async (name, options) => {
      const types = options.mode === 'w' ? sqliteAttrTypes(options.positionAttribute ?? 'position') : {};
      return new SqliteGraphProvider(join(dir, `${name}.db`), { ...types, ...options });
    },
    location: (name) => join(dir, `${name}.db`),
  };
}

let counter = 0;
/** A database name no other test (or earlier run against the same server) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
}
