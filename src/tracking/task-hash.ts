import { createHash } from 'node:crypto';
import type { Roi } from '../geometry/index.js';
import type { Fit } from '../model/task.js';

/** What a tracking group is bound to: a task's id, its three ROIs as given, and its fit. `Task` satisfies it. */
export interface TrackedTask {
  readonly taskId: string;
  readonly totalRoi: Roi;
  readonly readRoi: Roi;
  readonly writeRoi: Roi;
  readonly fit: Fit;
}

/** The first bytes hashed: the version of daisy 2.0.0's tracking hash. */
export const TASK_HASH_VERSION = 'daisy-tracking:v1\n';

const FIT_LABEL: Readonly<Record<Fit, string>> = { valid: 'Valid', overhang: 'Overhang', shrink: 'Shrink' };

/** Each value of a coordinate as a little-endian i64, each followed by ','. */
function integers(values: readonly (number | null)[], what: string): Buffer {
  const out = Buffer.alloc(values.length * 9);
  values.forEach((value, i) => {
    if (value === null || !Number.isSafeInteger(value)) throw new RangeError(`${what} must hold integers, not ${String(value)}`);
    out.writeBigInt64LE(BigInt(value), i * 9);
    out[i * 9 + 8] = 0x2c; // ','
  });
  return out;
}

/**
 * The hash daisy 2.0.0 stores as `daisy_task_hash` in a task's tracking
 * group: SHA-256 (hex) over the version line, then `total`, `read` and
 * `write` as `<label>:offset=<i64,>…;shape=<i64,>…;`, then `fit=<Fit>`. The
 * ROIs are hashed exactly as the task was given them.
 */
export function taskHash(task: Omit<TrackedTask, 'taskId'>): string {
  const hash = createHash('sha256').update(TASK_HASH_VERSION);
  for (const [label, roi] of [
    ['total', task.totalRoi],
    ['read', task.readRoi],
    ['write', task.writeRoi],
  ] as const) {
    hash.update(`${label}:offset=`);
    hash.update(integers(roi.offset.toArray(), `${label} offset`));
    hash.update(';shape=');
    hash.update(integers(roi.shape.toArray(), `${label} shape`));
    hash.update(';');
  }
  const fit = FIT_LABEL[task.fit];
  if (fit === undefined) throw new RangeError(`fit must be valid, overhang or shrink, not ${String(task.fit)}`);
  hash.update(`fit=${fit}`);
  return hash.digest('hex');
}

/** The task's ROIs and fit in one line, for messages. */
export function describeTask(task: Omit<TrackedTask, 'taskId'>): string {
  return `total_roi ${task.totalRoi.toString()}, read_roi ${task.readRoi.toString()}, write_roi ${task.writeRoi.toString()}, fit ${task.fit}`;
}
