/**
 * Finding the documents whose `field` is one of many numbers (the edges of a
 * set of nodes, the stored keys among new ones).
 *
 * mongod answers `{field: {$in: values}}` from its index. FerretDB v1 uses no
 * index for it: it reads the whole collection and compares every document
 * with every listed value, so the cost is documents × values (1,000 values
 * over 100,000 documents: 5.0 s, against 2.4 s for a range; see
 * `npm run bench:server-queries`). On such a server the values are asked for
 * as one range, and the documents in it are checked against a Set here: one
 * pass over the collection.
 */

import type { Collection, Document } from 'mongodb';
import { toBson } from './queries.js';

// Keeps `$in` lists well under MongoDB's 16 MB document limit (daisy: 10^6).
export const KEY_CHUNK = 100_000;

export function* chunks<T>(items: readonly T[], size = KEY_CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export interface WhereInOptions {
  /** Further conditions, all of which must hold (daisy's attribute filters). */
  and?: readonly Document[];
  /** Must keep `field`: membership is checked on it. */
  projection: Document;
  /** The server reads every document for every query (FerretDB v1): use one range. */
  serverScans: boolean;
  /** Stop at the first document found (a yes/no question). */
  firstOnly?: boolean;
}

function withConditions(condition: Document, and: readonly Document[] | undefined): Document {
  return and !== undefined && and.length > 0 ? { $and: [...and, condition] } : condition;
}

export async function findWhereIn(
  collection: Collection,
  field: string,
  values: readonly number[],
  options: WhereInOptions,
): Promise<Document[]> {
  if (values.length === 0) return [];
  if (!options.serverScans) {
    const found: Document[] = [];
    for (const chunk of chunks(values)) {
      const query = withConditions({ [field]: { $in: chunk.map(toBson) } }, options.and);
      const cursor = collection.find(query, { projection: options.projection });
      if (options.firstOnly) cursor.limit(1);
      found.push(...(await cursor.toArray()));
      if (options.firstOnly && found.length > 0) break;
    }
    return found;
  }
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (value < low) low = value;
    if (value > high) high = value;
  }
  const wanted = new Set(values);
  const query = withConditions({ [field]: { $gte: toBson(low), $lte: toBson(high) } }, options.and);
  const found: Document[] = [];
  for await (const doc of collection.find(query, { projection: options.projection })) {
    if (!wanted.has(Number(doc[field]))) continue;
    found.push(doc);
    if (options.firstOnly) break;
  }
  return found;
}
