/**
 * A block-wise pipeline over Zarr: runBlockwise with a real server and worker
 * processes (tests/fixtures/array-worker.ts) reads a 256³ volume with one
 * voxel of context and writes a transformed copy, every block a whole chunk
 * of the output, several processes writing at once. The output is checked
 * voxel for voxel.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Roi, Task, openDs, prepareDs, runBlockwise } from '../../src/index.js';

const SIZE = 256;
const BLOCK = 64;

function inputValue(z: number, y: number, x: number): number {
  return (z * 131 + y * 71 + x * 29 + ((z * y) ^ x)) & 0xff;
}

test('a 256³ Zarr volume copied and transformed block-wise by worker processes', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-arrays-'));
  const volume = new Roi([0, 0, 0], [SIZE, SIZE, SIZE]);
  const input = await prepareDs(join(dir, 'in.zarr'), 'raw', volume, [1, 1, 1], 'uint8', { writeSize: [16, SIZE, SIZE] });
  for (let z0 = 0; z0 < SIZE; z0 += 16) {
    const slab = new Uint8Array(16 * SIZE * SIZE);
    for (let z = 0; z < 16; z++)
      for (let y = 0; y < SIZE; y++)
        for (let x = 0; x < SIZE; x++) slab[(z * SIZE + y) * SIZE + x] = inputValue(z0 + z, y, x);
    await input.write(new Roi([z0, 0, 0], [16, SIZE, SIZE]), { data: slab, shape: [16, SIZE, SIZE] });
  }
  const output = await prepareDs(join(dir, 'out.zarr'), 'inverted', volume, [1, 1, 1], 'uint8', {
    writeSize: [BLOCK, BLOCK, BLOCK],
    checkWriteChunkAlign: true,
  });
  assert.deepEqual(output.chunkShape, [BLOCK, BLOCK, BLOCK]);

  process.env['ARRAY_INPUT'] = `${join(dir, 'in.zarr')}:raw`;
  process.env['ARRAY_OUTPUT'] = `${join(dir, 'out.zarr')}:inverted`;
  const task = new Task({
    taskId: 'invert',
    totalRoi: new Roi([0, 0, 0], [SIZE, SIZE, SIZE + 1]),
    readRoi: new Roi([0, 0, 0], [BLOCK, BLOCK, BLOCK + 1]),
    writeRoi: new Roi([0, 0, 0], [BLOCK, BLOCK, BLOCK]),
    readWriteConflict: false,
    numWorkers: 3,
    workerCommand: [process.execPath, fileURLToPath(new URL('../fixtures/array-worker.js', import.meta.url))],
  });
  const ok = await runBlockwise([task], { progress: 'none', logDir: join(dir, 'logs') });
  assert.equal(ok, true);

  const result = (await (await openDs(join(dir, 'out.zarr'), 'inverted')).read()).data;
  let wrong = 0;
  let firstWrong = '';
  for (let z = 0; z < SIZE; z++)
    for (let y = 0; y < SIZE; y++)
      for (let x = 0; x < SIZE; x++) {
        const next = x + 1 < SIZE ? inputValue(z, y, x + 1) : 0;
        const expected = 255 - Math.max(inputValue(z, y, x), next);
        if (result[(z * SIZE + y) * SIZE + x] !== expected) {
          if (wrong === 0) firstWrong = `(${z}, ${y}, ${x}): ${result[(z * SIZE + y) * SIZE + x]} != ${expected}`;
          wrong++;
        }
      }
  assert.equal(wrong, 0, `${wrong} wrong voxels, first at ${firstWrong}`);
});
