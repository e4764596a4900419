import type { DType } from './dtype.js';
import { copyBox, ndarrayDType, zeros, type Ndarray } from './ndarray.js';

/**
 * The n-d storage under an `Array`: a Zarr, N5 or HDF5 dataset, or memory.
 * Indices are voxels of the whole dataset, channel axes first.
 */
export interface VoxelStore {
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Shape of the storage chunks, or null for unchunked storage. */
  readonly chunkShape: readonly number[] | null;
  /** Where the data lives, for messages: "/data/a.zarr/raw (Zarr v2)". */
  readonly description: string;
  readonly writable: boolean;
  read(begin: readonly number[], shape: readonly number[]): Promise<Ndarray>;
  write(begin: readonly number[], data: Ndarray): Promise<void>;
  close(): Promise<void>;
}

export function checkBox(store: VoxelStore, begin: readonly number[], shape: readonly number[]): void {
  if (begin.length !== store.shape.length || shape.length !== store.shape.length) {
    throw new RangeError(
      `a ${begin.length}-d box does not index the ${store.shape.length}-d dataset ${store.description}`,
    );
  }
  for (let d = 0; d < begin.length; d++) {
    if (begin[d] < 0 || shape[d] < 0 || begin[d] + shape[d] > store.shape[d]) {
      throw new RangeError(
        `box [${begin.join(', ')}] + [${shape.join(', ')}] is outside ${store.description} of shape [${store.shape.join(', ')}]`,
      );
    }
  }
}

export function checkWritable(store: VoxelStore, data: Ndarray): void {
  if (!store.writable) throw new Error(`${store.description} is open read-only`);
  if (ndarrayDType(data) !== store.dtype) {
    throw new TypeError(`cannot write ${ndarrayDType(data)} data to ${store.dtype} dataset ${store.description}`);
  }
}

/** Data held in memory: what `materialize` and `toNdarray` fill. */
export class MemoryStore implements VoxelStore {
  readonly dtype: DType;
  readonly chunkShape = null;
  readonly description = 'in-memory array';
  readonly writable = true;

  constructor(readonly data: Ndarray) {
    this.dtype = ndarrayDType(data);
  }

  get shape(): readonly number[] {
    return this.data.shape;
  }

  async read(begin: readonly number[], shape: readonly number[]): Promise<Ndarray> {
    checkBox(this, begin, shape);
    const out = zeros(this.dtype, shape);
    copyBox(this.data, begin, out, new Array<number>(shape.length).fill(0), shape);
    return out;
  }

  async write(begin: readonly number[], data: Ndarray): Promise<void> {
    checkBox(this, begin, data.shape);
    checkWritable(this, data);
    copyBox(data, new Array<number>(data.shape.length).fill(0), this.data, begin, data.shape);
  }

  async close(): Promise<void> {}
}
