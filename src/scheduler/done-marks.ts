import type { BlockwiseDependencyGraph } from '../dependencies/blockwise-dependency-graph.js';
import type { Roi } from '../geometry/roi.js';

/**
 * A task's done markers as the scheduler uses them (src/tracking's
 * `BlockTracker` satisfies it): one byte per cell of the task's tracking
 * grid, read before any check, set when a block succeeds; failed attempts
 * counted per cell.
 */
export interface DoneMarks {
  /** The tracking grid: `ceil(total_roi.shape / write_roi.shape)` per axis, cells in C order. */
  readonly gridShape: readonly number[];
  /** The cell of the block with this write ROI. */
  cellOf(writeRoi: Roi): number;
  /** The done array, one byte per cell (read only). */
  doneCells(): Uint8Array;
  markDone(block: { readonly writeRoi: Roi }): void;
  countFailure(block: { readonly writeRoi: Roi }): number;
  /** The failed attempts counted for the block with this write ROI. */
  failures(block: { readonly writeRoi: Roi }): number;
}

/**
 * A task's done markers by key of its dependency graph: a block's cell is an
 * affine function of its grid index (the tracking grid shares the write
 * shape and origin up to a whole number of cells), so a key's cell is found
 * without building its Block.
 */
export class KeyedDoneMarks {
  private readonly base: number;
  private readonly strides: number[];
  private readonly cells: Uint8Array;
  private readonly index: number[];

  constructor(
    readonly marks: DoneMarks,
    private readonly graph: BlockwiseDependencyGraph,
  ) {
    this.cells = marks.doneCells();
    const shape = marks.gridShape;
    this.strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
    this.index = new Array<number>(graph.dims).fill(0);
    this.base = graph.numBlocks === 0 ? 0 : marks.cellOf(graph.block(0).writeRoi);
  }

  /** Whether the block of this local key is marked done. */
  isDone(localKey: number): boolean {
    const k = this.graph.gridIndex(localKey, this.index);
    let cell = this.base;
    for (let d = 0; d < k.length; d++) cell += k[d]! * this.strides[d]!;
    return this.cells[cell] !== 0;
  }
}
