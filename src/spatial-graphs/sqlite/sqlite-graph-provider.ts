/**
 * The embedded graph provider: the same contract as MongoDbGraphProvider in a
 * single SQLite file, with funlib.persistence's SQLiteGraphDataBase layout
 * (see schema.ts), through the WebAssembly build of SQLite in
 * node-sqlite3-wasm (no native addon to compile or download).
 *
 * Several worker processes may write one file: every write is one
 * `BEGIN IMMEDIATE` transaction and a busy timeout makes writers wait for each
 * other. node-sqlite3-wasm locks with a `<file>.lock` directory rather than
 * POSIX locks, so do not write the file from Python's sqlite3 while
 * daisychain processes use it (reading it afterwards is fine), and remove a
 * `.lock` directory left by a killed process.
 *
 * Differences from funlib kept on purpose, so that both providers behave
 * alike: writes replace existing rows (funlib ignores them) and undeclared
 * attributes are refused (funlib drops them silently); a position may also be
 * a list of per-axis scalar attributes (funlib reads only a single position
 * attribute).
 */

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { Database } from 'node-sqlite3-wasm';
import type { Roi } from '../../geometry/roi.js';
import type { AttrFilter, AttrValue, NodeId } from '../attributes.js';
import { BaseGraphProvider, type DocKind } from '../base-graph-provider.js';
import { reconcileMeta, roiFromStored, type GraphMeta } from '../graph-meta.js';
import { positionAttributeNames, type PositionAttribute } from '../position.js';
import {
  GraphMetaMismatchError,
  GraphWriteError,
  PROVIDER_MODES,
  type EdgeDoc,
  type NodeDoc,
  type ProviderMode,
  type ProviderOptions,
  type ReadEdgesOptions,
  type ReadNodesOptions,
  type WriteOptions,
} from '../provider.js';
import {
  checkAttrTypes,
  checkIdentifier,
  columnsOf,
  fromColumns,
  toColumns,
  typeFromString,
  typeToString,
  type AttrType,
  type AttrTypes,
  type SqliteMetaJson,
} from './schema.js';

export interface SqliteGraphProviderOptions extends ProviderOptions {
  /** Node attribute types, position included; required in mode 'w', else read from the metadata. */
  nodeAttrs?: AttrTypes;
  edgeAttrs?: AttrTypes;
  /** How long a writer waits for another process's transaction, in ms (default 60 s). */
  busyTimeoutMs?: number;
}

type Cell = number | string | null;
type Row = Record<string, unknown>;

// SQLite's default limit is 32766 bound parameters per statement.
const MAX_PARAMS = 30_000;

// Loaded on first use: the package (a CommonJS module without named ESM
// exports) compiles its WebAssembly when required, which users of the
// package root who never open a SQLite graph should not pay for.
let sqliteModule: typeof import('node-sqlite3-wasm') | undefined;
function openDatabase(file: string, options: { readOnly: boolean; fileMustExist: boolean }): Database {
  sqliteModule ??= createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');
  return new sqliteModule.Database(file, options);
}

export class SqliteGraphProvider extends BaseGraphProvider {
  readonly file: string;
  readonly metaFile: string;
  readonly mode: ProviderMode;
  readonly nodesTable: string;
  readonly edgesTable: string;
  readonly endpointNames: readonly [string, string];
  readonly positionAttribute: PositionAttribute;
  readonly nodeAttrs: AttrTypes;
  readonly edgeAttrs: AttrTypes;
  readonly #meta: GraphMeta;
  readonly #db: Database;

  constructor(file: string, options: SqliteGraphProviderOptions = {}) {
    super();
    const mode = options.mode ?? 'r+';
    if (!PROVIDER_MODES.includes(mode)) throw new RangeError(`mode must be one of r, r+, w; got ${String(mode)}`);
    this.file = file;
    this.metaFile = join(dirname(file), `${basename(file, extname(file))}-meta.json`);
    this.mode = mode;
    const stored = mode === 'w' ? undefined : readMetaJson(this.metaFile);
    if (mode !== 'w' && stored === undefined) {
      throw new GraphMetaMismatchError(`${file}: no metadata ${this.metaFile}; create the graph with mode 'w' first`);
    }
    const where = `graph database ${file}`;
    this.nodesTable = checkIdentifier(agree(where, 'nodesCollection', options.nodesCollection, stored?.nodes_table_name, 'nodes'), 'table');
    this.edgesTable = checkIdentifier(agree(where, 'edgesCollection', options.edgesCollection, stored?.edges_table_name, 'edges'), 'table');
    this.endpointNames = agree(where, 'endpointNames', options.endpointNames, stored?.endpoint_names, ['u', 'v']);
    this.endpointNames.forEach((n) => checkIdentifier(n, 'endpoint name'));
    this.positionAttribute = agree(where, 'positionAttribute', options.positionAttribute, stored?.position_attribute, 'position');
    this.nodeAttrs = checkAttrTypes(
      agree(where, 'nodeAttrs', options.nodeAttrs, stored && parseTypes(stored.node_attrs), undefined) ?? {},
      'node attribute',
    );
    this.edgeAttrs = checkAttrTypes(
      agree(where, 'edgeAttrs', options.edgeAttrs, stored && parseTypes(stored.edge_attrs), undefined) ?? {},
      'edge attribute',
    );
    for (const name of positionAttributeNames(this.positionAttribute)) {
      if (!(name in this.nodeAttrs)) throw new RangeError(`${where}: nodeAttrs must declare the position attribute "${name}"`);
    }
    const storedMeta = stored && {
      directed: stored.directed,
      totalRoi: roiFromStored(stored.total_roi_offset, stored.total_roi_shape),
    };
    this.#meta = reconcileMeta(storedMeta, { directed: options.directed, totalRoi: options.totalRoi }, where);

    if (mode === 'w') {
      rmSync(file, { force: true });
      rmSync(`${file}-journal`, { force: true });
    }
    this.#db = openDatabase(file, { readOnly: mode === 'r', fileMustExist: mode !== 'w' });
    try {
      this.#db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 60_000))}`);
      if (mode === 'w') {
        this.#createTables();
        writeFileSync(this.metaFile, JSON.stringify(this.#metaJson()));
      }
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  get directed(): boolean {
    return this.#meta.directed ?? false;
  }

  get totalRoi(): Roi | undefined {
    return this.#meta.totalRoi;
  }

  async close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
  }

  async readNodes(roi: Roi, options: ReadNodesOptions = {}): Promise<NodeDoc[]> {
    const attrs = this.#nodeAttrsToRead(options.readAttrs);
    const where = this.#roiWhere(roi, 'n');
    const filter = attrFilterWhere(options.attrFilter, this.nodeAttrs, 'n', 'node');
    const columns = ['n.id', ...attrs.flatMap((a) => columnsOf(a, this.nodeAttrs[a]!).map((c) => `n.${c}`))];
    const sql = `SELECT ${columns.join(', ')} FROM ${this.nodesTable} AS n WHERE ${[where.sql, ...filter.sql].join(' AND ')}`;
    return this.#db.all(sql, [...where.params, ...filter.params]).map((row) => this.#nodeFromRow(row as Row, attrs));
  }

  async numNodes(roi: Roi): Promise<number> {
    const where = this.#roiWhere(roi, 'n');
    const row = this.#db.get(`SELECT count(*) AS c FROM ${this.nodesTable} AS n WHERE ${where.sql}`, where.params);
    return Number(row!.c);
  }

  async hasEdges(roi: Roi): Promise<boolean> {
    const where = this.#roiWhere(roi, 'n');
    const sql = `SELECT 1 AS x FROM ${this.edgesTable} AS e JOIN ${this.nodesTable} AS n ON e.${this.endpointNames[0]} = n.id WHERE ${where.sql} LIMIT 1`;
    return this.#db.get(sql, where.params) !== null;
  }

  async readEdges(roi: Roi, options: ReadEdgesOptions = {}): Promise<EdgeDoc[]> {
    const [u, v] = this.endpointNames;
    const attrs = this.#edgeAttrsToRead(options.readAttrs);
    const columns = [`e.${u}`, `e.${v}`, ...attrs.flatMap((a) => columnsOf(a, this.edgeAttrs[a]!).map((c) => `e.${c}`))];
    const filter = attrFilterWhere(options.attrFilter, this.edgeAttrs, 'e', 'edge');
    const rows: Row[] = [];
    if (options.nodes === undefined) {
      // The join on the nodes in the ROI avoids sending their ids back in.
      const where = this.#roiWhere(roi, 'n');
      const sql =
        `SELECT ${columns.join(', ')} FROM ${this.edgesTable} AS e JOIN ${this.nodesTable} AS n ON e.${u} = n.id ` +
        `WHERE ${[where.sql, ...filter.sql].join(' AND ')}`;
      rows.push(...(this.#db.all(sql, [...where.params, ...filter.params]) as Row[]));
    } else {
      const ids = options.nodes.map((n) => n.id);
      const chunk = MAX_PARAMS - filter.params.length;
      for (let i = 0; i < ids.length; i += chunk) {
        const part = ids.slice(i, i + chunk);
        const sql =
          `SELECT ${columns.join(', ')} FROM ${this.edgesTable} AS e ` +
          `WHERE ${[`e.${u} IN (${part.map(() => '?').join(',')})`, ...filter.sql].join(' AND ')}`;
        rows.push(...(this.#db.all(sql, [...part, ...filter.params]) as Row[]));
      }
    }
    return rows.map((row) => this.#edgeFromRow(row, attrs));
  }







  protected async storeDocs(kind: DocKind, docs: NodeDoc[] | EdgeDoc[], options: WriteOptions): Promise<void> {
    if (kind === 'node') this.#write(this.nodesTable, ['id'], this.nodeAttrs, docs, options, kind);
    else this.#write(this.edgesTable, this.endpointNames, this.edgeAttrs, docs, options, kind);
  }

  protected async updateDocs(kind: DocKind, docs: NodeDoc[] | EdgeDoc[]): Promise<void> {
    if (kind === 'node') this.#update(this.nodesTable, ['id'], this.nodeAttrs, docs, kind);
    else this.#update(this.edgesTable, this.endpointNames, this.edgeAttrs, docs, kind);
  }

  // --- internals ---

  #createTables(): void {
    const nodeColumns = ['id INTEGER not null PRIMARY KEY', ...columnList(this.nodeAttrs)];
    const positionColumns = positionAttributeNames(this.positionAttribute).flatMap((a) => columnsOf(a, this.nodeAttrs[a]!));
    const [u, v] = this.endpointNames;
    const edgeColumns = [`${u} INTEGER not null`, `${v} INTEGER not null`, ...columnList(this.edgeAttrs)];
    this.#db.exec(
      `DROP TABLE IF EXISTS ${this.nodesTable}; DROP TABLE IF EXISTS ${this.edgesTable};` +
        `CREATE TABLE IF NOT EXISTS ${this.nodesTable}(${nodeColumns.join(', ')});` +
        `CREATE INDEX IF NOT EXISTS pos_index ON ${this.nodesTable}(${positionColumns.join(',')});` +
        `CREATE TABLE IF NOT EXISTS ${this.edgesTable}(${edgeColumns.join(', ')}, PRIMARY KEY (${u}, ${v}));`,
    );
  }

  #metaJson(): SqliteMetaJson {
    const position = this.positionAttribute;
    const ndims =
      typeof position === 'string' ? columnsOf(position, this.nodeAttrs[position]!).length : position.length;
    const roi = this.totalRoi;
    return {
      position_attribute: typeof position === 'string' ? position : [...position],
      directed: this.directed,
      total_roi_offset: roi ? roi.offset.toArray() : new Array<null>(ndims).fill(null),
      total_roi_shape: roi ? roi.shape.toArray() : new Array<null>(ndims).fill(null),
      nodes_table_name: this.nodesTable,
      edges_table_name: this.edgesTable,
      endpoint_names: [...this.endpointNames],
      node_attrs: Object.fromEntries(Object.entries(this.nodeAttrs).map(([k, t]) => [k, typeToString(t)])),
      edge_attrs: Object.fromEntries(Object.entries(this.edgeAttrs).map(([k, t]) => [k, typeToString(t)])),
      ndims,
    };
  }

  /** `begin <= position < end` per axis; an unbounded axis still requires a position, as in MongoDB. */
  #roiWhere(roi: Roi, alias: string): { sql: string; params: Cell[] } {
    const columns = positionAttributeNames(this.positionAttribute).flatMap((a) => columnsOf(a, this.nodeAttrs[a]!));
    if (columns.length !== roi.dims) {
      throw new RangeError(`ROI ${roi.toString()} has ${roi.dims} dimensions but the position has ${columns.length} axes`);
    }
    const clauses: string[] = [];
    const params: Cell[] = [];
    const [begin, end] = [roi.begin, roi.end];
    columns.forEach((column, d) => {
      const [b, e] = [begin.get(d), end.get(d)];
      clauses.push(`${alias}.${column} IS NOT NULL`);
      if (b !== null) clauses.push(`${alias}.${column} >= ?`), params.push(b);
      if (e !== null) clauses.push(`${alias}.${column} < ?`), params.push(e);
    });
    return { sql: clauses.join(' AND '), params };
  }

  #nodeAttrsToRead(readAttrs: readonly string[] | undefined): string[] {
    if (readAttrs === undefined) return Object.keys(this.nodeAttrs);
    const positions = positionAttributeNames(this.positionAttribute);
    const wanted = [...positions, ...readAttrs.filter((a) => !positions.includes(a))];
    return wanted.filter((a) => a in this.nodeAttrs);
  }

  #edgeAttrsToRead(readAttrs: readonly string[] | undefined): string[] {
    if (readAttrs === undefined) return Object.keys(this.edgeAttrs);
    return readAttrs.filter((a) => a in this.edgeAttrs);
  }

  #nodeFromRow(row: Row, attrs: readonly string[]): NodeDoc {
    const node: NodeDoc = { id: Number(row.id) };
    for (const attr of attrs) {
      const type = this.nodeAttrs[attr]!;
      const value = fromColumns(type, columnsOf(attr, type).map((c) => row[c]));
      if (value !== undefined) node[attr] = value;
    }
    return node;
  }

  #edgeFromRow(row: Row, attrs: readonly string[]): EdgeDoc {
    const [u, v] = this.endpointNames;
    const edge: EdgeDoc = { [u]: Number(row[u]), [v]: Number(row[v]) };
    for (const attr of attrs) {
      const type = this.edgeAttrs[attr]!;
      const value = fromColumns(type, columnsOf(attr, type).map((c) => row[c]));
      if (value !== undefined) edge[attr] = value;
    }
    return edge;
  }

  /** Replace-or-insert (or the failIf* variants) of whole rows, in one transaction. */
  #write(
    table: string,
    keys: readonly string[],
    types: AttrTypes,
    docs: readonly Record<string, AttrValue>[],
    options: WriteOptions,
    what: string,
  ): void {
    if (docs.length === 0) return;
    const attrs = Object.keys(types);
    checkDeclared(docs, keys, types, what);
    const columns = [...keys, ...attrs.flatMap((a) => columnsOf(a, types[a]!))];
    const rows = docs.map((doc) => [
      ...keys.map((k) => doc[k] as number),
      ...attrs.flatMap((a) => toColumns(a, types[a]!, doc[a])),
    ]);
    this.#transaction(() => {
      if (options.failIfExists || options.failIfNotExists) {
        const stored = this.#storedKeys(table, keys, docs);
        const bad = docs.filter((d) => stored.has(keys.map((k) => d[k]).join(':')) === Boolean(options.failIfExists));
        if (bad.length > 0) {
          const state = options.failIfExists ? 'already stored (failIfExists)' : 'not stored yet (failIfNotExists)';
          const sample = bad.slice(0, 5).map((d) => JSON.stringify(Object.fromEntries(keys.map((k) => [k, d[k]]))));
          throw new GraphWriteError(`${bad.length} of ${docs.length} ${what}s in ${table} are ${state}, e.g. ${sample.join(', ')}; nothing written`);
        }
      }
      const verb = options.failIfExists ? 'INSERT' : 'INSERT OR REPLACE';
      this.#insertRows(`${verb} INTO ${table} (${columns.join(', ')}) VALUES `, columns.length, rows);
    });
  }

  /** Multi-row INSERTs, as many rows per statement as the parameter limit allows. */
  #insertRows(prefix: string, width: number, rows: readonly Cell[][]): void {
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / width));
    const tuple = `(${new Array<string>(width).fill('?').join(',')})`;
    let full: ReturnType<Database['prepare']> | undefined;
    try {
      for (let i = 0; i < rows.length; i += perStatement) {
        const batch = rows.slice(i, i + perStatement);
        const params = batch.flat();
        if (batch.length === perStatement) {
          full ??= this.#db.prepare(prefix + new Array<string>(perStatement).fill(tuple).join(','));
          full.run(params);
        } else {
          this.#db.run(prefix + new Array<string>(batch.length).fill(tuple).join(','), params);
        }
      }
    } finally {
      full?.finalize();
    }
  }

  #update(
    table: string,
    keys: readonly string[],
    types: AttrTypes,
    docs: readonly Record<string, AttrValue>[],
    what: string,
  ): void {
    checkDeclared(docs, keys, types, what);
    this.#transaction(() => {
      for (const doc of docs) {
        const attrs = Object.keys(doc).filter((k) => !keys.includes(k));
        if (attrs.length === 0) continue;
        const columns = attrs.flatMap((a) => columnsOf(a, types[a]!));
        const values = attrs.flatMap((a) => toColumns(a, types[a]!, doc[a]));
        this.#db.run(
          `UPDATE ${table} SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE ${keys.map((k) => `${k} = ?`).join(' AND ')}`,
          [...values, ...keys.map((k) => doc[k] as number)],
        );
      }
    });
  }

  #storedKeys(table: string, keys: readonly string[], docs: readonly Record<string, AttrValue>[]): Set<string> {
    const firsts = [...new Set(docs.map((d) => d[keys[0]!] as NodeId))];
    const stored = new Set<string>();
    for (let i = 0; i < firsts.length; i += MAX_PARAMS) {
      const part = firsts.slice(i, i + MAX_PARAMS);
      const rows = this.#db.all(`SELECT ${keys.join(', ')} FROM ${table} WHERE ${keys[0]} IN (${part.map(() => '?').join(',')})`, part);
      for (const row of rows) stored.add(keys.map((k) => Number((row as Row)[k])).join(':'));
    }
    return stored;
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so concurrent writers wait (busy timeout) instead of deadlocking. */
  #transaction(body: () => void): void {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      body();
      this.#db.exec('COMMIT');
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}

function columnList(types: AttrTypes): string[] {
  return Object.entries(types).flatMap(([name, type]) => columnsOf(name, type));
}

function parseTypes(stored: Record<string, string>): AttrTypes {
  return Object.fromEntries(Object.entries(stored).map(([k, t]) => [k, typeFromString(t)]));
}

function readMetaJson(file: string): SqliteMetaJson | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as SqliteMetaJson) : undefined;
}

/** The stored value wins; a caller's differing value is an error, as in funlib. */
function agree<T>(where: string, name: string, given: T | undefined, stored: T | undefined, fallback: T): T {
  if (stored === undefined) return given ?? fallback;
  if (given !== undefined && JSON.stringify(given) !== JSON.stringify(stored)) {
    throw new GraphMetaMismatchError(`${where}: ${name} was given as ${JSON.stringify(given)}, but the stored graph has ${JSON.stringify(stored)}`);
  }
  return stored;
}

function checkDeclared(docs: readonly Record<string, AttrValue>[], keys: readonly string[], types: AttrTypes, what: string): void {
  for (const doc of docs) {
    for (const attr of Object.keys(doc)) {
      if (!keys.includes(attr) && !(attr in types)) {
        throw new GraphWriteError(`${what} attribute "${attr}" is not declared in the SQLite graph's ${what}Attrs (${Object.keys(types).join(', ') || 'none'})`);
      }
    }
  }
}

function attrFilterWhere(
  filter: AttrFilter | undefined,
  types: AttrTypes,
  alias: string,
  what: string,
): { sql: string[]; params: Cell[] } {
  const sql: string[] = [];
  const params: Cell[] = [];
  for (const [attr, value] of Object.entries(filter ?? {})) {
    const type: AttrType | undefined = types[attr];
    if (type === undefined) throw new RangeError(`cannot filter on undeclared ${what} attribute "${attr}"`);
    columnsOf(attr, type).forEach((column, i) => {
      const cell = toColumns(attr, type, value)[i]!;
      if (cell === null) sql.push(`${alias}.${column} IS NULL`);
      else sql.push(`${alias}.${column} = ?`), params.push(cell);
    });
  }
  return { sql, params };
}
