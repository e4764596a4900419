import type { Roi } from '../geometry/roi.js';

/** The life cycle of a block, numbered as daisy numbers it. */
export enum BlockStatus {
  CREATED = 0,
  PROCESSING = 1,
  SUCCESS = 2,
  FAILED = 3,
}

/**
 * One unit of work: exclusive write access to `writeRoi`, read access to
 * `readRoi`. `blockId` is the Cantor number of the block's grid index, unique
 * within its task (daisy's numbering).
 */
export class Block {
  status: BlockStatus = BlockStatus.CREATED;

  constructor(
    readonly totalRoi: Roi,
    readonly readRoi: Roi,
    readonly writeRoi: Roi,
    readonly blockId: number,
    readonly taskId: string,
  ) {}

  toString(): string {
    return `${this.taskId}/${this.blockId} with read ROI ${this.readRoi.toString()} and write ROI ${this.writeRoi.toString()}`;
  }
}
