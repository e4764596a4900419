/**
 * The daisychain side of the round-trip tests in tests/arrays/*.py: pytest
 * runs this with a JSON request and compares what it wrote or read with
 * zarr-python, funlib.persistence and h5py.
 *
 *   node dist/tests/arrays/array-tool.js '<request json>'
 *
 * Requests (raw data files hold C-order little-endian elements):
 *   { "op": "prepare", "file", "dataset", "offset", "shape", "voxelSize", "dtype",
 *     "writeSize"?, "numChannels"?, "compressor"?, "zarrFormat"?, "forceExactWriteSize"?, "delete"? }
 *   { "op": "write", "file", "dataset", "offset", "shape", "input", "blockShape"? }
 *   { "op": "read", "file", "dataset", "offset"?, "shape"?, "output", "fillValue"? }
 * Every request prints the array's metadata as JSON.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Roi } from '../../src/geometry/roi.js';
import { openDs, prepareDs, type Array as DaisyArray, type CompressorOption } from '../../src/arrays/index.js';
import { assertDType, viewBytes } from '../../src/arrays/dtype.js';
import { ndarray, zeros, copyBox } from '../../src/arrays/ndarray.js';

interface Request {
  op: 'prepare' | 'write' | 'read';
  file: string;
  dataset: string;
  offset?: number[];
  shape?: number[];
  voxelSize?: number[];
  dtype?: string;
  writeSize?: number[];
  numChannels?: number;
  compressor?: CompressorOption;
  zarrFormat?: 2 | 3;
  forceExactWriteSize?: boolean;
  delete?: boolean;
  input?: string;
  output?: string;
  blockShape?: number[];
  fillValue?: number;
}

function describe(array: DaisyArray): Record<string, unknown> {
  return {
    roi: { offset: array.roi.offset.toArray(), shape: array.roi.shape.toArray() },
    voxelSize: array.voxelSize.toArray(),
    dtype: array.dtype,
    shape: array.shape,
    dataShape: array.store.shape,
    chunkShape: array.chunkShape,
    nChannelDims: array.nChannelDims,
  };
}

function roiOf(request: Request): Roi {
  if (!request.offset || !request.shape) throw new Error('offset and shape are required');
  return new Roi(request.offset, request.shape);
}

/** Writes the ROI block by block (each block a separate write), as workers would. */
async function writeBlocks(array: DaisyArray, roi: Roi, request: Request): Promise<void> {
  const bytes = new Uint8Array(await readFile(request.input ?? ''));
  const shape = array.view(roi).shape;
  const whole = ndarray(viewBytes(array.dtype, bytes), shape);
  const channels = array.nChannelDims;
  const block = request.blockShape ?? shape.slice(channels);
  const voxels = shape.slice(channels);
  const index = new globalThis.Array<number>(voxels.length).fill(0);
  for (;;) {
    const begin = index.map((i, d) => i * block[d]);
    const extent = begin.map((b, d) => Math.min(block[d], voxels[d] - b));
    const part = zeros(array.dtype, [...shape.slice(0, channels), ...extent]);
    const channelZeros = new globalThis.Array<number>(channels).fill(0);
    copyBox(whole, [...channelZeros, ...begin], part, new globalThis.Array<number>(part.shape.length).fill(0), part.shape);
    const worldBegin = roi.begin.add(array.voxelSize.mul(begin));
    await array.write(new Roi(worldBegin, array.voxelSize.mul(extent)), part);
    let d = index.length - 1;
    while (d >= 0) {
      index[d]++;
      if (index[d] * block[d] < voxels[d]) break;
      index[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as Request;
  let array: DaisyArray;
  switch (request.op) {
    case 'prepare':
      array = await prepareDs(request.file, request.dataset, roiOf(request), request.voxelSize ?? [], assertDType(request.dtype), {
        writeSize: request.writeSize,
        numChannels: request.numChannels,
        compressor: request.compressor,
        zarrFormat: request.zarrFormat,
        forceExactWriteSize: request.forceExactWriteSize,
        delete: request.delete,
      });
      break;
    case 'write':
      array = await openDs(request.file, request.dataset, 'r+');
      await writeBlocks(array, roiOf(request), request);
      break;
    case 'read': {
      array = await openDs(request.file, request.dataset, 'r');
      const roi = request.offset ? roiOf(request) : array.roi;
      const data = await array.toNdarray(roi, request.fillValue);
      await writeFile(request.output ?? '', new Uint8Array(data.data.buffer, data.data.byteOffset, data.data.byteLength));
      break;
    }
    default:
      throw new Error(`unknown op ${JSON.stringify((request as { op: unknown }).op)}`);
  }
  process.stdout.write(`${JSON.stringify(describe(array))}\n`);
  await array.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
