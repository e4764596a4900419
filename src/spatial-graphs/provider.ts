/**
 * The contract shared by every graph provider (MongoDB and the embedded
 * SQLite one): daisy's MongoDbGraphProvider with its sub-graph writes moved
 * onto the provider, taking the graph to write as an argument. All methods are
 * asynchronous because the main implementation talks to a server.
 */

import type { Roi } from '../geometry/roi.js';
import type { AttrFilter, Attributes, NodeId } from './attributes.js';
import type { Graph } from './graph.js';
import type { PositionAttribute } from './position.js';

export type ProviderMode = 'r' | 'r+' | 'w';
export const PROVIDER_MODES: readonly ProviderMode[] = ['r', 'r+', 'w'];

/** A node as stored: its id and its attributes (position included). */
export type NodeDoc = Attributes & { id: NodeId };

/** An edge as stored: its two endpoints (under the provider's endpoint names) and its attributes. */
export type EdgeDoc = Attributes;

export interface ProviderOptions {
  mode?: ProviderMode;
  /** Undefined: taken from the stored metadata, else false. */
  directed?: boolean;
  totalRoi?: Roi;
  nodesCollection?: string;
  edgesCollection?: string;
  /** Names of the source and target fields of an edge; default ['u', 'v']. */
  endpointNames?: readonly [string, string];
  positionAttribute?: PositionAttribute;
}

export interface ReadNodesOptions {
  attrFilter?: AttrFilter;
  /** Only these attributes (id and position are always read). */
  readAttrs?: readonly string[];
}

export interface ReadEdgesOptions {
  /** Edges whose source is one of these nodes; default: the nodes in the ROI. */
  nodes?: readonly NodeDoc[];
  attrFilter?: AttrFilter;
  /** Only these attributes (the endpoints are always read). */
  readAttrs?: readonly string[];
}

export interface GetGraphOptions {
  nodesFilter?: AttrFilter;
  edgesFilter?: AttrFilter;
  nodeAttrs?: readonly string[];
  edgeAttrs?: readonly string[];
}

export interface WriteOptions {
  /** Only nodes (edges: source nodes) inside this ROI; default the graph's ROI, else everything. */
  roi?: Roi;
  /** Only these attributes; default all. */
  attributes?: readonly string[];
  /** Fail, writing nothing, when any node/edge is already stored. */
  failIfExists?: boolean;
  /** Fail, writing nothing, when any node/edge is not stored yet. */
  failIfNotExists?: boolean;
}

export interface WriteGraphOptions {
  roi?: Roi;
  nodeAttrs?: readonly string[];
  edgeAttrs?: readonly string[];
  failIfExists?: boolean;
  failIfNotExists?: boolean;
}

export interface UpdateOptions {
  roi?: Roi;
  attributes?: readonly string[];
}

export interface GraphProvider {
  readonly mode: ProviderMode;
  readonly directed: boolean;
  readonly totalRoi: Roi | undefined;
  readonly endpointNames: readonly [string, string];
  readonly positionAttribute: PositionAttribute;

  readNodes(roi: Roi, options?: ReadNodesOptions): Promise<NodeDoc[]>;
  readEdges(roi: Roi, options?: ReadEdgesOptions): Promise<EdgeDoc[]>;
  getGraph(roi: Roi, options?: GetGraphOptions): Promise<Graph>;
  hasEdges(roi: Roi): Promise<boolean>;
  numNodes(roi: Roi): Promise<number>;
  writeNodes(graph: Graph, options?: WriteOptions): Promise<void>;
  writeEdges(graph: Graph, options?: WriteOptions): Promise<void>;
  writeGraph(graph: Graph, options?: WriteGraphOptions): Promise<void>;
  updateNodeAttrs(graph: Graph, options?: UpdateOptions): Promise<void>;
  updateEdgeAttrs(graph: Graph, options?: UpdateOptions): Promise<void>;
  close(): Promise<void>;
}

/** A write refused by the provider's mode or by failIfExists / failIfNotExists. */
export class GraphWriteError extends Error {
  override name = 'GraphWriteError';
}

/** The stored metadata (directedness, total ROI) disagrees with what the caller asked for. */
export class GraphMetaMismatchError extends Error {
  override name = 'GraphMetaMismatchError';
}
