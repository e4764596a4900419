import { Roi } from '../geometry/roi.js';
import { Block } from '../model/block.js';
import { type Fit, type Task, TaskValidationError } from '../model/task.js';
import { cantorNumber } from './cantor.js';

export interface BlockwiseDependencyGraphOptions {
  taskId: string;
  blockReadRoi: Roi;
  blockWriteRoi: Roi;
  readWriteConflict: boolean;
  fit: Fit;
  totalReadRoi?: Roi;
  totalWriteRoi?: Roi;
}

/** A box in world units as plain numbers, to keep the hot paths free of Roi objects. */
export interface Box {
  begin: number[];
  end: number[];
}

const floorDiv = (a: number, b: number): number => Math.floor(a / b);
const pyMod = (a: number, b: number): number => ((a % b) + b) % b;

function product(ranges: readonly (readonly number[])[]): number[][] {
  let out: number[][] = [[]];
  for (const values of ranges) {
    const next: number[][] = [];
    for (const prefix of out) for (const v of values) next.push([...prefix, v]);
    out = next;
  }
  return out;
}

/**
 * The blocks of one task and their dependencies inside that task, computed on
 * demand from the block grid: nothing proportional to the number of blocks is
 * held. A block is named by its *local key*, the row-major index of its grid
 * position (block k covers write ROI `totalWriteRoi.begin + k * writeShape`).
 *
 * Levels follow daisy: blocks whose grid index is congruent modulo the level
 * stride form one level and never conflict; a block of level l waits for the
 * conflicting blocks of level l - 1.
 */
export class BlockwiseDependencyGraph {
  readonly taskId: string;
  readonly fit: Fit;
  readonly readWriteConflict: boolean;
  readonly blockReadRoi: Roi;
  readonly blockWriteRoi: Roi;
  readonly totalReadRoi: Roi;
  readonly totalWriteRoi: Roi;
  readonly dims: number;
  /** Blocks per dimension and in all. */
  readonly gridShape: readonly number[];
  readonly numBlocks: number;
  readonly numLevels: number;

  private readonly writeShape: number[];
  private readonly readShape: number[];
  private readonly contextNeg: number[];
  private readonly contextPos: number[];
  private readonly totalReadBegin: number[];
  private readonly totalReadEnd: number[];
  private readonly totalWriteBegin: number[];
  private readonly totalWriteEnd: number[];
  private readonly gridStride: number[];
  /** Level stride in blocks. */
  private readonly levelStride: number[];
  /** Grid offset of each level, in daisy's level order. */
  private readonly levelOffsets: number[][];
  /** Level number of each residue (row-major over `levelStride`). */
  private readonly levelOfResidue: Int32Array;
  /** Per level, grid offsets from a block to the blocks of the previous level it waits for. */
  private readonly levelConflicts: number[][][];
  private readonly scratch: number[];

  constructor(options: BlockwiseDependencyGraphOptions) {
    const { taskId, blockReadRoi, blockWriteRoi, readWriteConflict, fit } = options;
    this.taskId = taskId;
    this.fit = fit;
    this.readWriteConflict = readWriteConflict;
    this.blockReadRoi = blockReadRoi;
    this.blockWriteRoi = blockWriteRoi;
    const dims = blockWriteRoi.dims;
    this.dims = dims;
    const nums = (c: { toArray(): (number | null)[] }): number[] => c.toArray().map((v) => v as number);

    this.writeShape = nums(blockWriteRoi.shape);
    this.readShape = nums(blockReadRoi.shape);
    this.contextNeg = nums(blockWriteRoi.begin.sub(blockReadRoi.begin));
    this.contextPos = nums(blockReadRoi.end.sub(blockWriteRoi.end));
    if (options.totalReadRoi !== undefined) {
      this.totalReadRoi = options.totalReadRoi;
      this.totalWriteRoi = options.totalReadRoi.grow(
        this.contextNeg.map((c) => -c),
        this.contextPos.map((c) => -c),
      );
    } else if (options.totalWriteRoi !== undefined) {
      this.totalWriteRoi = options.totalWriteRoi;
      this.totalReadRoi = options.totalWriteRoi.grow(this.contextNeg, this.contextPos);
    } else {
      throw new Error('BlockwiseDependencyGraph needs totalReadRoi or totalWriteRoi');
    }
    this.totalReadBegin = nums(this.totalReadRoi.begin);
    this.totalReadEnd = nums(this.totalReadRoi.end);
    this.totalWriteBegin = nums(this.totalWriteRoi.begin);
    this.totalWriteEnd = nums(this.totalWriteRoi.end);
    const totalWriteShape = nums(this.totalWriteRoi.shape);

    const strideVoxels = this.computeLevelStride(totalWriteShape);
    const hasLevels = strideVoxels.every((s) => s > 0);
    this.levelStride = hasLevels ? strideVoxels.map((s, d) => s / this.writeShape[d]!) : strideVoxels.map(() => 1);
    const residues = hasLevels ? product(this.levelStride.map((m) => Array.from({ length: m }, (_, i) => i))) : [];
    this.levelOffsets = residues.reverse();
    this.numLevels = this.levelOffsets.length;
    this.levelOfResidue = new Int32Array(this.numLevels);
    this.levelOffsets.forEach((q, level) => {
      this.levelOfResidue[this.residueIndex(q)] = level;
    });
    this.levelConflicts = this.levelOffsets.map((offset, level) => {
      if (level === 0 || !readWriteConflict) return [];
      const toPrevious = this.levelOffsets[level - 1]!.map((p, d) => p - offset[d]!);
      return product(
        toPrevious.map((op, d) => {
          const m = this.levelStride[d]!;
          return op < 0 ? [op, op + m] : op === 0 ? [0] : [op - m, op];
        }),
      );
    });

    // daisy includes a block when its write ROI fits (valid) or merely starts
    // (overhang, shrink) inside the total write ROI.
    const rounding = fit === 'valid' ? this.writeShape : this.writeShape.map(() => 1);
    this.gridShape = totalWriteShape.map((e, d) =>
      hasLevels ? Math.max(0, floorDiv(e - rounding[d]!, this.writeShape[d]!) + 1) : 0,
    );
    this.gridStride = new Array<number>(dims);
    let stride = 1;
    for (let d = dims - 1; d >= 0; d--) {
      this.gridStride[d] = stride;
      stride *= this.gridShape[d]!;
    }
    this.numBlocks = stride;
    if (!Number.isSafeInteger(this.numBlocks)) {
      throw new TaskValidationError(`task ${JSON.stringify(taskId)} has more than 2^53 blocks`);
    }
    this.scratch = new Array<number>(dims).fill(0);
    this.assertIdsRepresentable();
  }

  /**
   * Block ids grow with every grid coordinate, so the far corner has the
   * largest: when it fits below 2^53 every id does, exactly, on the wire
   * (uint64) and in every client's integers; otherwise the task is refused
   * now rather than failing at its first such block.
   */
  private assertIdsRepresentable(): void {
    if (this.numBlocks === 0) return;
    try {
      this.blockId(this.numBlocks - 1);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new TaskValidationError(
        `task ${JSON.stringify(this.taskId)} has block ids beyond 2^53 (its grid is ${this.gridShape.join(' × ')} blocks): ${error.message}; use larger blocks or a smaller total ROI`,
      );
    }
  }

  static fromTask(task: Task): BlockwiseDependencyGraph {
    return new BlockwiseDependencyGraph({
      taskId: task.taskId,
      blockReadRoi: task.readRoi,
      blockWriteRoi: task.writeRoi,
      readWriteConflict: task.readWriteConflict,
      fit: task.fit,
      totalReadRoi: task.totalRoi,
    });
  }

  /** Level stride in voxels: independent blocks, rounded to whole blocks, clipped to the volume. */
  private computeLevelStride(totalWriteShape: number[]): number[] {
    const ws = this.writeShape;
    if (!this.readWriteConflict) return [...ws];
    return ws.map((w, d) => {
      const minStride = Math.max(this.contextNeg[d]!, this.contextPos[d]!) + w;
      const stride = (floorDiv(minStride - 1, w) + 1) * w;
      const e = totalWriteShape[d]!;
      // Without clipping, a volume smaller than the stride has levels with no block.
      const volume = this.fit === 'valid' ? e - pyMod(e, w) : e + pyMod(pyMod(-e, w), w);
      return Math.min(stride, volume);
    });
  }

  private residueIndex(q: ArrayLike<number>): number {
    let index = 0;
    for (let d = 0; d < this.dims; d++) index = index * this.levelStride[d]! + q[d]!;
    return index;
  }

  /** Writes the grid index of `key` into `out`. */
  gridIndex(key: number, out: number[] = new Array<number>(this.dims)): number[] {
    for (let d = 0; d < this.dims; d++) {
      const stride = this.gridStride[d]!;
      const k = Math.floor(key / stride);
      out[d] = k % this.gridShape[d]!;
    }
    return out;
  }

  keyOf(index: ArrayLike<number>): number {
    let key = 0;
    for (let d = 0; d < this.dims; d++) key += index[d]! * this.gridStride[d]!;
    return key;
  }

  private levelOfIndex(k: ArrayLike<number>): number {
    let index = 0;
    for (let d = 0; d < this.dims; d++) {
      const m = this.levelStride[d]!;
      index = index * m + (k[d]! % m);
    }
    return this.levelOfResidue[index]!;
  }

  level(key: number): number {
    return this.levelOfIndex(this.gridIndex(key, this.scratch));
  }

  /** Appends to `out` the keys of `k + sign * offset` for each offset that stays on the grid. */
  private neighbours(k: number[], offsets: number[][], sign: number, out: number[]): void {
    const dims = this.dims;
    next: for (const offset of offsets) {
      let key = 0;
      for (let d = 0; d < dims; d++) {
        const j = k[d]! + sign * offset[d]!;
        if (j < 0 || j >= this.gridShape[d]!) continue next;
        key += j * this.gridStride[d]!;
      }
      out.push(key);
    }
  }

  /** Keys of the blocks of the previous level that `key` waits for. */
  upstreamKeys(key: number, out: number[] = []): number[] {
    if (!this.readWriteConflict) return out;
    const k = this.gridIndex(key, this.scratch);
    this.neighbours(k, this.levelConflicts[this.levelOfIndex(k)]!, 1, out);
    return out;
  }

  /** Keys of the blocks of the next level that wait for `key`. */
  downstreamKeys(key: number, out: number[] = []): number[] {
    if (!this.readWriteConflict) return out;
    const k = this.gridIndex(key, this.scratch);
    const next = this.levelOfIndex(k) + 1;
    if (next < this.numLevels) this.neighbours(k, this.levelConflicts[next]!, -1, out);
    return out;
  }

  numRoots(): number {
    if (this.numLevels === 0) return 0;
    const first = this.levelOffsets[0]!;
    let count = 1;
    for (let d = 0; d < this.dims; d++) {
      const n = this.gridShape[d]!;
      const q = first[d]!;
      count *= n > q ? Math.ceil((n - q) / this.levelStride[d]!) : 0;
    }
    return count;
  }

  /** Keys of the first level, in daisy's order (row-major over the level grid). */
  *rootKeys(): Generator<number> {
    if (this.numLevels === 0) yield* [];
    else yield* this.levelKeys(0);
  }

  *levelKeys(level: number): Generator<number> {
    const first = this.levelOffsets[level]!;
    const dims = this.dims;
    const stride = this.levelStride;
    for (let d = 0; d < dims; d++) if (first[d]! >= this.gridShape[d]!) return;
    const k = [...first];
    for (;;) {
      yield this.keyOf(k);
      let d = dims - 1;
      while (d >= 0) {
        k[d]! += stride[d]!;
        if (k[d]! < this.gridShape[d]!) break;
        k[d] = first[d]!;
        d--;
      }
      if (d < 0) return;
    }
  }

  /** The read and write box of a block, shrunk to the volume when fit is 'shrink'. */
  boxes(key: number): { read: Box; write: Box } {
    const k = this.gridIndex(key, this.scratch);
    const read: Box = { begin: [], end: [] };
    const write: Box = { begin: [], end: [] };
    const shrink = this.fit === 'shrink';
    for (let d = 0; d < this.dims; d++) {
      const readBegin = this.totalReadBegin[d]! + k[d]! * this.writeShape[d]!;
      const writeBegin = readBegin + this.contextNeg[d]!;
      let readEnd = readBegin + this.readShape[d]!;
      let writeEnd = writeBegin + this.writeShape[d]!;
      if (shrink) {
        readEnd = Math.min(readEnd, this.totalReadEnd[d]!);
        writeEnd = Math.min(writeEnd, this.totalWriteEnd[d]!);
      }
      read.begin.push(readBegin);
      read.end.push(readEnd);
      write.begin.push(writeBegin);
      write.end.push(writeEnd);
    }
    return { read, write };
  }

  /** daisy's block id: the Cantor number of (write offset - total read offset) / write shape. */
  blockId(key: number): number {
    const k = this.gridIndex(key, this.scratch);
    const index = new Array<number>(this.dims);
    for (let d = 0; d < this.dims; d++) {
      const w = this.writeShape[d]!;
      // funlib's Coordinate truncates each quotient to an integer.
      index[d] = Math.trunc((k[d]! * w + this.contextNeg[d]!) / w);
    }
    return cantorNumber(index);
  }

  /** The local key of the block with this daisy id, or undefined when there is none. */
  keyOfWriteBegin(writeBegin: readonly number[]): number | undefined {
    let key = 0;
    for (let d = 0; d < this.dims; d++) {
      const offset = writeBegin[d]! - this.totalWriteBegin[d]!;
      const w = this.writeShape[d]!;
      if (offset % w !== 0) return undefined;
      const k = offset / w;
      if (k < 0 || k >= this.gridShape[d]!) return undefined;
      key += k * this.gridStride[d]!;
    }
    return key;
  }

  block(key: number): Block {
    if (this.fit === 'shrink') {
      const { read, write } = this.boxes(key);
      return new Block(this.totalReadRoi, boxToRoi(read), boxToRoi(write), this.blockId(key), this.taskId);
    }
    // Every block has the task's read and write shapes: its ROIs share those Coordinates (one
    // block is built per hand-out, and the wire encoder keeps the bytes of a shape it saw last).
    const k = this.gridIndex(key, this.scratch);
    const readBegin = new Array<number>(this.dims);
    const writeBegin = new Array<number>(this.dims);
    for (let d = 0; d < this.dims; d++) {
      readBegin[d] = this.totalReadBegin[d]! + k[d]! * this.writeShape[d]!;
      writeBegin[d] = readBegin[d]! + this.contextNeg[d]!;
    }
    const id = this.blockId(key);
    return new Block(this.totalReadRoi, new Roi(readBegin, this.blockReadRoi.shape), new Roi(writeBegin, this.blockWriteRoi.shape), id, this.taskId);
  }

  /**
   * Keys of the blocks whose grid cell intersects `box` clipped to the total
   * write ROI, in daisy's order: the blocks daisy's `get_subgraph_blocks`
   * returns, and so the upstream blocks of a reader of `box` in another task.
   */
  subgraphKeys(box: Box, out: number[] = []): number[] {
    const dims = this.dims;
    const low = new Array<number>(dims);
    const high = new Array<number>(dims);
    for (let d = 0; d < dims; d++) {
      const begin = Math.max(box.begin[d]!, this.totalWriteBegin[d]!);
      const end = Math.min(box.end[d]!, this.totalWriteEnd[d]!);
      if (begin >= end) return out;
      const w = this.writeShape[d]!;
      low[d] = floorDiv(begin - this.totalWriteBegin[d]!, w);
      high[d] = Math.min(Math.ceil((end - this.totalWriteBegin[d]!) / w), this.gridShape[d]!);
      if (low[d]! >= high[d]!) return out;
    }
    return this.gridRange(low, high, out);
  }

  /**
   * Keys of the blocks whose read ROI (after `fit`) intersects `box`, in
   * row-major order: the exact inverse of `subgraphKeys`, used to find the
   * downstream blocks of another task's block.
   */
  readerKeys(box: Box, out: number[] = []): number[] {
    const dims = this.dims;
    const low = new Array<number>(dims);
    const high = new Array<number>(dims);
    const shrink = this.fit === 'shrink';
    for (let d = 0; d < dims; d++) {
      const begin = box.begin[d]!;
      // A shrunk read ROI ends at the total read ROI.
      const end = shrink ? Math.min(box.end[d]!, this.totalReadEnd[d]!) : box.end[d]!;
      if (begin >= end) return out;
      const w = this.writeShape[d]!;
      const origin = this.totalReadBegin[d]!;
      // Block k reads [origin + k w, origin + k w + readShape).
      low[d] = Math.max(0, floorDiv(begin - origin - this.readShape[d]!, w) + 1);
      high[d] = Math.min(Math.ceil((end - origin) / w), this.gridShape[d]!);
      if (low[d]! >= high[d]!) return out;
    }
    return this.gridRange(low, high, out);
  }

  /**
   * The region the blocks of this task write, clipped to the total write ROI,
   * or null when the task has no block: what readers of other tasks can see.
   */
  coveredBox(): Box | null {
    if (this.numBlocks === 0) return null;
    const begin = [...this.totalWriteBegin];
    const end = begin.map((b, d) => Math.min(b + this.gridShape[d]! * this.writeShape[d]!, this.totalWriteEnd[d]!));
    return { begin, end };
  }

  /**
   * Per dimension, the half-open range of grid indices whose read ROI (after
   * `fit`) intersects `box` in that dimension; a block reads from `box` iff
   * its index lies in every range.
   */
  readerRanges(box: Box): [number, number][] {
    const ranges: [number, number][] = [];
    for (let d = 0; d < this.dims; d++) {
      const w = this.writeShape[d]!;
      const origin = this.totalReadBegin[d]!;
      const end = this.fit === 'shrink' ? Math.min(box.end[d]!, this.totalReadEnd[d]!) : box.end[d]!;
      const low = Math.max(0, floorDiv(box.begin[d]! - origin - this.readShape[d]!, w) + 1);
      const high = Math.min(Math.ceil((end - origin) / w), this.gridShape[d]!);
      ranges.push(box.begin[d]! < end && low < high ? [low, high] : [0, 0]);
    }
    return ranges;
  }

  /**
   * Keys of the blocks without upstream blocks inside this task (level 0, or
   * every block without read/write conflict) whose grid index lies outside
   * each of the boxes `excluded` (per-dimension index ranges), in row-major
   * order. Visits only the part of the grid outside the first box.
   */
  *keysOutside(excluded: readonly (readonly [number, number])[][]): Generator<number> {
    if (this.numLevels === 0) return;
    const dims = this.dims;
    const first = this.readWriteConflict ? this.levelOffsets[0]! : new Array<number>(dims).fill(0);
    const step = this.readWriteConflict ? this.levelStride : new Array<number>(dims).fill(1);
    const inside = (k: readonly number[], box: readonly (readonly [number, number])[]): boolean =>
      box.every(([lo, hi], d) => k[d]! >= lo && k[d]! < hi);
    const [head, ...rest] = excluded;
    // The complement of the first box as disjoint slabs: inside it in dims < d, outside it in dim d.
    const slabs: [number, number][][] =
      head === undefined
        ? [this.gridShape.map((g): [number, number] => [0, g])]
        : head.flatMap((_, d) =>
            [
              [0, head[d]![0]],
              [head[d]![1], this.gridShape[d]!],
            ].map((outside) =>
              this.gridShape.map((g, e): [number, number] =>
                e < d ? [head[e]![0], head[e]![1]] : e === d ? (outside as [number, number]) : [0, g],
              ),
            ),
          );
    for (const slab of slabs) {
      // First index of the level lattice (first + j * step) at or after lo.
      const starts = slab.map(([lo], d) => first[d]! + Math.max(0, Math.ceil((lo - first[d]!) / step[d]!)) * step[d]!);
      if (starts.some((start, d) => start >= slab[d]![1])) continue;
      const k = [...starts];
      for (;;) {
        if (!rest.some((box) => inside(k, box))) yield this.keyOf(k);
        let d = dims - 1;
        while (d >= 0) {
          k[d]! += step[d]!;
          if (k[d]! < slab[d]![1]) break;
          k[d] = starts[d]!;
          d--;
        }
        if (d < 0) break;
      }
    }
  }

  /** The write box of a block clipped to the total write ROI: what readers of other tasks see of it. */
  clippedWriteBox(key: number): Box {
    const { write } = this.boxes(key);
    for (let d = 0; d < this.dims; d++) {
      write.begin[d] = Math.max(write.begin[d]!, this.totalWriteBegin[d]!);
      write.end[d] = Math.min(write.end[d]!, this.totalWriteEnd[d]!);
    }
    return write;
  }

  private gridRange(low: number[], high: number[], out: number[]): number[] {
    const dims = this.dims;
    const position = [...low];
    for (;;) {
      out.push(this.keyOf(position));
      let d = dims - 1;
      while (d >= 0 && ++position[d]! === high[d]!) position[d] = low[d--]!;
      if (d < 0) return out;
    }
  }

  // daisy-shaped API on Block objects, for users and tests.

  upstream(block: Block): Block[] {
    return this.upstreamKeys(this.keyOfBlock(block)).map((k) => this.block(k));
  }

  downstream(block: Block): Block[] {
    return this.downstreamKeys(this.keyOfBlock(block)).map((k) => this.block(k));
  }

  *rootGen(): Generator<Block> {
    for (const key of this.rootKeys()) yield this.block(key);
  }

  *enumerateAllDependencies(): Generator<[Block, Block[]]> {
    for (let level = 0; level < this.numLevels; level++) {
      for (const key of this.levelKeys(level)) yield [this.block(key), this.upstream(this.block(key))];
    }
  }

  /**
   * daisy's `get_subgraph_blocks`. With `readRoi`, daisy grows the query by
   * the context the way round a read ROI grows from its write ROI (negative
   * context below, positive above), which is the mirror image of "blocks whose
   * read ROI intersects" when the context is asymmetric. This public query
   * keeps daisy's answer; the scheduler's own downstream lookup uses the exact
   * one (`readerKeys`).
   */
  getSubgraphBlocks(subRoi: Roi, readRoi = false): Block[] {
    const box = roiToBox(subRoi);
    if (readRoi) {
      box.begin = box.begin.map((b, d) => b - this.contextNeg[d]!);
      box.end = box.end.map((e, d) => e + this.contextPos[d]!);
    }
    return this.subgraphKeys(box).map((k) => this.block(k));
  }

  keyOfBlock(block: Block): number {
    const key = this.keyOfWriteBegin(block.writeRoi.begin.toArray() as number[]);
    if (key === undefined) {
      throw new Error(`block ${block.toString()} is not a block of task ${JSON.stringify(this.taskId)}`);
    }
    return key;
  }
}

export function boxToRoi(box: Box): Roi {
  return new Roi(
    box.begin,
    box.end.map((e, d) => e - box.begin[d]!),
  );
}

export function roiToBox(roi: Roi): Box {
  if (roi.empty) return { begin: roi.begin.toArray().map(() => 0), end: roi.begin.toArray().map(() => 0) };
  return {
    begin: roi.begin.toArray().map((v) => v ?? -Infinity),
    end: roi.end.toArray().map((v) => v ?? Infinity),
  };
}
