/**
 * Which parts of an in-memory graph a write touches, shared by all providers:
 * nodes inside the write ROI, edges whose source (`u`) node is inside it
 * (an edge belongs to the block of its source), undirected edges stored with
 * `u <= v` so each is stored once whichever way round it was added.
 */

import type { Roi } from '../geometry/roi.js';
import { pickAttributes, type Attributes, type NodeId } from './attributes.js';
import { Graph } from './graph.js';
import { nodeInRoi, type PositionAttribute } from './position.js';
import { GraphWriteError, type EdgeDoc, type NodeDoc, type ProviderMode, type WriteOptions } from './provider.js';

export interface SelectedEdge {
  u: NodeId;
  v: NodeId;
  attrs: Attributes;
}

export function requireWritable(mode: ProviderMode): void {
  if (mode === 'r') throw new GraphWriteError("cannot write: the graph provider was opened read-only (mode 'r')");
}

export function checkWriteFlags(options: WriteOptions): void {
  if (options.failIfExists && options.failIfNotExists) {
    throw new GraphWriteError('failIfExists and failIfNotExists cannot both be set');
  }
}

/** The graph's nodes inside `roi` (default: the graph's own ROI) with the selected attributes. */
export function selectNodes(
  graph: Graph,
  position: PositionAttribute,
  roi: Roi | undefined,
  attributes: readonly string[] | undefined,
): NodeDoc[] {
  const writeRoi = roi ?? graph.roi;
  const docs: NodeDoc[] = [];
  for (const [id, attrs] of graph.nodes()) {
    if (!nodeInRoi(attrs, position, writeRoi)) continue;
    // id first, as daisy writes it; set again so an attribute named `id` cannot shadow it
    const doc: NodeDoc = { id, ...pickAttributes(attrs, attributes) };
    doc.id = id;
    docs.push(doc);
  }
  return docs;
}

/** The graph's edges whose source node is inside `roi`, undirected ones as `u <= v`. */
export function selectEdges(
  graph: Graph,
  position: PositionAttribute,
  roi: Roi | undefined,
  attributes: readonly string[] | undefined,
): SelectedEdge[] {
  const writeRoi = roi ?? graph.roi;
  const selected: SelectedEdge[] = [];
  for (const [a, b, attrs] of graph.edges()) {
    const [u, v] = graph.directed || a <= b ? [a, b] : [b, a];
    if (!nodeInRoi(graph.node(u)!, position, writeRoi)) continue;
    selected.push({ u, v, attrs: pickAttributes(attrs, attributes) });
  }
  return selected;
}

export function edgeDoc(edge: SelectedEdge, [uName, vName]: readonly [string, string]): EdgeDoc {
  const doc: EdgeDoc = { [uName]: edge.u, [vName]: edge.v, ...edge.attrs };
  doc[uName] = edge.u;
  doc[vName] = edge.v;
  return doc;
}

/** Builds the graph a `getGraph` returns: far ends of edges leaving the ROI appear without attributes. */
export function graphFromDocs(
  directed: boolean,
  roi: Roi,
  nodes: readonly NodeDoc[],
  edges: readonly EdgeDoc[],
  [uName, vName]: readonly [string, string],
): Graph {
  const graph = new Graph({ directed, roi });
  for (const { id, ...attrs } of nodes) graph.addNode(id, attrs);
  for (const doc of edges) {
    const { [uName]: u, [vName]: v, ...attrs } = doc;
    graph.addEdge(u as NodeId, v as NodeId, attrs);
  }
  return graph;
}
