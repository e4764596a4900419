/**
 * funlib.persistence's SQLite graph layout (SQLiteGraphDataBase), so that
 * Python tools open what this writes:
 * - a nodes table `id INTEGER not null PRIMARY KEY` plus one column per
 *   scalar attribute and `<attr>_<d>` columns per element of a vector
 *   attribute (`Vec(float, 3)`), index `pos_index` on the position columns;
 * - an edges table `u INTEGER not null, v INTEGER not null, ...,
 *   PRIMARY KEY (u, v)`;
 * - the metadata beside the database as `<stem>-meta.json`.
 * Attributes have declared types because SQLite rows have fixed columns.
 */

import type { AttrValue } from '../attributes.js';

export type ScalarType = 'int' | 'float' | 'str' | 'bool';
export type AttrType = ScalarType | { vec: ScalarType; size: number };
export type AttrTypes = Record<string, AttrType>;

const SCALARS: readonly ScalarType[] = ['int', 'float', 'str', 'bool'];
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names go into SQL text (funlib's DDL is unquoted), so only plain identifiers are accepted. */
export function checkIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new RangeError(`${what} "${name}" is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)`);
  return name;
}

/** funlib's `type_to_str`: `float`, `Vec(float, 3)`. */
export function typeToString(type: AttrType): string {
  return typeof type === 'string' ? type : `Vec(${type.vec}, ${type.size})`;
}

export function typeFromString(text: string): AttrType {
  const vec = /^Vec\((\w+), (\d+)\)$/.exec(text);
  if (vec) return { vec: scalarType(vec[1]!), size: Number(vec[2]) };
  return scalarType(text);
}

function scalarType(text: string): ScalarType {
  if ((SCALARS as readonly string[]).includes(text)) return text as ScalarType;
  throw new RangeError(`unsupported attribute type "${text}" (use int, float, str, bool or Vec(<type>, <size>))`);
}

export function checkAttrTypes(types: AttrTypes, what: string): AttrTypes {
  for (const [name, type] of Object.entries(types)) {
    checkIdentifier(name, what);
    if (typeof type === 'string') scalarType(type);
    else if (!(Number.isInteger(type.size) && type.size >= 1)) throw new RangeError(`${what} "${name}": Vec size must be a positive integer`);
    else scalarType(type.vec);
  }
  return types;
}

/** The columns of one attribute: itself, or `<attr>_0 ... <attr>_<n-1>` for a vector. */
export function columnsOf(name: string, type: AttrType): string[] {
  return typeof type === 'string' ? [name] : Array.from({ length: type.size }, (_, d) => `${name}_${d}`);
}

/** One attribute value as column values (null for absent). */
export function toColumns(name: string, type: AttrType, value: AttrValue | undefined): (number | string | null)[] {
  if (typeof type === 'string') return [toCell(name, type, value)];
  if (value === undefined || value === null) return new Array<null>(type.size).fill(null);
  if (!Array.isArray(value) || value.length !== type.size) {
    throw new TypeError(`attribute "${name}" is declared ${typeToString(type)} but got ${JSON.stringify(value)}`);
  }
  return value.map((v) => toCell(name, type.vec, v));
}

function toCell(name: string, type: ScalarType, value: AttrValue | undefined): number | string | null {
  if (value === undefined || value === null) return null;
  const ok =
    (type === 'str' && typeof value === 'string') ||
    (type === 'bool' && typeof value === 'boolean') ||
    (type === 'int' && Number.isInteger(value)) ||
    (type === 'float' && typeof value === 'number');
  if (!ok) throw new TypeError(`attribute "${name}" is declared ${type} but got ${JSON.stringify(value)}`);
  return typeof value === 'boolean' ? Number(value) : (value as number | string);
}

/** Column values back into an attribute value; undefined when every column is NULL (attribute absent). */
export function fromColumns(type: AttrType, cells: readonly unknown[]): AttrValue | undefined {
  if (cells.every((c) => c === null || c === undefined)) return undefined;
  const scalar = typeof type === 'string' ? type : type.vec;
  const values = cells.map((c) => fromCell(scalar, c));
  return typeof type === 'string' ? values[0]! : values;
}

function fromCell(type: ScalarType, cell: unknown): AttrValue {
  if (cell === null || cell === undefined) return null;
  if (type === 'bool') return Boolean(cell);
  if (typeof cell === 'bigint') return Number(cell);
  return cell as number | string;
}

/** The `<stem>-meta.json` document funlib.persistence reads and writes. */
export interface SqliteMetaJson {
  position_attribute: string | string[];
  directed: boolean;
  total_roi_offset: (number | null)[];
  total_roi_shape: (number | null)[];
  nodes_table_name: string;
  edges_table_name: string;
  endpoint_names: [string, string];
  node_attrs: Record<string, string>;
  edge_attrs: Record<string, string>;
  ndims: number;
}
