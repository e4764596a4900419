import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import * as path from 'node:path';
import { readChunkFile, writeFileAtomicallySync } from '../arrays/atomic-file-store.js';
import type { Roi } from '../geometry/index.js';
import { describeTask, taskHash, type TrackedTask } from './task-hash.js';

/** The group attribute that binds a tracking group to its task. */
export const HASH_ATTRIBUTE = 'daisy_task_hash';

/** A tracking group that belongs to another task, or is not in daisy 2.0.0's layout. Nothing was changed on disk. */
export class TrackingGroupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrackingGroupError';
  }
}

/**
 * The file beside the group's arrays where each mark is appended as it is
 * made, so that a mark survives a kill of the process (the page cache keeps
 * the write) before the chunk is flushed. daisy 2.0.0 opens its arrays by
 * path and ignores any other file of the group.
 */
export const JOURNAL_FILE = 'daisychain.journal';
/** A journal record: the cell (u32 LE), then 0 for "done" or the cell's failure count (u32 LE). */
const RECORD_BYTES = 8;

export interface BlockTrackerOptions {
  /** Marks are written to disk at most this often (and on `flush` / `close`). Default 1000 ms; 0 writes at every mark. */
  flushIntervalMs?: number;
  /**
   * Append every mark to `daisychain.journal` in the group at once (one
   * small write, no fsync), replayed by the next `open` and emptied at each
   * flush. Default true: a mark survives a SIGKILL of the process as soon
   * as `markDone` returned. false: marks of the last interval die with it.
   */
  journal?: boolean;
}

/** The task's grid: `ceil(total_roi.shape / write_roi.shape)` per axis. */
export function trackingGridShape(task: Pick<TrackedTask, 'totalRoi' | 'writeRoi'>): number[] {
  const total = task.totalRoi.shape.toArray() as number[];
  const write = task.writeRoi.shape.toArray() as number[];
  return total.map((extent, d) => Math.ceil(extent / write[d]!));
}

type ArrayKind = 'done' | 'failures';
const DTYPE: Readonly<Record<ArrayKind, { name: string; bytes: number }>> = {
  done: { name: 'uint8', bytes: 1 },
  failures: { name: 'uint32', bytes: 4 },
};

/** The zarr.json daisy 2.0.0 writes for a tracking array (keys in its order: sorted). */
function arrayMetadata(kind: ArrayKind, shape: readonly number[]): string {
  const metadata = {
    attributes: {},
    chunk_grid: { configuration: { chunk_shape: shape }, name: 'regular' },
    chunk_key_encoding: { configuration: { separator: '/' }, name: 'default' },
    codecs: [{ configuration: { endian: 'little' }, name: 'bytes' }],
    data_type: DTYPE[kind].name,
    fill_value: 0,
    node_type: 'array',
    shape,
    storage_transformers: [],
    zarr_format: 3,
  };
  return JSON.stringify(metadata, null, 2);
}

function groupMetadata(hash: string): string {
  return JSON.stringify({ attributes: { [HASH_ATTRIBUTE]: hash }, node_type: 'group', zarr_format: 3 }, null, 2);
}

function readJson(file: string): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new TrackingGroupError(`${file} is not a JSON object: not a Zarr v3 tracking group`);
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Why an existing tracking array is not the one daisy 2.0.0 would write for this grid, or null. */
function arrayProblem(metadata: Record<string, unknown>, kind: ArrayKind, shape: readonly number[]): string | null {
  if (metadata.zarr_format !== 3 || metadata.node_type !== 'array') return 'not a Zarr v3 array';
  if (metadata.data_type !== DTYPE[kind].name) return `data_type ${JSON.stringify(metadata.data_type)}, expected "${DTYPE[kind].name}"`;
  if (!same(metadata.shape, shape)) return `shape ${JSON.stringify(metadata.shape)}, expected the task's grid ${JSON.stringify(shape)}`;
  const grid = metadata.chunk_grid as { name?: unknown; configuration?: { chunk_shape?: unknown } } | undefined;
  if (grid?.name !== 'regular' || !same(grid.configuration?.chunk_shape, shape)) {
    return `chunk_grid ${JSON.stringify(grid)}, expected one regular chunk of shape ${JSON.stringify(shape)}`;
  }
  const keys = metadata.chunk_key_encoding as { name?: unknown; configuration?: { separator?: unknown } } | undefined;
  if (keys?.name !== 'default' || (keys.configuration?.separator ?? '/') !== '/') {
    return `chunk_key_encoding ${JSON.stringify(keys)}, expected "default" with separator "/"`;
  }
  const codecs = metadata.codecs as { name?: unknown; configuration?: { endian?: unknown } }[] | undefined;
  const endianOk = DTYPE[kind].bytes === 1 || codecs?.[0]?.configuration?.endian === 'little';
  if (!Array.isArray(codecs) || codecs.length !== 1 || codecs[0]?.name !== 'bytes' || !endianOk) {
    return `codecs ${JSON.stringify(codecs)}, expected the bytes codec alone (little-endian)`;
  }
  if (metadata.fill_value !== 0) return `fill_value ${JSON.stringify(metadata.fill_value)}, expected 0`;
  const transformers = metadata.storage_transformers;
  if (transformers !== undefined && !same(transformers, [])) return `storage_transformers ${JSON.stringify(transformers)}`;
  return null;
}

/**
 * One task's tracking group in daisy 2.0.0's layout: `<dir>/zarr.json` (a
 * Zarr v3 group with `attributes.daisy_task_hash`) and two single-chunk
 * arrays, `done/` (uint8, 1 = done) and `failures/` (uint32, failed
 * attempts), whose one chunk is the file `c/0/…/0`. A block's cell is the
 * C-order index of its grid position.
 *
 * Both arrays live in memory; marks are cheap and reach disk by atomic
 * rename at most every `flushIntervalMs`, on `flush()` and on `close()`.
 * One writer per group: two processes (or a daisy run) writing the same
 * group at once overwrite each other's marks.
 */
export class BlockTracker {
  readonly path: string;
  readonly hash: string;
  readonly gridShape: readonly number[];
  readonly cellCount: number;
  readonly #strides: number[];
  readonly #totalOffset: number[];
  readonly #writeShape: number[];
  readonly #done: Uint8Array;
  readonly #failures: Uint32Array;
  readonly #flushIntervalMs: number;
  #doneCount = 0;
  #dirty = new Set<ArrayKind>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;
  #flushError: unknown = null;
  #journalOn = false;
  #journalFd: number | null = null;
  readonly #record = Buffer.alloc(RECORD_BYTES);

  private constructor(dir: string, task: TrackedTask, hash: string, options: BlockTrackerOptions) {
    this.path = dir;
    this.hash = hash;
    this.gridShape = trackingGridShape(task);
    this.cellCount = this.gridShape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(this.cellCount) || this.cellCount > 2 ** 32) {
      throw new RangeError(`task ${JSON.stringify(task.taskId)}: a grid of ${this.gridShape.join('×')} blocks is too large to track`);
    }
    this.#strides = this.gridShape.map((_, d) => this.gridShape.slice(d + 1).reduce((a, b) => a * b, 1));
    this.#totalOffset = task.totalRoi.offset.toArray() as number[];
    this.#writeShape = task.writeRoi.shape.toArray() as number[];
    this.#done = new Uint8Array(this.cellCount);
    this.#failures = new Uint32Array(this.cellCount);
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
  }

  /** Opens `<basedir>/<taskId>`, as daisy's `set_tracking_basedir` places a task's group. */
  static openUnder(basedir: string, task: TrackedTask, options: BlockTrackerOptions = {}): BlockTracker {
    return BlockTracker.open(path.join(basedir, task.taskId), task, options);
  }

  /**
   * Opens the tracking group at `dir`, or creates it. A group with another
   * hash, or arrays of another layout, are refused with a
   * `TrackingGroupError` naming the path and what differs.
   */
  static open(dir: string, task: TrackedTask, options: BlockTrackerOptions = {}): BlockTracker {
    const hash = taskHash(task);
    const tracker = new BlockTracker(dir, task, hash, options);
    const groupFile = path.join(dir, 'zarr.json');
    const group = readJson(groupFile);
    if (group === undefined) {
      tracker.#create();
      // A journal without its group (the group removed, the file left) belongs to no task: dropped.
      rmSync(tracker.#journalFile(), { force: true });
      tracker.#journalOn = options.journal ?? true;
      return tracker;
    }
    if (group.zarr_format !== 3 || group.node_type !== 'group') {
      throw new TrackingGroupError(`${groupFile} is not a Zarr v3 group: not a tracking group`);
    }
    const stored = (group.attributes as Record<string, unknown> | undefined)?.[HASH_ATTRIBUTE];
    if (stored !== hash) {
      const storedText = stored === undefined ? `no ${HASH_ATTRIBUTE}` : `${HASH_ATTRIBUTE} ${JSON.stringify(stored)}`;
      throw new TrackingGroupError(
        `tracking group ${dir} belongs to another task: it holds ${storedText}, while task ${JSON.stringify(task.taskId)} ` +
          `(${describeTask(task)}) has ${hash}; remove the directory or track the task elsewhere`,
      );
    }
    for (const kind of ['done', 'failures'] as const) tracker.#load(kind);
    if (options.journal ?? true) tracker.#replayJournal();
    return tracker;
  }

  /** Replays the marks a killed process journaled but never flushed, and writes them to the chunks. */
  #replayJournal(): void {
    this.#journalOn = true;
    const file = this.#journalFile();
    const bytes = readChunkFile(file);
    if (bytes === undefined) return;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // A torn last record (a crash of the machine mid-write) is dropped: its block runs again.
    for (let at = 0; at + RECORD_BYTES <= bytes.length; at += RECORD_BYTES) {
      const cell = view.getUint32(at, true);
      const value = view.getUint32(at + 4, true);
      if (cell >= this.cellCount) {
        throw new TrackingGroupError(`${file} names cell ${cell}, beyond the ${this.cellCount} cells of the group: not this group's journal`);
      }
      if (value === 0) this.#setDone(cell);
      else if (value > this.#failures[cell]!) {
        this.#failures[cell] = value;
        this.#dirty.add('failures');
      }
    }
    this.flush();
    rmSync(file, { force: true });
  }

  #journalFile(): string {
    return path.join(this.path, JOURNAL_FILE);
  }

  /** Appends one record; the file is made at the first mark, so that a group only read stays as it was. */
  #journal(cell: number, value: number): void {
    if (!this.#journalOn) return;
    this.#journalFd ??= openSync(this.#journalFile(), 'a');
    this.#record.writeUInt32LE(cell, 0);
    this.#record.writeUInt32LE(value, 4);
    writeSync(this.#journalFd, this.#record, 0, RECORD_BYTES);
  }

  #setDone(cell: number): boolean {
    if (this.#done[cell] !== 0) return false;
    this.#done[cell] = 1;
    this.#doneCount++;
    this.#dirty.add('done');
    return true;
  }

  #arrayDir(kind: ArrayKind): string {
    return path.join(this.path, kind);
  }

  #chunkFile(kind: ArrayKind): string {
    return path.join(this.#arrayDir(kind), 'c', ...this.gridShape.map(() => '0'));
  }

  #create(): void {
    for (const kind of ['done', 'failures'] as const) {
      mkdirSync(this.#arrayDir(kind), { recursive: true });
      writeFileAtomicallySync(path.join(this.#arrayDir(kind), 'zarr.json'), Buffer.from(arrayMetadata(kind, this.gridShape)));
    }
    // Both chunks exist from the start, zeros, as daisy 2.0.0 writes them.
    if (this.cellCount > 0) {
      writeFileAtomicallySync(this.#chunkFile('done'), this.#done);
      writeFileAtomicallySync(this.#chunkFile('failures'), new Uint8Array(this.cellCount * 4));
    }
    // The group's zarr.json last: a group without it is created again, never half-trusted.
    writeFileAtomicallySync(path.join(this.path, 'zarr.json'), Buffer.from(groupMetadata(this.hash)));
  }

  #load(kind: ArrayKind): void {
    const file = path.join(this.#arrayDir(kind), 'zarr.json');
    const metadata = readJson(file);
    if (metadata === undefined) {
      writeFileAtomicallySync(file, Buffer.from(arrayMetadata(kind, this.gridShape)));
      return;
    }
    const problem = arrayProblem(metadata, kind, this.gridShape);
    if (problem !== null) throw new TrackingGroupError(`tracking array ${this.#arrayDir(kind)} is not daisy 2.0.0's layout: ${problem}`);
    const bytes = readChunkFile(this.#chunkFile(kind));
    if (bytes === undefined) return; // all fill value
    const expected = this.cellCount * DTYPE[kind].bytes;
    if (bytes.length !== expected) {
      throw new TrackingGroupError(`tracking chunk ${this.#chunkFile(kind)} holds ${bytes.length} bytes, expected ${expected}`);
    }
    if (kind === 'done') {
      this.#done.set(bytes);
      let count = 0;
      for (const value of this.#done) if (value !== 0) count++;
      this.#doneCount = count;
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < this.cellCount; i++) this.#failures[i] = view.getUint32(i * 4, true);
    }
  }

  /** The cell of the block whose write ROI this is: the C-order index of `(offset − total offset) / write shape`. */
  cellOf(writeRoi: Roi): number {
    const offset = writeRoi.offset.toArray();
    let cell = 0;
    for (let d = 0; d < this.gridShape.length; d++) {
      const index = Math.floor(((offset[d] as number) - this.#totalOffset[d]!) / this.#writeShape[d]!);
      if (!(index >= 0 && index < this.gridShape[d]!)) {
        throw new RangeError(`write_roi ${writeRoi.toString()} lies outside the grid ${this.gridShape.join('×')} of ${this.path}`);
      }
      cell += index * this.#strides[d]!;
    }
    return cell;
  }

  isDone(block: { readonly writeRoi: Roi }): boolean {
    return this.#done[this.cellOf(block.writeRoi)] !== 0;
  }

  /** Marks the block done; with the journal (the default) the mark survives a kill of the process once this returns. */
  markDone(block: { readonly writeRoi: Roi }): void {
    this.markCellDone(this.cellOf(block.writeRoi));
  }

  /** `markDone` by cell (`cellOf`), for callers that hold cells rather than blocks. */
  markCellDone(cell: number): void {
    this.#assertOpen();
    if (!this.#setDone(cell)) return;
    this.#journal(cell, 0);
    this.#touch('done');
  }

  /** Counts one failed attempt of the block; returns the block's count. */
  countFailure(block: { readonly writeRoi: Roi }): number {
    this.#assertOpen();
    const cell = this.cellOf(block.writeRoi);
    if (this.#failures[cell]! < 0xffffffff) this.#failures[cell]!++;
    this.#journal(cell, this.#failures[cell]!);
    this.#touch('failures');
    return this.#failures[cell]!;
  }

  failures(block: { readonly writeRoi: Roi }): number {
    return this.#failures[this.cellOf(block.writeRoi)]!;
  }

  /** How many cells are marked done. */
  get doneCount(): number {
    return this.#doneCount;
  }

  /** The whole done array, one byte per cell in C order (a view: do not write to it). */
  doneCells(): Uint8Array {
    return this.#done;
  }

  /** The C-order grid index of a cell. */
  gridIndexOf(cell: number): number[] {
    return this.#strides.map((stride, d) => Math.floor(cell / stride) % this.gridShape[d]!);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error(`tracking group ${this.path} is closed`);
    this.#throwFlushError();
  }

  #throwFlushError(): void {
    const error = this.#flushError;
    if (error === null) return;
    this.#flushError = null;
    throw error;
  }

  #touch(kind: ArrayKind): void {
    this.#dirty.add(kind);
    if (this.#flushIntervalMs <= 0) {
      this.flush();
      return;
    }
    if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        try {
          this.flush();
        } catch (error) {
          // A timer has no caller: the next mark, flush or close throws it.
          this.#flushError = error;
        }
      }, this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Writes the arrays changed since the last flush (each chunk by atomic rename). */
  flush(): void {
    this.#throwFlushError();
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#dirty.size === 0) return;
    for (const kind of this.#dirty) {
      const bytes = kind === 'done' ? this.#done : this.#failureBytes();
      writeFileAtomicallySync(this.#chunkFile(kind), bytes);
      this.#dirty.delete(kind);
    }
    // Every journaled mark is in the chunks now.
    if (this.#journalFd !== null) ftruncateSync(this.#journalFd, 0);
  }

  #failureBytes(): Uint8Array {
    if (endianness() === 'LE') return new Uint8Array(this.#failures.buffer, this.#failures.byteOffset, this.#failures.byteLength);
    const out = Buffer.alloc(this.cellCount * 4);
    for (let i = 0; i < this.cellCount; i++) out.writeUInt32LE(this.#failures[i]!, i * 4);
    return out;
  }

  /** Flushes and stops; marking afterwards throws. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    if (this.#journalFd !== null) {
      closeSync(this.#journalFd);
      this.#journalFd = null;
      rmSync(this.#journalFile(), { force: true });
    }
  }
}
