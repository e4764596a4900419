/**
 * Which queries a MongoDB-wire server answers from an index: times the query
 * shapes the graph provider sends, on one collection of N documents with an
 * index on every queried field. On mongod every indexed lookup takes about
 * the same time whatever N is; a query that reads the whole collection grows
 * with N. Run by bench/spatial-graphs/server-queries.sh (`npm run bench:server-queries`).
 *
 *   node dist/bench/spatial-graphs/server-queries.js [DOCUMENTS]   (needs DAISYCHAIN_MONGO_URL)
 *
 * Prints one line per query: documents returned, milliseconds (median of 3).
 */
import { MongoClient, type Document } from 'mongodb';
import { performance } from 'node:perf_hooks';

const documents = Number(process.argv[2] ?? 100_000);
if (!Number.isSafeInteger(documents) || documents < 1000) {
  process.stderr.write('usage: server-queries.js [DOCUMENTS >= 1000]\n');
  process.exit(2);
}
const url = process.env['DAISYCHAIN_MONGO_URL'];
if (!url) {
  process.stderr.write('server-queries: DAISYCHAIN_MONGO_URL is not set\n');
  process.exit(2);
}

const client = new MongoClient(url);
await client.connect();
const db = client.db(`server_queries_${process.pid}`);
const collection = db.collection('docs');
const build = await db.admin().command({ buildInfo: 1 });
const server = typeof build['ferretdbVersion'] === 'string' ? `FerretDB ${build['ferretdbVersion']}` : `MongoDB ${build['version']}`;

// Half the documents have a numeric `_id`, half a string one: FerretDB v1
// treats the two differently.
const BATCH = 5000;
for (let start = 0; start < documents; start += BATCH) {
  const batch: Document[] = [];
  for (let i = start; i < Math.min(documents, start + BATCH); i++) {
    batch.push({ _id: i % 2 === 0 ? i : `s${i}`, id: i, u: i, position: [i % 100, Math.floor(i / 100) % 100, Math.floor(i / 10_000)] });
  }
  await collection.insertMany(batch, { ordered: false });
}
await collection.createIndex({ id: 1 }, { name: 'id', unique: true });
await collection.createIndex({ u: 1 }, { name: 'u' });
await collection.createIndex({ 'position.0': 1, 'position.1': 1, 'position.2': 1 }, { name: 'position' });

const middle = Math.floor(documents / 2) & ~1;
const inList = (n: number): number[] => Array.from({ length: n }, (_, k) => (k * 7919) % documents);
const queries: [string, Document][] = [
  ['_id equals a string', { _id: `s${middle + 1}` }],
  ['_id equals a number', { _id: middle }],
  ['indexed field equals a number', { id: middle }],
  ['indexed field in a range of 1,000', { u: { $gte: middle, $lt: middle + 1000 } }],
  ['indexed position in a small box', { 'position.0': { $gte: 10, $lt: 20 }, 'position.1': { $gte: 10, $lt: 20 }, 'position.2': { $gte: 0, $lt: 1 } }],
  ['indexed field $in 100 values', { u: { $in: inList(100) } }],
  ['indexed field $in 1,000 values', { u: { $in: inList(1000) } }],
  ['no filter (every document)', {}],
];

process.stdout.write(`${server}, ${documents.toLocaleString('en-US')} documents, indexes on id, u and position\n`);
for (const [name, filter] of queries) {
  const times: number[] = [];
  let found = 0;
  for (let run = 0; run < 3; run++) {
    const start = performance.now();
    found = (await collection.find(filter).toArray()).length;
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  process.stdout.write(`${name.padEnd(36)} ${String(found).padStart(8)} found ${times[1]!.toFixed(1).padStart(10)} ms\n`);
}
await db.dropDatabase();
await client.close();
