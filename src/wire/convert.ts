import { create } from '@bufbuild/protobuf';
import { Coordinate } from '../geometry/coordinate.js';
import { Roi } from '../geometry/roi.js';
import { Block, BlockStatus } from '../model/block.js';
import type { TaskState } from '../model/task-state.js';
import {
  CoordinateSchema,
  RoiSchema,
  type Coordinate as CoordinateMessage,
  type Roi as RoiMessage,
} from '../gen/daisychain/v1/geometry_pb.js';
import {
  BlockSchema,
  BlockStatus as WireBlockStatus,
  TaskStateSchema,
  type Block as BlockMessage,
  type TaskState as TaskStateMessage,
} from '../gen/daisychain/v1/scheduler_pb.js';

/** Conversions between daisychain's objects and their protobuf messages. */

export class WireError extends Error {
  override name = 'WireError';
}

export function coordinateToWire(c: Coordinate): CoordinateMessage {
  const values: bigint[] = [];
  const nullDims: number[] = [];
  let d = 0;
  for (const v of c) {
    if (v === null) nullDims.push(d);
    values.push(BigInt(v ?? 0));
    d++;
  }
  return create(CoordinateSchema, { values, nullDims });
}

export function coordinateFromWire(message: CoordinateMessage | undefined, what: string): Coordinate {
  if (message === undefined) throw new WireError(`${what} is missing`);
  const entries: (number | null)[] = message.values.map((v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new WireError(`${what} entry ${v} is outside ±2^53`);
    return n;
  });
  for (const d of message.nullDims) {
    if (d >= entries.length) throw new WireError(`${what} marks dimension ${d} as null but has ${entries.length} dimensions`);
    entries[d] = null;
  }
  return new Coordinate(entries);
}

export function roiToWire(roi: Roi): RoiMessage {
  return create(RoiSchema, { offset: coordinateToWire(roi.offset), shape: coordinateToWire(roi.shape) });
}

export function roiFromWire(message: RoiMessage | undefined, what: string): Roi {
  if (message === undefined) throw new WireError(`${what} is missing`);
  const offset = coordinateFromWire(message.offset, `${what} offset`);
  const shape = coordinateFromWire(message.shape, `${what} shape`);
  if (offset.dims !== shape.dims) {
    throw new WireError(`${what} has an offset of ${offset.dims} dimensions and a shape of ${shape.dims}`);
  }
  return new Roi(offset, shape);
}

/** daisy's numbering (CREATED 0) is one less than the wire's, which keeps 0 for "not set". */
export const statusToWire = (status: BlockStatus): WireBlockStatus => (status + 1) as WireBlockStatus;

export function statusFromWire(status: WireBlockStatus): BlockStatus | null {
  return status >= 1 && status <= 4 ? ((status - 1) as BlockStatus) : null;
}

export function blockToWire(block: Block, attempt: number): BlockMessage {
  return create(BlockSchema, {
    taskId: block.taskId,
    blockId: BigInt(block.blockId),
    readRoi: roiToWire(block.readRoi),
    writeRoi: roiToWire(block.writeRoi),
    status: statusToWire(block.status),
    attempt,
    totalRoi: roiToWire(block.totalRoi),
  });
}

export interface WireBlock {
  block: Block;
  attempt: number;
}

export function blockFromWire(message: BlockMessage): WireBlock {
  const block = new Block(
    roiFromWire(message.totalRoi, 'block total ROI'),
    roiFromWire(message.readRoi, 'block read ROI'),
    roiFromWire(message.writeRoi, 'block write ROI'),
    Number(message.blockId),
    message.taskId,
  );
  block.status = statusFromWire(message.status) ?? BlockStatus.CREATED;
  return { block, attempt: message.attempt };
}

export function taskStateToWire(taskId: string, state: TaskState): TaskStateMessage {
  return create(TaskStateSchema, {
    taskId,
    started: state.started,
    totalBlockCount: BigInt(state.totalBlockCount),
    readyCount: BigInt(state.readyCount),
    processingCount: BigInt(state.processingCount),
    pendingCount: BigInt(Math.max(0, state.pendingCount)),
    completedCount: BigInt(state.completedCount),
    skippedCount: BigInt(state.skippedCount),
    failedCount: BigInt(state.failedCount),
    orphanedCount: BigInt(state.orphanedCount),
    done: state.isDone(),
    abandoned: state.abandoned,
    workerFailureCount: BigInt(state.workerFailureCount),
    workerRestartCount: BigInt(state.workerRestartCount),
  });
}
