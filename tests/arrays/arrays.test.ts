/**
 * Array, openDs and prepareDs: ROI views, fills, alignment and the errors
 * of wrong input. Round trips with zarr-python, funlib.persistence and h5py
 * are in tests/arrays/*.py.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Array as DaisyArray, Roi, ndarray, openDs, prepareDs, zeros, chunkShapeFor } from '../../src/index.js';
import { chunkExtentFor } from '../../src/arrays/chunk-shape.js';

function ramp(shape: number[]): Float32Array {
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i);
}

// 2 channels × a 4×6 grid of voxels of size (2, 3) starting at (10, -6).
function sample(): DaisyArray {
  return new DaisyArray(ndarray(ramp([2, 4, 6]), [2, 4, 6]), new Roi([10, -6], [8, 18]), [2, 3]);
}

test('an Array knows its shape, channels and dtype', () => {
  const array = sample();
  assert.deepEqual(array.shape, [2, 4, 6]);
  assert.equal(array.nChannelDims, 1);
  assert.equal(array.dtype, 'float32');
  assert.ok(array.dataRoi.equals(new Roi([10, -6], [8, 18])));
});

test('views read the voxels of their ROI, channels first', async () => {
  const array = sample();
  const part = array.view(new Roi([12, 0], [4, 6]));
  assert.deepEqual(part.shape, [2, 2, 2]);
  const data = await part.read();
  // voxel (1, 2) and (1, 3), (2, 2), (2, 3) of each channel
  assert.deepEqual([...data.data], [8, 9, 14, 15, 32, 33, 38, 39]);
  assert.deepEqual([...(await array.read(new Roi([12, 0], [4, 6]))).data], [...data.data]);
  const clipped = array.intersect(new Roi([14, 6], [100, 100]));
  assert.ok(clipped.roi.equals(new Roi([14, 6], [4, 6])));
});

test('toNdarray fills what lies outside the array only when asked', async () => {
  const array = sample();
  const outside = new Roi([6, -6], [6, 3]);
  await assert.rejects(array.toNdarray(outside), /not contained/);
  const filled = await array.toNdarray(outside, -1);
  assert.deepEqual(filled.shape, [2, 3, 1]);
  assert.deepEqual([...filled.data], [-1, -1, 0, -1, -1, 24]);
});

test('writes take data of the ROI shape, a number, or another Array', async () => {
  const array = sample();
  const roi = new Roi([10, -6], [2, 6]);
  await array.write(roi, ndarray(Float32Array.from([100, 101, 200, 201]), [2, 1, 2]));
  assert.deepEqual([...(await array.read(roi)).data], [100, 101, 200, 201]);
  await array.write(roi, 7);
  assert.deepEqual([...(await array.read(roi)).data], [7, 7, 7, 7]);
  const other = sample();
  await array.write(roi, other);
  assert.deepEqual([...(await array.read(roi)).data], [0, 1, 24, 25]);
  await assert.rejects(array.write(roi, ndarray(new Float32Array(6), [2, 1, 3])), /does not fit ROI/);
  await assert.rejects(array.write(roi, ndarray(new Int32Array(4), [2, 1, 2])), /cannot write int32 data/);
});

test('ROIs off the voxel grid, outside the array or of other dimensions are refused', async () => {
  const array = sample();
  assert.throws(() => array.view(new Roi([11, 0], [2, 3])), /not aligned with the voxel size/);
  assert.throws(() => array.view(new Roi([10, 0], [2, 4])), /not aligned with the voxel size/);
  assert.throws(() => array.view(new Roi([10, -9], [2, 3])), /not contained/);
  assert.throws(() => array.view(new Roi([10, 0, 0], [2, 3, 1])), /different dimensions/);
  await assert.rejects(array.write(new Roi([16, 9], [4, 6]), 0), /not contained/);
  assert.throws(() => new DaisyArray(zeros('uint8', [4, 4]), new Roi([0, 0], [10, 4]), [2, 2]), /outside the data ROI/);
  assert.throws(() => new DaisyArray(zeros('uint8', [4, 4]), new Roi([1, 0], [2, 2]), [1, 1], { dataOffset: [1, 1] }), /outside the data ROI/);
  assert.throws(() => new DaisyArray(zeros('uint8', [4, 4]), new Roi([0, 0], [4, 4]), [1, 0]), /positive integers/);
});

test('materialize copies the ROI into memory', async () => {
  const array = sample().view(new Roi([12, -3], [2, 3]));
  const copy = await array.materialize();
  assert.ok(copy.roi.equals(array.roi));
  assert.deepEqual([...(await copy.read()).data], [...(await array.read()).data]);
  await copy.write(copy.roi, 0);
  assert.notDeepEqual([...(await array.read()).data], [0, 0]);
});

test("daisy's chunk rule: the divisor of the write extent closest to 256", () => {
  assert.equal(chunkExtentFor(64), 64);
  assert.equal(chunkExtentFor(512), 256);
  assert.equal(chunkExtentFor(1000), 250);
  assert.equal(chunkExtentFor(300), 300);
  assert.equal(chunkExtentFor(384), 192);
  assert.equal(chunkExtentFor(97), 97);
  assert.deepEqual(chunkShapeFor([1024, 600, 5]), [256, 300, 5]);
});

test('writes to a dataset prepared with checkWriteChunkAlign must cover whole chunks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-align-'));
  const array = await prepareDs(join(dir, 'a.zarr'), 'x', new Roi([0, 0], [20, 10]), [1, 1], 'uint8', {
    writeSize: [8, 10],
    forceExactWriteSize: true,
    checkWriteChunkAlign: true,
  });
  await array.write(new Roi([8, 0], [8, 10]), 1);
  await array.write(new Roi([16, 0], [4, 10]), 2); // the last chunk ends with the array
  await assert.rejects(array.write(new Roi([4, 0], [8, 10]), 3), /does not align with chunks \[8, 10\]/);
  await assert.rejects(array.write(new Roi([8, 0], [4, 10]), 3), /does not align with chunks/);
  const data = (await array.read()).data;
  assert.deepEqual([data[0], data[80], data[160]], [0, 1, 2]);
});

test('openDs and prepareDs explain wrong input', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'daisychain-errors-'));
  await assert.rejects(openDs(join(dir, 'missing.zarr'), 'raw'), /does not exist/);
  await assert.rejects(openDs(join(dir, 'volume.tif'), 'raw'), /unknown file format/);
  await assert.rejects(openDs(join(dir, 'a.zarr'), 'raw', 'w' as 'r'), /unknown mode "w"/);
  const roi = new Roi([0, 0, 0], [8, 8, 8]);
  await prepareDs(join(dir, 'a.zarr'), 'raw', roi, [1, 1, 1], 'uint8');
  await assert.rejects(openDs(join(dir, 'a.zarr'), 'nothing'), /no Zarr array nothing/);
  await assert.rejects(prepareDs(join(dir, 'b.h5'), 'raw', roi, [1, 1, 1], 'uint8'), /not HDF5/);
  await assert.rejects(prepareDs(join(dir, 'b.zarr'), 'raw', roi, [3, 1, 1], 'uint8'), /not a multiple of the voxel size/);
  await assert.rejects(prepareDs(join(dir, 'b.zarr'), 'raw', roi, [1, 1], 'uint8'), /differ in dimensions/);
  await assert.rejects(prepareDs(join(dir, 'b.zarr'), 'raw', roi, [1, 1, 1], 'complex64' as 'uint8'), /unsupported dtype/);
  await assert.rejects(prepareDs(join(dir, 'b.zarr'), 'raw', roi, [1, 1, 1], 'uint8', { numChannels: 0 }), /numChannels/);
  await assert.rejects(prepareDs(join(dir, 'b.zarr'), 'raw', roi, [1, 1, 1], 'uint8', { writeSize: [3, 3, 0] }), /must be positive/);
  await assert.rejects(
    prepareDs(join(dir, 'b.n5'), 'raw', roi, [1, 1, 1], 'uint8', { compressor: { id: 'zstd' } }),
    /N5 blocks raw or with gzip/,
  );
  await assert.rejects(prepareDs(join(dir, 'a.zarr'), 'raw', roi, [1, 1, 1], 'uint16'), /not compatible \(dtype uint8 vs uint16\)/);
  await assert.rejects(
    prepareDs(join(dir, 'a.zarr'), 'v3', roi, [1, 1, 1], 'uint8', { zarrFormat: 3 }),
    /Zarr v2 container; it cannot hold a Zarr v3 array/,
  );
  const readOnly = await openDs(join(dir, 'a.zarr'), 'raw');
  await assert.rejects(readOnly.write(roi, 1), /open read-only/);
  writeFileSync(join(dir, 'a.zarr', 'raw', '.zattrs'), JSON.stringify({ resolution: [1, 1], offset: [0, 0, 0] }));
  await assert.rejects(openDs(join(dir, 'a.zarr'), 'raw'), /differ in length/);
});
