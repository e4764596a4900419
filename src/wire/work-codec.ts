import type { Coordinate } from '../geometry/coordinate.js';
import type { Roi } from '../geometry/roi.js';
import { type Block, BlockStatus } from '../model/block.js';
import { BlockStatus as WireBlockStatus } from '../gen/daisychain/v1/scheduler_pb.js';
import { statusFromWire, statusToWire } from './convert.js';
import { MAX_ACQUIRE } from './limits.js';
import { EncodedBlocksResponse, PreReadWorkRequest, type ReleaseReport, type WireBlockId, type WorkRequestBody } from './work-messages.js';

/**
 * The two messages of every round trip, encoded and decoded by hand: a
 * `WorkRequest` of `releases`, `release` or `acquire` read straight into what
 * `readWorkRequest` returns, and a `WorkResponse` of `blocks` written straight
 * from the blocks. protobuf-es's reflection cost the server about 17 µs of
 * the 60 µs it spends per block at one block per round trip (bench/README.md);
 * these take 2–3.
 *
 * Byte for byte what protobuf-es writes, and read as protobuf-es reads, for
 * every message (tests/wire/work-codec.property.test.ts). The decoder takes
 * only the plain shape a client sends: anything else (an unknown or repeated
 * field, an error text, an id beyond 2^49, a list longer than MAX_ACQUIRE, a
 * malformed byte) gives null, and protobuf-es reads the message as before.
 */

// -- decoding -------------------------------------------------------------------

/** Stops the decoder: the message is not of the shape read here. */
const NOT_HOT = Symbol('not hot');

class Reader {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint of at most 7 bytes (below 2^49): exact as a number. */
  varint(): number {
    const { bytes, end } = this;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= end) throw NOT_HOT;
      const byte = bytes[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
    throw NOT_HOT;
  }

  /** A uint32 field's value, as protobuf-es reads one within 32 bits. */
  uint32(): number {
    const value = this.varint();
    if (value > 0xffffffff) throw NOT_HOT;
    return value;
  }

  /** The end of a length-delimited field's bytes. */
  delimited(): number {
    const length = this.varint();
    const end = this.pos + length;
    if (end > this.end) throw NOT_HOT;
    return end;
  }
}

function blockId(value: number): WireBlockId {
  return { id: value, raw: BigInt(value) };
}

/** Acquire{count, ahead}, each at most once. */
function readAcquire(reader: Reader, end: number): { count: number; ahead: number } {
  let count: number | null = null;
  let ahead: number | null = null;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 0x08 && count === null) count = reader.uint32();
    else if (tag === 0x10 && ahead === null) ahead = reader.uint32();
    else throw NOT_HOT;
  }
  if (reader.pos !== end) throw NOT_HOT;
  return { count: count ?? 0, ahead: ahead ?? 0 };
}

/** Release{block_id, status}, each at most once; an error or traceback text is not read here. */
function readRelease(reader: Reader, end: number): ReleaseReport {
  let id: number | null = null;
  let wireStatus: number | null = null;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 0x08 && id === null) id = reader.varint();
    else if (tag === 0x10 && wireStatus === null) {
      wireStatus = reader.varint();
      if (wireStatus > 0x7fffffff) throw NOT_HOT; // an int32 enum: protobuf-es wraps it
    } else throw NOT_HOT;
  }
  if (reader.pos !== end) throw NOT_HOT;
  const raw = (wireStatus ?? 0) as WireBlockStatus;
  const status = statusFromWire(raw);
  return {
    blockId: blockId(id ?? 0),
    status: status === BlockStatus.SUCCESS || status === BlockStatus.FAILED ? status : null,
    statusName: WireBlockStatus[raw] ?? String(raw),
    error: '',
    traceback: '',
  };
}

function readReleases(reader: Reader, end: number): WorkRequestBody & { kind: 'releases' } {
  const releases: ReleaseReport[] = [];
  const started: WireBlockId[] = [];
  let then: { count: number; ahead: number } | null = null;
  let acquireSeen = false;
  while (reader.pos < end) {
    const tag = reader.varint();
    if (tag === 0x0a) {
      if (releases.length === MAX_ACQUIRE) throw NOT_HOT;
      const fieldEnd = reader.delimited();
      releases.push(readRelease(reader, fieldEnd));
    } else if (tag === 0x10) {
      if (started.length === MAX_ACQUIRE) throw NOT_HOT;
      started.push(blockId(reader.varint()));
    } else if (tag === 0x12) {
      const fieldEnd = reader.delimited();
      while (reader.pos < fieldEnd) {
        if (started.length === MAX_ACQUIRE) throw NOT_HOT;
        started.push(blockId(reader.varint()));
      }
      if (reader.pos !== fieldEnd) throw NOT_HOT;
    } else if (tag === 0x1a && !acquireSeen) {
      acquireSeen = true;
      const fieldEnd = reader.delimited();
      then = readAcquire(reader, fieldEnd);
    } else throw NOT_HOT;
  }
  if (reader.pos !== end) throw NOT_HOT;
  return { kind: 'releases', releases, started, single: false, then };
}

/**
 * A serialized WorkRequest read here when it is an Acquire, a Release or a
 * Releases of the plain shape; null for any other (protobuf-es reads it).
 */
export function decodeHotWorkRequest(bytes: Uint8Array): PreReadWorkRequest | null {
  const reader = new Reader(bytes, 0, bytes.length);
  try {
    if (bytes.length === 0) return null;
    const tag = reader.varint();
    const end = reader.delimited();
    let request: PreReadWorkRequest;
    if (tag === 0x12) {
      const { count, ahead } = readAcquire(reader, end);
      request = new PreReadWorkRequest({ kind: 'acquire', count, ahead }, 'acquire');
    } else if (tag === 0x1a) {
      request = new PreReadWorkRequest({ kind: 'releases', releases: [readRelease(reader, end)], started: [], single: true, then: null }, 'release');
    } else if (tag === 0x2a) {
      request = new PreReadWorkRequest(readReleases(reader, end), 'releases');
    } else return null;
    // One field only: a second one (the oneof set twice, or anything else) is protobuf-es's to read.
    return reader.pos === bytes.length ? request : null;
  } catch (error) {
    if (error === NOT_HOT) return null;
    throw error;
  }
}

// -- encoding -------------------------------------------------------------------

const utf8 = new TextEncoder();
// A server hands out the blocks of few tasks: the last task id's bytes are kept, not encoded per block.
let lastTaskId = '';
let lastTaskIdBytes = new Uint8Array(0);

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

class Writer {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  varint(value: number): void {
    const { bytes } = this;
    while (value >= 0x80) {
      bytes[this.pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    bytes[this.pos++] = value;
  }

  /** An int64's varint: ten bytes, two's complement, for a negative value. */
  int64(value: number): void {
    if (value >= 0) {
      this.varint(value);
      return;
    }
    let rest = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 9; i++) {
      this.bytes[this.pos++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.bytes[this.pos++] = Number(rest);
  }
}

/** A Coordinate's encoded length, and the lengths of its two packed lists. */
interface CoordinateSize {
  total: number;
  values: number;
  nullDims: number;
}

function coordinateSize(coordinate: Coordinate): CoordinateSize {
  let values = 0;
  let nullDims = 0;
  const dims = coordinate.dims;
  for (let d = 0; d < dims; d++) {
    const v = coordinate.get(d);
    if (v === null) {
      values += 1;
      nullDims += varintSize(d);
    } else values += v < 0 ? 10 : varintSize(v);
  }
  let total = 0;
  if (values > 0) total += 1 + varintSize(values) + values;
  if (nullDims > 0) total += 1 + varintSize(nullDims) + nullDims;
  return { total, values, nullDims };
}

function writeCoordinate(w: Writer, coordinate: Coordinate, size: CoordinateSize): void {
  const dims = coordinate.dims;
  if (size.values > 0) {
    w.bytes[w.pos++] = 0x0a;
    w.varint(size.values);
    for (let d = 0; d < dims; d++) w.int64(coordinate.get(d) ?? 0);
  }
  if (size.nullDims > 0) {
    w.bytes[w.pos++] = 0x12;
    w.varint(size.nullDims);
    for (let d = 0; d < dims; d++) if (coordinate.get(d) === null) w.varint(d);
  }
}

interface RoiSize {
  total: number;
  offset: CoordinateSize;
  shape: CoordinateSize;
}

// The blocks of a task share their read and write shapes (Coordinates) and their total ROI: the
// sizes of the last two shapes seen and the bytes of the last total ROI are kept, not computed per block.
const shapeSizes: [Coordinate | null, CoordinateSize | null, Coordinate | null, CoordinateSize | null] = [null, null, null, null];
let lastTotalRoi: Roi | null = null;
let lastTotalRoiBytes: Uint8Array = new Uint8Array(0);

function shapeSize(shape: Coordinate): CoordinateSize {
  if (shapeSizes[0] === shape) return shapeSizes[1]!;
  if (shapeSizes[2] === shape) return shapeSizes[3]!;
  const size = coordinateSize(shape);
  shapeSizes[2] = shapeSizes[0];
  shapeSizes[3] = shapeSizes[1];
  shapeSizes[0] = shape;
  shapeSizes[1] = size;
  return size;
}

function roiSize(roi: Roi): RoiSize {
  const offset = coordinateSize(roi.offset);
  const shape = shapeSize(roi.shape);
  return { total: 2 + varintSize(offset.total) + offset.total + varintSize(shape.total) + shape.total, offset, shape };
}

/** The total ROI's field (tag 7), as bytes. */
function totalRoiBytes(roi: Roi): Uint8Array {
  if (roi !== lastTotalRoi) {
    const size = roiSize(roi);
    const w = new Writer(new Uint8Array(1 + varintSize(size.total) + size.total));
    writeRoi(w, 0x3a, roi, size);
    lastTotalRoi = roi;
    lastTotalRoiBytes = w.bytes;
  }
  return lastTotalRoiBytes;
}

function writeRoi(w: Writer, tag: number, roi: Roi, size: RoiSize): void {
  w.bytes[w.pos++] = tag;
  w.varint(size.total);
  w.bytes[w.pos++] = 0x0a;
  w.varint(size.offset.total);
  writeCoordinate(w, roi.offset, size.offset);
  w.bytes[w.pos++] = 0x12;
  w.varint(size.shape.total);
  writeCoordinate(w, roi.shape, size.shape);
}

/** One block's encoding: its fields' sizes, computed once for both passes. */
interface BlockPlan {
  block: Block;
  attempt: number;
  taskId: Uint8Array;
  read: RoiSize;
  write: RoiSize;
  totalRoi: Uint8Array;
  size: number;
}

/**
 * `WorkResponse{blocks: Blocks{blocks}}` as protobuf-es's toBinary writes it
 * (fields in number order, proto3 defaults left out, packed coordinates), for
 * blocks with their attempts.
 */
export function encodeBlocksResponse(blocks: readonly { block: Block; attempt: number }[]): EncodedBlocksResponse {
  const plans: BlockPlan[] = [];
  let blocksSize = 0;
  for (const { block, attempt } of blocks) {
    if (block.taskId !== lastTaskId) {
      lastTaskId = block.taskId;
      lastTaskIdBytes = utf8.encode(block.taskId);
    }
    const taskId = lastTaskIdBytes;
    const read = roiSize(block.readRoi);
    const write = roiSize(block.writeRoi);
    const totalRoi = totalRoiBytes(block.totalRoi);
    let size = 0;
    if (taskId.length > 0) size += 1 + varintSize(taskId.length) + taskId.length;
    if (block.blockId !== 0) size += 1 + varintSize(block.blockId);
    for (const roi of [read, write]) size += 1 + varintSize(roi.total) + roi.total;
    size += 1 + varintSize(statusToWire(block.status)); // never 0: daisy's statuses are one more on the wire
    if (attempt !== 0) size += 1 + varintSize(attempt);
    size += totalRoi.length;
    plans.push({ block, attempt, taskId, read, write, totalRoi, size });
    blocksSize += 1 + varintSize(size) + size;
  }
  const bytes = new Uint8Array(1 + varintSize(blocksSize) + blocksSize);
  const w = new Writer(bytes);
  w.bytes[w.pos++] = 0x0a;
  w.varint(blocksSize);
  for (const plan of plans) {
    const { block } = plan;
    w.bytes[w.pos++] = 0x0a;
    w.varint(plan.size);
    if (plan.taskId.length > 0) {
      w.bytes[w.pos++] = 0x0a;
      w.varint(plan.taskId.length);
      bytes.set(plan.taskId, w.pos);
      w.pos += plan.taskId.length;
    }
    if (block.blockId !== 0) {
      w.bytes[w.pos++] = 0x10;
      w.varint(block.blockId);
    }
    writeRoi(w, 0x1a, block.readRoi, plan.read);
    writeRoi(w, 0x22, block.writeRoi, plan.write);
    w.bytes[w.pos++] = 0x28;
    w.varint(statusToWire(block.status));
    if (plan.attempt !== 0) {
      w.bytes[w.pos++] = 0x30;
      w.varint(plan.attempt);
    }
    bytes.set(plan.totalRoi, w.pos);
    w.pos += plan.totalRoi.length;
  }
  return new EncodedBlocksResponse(bytes);
}
