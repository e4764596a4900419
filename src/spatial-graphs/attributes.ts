/**
 * The values a graph stores on nodes and edges: what survives a round trip
 * through BSON (MongoDB) and through funlib.persistence's SQLite columns.
 */

export type AttrValue = number | string | boolean | null | AttrValue[] | { [key: string]: AttrValue };

export type Attributes = Record<string, AttrValue>;

/** Node ids are daisy's uint64 ids, limited to what a JS number holds exactly. */
export type NodeId = number;

export function checkNodeId(id: unknown, what = 'node id'): NodeId {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new TypeError(`${what} must be a non-negative safe integer, got ${String(id)}`);
  }
  return id;
}

/** `attrs` restricted to `keys` (all of it when `keys` is undefined). */
export function pickAttributes(attrs: Attributes, keys: readonly string[] | undefined): Attributes {
  if (keys === undefined) return { ...attrs };
  const picked: Attributes = {};
  for (const key of keys) if (key in attrs) picked[key] = attrs[key]!;
  return picked;
}

/** A simple equality filter, as daisy's `attr_filter`: every listed attribute must equal the value. */
export type AttrFilter = Record<string, AttrValue>;
