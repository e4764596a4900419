/**
 * daisy's `Graph` / `DiGraph` (networkx graphs with a deep `copy`), on
 * graphology. Node ids are numbers; nodes and edges carry attribute objects.
 * As in networkx, adding an edge adds its missing endpoints without
 * attributes, and adding an existing node or edge merges the attributes.
 */

import { DirectedGraph, UndirectedGraph } from 'graphology';
import type { AbstractGraph } from 'graphology-types';
import type { Roi } from '../geometry/roi.js';
import { checkNodeId, type Attributes, type NodeId } from './attributes.js';

export interface GraphOptions {
  directed?: boolean;
  /** The region the graph was read from; writes default to it (daisy's sub-graph ROI). */
  roi?: Roi;
}

export type Edge = [u: NodeId, v: NodeId, attrs: Attributes];

export class Graph {
  readonly directed: boolean;
  roi: Roi | undefined;
  /** The graphology graph underneath (keys are the decimal node ids), for its algorithms. */
  readonly store: AbstractGraph<Attributes, Attributes>;

  constructor(options: GraphOptions = {}) {
    this.directed = options.directed ?? false;
    this.roi = options.roi;
    const storeOptions = { multi: false, allowSelfLoops: true };
    this.store = this.directed
      ? new DirectedGraph<Attributes, Attributes>(storeOptions)
      : new UndirectedGraph<Attributes, Attributes>(storeOptions);
  }

  get numberOfNodes(): number {
    return this.store.order;
  }

  get numberOfEdges(): number {
    return this.store.size;
  }

  addNode(id: NodeId, attrs: Attributes = {}): this {
    this.store.mergeNode(String(checkNodeId(id)), attrs);
    return this;
  }

  addEdge(u: NodeId, v: NodeId, attrs: Attributes = {}): this {
    this.store.mergeEdge(String(checkNodeId(u, 'edge endpoint')), String(checkNodeId(v, 'edge endpoint')), attrs);
    return this;
  }

  hasNode(id: NodeId): boolean {
    return this.store.hasNode(String(id));
  }

  hasEdge(u: NodeId, v: NodeId): boolean {
    return this.store.hasEdge(String(u), String(v));
  }

  /** The attributes of a node (live, not a copy), or undefined when absent. */
  node(id: NodeId): Attributes | undefined {
    const key = String(id);
    return this.store.hasNode(key) ? this.store.getNodeAttributes(key) : undefined;
  }

  /** The attributes of an edge (live, not a copy), or undefined when absent. */
  edge(u: NodeId, v: NodeId): Attributes | undefined {
    const key = this.store.edge(String(u), String(v));
    return key === undefined ? undefined : this.store.getEdgeAttributes(key);
  }

  removeNode(id: NodeId): this {
    this.store.dropNode(String(id));
    return this;
  }

  removeEdge(u: NodeId, v: NodeId): this {
    this.store.dropEdge(String(u), String(v));
    return this;
  }

  *nodes(): IterableIterator<[NodeId, Attributes]> {
    for (const { node, attributes } of this.store.nodeEntries()) yield [Number(node), attributes];
  }

  *edges(): IterableIterator<Edge> {
    for (const { source, target, attributes } of this.store.edgeEntries()) {
      yield [Number(source), Number(target), attributes];
    }
  }

  /** A deep copy: attributes (arrays, nested objects) are copied too, as daisy's `copy()`. */
  copy(): Graph {
    const copy = new Graph({ directed: this.directed, roi: this.roi });
    for (const [id, attrs] of this.nodes()) copy.addNode(id, structuredClone(attrs));
    for (const [u, v, attrs] of this.edges()) copy.addEdge(u, v, structuredClone(attrs));
    return copy;
  }
}
