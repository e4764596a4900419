/** Graph: daisy's networkx Graph/DiGraph semantics on graphology. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../../src/index.js';

test('undirected graphs store an edge once whichever way round; directed ones keep both directions', () => {
  const undirected = new Graph();
  undirected.addEdge(1, 2, { w: 1 }).addEdge(2, 1, { x: 2 });
  assert.equal(undirected.numberOfEdges, 1);
  assert.deepEqual(undirected.edge(2, 1), { w: 1, x: 2 });
  assert.equal(undirected.hasEdge(2, 1), true);

  const directed = new Graph({ directed: true });
  directed.addEdge(1, 2, { w: 1 }).addEdge(2, 1, { w: 2 });
  assert.equal(directed.numberOfEdges, 2);
  assert.deepEqual(directed.edge(2, 1), { w: 2 });
});

test('adding an edge adds its endpoints without attributes; adding a node again merges attributes', () => {
  const graph = new Graph();
  graph.addEdge(1, 2);
  assert.deepEqual([...graph.nodes()], [
    [1, {}],
    [2, {}],
  ]);
  graph.addNode(1, { position: [1, 2, 3] }).addNode(1, { score: 5 });
  assert.deepEqual(graph.node(1), { position: [1, 2, 3], score: 5 });
  assert.equal(graph.node(3), undefined);
  graph.removeEdge(1, 2).removeNode(2);
  assert.equal(graph.numberOfNodes, 1);
  assert.equal(graph.numberOfEdges, 0);
});

test('copy is deep: nested attributes of the copy are independent', () => {
  const graph = new Graph({ directed: true });
  graph.addNode(1, { position: [1, 2, 3], meta: { tags: ['a'] } }).addNode(2).addEdge(1, 2, { path: [1, 2] });
  const copy = graph.copy();
  assert.equal(copy.directed, true);
  (copy.node(1)!['position'] as number[])[0] = 99;
  ((copy.node(1)!['meta'] as { tags: string[] }).tags).push('b');
  (copy.edge(1, 2)!['path'] as number[]).push(3);
  assert.deepEqual(graph.node(1), { position: [1, 2, 3], meta: { tags: ['a'] } });
  assert.deepEqual(graph.edge(1, 2), { path: [1, 2] });
  assert.deepEqual(copy.node(1), { position: [99, 2, 3], meta: { tags: ['a', 'b'] } });
});

test('node ids must be non-negative safe integers', () => {
  const graph = new Graph();
  assert.throws(() => graph.addNode(-1), /non-negative safe integer, got -1/);
  assert.throws(() => graph.addNode(1.5), /got 1.5/);
  assert.throws(() => graph.addEdge(1, 2 ** 53), /edge endpoint must be/);
});
