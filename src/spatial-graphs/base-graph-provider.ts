/**
 * What every graph provider does the same way, whatever stores the graph:
 * choosing the nodes and edges a write touches (write-selection.ts), the mode
 * and flag checks, and building a sub-graph from what the ROI reads return.
 * A backend supplies the reads and how to store or update documents.
 */

import type { Roi } from '../geometry/roi.js';
import type { Graph } from './graph.js';
import type { PositionAttribute } from './position.js';
import type {
  EdgeDoc,
  GetGraphOptions,
  GraphProvider,
  NodeDoc,
  ProviderMode,
  ReadEdgesOptions,
  ReadNodesOptions,
  UpdateOptions,
  WriteGraphOptions,
  WriteOptions,
} from './provider.js';
import { checkWriteFlags, edgeDoc, graphFromDocs, requireWritable, selectEdges, selectNodes } from './write-selection.js';

export type DocKind = 'node' | 'edge';

export abstract class BaseGraphProvider implements GraphProvider {
  abstract readonly mode: ProviderMode;
  abstract readonly directed: boolean;
  abstract readonly totalRoi: Roi | undefined;
  abstract readonly endpointNames: readonly [string, string];
  abstract readonly positionAttribute: PositionAttribute;

  abstract readNodes(roi: Roi, options?: ReadNodesOptions): Promise<NodeDoc[]>;
  abstract readEdges(roi: Roi, options?: ReadEdgesOptions): Promise<EdgeDoc[]>;
  abstract hasEdges(roi: Roi): Promise<boolean>;
  abstract numNodes(roi: Roi): Promise<number>;
  abstract close(): Promise<void>;

  /** Stores whole documents (replace-or-insert, or as the failIf* flags say). */
  protected abstract storeDocs(kind: DocKind, docs: NodeDoc[] | EdgeDoc[], options: WriteOptions): Promise<void>;
  /** Sets the attributes present in each document on the stored one with the same key. */
  protected abstract updateDocs(kind: DocKind, docs: NodeDoc[] | EdgeDoc[]): Promise<void>;

  async getGraph(roi: Roi, options: GetGraphOptions = {}): Promise<Graph> {
    const nodes = await this.readNodes(roi, { attrFilter: options.nodesFilter, readAttrs: options.nodeAttrs });
    const edges = await this.readEdges(roi, { nodes, attrFilter: options.edgesFilter, readAttrs: options.edgeAttrs });
    return graphFromDocs(this.directed, roi, nodes, edges, this.endpointNames);
  }

  async writeNodes(graph: Graph, options: WriteOptions = {}): Promise<void> {
    requireWritable(this.mode);
    checkWriteFlags(options);
    await this.storeDocs('node', this.#nodeDocs(graph, options), options);
  }

  async writeEdges(graph: Graph, options: WriteOptions = {}): Promise<void> {
    requireWritable(this.mode);
    checkWriteFlags(options);
    await this.storeDocs('edge', this.#edgeDocs(graph, options), options);
  }

  async writeGraph(graph: Graph, options: WriteGraphOptions = {}): Promise<void> {
    const { nodeAttrs, edgeAttrs, ...flags } = options;
    await this.writeNodes(graph, { ...flags, attributes: nodeAttrs });
    await this.writeEdges(graph, { ...flags, attributes: edgeAttrs });
  }

  async updateNodeAttrs(graph: Graph, options: UpdateOptions = {}): Promise<void> {
    requireWritable(this.mode);
    await this.updateDocs('node', this.#nodeDocs(graph, options));
  }

  async updateEdgeAttrs(graph: Graph, options: UpdateOptions = {}): Promise<void> {
    requireWritable(this.mode);
    await this.updateDocs('edge', this.#edgeDocs(graph, options));
  }

  #nodeDocs(graph: Graph, options: UpdateOptions): NodeDoc[] {
    return selectNodes(graph, this.positionAttribute, options.roi, options.attributes);
  }

  #edgeDocs(graph: Graph, options: UpdateOptions): EdgeDoc[] {
    const edges = selectEdges(graph, this.positionAttribute, options.roi, options.attributes);
    return edges.map((e) => edgeDoc(e, this.endpointNames));
  }
}
