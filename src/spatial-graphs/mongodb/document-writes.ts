/**
 * Writing node and edge documents with daisy's semantics (replace-or-insert
 * by key; failIfExists / failIfNotExists checked for every key before
 * anything is written) in a way FerretDB v1 can serve at scale.
 *
 * FerretDB v1 on SQLite answers every filter by reading the whole collection
 * (an `_id` equal to a string or ObjectId is filtered by SQLite, still
 * without an index; see bench/spatial-graphs/server-queries.ts). What it does fast is
 * insert, checked by the unique `_id` index. So every document gets its key
 * as `_id` (the node id; `{u, v}` for an edge), new documents go in with one
 * insertMany, and only keys already stored are replaced, one `_id` query
 * each. A document that daisy wrote (with an ObjectId `_id`) is found by its
 * key fields instead. On mongod the same operations use its indexes.
 */

import type { AnyBulkWriteOperation, Collection, Document, MongoBulkWriteError } from 'mongodb';
import type { AttrValue } from '../attributes.js';
import { GraphWriteError, type WriteOptions } from '../provider.js';
import { docToBson, toBson } from './queries.js';
import { chunks, findWhereIn } from './where-in.js';

export type PlainDoc = Record<string, AttrValue>;

const DUPLICATE_KEY = 11000;
// FerretDB v1.24.2 never answers an update or replace command carrying 100
// or more statements (seen with bulkWrite); smaller batches go through.
const BULK_BATCH = 50;

async function bulkWriteInBatches(collection: Collection, ops: AnyBulkWriteOperation[]): Promise<void> {
  for (const batch of chunks(ops, BULK_BATCH)) await collection.bulkWrite(batch, { ordered: false });
}

function primaryKey(keys: readonly string[], doc: PlainDoc): unknown {
  if (keys.length === 1) return toBson(doc[keys[0]!]!);
  return Object.fromEntries(keys.map((k) => [k, toBson(doc[k]!)]));
}

function keyFilter(keys: readonly string[], doc: PlainDoc): Document {
  return Object.fromEntries(keys.map((k) => [k, toBson(doc[k]!)]));
}

function withId(keys: readonly string[], doc: PlainDoc): Document {
  return { _id: primaryKey(keys, doc), ...docToBson(doc) };
}

export async function writeDocuments(
  collection: Collection,
  keys: readonly string[],
  docs: readonly PlainDoc[],
  options: WriteOptions,
  serverScans: boolean,
): Promise<void> {
  if (docs.length === 0) return;
  if (options.failIfExists || options.failIfNotExists) {
    const stored = await storedKeys(collection, keys, docs, serverScans);
    const bad = docs.filter((d) => stored.has(keyString(keys, d)) === Boolean(options.failIfExists));
    if (bad.length > 0) {
      const state = options.failIfExists ? 'already stored (failIfExists)' : 'not stored yet (failIfNotExists)';
      const sample = bad.slice(0, 5).map((d) => JSON.stringify(Object.fromEntries(keys.map((k) => [k, d[k]]))));
      throw new GraphWriteError(
        `${bad.length} of ${docs.length} documents in ${collection.collectionName} are ${state}, e.g. ${sample.join(', ')}; nothing written`,
      );
    }
  }
  const existing = options.failIfNotExists ? [...docs] : await insertNew(collection, keys, docs);
  if (existing.length > 0) await replaceExisting(collection, keys, existing, !options.failIfNotExists);
}

/** Inserts the documents whose key is new; returns the others (already stored). */
async function insertNew(collection: Collection, keys: readonly string[], docs: readonly PlainDoc[]): Promise<PlainDoc[]> {
  try {
    await collection.insertMany(
      docs.map((d) => withId(keys, d)),
      { ordered: false },
    );
    return [];
  } catch (error) {
    const writeErrors = (error as MongoBulkWriteError).writeErrors;
    const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
    if (list.length === 0 || list.some((e) => e.code !== DUPLICATE_KEY)) throw error;
    return list.map((e) => docs[e.index]!);
  }
}

/** Replaces stored documents: by `_id` where this provider wrote them, else by daisy's key fields. */
async function replaceExisting(collection: Collection, keys: readonly string[], docs: PlainDoc[], upsert: boolean): Promise<void> {
  const results = await Promise.all(
    docs.map((d) => collection.replaceOne({ _id: primaryKey(keys, d) } as Document, withId(keys, d))),
  );
  const foreign = docs.filter((_, i) => results[i]!.matchedCount === 0);
  if (foreign.length === 0) return;
  const ops: AnyBulkWriteOperation[] = foreign.map((d) => ({
    replaceOne: { filter: keyFilter(keys, d), replacement: docToBson(d), upsert },
  }));
  await bulkWriteInBatches(collection, ops);
}

/** `$set` the attributes of stored documents; documents with nothing to set are skipped. */
export async function updateDocuments(collection: Collection, keys: readonly string[], docs: readonly PlainDoc[]): Promise<void> {
  const ops: AnyBulkWriteOperation[] = [];
  for (const doc of docs) {
    const set = Object.fromEntries(Object.entries(doc).filter(([k]) => !keys.includes(k)));
    if (Object.keys(set).length === 0) continue;
    ops.push({ updateOne: { filter: keyFilter(keys, doc), update: { $set: docToBson(set) } } });
  }
  await bulkWriteInBatches(collection, ops);
}

/** The keys of `docs` already stored, looked up by their first key field. */
async function storedKeys(
  collection: Collection,
  keys: readonly string[],
  docs: readonly PlainDoc[],
  serverScans: boolean,
): Promise<Set<string>> {
  const firsts = [...new Set(docs.map((d) => d[keys[0]!] as number))];
  const projection: Document = { _id: 0 };
  for (const k of keys) projection[k] = 1;
  const found = await findWhereIn(collection, keys[0]!, firsts, { projection, serverScans });
  return new Set(found.map((doc) => keyString(keys, doc)));
}

function keyString(keys: readonly string[], doc: Document): string {
  return keys.map((k) => String(doc[k])).join(':');
}
