import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Array as DsArray, ndarray, Roi } from '../../src/index.js';

// An Array over an in-memory Ndarray: its views (read, materialize) wrap the
// same MemoryStore, which must not be mistaken for an Ndarray.
test('an in-memory Array reads, views and materializes', async () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const array = new DsArray(ndarray(data, [2, 3, 4]), new Roi([10, 0, 0], [4, 3, 8]), [2, 1, 2]);
  const part = await array.read(new Roi([12, 1, 4], [2, 2, 4]));
  assert.deepEqual(part.shape, [1, 2, 2]);
  assert.deepEqual([...part.data], [18, 19, 22, 23]);
  const copy = await array.materialize();
  assert.deepEqual([...(await copy.read()).data], [...data]);
  await array.write(new Roi([10, 0, 0], [2, 1, 2]), 99);
  assert.equal(data[0], 99);
});
