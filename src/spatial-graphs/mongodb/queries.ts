/**
 * MongoDB query documents for daisy's ROI semantics: a node is in a ROI when
 * `begin <= position < end` on every axis. Unbounded axes compare against
 * ±Infinity rather than dropping the condition, so that (as in daisy) nodes
 * without a position never match.
 */

import { Long, type Document } from 'mongodb';
import type { Roi } from '../../geometry/roi.js';
import type { AttrFilter, AttrValue } from '../attributes.js';
import type { PositionAttribute } from '../position.js';

export function positionQuery(roi: Roi, position: PositionAttribute): Document {
  const fields =
    typeof position === 'string'
      ? Array.from({ length: roi.dims }, (_, d) => `${position}.${d}`)
      : [...position];
  if (fields.length !== roi.dims) {
    throw new RangeError(`ROI ${roi.toString()} has ${roi.dims} dimensions but the position has ${fields.length} axes`);
  }
  const query: Document = {};
  const [begin, end] = [roi.begin, roi.end];
  fields.forEach((field, d) => {
    query[field] = { $gte: begin.get(d) ?? -Infinity, $lt: end.get(d) ?? Infinity };
  });
  return query;
}

/** `position AND attr1 == value1 AND ...`, as daisy's `$and` list. */
export function nodesQuery(roi: Roi, position: PositionAttribute, filter: AttrFilter | undefined): Document {
  const clauses: Document[] = [positionQuery(roi, position)];
  for (const [attr, value] of Object.entries(filter ?? {})) clauses.push({ [attr]: toBson(value) });
  return clauses.length === 1 ? clauses[0]! : { $and: clauses };
}

/** Projection of the listed fields (plus `always`), or everything but `_id`. */
export function projection(always: readonly string[], attrs: readonly string[] | undefined): Document {
  const fields: Document = { _id: 0 };
  if (attrs === undefined) return fields;
  for (const name of [...always, ...attrs]) fields[name] = 1;
  return fields;
}

/**
 * BSON for an attribute value as pymongo would write it: the Node driver
 * writes integers beyond int32 as doubles, pymongo as int64, so large
 * integers (ids above all) are wrapped in Long to give Python the same ints.
 */
export function toBson(value: AttrValue): unknown {
  if (typeof value === 'number') {
    return Number.isInteger(value) && (value > 0x7fffffff || value < -0x80000000) ? Long.fromNumber(value) : value;
  }
  if (Array.isArray(value)) return value.map(toBson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toBson(v);
    return out;
  }
  return value;
}

export function docToBson(doc: Record<string, AttrValue>): Document {
  const out: Document = {};
  for (const [k, v] of Object.entries(doc)) out[k] = toBson(v);
  return out;
}
