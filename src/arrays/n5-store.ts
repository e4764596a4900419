import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { readChunkFile, writeFileAtomically } from './atomic-file-store.js';
import { inflateOptions, type Compressor } from './compressor.js';
import { allocate, bytesPerElement, isDType, viewBytes, type DType } from './dtype.js';
import { copyBox, elementCount, ndarray, zeros, type Ndarray } from './ndarray.js';
import { checkBox, checkWritable, type VoxelStore } from './voxel-store.js';

/**
 * N5 (https://github.com/saalfeldlab/n5): datasets are directories with an
 * attributes.json; each block is a file under its grid index, holding a
 * big-endian header and big-endian elements. N5 lists axes fastest-first, so
 * every shape and index here is reversed on the way in and out, and the
 * element order of a block is then plain C order.
 */

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const deflate = promisify(zlib.deflate);
const inflate = promisify(zlib.inflate);

/** Keys of attributes.json that describe the dataset rather than the user's data. */
const N5_DATASET_KEYS = ['dimensions', 'blockSize', 'dataType', 'compression', 'compressionType'];

type N5Compression = { type: 'raw' } | { type: 'gzip'; level: number; useZlib: boolean };

export function n5Compression(compressor: Compressor | null): N5Compression {
  if (compressor === null) return { type: 'raw' };
  if (compressor.id === 'gzip') return { type: 'gzip', level: compressor.level ?? 5, useZlib: false };
  if (compressor.id === 'zlib') return { type: 'gzip', level: compressor.level ?? 5, useZlib: true };
  throw new TypeError(`daisychain writes N5 blocks raw or with gzip, not with ${compressor.id}`);
}

function parseCompression(attributes: Record<string, unknown>, where: string): N5Compression {
  const compression = attributes.compression as Record<string, unknown> | undefined;
  const type = compression?.type ?? attributes.compressionType ?? 'raw';
  if (type === 'raw') return { type: 'raw' };
  if (type === 'gzip') {
    return { type: 'gzip', level: Number(compression?.level ?? -1), useZlib: compression?.useZlib === true };
  }
  throw new TypeError(`${where} uses N5 compression ${JSON.stringify(type)}; daisychain reads raw and gzip`);
}

/** Reverses the byte order of every element in place, with Node's native swaps. */
function swapBytes(bytes: Uint8Array, size: number): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (size === 2) buffer.swap16();
  else if (size === 4) buffer.swap32();
  else if (size === 8) buffer.swap64();
}

export interface N5DatasetSpec {
  shape: readonly number[];
  chunkShape: readonly number[];
  dtype: DType;
  compression: N5Compression;
  attributes: Record<string, unknown>;
}

export async function readN5Attributes(directory: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(path.join(directory, 'attributes.json'), 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes the container's version marker (where missing) and the dataset's attributes. */
export async function createN5Dataset(container: string, dataset: string, spec: N5DatasetSpec): Promise<void> {
  const root = await readN5Attributes(container);
  if (root === null || !('n5' in root)) {
    await writeFileAtomically(
      path.join(container, 'attributes.json'),
      new TextEncoder().encode(JSON.stringify({ ...(root ?? {}), n5: '2.0.0' })),
    );
  }
  const attributes = {
    ...spec.attributes,
    dimensions: [...spec.shape].reverse(),
    blockSize: [...spec.chunkShape].reverse(),
    dataType: spec.dtype,
    compression: spec.compression,
  };
  await writeFileAtomically(
    path.join(container, dataset, 'attributes.json'),
    new TextEncoder().encode(JSON.stringify(attributes)),
  );
}

export class N5Store implements VoxelStore {
  readonly description: string;

  private constructor(
    private readonly directory: string,
    readonly shape: readonly number[],
    readonly chunkShape: readonly number[],
    readonly dtype: DType,
    private readonly compression: N5Compression,
    readonly attributes: Record<string, unknown>,
    readonly writable: boolean,
  ) {
    this.description = `${directory} (N5)`;
  }

  static async open(container: string, dataset: string, writable: boolean): Promise<N5Store> {
    const directory = path.join(container, dataset);
    const attributes = await readN5Attributes(directory);
    if (attributes === null || !Array.isArray(attributes.dimensions)) {
      throw new Error(`no N5 dataset ${dataset} in ${container}`);
    }
    const dtype = attributes.dataType;
    if (!isDType(dtype)) {
      throw new TypeError(`${directory} holds ${JSON.stringify(dtype)}, which daisychain arrays do not support`);
    }
    const shape = (attributes.dimensions as number[]).slice().reverse();
    const chunkShape = (attributes.blockSize as number[]).slice().reverse();
    const compression = parseCompression(attributes, directory);
    const user = Object.fromEntries(Object.entries(attributes).filter(([key]) => !N5_DATASET_KEYS.includes(key)));
    return new N5Store(directory, shape, chunkShape, dtype, compression, user, writable);
  }

  async read(begin: readonly number[], shape: readonly number[]): Promise<Ndarray> {
    checkBox(this, begin, shape);
    const out = zeros(this.dtype, shape);
    await Promise.all(
      this.blocksOf(begin, shape).map(async (grid) => {
        const block = await this.readBlock(grid);
        if (block === null) return; // a missing block reads as zeros, as in every N5 library
        this.copyOverlap(block, grid, out, begin, 'block-to-box');
      }),
    );
    return out;
  }

  async write(begin: readonly number[], data: Ndarray): Promise<void> {
    checkBox(this, begin, data.shape);
    checkWritable(this, data);
    await Promise.all(
      this.blocksOf(begin, data.shape).map(async (grid) => {
        const blockShape = this.blockShape(grid);
        const covered = grid.every((g, d) => {
          const blockBegin = g * this.chunkShape[d];
          return begin[d] <= blockBegin && begin[d] + data.shape[d] >= blockBegin + blockShape[d];
        });
        // A partly written block keeps the rest of what it held.
        const block = (covered ? null : await this.readBlock(grid)) ?? zeros(this.dtype, blockShape);
        this.copyOverlap(block, grid, data, begin, 'box-to-block');
        await writeFileAtomically(this.blockPath(grid), await this.encodeBlock(block));
      }),
    );
  }

  async close(): Promise<void> {}

  private blocksOf(begin: readonly number[], shape: readonly number[]): number[][] {
    if (elementCount(shape) === 0) return [];
    const first = begin.map((b, d) => Math.floor(b / this.chunkShape[d]));
    const last = begin.map((b, d) => Math.floor((b + shape[d] - 1) / this.chunkShape[d]));
    const blocks: number[][] = [];
    const index = [...first];
    for (;;) {
      blocks.push([...index]);
      let d = index.length - 1;
      while (d >= 0 && index[d] === last[d]) {
        index[d] = first[d];
        d--;
      }
      if (d < 0) return blocks;
      index[d]++;
    }
  }

  private blockShape(grid: readonly number[]): number[] {
    return grid.map((g, d) => Math.min(this.chunkShape[d], this.shape[d] - g * this.chunkShape[d]));
  }

  private blockPath(grid: readonly number[]): string {
    return path.join(this.directory, ...[...grid].reverse().map(String));
  }

  private copyOverlap(
    block: Ndarray,
    grid: readonly number[],
    box: Ndarray,
    boxBegin: readonly number[],
    direction: 'block-to-box' | 'box-to-block',
  ): void {
    const blockBegin = grid.map((g, d) => g * this.chunkShape[d]);
    const from = blockBegin.map((b, d) => Math.max(b, boxBegin[d]));
    const to = blockBegin.map((b, d) => Math.min(b + block.shape[d], boxBegin[d] + box.shape[d]));
    const extent = from.map((f, d) => to[d] - f);
    const inBlock = from.map((f, d) => f - blockBegin[d]);
    const inBox = from.map((f, d) => f - boxBegin[d]);
    if (direction === 'block-to-box') copyBox(block, inBlock, box, inBox, extent);
    else copyBox(box, inBox, block, inBlock, extent);
  }

  private async readBlock(grid: readonly number[]): Promise<Ndarray | null> {
    const file = readChunkFile(this.blockPath(grid));
    if (file === undefined) return null;
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const mode = view.getUint16(0);
    const dims = view.getUint16(2);
    const reversedShape: number[] = [];
    for (let d = 0; d < dims; d++) reversedShape.push(view.getUint32(4 + 4 * d));
    const headerBytes = 4 + 4 * dims + (mode === 1 ? 4 : 0);
    const payload = file.subarray(headerBytes);
    const raw =
      this.compression.type === 'raw'
        ? Buffer.from(payload)
        : this.compression.useZlib
          ? await inflate(payload, inflateOptions(payload))
          : await gunzip(payload, inflateOptions(payload));
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
    const shape = reversedShape.reverse();
    const size = bytesPerElement(this.dtype);
    const expected = elementCount(shape) * size;
    if (bytes.byteLength < expected) {
      throw new Error(`N5 block ${this.blockPath(grid)} holds ${bytes.byteLength} bytes, ${expected} expected`);
    }
    const elements = bytes.subarray(0, expected);
    swapBytes(elements, size);
    return ndarray(viewBytes(this.dtype, elements), shape);
  }

  private async encodeBlock(block: Ndarray): Promise<Uint8Array> {
    const dims = block.shape.length;
    const header = new DataView(new ArrayBuffer(4 + 4 * dims));
    header.setUint16(0, 0);
    header.setUint16(2, dims);
    [...block.shape].reverse().forEach((extent, d) => header.setUint32(4 + 4 * d, extent));
    const size = bytesPerElement(this.dtype);
    const copy = allocate(this.dtype, block.data.length);
    (copy as Float64Array).set(block.data as Float64Array);
    const bytes = new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength);
    swapBytes(bytes, size);
    const payload =
      this.compression.type === 'raw'
        ? bytes
        : this.compression.useZlib
          ? await deflate(bytes, { level: this.compression.level })
          : await gzip(bytes, { level: this.compression.level });
    return Buffer.concat([new Uint8Array(header.buffer), payload]);
  }
}
