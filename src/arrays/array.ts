import { Coordinate, type CoordinateLike } from '../geometry/coordinate.js';
import { Roi } from '../geometry/roi.js';
import type { DType } from './dtype.js';
import { copyBox, full, type Ndarray } from './ndarray.js';
import { MemoryStore, type VoxelStore } from './voxel-store.js';

export interface ArrayOptions {
  /** World coordinate of the first voxel of the data; defaults to `roi.begin`. */
  dataOffset?: CoordinateLike;
  /** Chunk shape of the data in voxels (channel axes included); defaults to the store's. */
  chunkShape?: readonly number[] | null;
  /** Refuse writes whose ROI does not start and end on chunk boundaries. */
  checkWriteChunkAlign?: boolean;
  axisNames?: readonly string[] | null;
  units?: readonly string[] | null;
}

function integers(coordinate: Coordinate, what: string): number[] {
  return coordinate.toArray().map((value) => {
    if (value === null) throw new RangeError(`${what} ${coordinate.toString()} is unbounded`);
    return value;
  });
}

function isStore(value: VoxelStore | Ndarray): value is VoxelStore {
  return typeof (value as VoxelStore).read === 'function';
}

/**
 * A view of n-d data annotated with a region of interest and a voxel size in
 * world units, as daisy's Array: channel axes first, then the spatial axes
 * of `roi`. Views share their data; reads and writes go to the store.
 */
export class Array {
  readonly store: VoxelStore;
  readonly roi: Roi;
  readonly voxelSize: Coordinate;
  /** The world region the whole store covers. */
  readonly dataRoi: Roi;
  readonly nChannelDims: number;
  readonly chunkShape: readonly number[] | null;
  readonly checkWriteChunkAlign: boolean;
  readonly axisNames: readonly string[] | null;
  readonly units: readonly string[] | null;

  constructor(data: VoxelStore | Ndarray, roi: Roi, voxelSize: CoordinateLike, options: ArrayOptions = {}) {
    this.store = isStore(data) ? data : new MemoryStore(data);
    this.roi = roi;
    this.voxelSize = Coordinate.from(voxelSize);
    if (this.voxelSize.dims !== roi.dims) {
      throw new RangeError(`voxel size ${this.voxelSize.toString()} has ${this.voxelSize.dims} dimensions, ROI ${roi.toString()} has ${roi.dims}`);
    }
    const voxel = integers(this.voxelSize, 'voxel size');
    if (!voxel.every((v) => Number.isInteger(v) && v > 0)) {
      throw new RangeError(`voxel size ${this.voxelSize.toString()} must be positive integers`);
    }
    this.nChannelDims = this.store.shape.length - roi.dims;
    if (this.nChannelDims < 0) {
      throw new RangeError(`ROI ${roi.toString()} has more dimensions than the data (${this.store.shape.length})`);
    }
    const dataOffset = options.dataOffset === undefined ? roi.begin : Coordinate.from(options.dataOffset);
    integers(roi.begin, 'ROI offset');
    integers(roi.shape, 'ROI shape');
    this.checkAligned(roi);
    if (!dataOffset.isMultipleOf(this.voxelSize)) {
      throw new RangeError(`data offset ${dataOffset.toString()} is not a multiple of voxel size ${this.voxelSize.toString()}`);
    }
    this.dataRoi = new Roi(dataOffset, this.voxelSize.mul(this.store.shape.slice(this.nChannelDims)));
    if (!this.dataRoi.contains(roi)) {
      throw new RangeError(`ROI ${roi.toString()} is outside the data ROI ${this.dataRoi.toString()} of ${this.store.description}`);
    }
    this.chunkShape = options.chunkShape !== undefined ? options.chunkShape : this.store.chunkShape;
    this.checkWriteChunkAlign = options.checkWriteChunkAlign ?? false;
    if (this.checkWriteChunkAlign && this.chunkShape === null) {
      throw new RangeError(`checkWriteChunkAlign needs a chunk shape, and ${this.store.description} has none`);
    }
    this.axisNames = options.axisNames ?? null;
    this.units = options.units ?? null;
  }

  get dtype(): DType {
    return this.store.dtype;
  }

  /** Channel extents, then the voxel extents of `roi`. */
  get shape(): number[] {
    return [...this.store.shape.slice(0, this.nChannelDims), ...integers(this.roi.shape.div(this.voxelSize), 'shape')];
  }

  /** daisy's `array[roi]`: a view of a part of this array; no data is read. */
  view(roi: Roi): Array {
    this.checkContained(roi);
    return new Array(this.store, roi, this.voxelSize, {
      dataOffset: this.dataRoi.begin,
      chunkShape: this.chunkShape,
      checkWriteChunkAlign: this.checkWriteChunkAlign,
      axisNames: this.axisNames,
      units: this.units,
    });
  }

  intersect(roi: Roi): Array {
    return this.view(this.roi.intersect(roi));
  }

  /** The data of `roi` (default: the whole ROI), which must lie inside the array. */
  async read(roi: Roi = this.roi): Promise<Ndarray> {
    this.checkContained(roi);
    const { begin, shape } = this.box(roi);
    return this.store.read(begin, shape);
  }

  /** As `read`, but with a `fillValue` the ROI may reach outside the array. */
  async toNdarray(roi: Roi = this.roi, fillValue?: number): Promise<Ndarray> {
    if (fillValue === undefined) return this.read(roi);
    this.checkAligned(roi);
    const out = full(this.dtype, this.box(roi).shape, fillValue);
    const shared = this.roi.intersect(roi);
    if (shared.empty) return out;
    const inner = await this.read(shared);
    const at = [
      ...new globalThis.Array<number>(this.nChannelDims).fill(0),
      ...integers(shared.begin.sub(roi.begin).div(this.voxelSize), 'offset'),
    ];
    copyBox(inner, new globalThis.Array<number>(inner.shape.length).fill(0), out, at, inner.shape);
    return out;
  }

  /**
   * Writes `value` (data of the ROI's shape, another Array covering the ROI,
   * or one number for every voxel) to `roi`.
   */
  async write(roi: Roi, value: Ndarray | Array | number): Promise<void> {
    this.checkContained(roi);
    const { begin, shape } = this.box(roi);
    if (this.checkWriteChunkAlign) this.checkChunkAligned(roi, begin, shape);
    let data: Ndarray;
    if (typeof value === 'number') {
      data = full(this.dtype, shape, value);
    } else if (value instanceof Array) {
      data = await value.read(roi);
    } else {
      data = value;
    }
    if (data.shape.length !== shape.length || data.shape.some((extent, d) => extent !== shape[d])) {
      throw new RangeError(`data of shape [${data.shape.join(', ')}] does not fit ROI ${roi.toString()} (shape [${shape.join(', ')}])`);
    }
    await this.store.write(begin, data);
  }

  /** An in-memory copy of this array's ROI. */
  async materialize(): Promise<Array> {
    return new Array(await this.read(), this.roi, this.voxelSize, { axisNames: this.axisNames, units: this.units });
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  toString(): string {
    return `Array(${this.store.description}, roi ${this.roi.toString()}, voxel size ${this.voxelSize.toString()}, ${this.dtype})`;
  }

  private checkContained(roi: Roi): void {
    if (!this.roi.contains(roi)) {
      throw new RangeError(`ROI ${roi.toString()} is not contained in the array's ROI ${this.roi.toString()}`);
    }
  }

  private checkAligned(roi: Roi): void {
    if (roi.dims !== this.voxelSize.dims) {
      throw new RangeError(`ROI ${roi.toString()} has ${roi.dims} dimensions, the array has ${this.voxelSize.dims}`);
    }
    if (!roi.begin.isMultipleOf(this.voxelSize) || !roi.shape.isMultipleOf(this.voxelSize)) {
      throw new RangeError(`ROI ${roi.toString()} is not aligned with the voxel size ${this.voxelSize.toString()}`);
    }
  }

  private box(roi: Roi): { begin: number[]; shape: number[] } {
    this.checkAligned(roi);
    const channels = this.store.shape.slice(0, this.nChannelDims);
    return {
      begin: [
        ...new globalThis.Array<number>(this.nChannelDims).fill(0),
        ...integers(roi.begin.sub(this.dataRoi.begin).div(this.voxelSize), 'offset'),
      ],
      shape: [...channels, ...integers(roi.shape.div(this.voxelSize), 'shape')],
    };
  }

  private checkChunkAligned(roi: Roi, begin: readonly number[], shape: readonly number[]): void {
    const chunks = this.chunkShape ?? [];
    for (let d = this.nChannelDims; d < begin.length; d++) {
      const chunk = chunks[d];
      const reachesEnd = begin[d] + shape[d] === this.store.shape[d];
      if (begin[d] % chunk !== 0 || (shape[d] % chunk !== 0 && !reachesEnd)) {
        throw new RangeError(
          `write ROI ${roi.toString()} (voxels [${begin.join(', ')}] + [${shape.join(', ')}]) does not align with chunks [${chunks.join(', ')}] (axis ${d})`,
        );
      }
    }
  }
}
