import type { Dataset, File as H5File } from 'h5wasm/node';
import { isDType, typedArrayConstructor, type DType, type TypedArray } from './dtype.js';
import { elementCount, ndarray, type Ndarray } from './ndarray.js';
import { checkBox, checkWritable, type VoxelStore } from './voxel-store.js';

/**
 * An HDF5 dataset, through h5wasm: the HDF5 C library compiled to
 * WebAssembly, maintained by NIST, reading and writing real files in Node
 * without a native addon (which this project could not install offline).
 * HDF5 allows one writer per file: write from one process only.
 */

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;

function dtypeOfDataset(dataset: Dataset, where: string): DType {
  const { type, size, signed, littleEndian } = dataset.metadata;
  const bits = size * 8;
  const name = type === H5T_FLOAT ? `float${bits}` : type === H5T_INTEGER ? `${signed ? '' : 'u'}int${bits}` : null;
  if (!isDType(name)) {
    throw new TypeError(`${where} holds HDF5 type ${type} of ${size} bytes, which daisychain arrays do not support`);
  }
  if (!littleEndian && size > 1) throw new TypeError(`${where} is big-endian; daisychain reads little-endian HDF5`);
  return name;
}

export class Hdf5Store implements VoxelStore {
  readonly description: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly chunkShape: readonly number[] | null;

  private constructor(
    private readonly file: H5File,
    private readonly dataset: Dataset,
    readonly writable: boolean,
    filename: string,
    name: string,
  ) {
    this.description = `${filename}/${name} (HDF5)`;
    this.dtype = dtypeOfDataset(dataset, this.description);
    this.shape = dataset.shape ?? [];
    this.chunkShape = dataset.metadata.chunks;
  }

  static async open(filename: string, name: string, writable: boolean): Promise<Hdf5Store> {
    // Loaded on first use: the WebAssembly module takes 50-100 ms to start,
    // which every worker process would pay on import otherwise.
    const { default: h5wasm } = await import('h5wasm/node');
    await h5wasm.ready;
    const file = new h5wasm.File(filename, writable ? 'a' : 'r');
    const entity = file.get(name);
    if (!(entity instanceof h5wasm.Dataset)) {
      file.close();
      throw new Error(`no HDF5 dataset ${name} in ${filename}`);
    }
    return new Hdf5Store(file, entity, writable, filename, name);
  }

  get attributes(): Record<string, unknown> {
    const attributes: Record<string, unknown> = {};
    for (const name of Object.keys(this.dataset.attrs)) {
      attributes[name] = this.dataset.get_attribute(name, true);
    }
    return attributes;
  }

  async read(begin: readonly number[], shape: readonly number[]): Promise<Ndarray> {
    checkBox(this, begin, shape);
    const Constructor = typedArrayConstructor(this.dtype);
    if (elementCount(shape) === 0) return ndarray(new Constructor(0), shape);
    const data = this.dataset.slice(begin.map((b, d) => [b, b + shape[d]])) as TypedArray;
    return ndarray(data, shape);
  }

  async write(begin: readonly number[], data: Ndarray): Promise<void> {
    checkBox(this, begin, data.shape);
    checkWritable(this, data);
    if (elementCount(data.shape) === 0) return;
    this.dataset.write_slice(
      begin.map((b, d) => [b, b + data.shape[d]]),
      data.data,
    );
    this.file.flush();
  }

  async close(): Promise<void> {
    this.file.close();
  }
}
