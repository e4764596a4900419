/**
 * daisy's MongoDbGraphProvider (funlib.persistence 0.1's, where daisy 1.x
 * moved it) over the `mongodb` driver: same collections, documents, indexes
 * and metadata, so daisy/pymongo tools read what this writes and vice versa.
 *
 * Layout: `nodes` holds `{id, <position>, ...attrs}` (unique index `id`,
 * index `position` on the position field(s)); `edges` holds
 * `{u, v, ...attrs}` (unique index `incident` on (u, v)); `meta` holds one
 * `{directed, total_roi_offset, total_roi_shape}` document. The `_id` of a
 * node or edge is its key rather than an ObjectId (see document-writes.ts);
 * reads never return `_id`, as daisy's do not.
 *
 * Where daisy contradicts itself, this does what daisy means: the position
 * query and index use the configured position attribute (daisy hard-codes
 * `position`), `failIfExists` fails only when a document exists (daisy's test
 * of a cursor is always true), and mode 'r' writes nothing, not even metadata.
 */

import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import type { Roi } from '../../geometry/roi.js';
import type { NodeId } from '../attributes.js';
import { BaseGraphProvider, type DocKind } from '../base-graph-provider.js';
import { reconcileMeta, roiFromStored, type GraphMeta } from '../graph-meta.js';
import { positionAttributeNames, type PositionAttribute } from '../position.js';
import {
  PROVIDER_MODES,
  type EdgeDoc,
  type NodeDoc,
  type ProviderMode,
  type ProviderOptions,
  type ReadEdgesOptions,
  type ReadNodesOptions,
  type WriteOptions,
} from '../provider.js';
import { updateDocuments, writeDocuments } from './document-writes.js';
import { nodesQuery, positionQuery, projection, toBson } from './queries.js';
import { findWhereIn } from './where-in.js';

export interface MongoDbGraphProviderOptions extends ProviderOptions {
  /** A MongoDB connection string (mongod, FerretDB, ...); default mongodb://127.0.0.1:27017. */
  host?: string;
  metaCollection?: string;
  /**
   * How a query for many node ids (the edges of a ROI's nodes) is asked:
   * `$in` lists, which mongod answers from its indexes; one id range whose
   * documents are checked here, which costs one pass on a server that reads
   * the whole collection for every query; or `auto` (default): the range on
   * FerretDB v1, `$in` elsewhere. See where-in.ts.
   */
  manyIdQueries?: ManyIdQueries;
}

export const MANY_ID_QUERIES = ['auto', '$in', 'range'] as const;
export type ManyIdQueries = (typeof MANY_ID_QUERIES)[number];

export class MongoDbGraphProvider extends BaseGraphProvider {
  readonly dbName: string;
  readonly host: string;
  readonly mode: ProviderMode;
  readonly nodesCollection: string;
  readonly edgesCollection: string;
  readonly metaCollection: string;
  readonly endpointNames: readonly [string, string];
  readonly positionAttribute: PositionAttribute;
  #meta: GraphMeta;
  /** 'auto' until #open has asked the server; 'range' on FerretDB v1 (see where-in.ts). */
  #manyIdQueries: ManyIdQueries;
  readonly #client: MongoClient;
  readonly #ready: Promise<void>;

  /**
   * Connects and checks or records the metadata in the background; every
   * method waits for that, and `ready()` (or `open`) surfaces its errors.
   */
  constructor(dbName: string, options: MongoDbGraphProviderOptions = {}) {
    const mode = options.mode ?? 'r+';
    if (!PROVIDER_MODES.includes(mode)) throw new RangeError(`mode must be one of r, r+, w; got ${String(mode)}`);
    if (!dbName) throw new RangeError('MongoDbGraphProvider needs a database name');
    super();
    this.dbName = dbName;
    this.host = options.host ?? 'mongodb://127.0.0.1:27017';
    this.mode = mode;
    this.nodesCollection = options.nodesCollection ?? 'nodes';
    this.edgesCollection = options.edgesCollection ?? 'edges';
    this.metaCollection = options.metaCollection ?? 'meta';
    this.endpointNames = options.endpointNames ?? ['u', 'v'];
    this.positionAttribute = options.positionAttribute ?? 'position';
    this.#meta = { directed: options.directed, totalRoi: options.totalRoi };
    const manyIdQueries = options.manyIdQueries ?? 'auto';
    if (!MANY_ID_QUERIES.includes(manyIdQueries)) {
      throw new RangeError(`manyIdQueries must be one of ${MANY_ID_QUERIES.join(', ')}; got ${String(manyIdQueries)}`);
    }
    this.#manyIdQueries = manyIdQueries;
    this.#client = new MongoClient(this.host);
    this.#ready = this.#open();
    // Errors are reported by ready() and by every method; without this an
    // unawaited failure would crash the process as an unhandled rejection.
    this.#ready.catch(() => {});
  }

  /** Opens a provider and waits until it is connected and its metadata checked. */
  static async open(dbName: string, options: MongoDbGraphProviderOptions = {}): Promise<MongoDbGraphProvider> {
    const provider = new MongoDbGraphProvider(dbName, options);
    try {
      await provider.ready();
    } catch (error) {
      await provider.close();
      throw error;
    }
    return provider;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  get directed(): boolean {
    return this.#meta.directed ?? false;
  }

  get totalRoi(): Roi | undefined {
    return this.#meta.totalRoi;
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  async readNodes(roi: Roi, options: ReadNodesOptions = {}): Promise<NodeDoc[]> {
    const nodes = await this.#nodes();
    const fields = projection(['id', ...positionAttributeNames(this.positionAttribute)], options.readAttrs);
    const query = nodesQuery(roi, this.positionAttribute, options.attrFilter);
    return (await nodes.find(query, { projection: fields }).toArray()) as unknown as NodeDoc[];
  }

  async numNodes(roi: Roi): Promise<number> {
    const nodes = await this.#nodes();
    return nodes.countDocuments(positionQuery(roi, this.positionAttribute));
  }

  async hasEdges(roi: Roi): Promise<boolean> {
    const ids = await this.#nodeIdsIn(roi);
    const edges = await this.#edges();
    const projection = { _id: 0, [this.endpointNames[0]]: 1 };
    const found = await findWhereIn(edges, this.endpointNames[0], ids, { projection, serverScans: this.#serverScans(), firstOnly: true });
    return found.length > 0;
  }

  async readEdges(roi: Roi, options: ReadEdgesOptions = {}): Promise<EdgeDoc[]> {
    const ids = options.nodes ? options.nodes.map((n) => n.id) : await this.#nodeIdsIn(roi);
    const edges = await this.#edges();
    const and = Object.entries(options.attrFilter ?? {}).map(([attr, value]) => ({ [attr]: toBson(value) }));
    const found = await findWhereIn(edges, this.endpointNames[0], ids, {
      and,
      projection: projection(this.endpointNames, options.readAttrs),
      serverScans: this.#serverScans(),
    });
    return found as EdgeDoc[];
  }







  protected async storeDocs(kind: DocKind, docs: NodeDoc[] | EdgeDoc[], options: WriteOptions): Promise<void> {
    const [collection, keys] = kind === 'node' ? [await this.#nodes(), ['id']] : [await this.#edges(), this.endpointNames];
    await writeDocuments(collection, keys, docs, options, this.#serverScans());
  }

  protected async updateDocs(kind: DocKind, docs: NodeDoc[] | EdgeDoc[]): Promise<void> {
    const [collection, keys] = kind === 'node' ? [await this.#nodes(), ['id']] : [await this.#edges(), this.endpointNames];
    await updateDocuments(collection, keys, docs);
  }

  // --- internals ---

  async #open(): Promise<void> {
    await this.#client.connect();
    const db = this.#client.db(this.dbName);
    if (this.#manyIdQueries === 'auto') {
      const build = await db.admin().command({ buildInfo: 1 });
      const ferretDbV1 = typeof build['ferretdbVersion'] === 'string' && /^v?1\./.test(build['ferretdbVersion']);
      this.#manyIdQueries = ferretDbV1 ? 'range' : '$in';
    }
    if (this.mode === 'w') {
      for (const name of [this.nodesCollection, this.edgesCollection, this.metaCollection]) {
        await db.collection(name).drop().catch(ignoreMissingNamespace);
      }
    }
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    const stored = existing.has(this.metaCollection) ? await this.#readMeta(db) : undefined;
    this.#meta = reconcileMeta(stored, this.#meta, `graph database ${this.dbName} on ${this.host}`);
    if (this.mode === 'r') return;
    if (stored === undefined) await this.#writeMeta(db);
    if (!existing.has(this.nodesCollection)) await this.#createNodeIndexes(db);
    if (!existing.has(this.edgesCollection)) await this.#createEdgeIndexes(db);
  }

  async #readMeta(db: Db): Promise<GraphMeta | undefined> {
    const doc = await db.collection(this.metaCollection).findOne({}, { projection: { _id: 0 } });
    if (doc === null) return undefined;
    return {
      directed: typeof doc.directed === 'boolean' ? doc.directed : undefined,
      totalRoi: roiFromStored(doc.total_roi_offset, doc.total_roi_shape),
    };
  }

  async #writeMeta(db: Db): Promise<void> {
    const doc: Document = { directed: this.directed };
    const roi = this.totalRoi;
    if (roi !== undefined) {
      doc.total_roi_offset = roi.offset.toArray();
      doc.total_roi_shape = roi.shape.toArray();
    }
    // Several workers may open a fresh database at once: an upsert of the
    // same document leaves one metadata document, as in daisy.
    await db.collection(this.metaCollection).replaceOne(doc, doc, { upsert: true });
  }

  async #createNodeIndexes(db: Db): Promise<void> {
    const nodes = db.collection(this.nodesCollection);
    const keys: Document = {};
    for (const name of positionAttributeNames(this.positionAttribute)) keys[name] = 1;
    await nodes.createIndex(keys, { name: 'position' });
    await nodes.createIndex({ id: 1 }, { name: 'id', unique: true });
  }

  async #createEdgeIndexes(db: Db): Promise<void> {
    const [u, v] = this.endpointNames;
    await db.collection(this.edgesCollection).createIndex({ [u]: 1, [v]: 1 }, { name: 'incident', unique: true });
  }

  /** Whether the server reads the whole collection for every query; known once #open is done. */
  #serverScans(): boolean {
    return this.#manyIdQueries === 'range';
  }

  async #db(): Promise<Db> {
    await this.#ready;
    return this.#client.db(this.dbName);
  }

  async #nodes(): Promise<Collection> {
    return (await this.#db()).collection(this.nodesCollection);
  }

  async #edges(): Promise<Collection> {
    return (await this.#db()).collection(this.edgesCollection);
  }

  async #nodeIdsIn(roi: Roi): Promise<NodeId[]> {
    const nodes = await this.#nodes();
    const docs = await nodes.find(positionQuery(roi, this.positionAttribute), { projection: { _id: 0, id: 1 } }).toArray();
    return docs.map((d) => d.id as NodeId);
  }
}

function ignoreMissingNamespace(error: unknown): void {
  const e = error as { codeName?: string; code?: number };
  if (e.codeName === 'NamespaceNotFound' || e.code === 26) return;
  throw error;
}
