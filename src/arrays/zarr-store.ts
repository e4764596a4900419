import * as zarr from 'zarrita';
import { AtomicFileSystemStore } from './atomic-file-store.js';
import { isDType, type DType, type TypedArray } from './dtype.js';
import { cStrides, ndarray, type Ndarray } from './ndarray.js';
import { checkBox, checkWritable, type VoxelStore } from './voxel-store.js';
import { registerZarrCodecs } from './zarr-codecs.js';

export type ZarrFormat = 2 | 3;

type ZarrArray = zarr.Array<zarr.DataType, AtomicFileSystemStore>;

/** A Zarr v2 or v3 array on the local file system, read and written with zarrita. */
export class ZarrStore implements VoxelStore {
  readonly description: string;

  private constructor(
    private readonly array: ZarrArray,
    readonly dtype: DType,
    readonly format: ZarrFormat,
    readonly writable: boolean,
    container: string,
    dataset: string,
  ) {
    this.description = `${container}/${dataset} (Zarr v${format})`;
  }

  static async open(container: string, dataset: string, writable: boolean): Promise<ZarrStore> {
    registerZarrCodecs();
    const location = zarr.root(new AtomicFileSystemStore(container)).resolve(dataset);
    let array: ZarrArray;
    let format: ZarrFormat;
    try {
      array = await zarr.open.v3(location, { kind: 'array' });
      format = 3;
    } catch (v3Error) {
      if (!(v3Error instanceof zarr.NotFoundError)) throw v3Error;
      try {
        array = await zarr.open.v2(location, { kind: 'array' });
        format = 2;
      } catch (v2Error) {
        if (v2Error instanceof zarr.NotFoundError) {
          throw new Error(`no Zarr array ${dataset} in ${container}`, { cause: v2Error });
        }
        throw v2Error;
      }
    }
    if (!isDType(array.dtype)) {
      throw new TypeError(`${container}/${dataset} holds ${array.dtype}, which daisychain arrays do not support`);
    }
    return new ZarrStore(array, array.dtype, format, writable, container, dataset);
  }

  get shape(): readonly number[] {
    return this.array.shape;
  }

  get chunkShape(): readonly number[] {
    return this.array.chunks;
  }

  get attributes(): Record<string, unknown> {
    return this.array.attrs;
  }

  async read(begin: readonly number[], shape: readonly number[]): Promise<Ndarray> {
    checkBox(this, begin, shape);
    const chunk = await zarr.get(this.array, selection(begin, shape));
    return ndarray(chunk.data as TypedArray, chunk.shape);
  }

  async write(begin: readonly number[], data: Ndarray): Promise<void> {
    checkBox(this, begin, data.shape);
    checkWritable(this, data);
    const value = { data: data.data, shape: [...data.shape], stride: cStrides(data.shape) };
    await zarr.set(this.array, selection(begin, data.shape), value as zarr.Chunk<zarr.DataType>);
  }

  async close(): Promise<void> {}
}

function selection(begin: readonly number[], shape: readonly number[]): zarr.Slice[] {
  return begin.map((b, d) => zarr.slice(b, b + shape[d]));
}
