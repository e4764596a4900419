/**
 * The main job, in process: a two-task pipeline over a 3-D volume in local
 * files. "smooth" box-filters the input block by block (reading one voxel of
 * context), "threshold" turns the smoothed volume into a mask once the
 * smoothed blocks under it are done. Progress goes to stdout; the result is
 * checked voxel for voxel against a whole-volume computation.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Block, BlockStatus, Roi, Scheduler, Task } from '../index.js';
import { RawVolume } from './raw-volume.js';

const size = Number(process.env.DEMO_SIZE ?? 96);
const blockSize = Number(process.env.DEMO_BLOCK ?? 16);
const shape: [number, number, number] = [size, size, size];
const dir = resolve(process.argv[2] ?? join('.cache', 'demo'));
mkdirSync(dir, { recursive: true });

const input = new RawVolume(join(dir, 'input.f32'), shape, 'w+');
const smoothed = new RawVolume(join(dir, 'smoothed.f32'), shape, 'w+');
const mask = new RawVolume(join(dir, 'mask.f32'), shape, 'w+');

const pattern = (z: number, y: number, x: number): number => Math.sin(z / 5) + Math.cos(y / 7) + Math.sin((x + z) / 9);
{
  const plane = new Float32Array(size * size);
  for (let z = 0; z < size; z++) {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) plane[y * size + x] = pattern(z, y, x);
    input.write([z, 0, 0], [z + 1, size, size], plane);
  }
}

/** Mean over the 3×3×3 neighbourhood that lies inside `data` (box [begin, end)). */
function boxMean(data: Float32Array, begin: number[], end: number[], z: number, y: number, x: number): number {
  const [dz, dy, dx] = [end[0]! - begin[0]!, end[1]! - begin[1]!, end[2]! - begin[2]!];
  let sum = 0;
  let count = 0;
  for (let k = Math.max(z - 1, begin[0]!); k <= Math.min(z + 1, end[0]! - 1); k++)
    for (let j = Math.max(y - 1, begin[1]!); j <= Math.min(y + 1, end[1]! - 1); j++)
      for (let i = Math.max(x - 1, begin[2]!); i <= Math.min(x + 1, end[2]! - 1); i++) {
        sum += data[((k - begin[0]!) * dy + (j - begin[1]!)) * dx + (i - begin[2]!)]!;
        count++;
      }
  void dz;
  return sum / count;
}

const volumeRoi = new Roi([0, 0, 0], shape);
const ends = (roi: Roi): number[] => roi.end.toArray() as number[];
const begins = (roi: Roi): number[] => roi.begin.toArray() as number[];

function smoothBlock(block: Block): void {
  // The read ROI reaches one voxel past the volume at its faces: clip it.
  const read = block.readRoi.intersect(volumeRoi);
  const [rb, re] = [begins(read), ends(read)];
  const data = input.read(rb, re);
  const [wb, we] = [begins(block.writeRoi), ends(block.writeRoi)];
  const out = new Float32Array((we[0]! - wb[0]!) * (we[1]! - wb[1]!) * (we[2]! - wb[2]!));
  let at = 0;
  for (let z = wb[0]!; z < we[0]!; z++)
    for (let y = wb[1]!; y < we[1]!; y++) for (let x = wb[2]!; x < we[2]!; x++) out[at++] = boxMean(data, rb, re, z, y, x);
  smoothed.write(wb, we, out);
}

function thresholdBlock(block: Block): void {
  const [wb, we] = [begins(block.writeRoi), ends(block.writeRoi)];
  const data = smoothed.read(wb, we);
  mask.write(wb, we, data.map((v) => (v > 0.5 ? 1 : 0)));
}

const write = new Roi([0, 0, 0], [blockSize, blockSize, blockSize]);
const smooth = new Task({
  taskId: 'smooth',
  totalRoi: volumeRoi.grow(1, 1),
  readRoi: write.grow(1, 1),
  writeRoi: write,
  processFunction: smoothBlock,
  readWriteConflict: false,
  fit: 'shrink',
});
const threshold = new Task({
  taskId: 'threshold',
  totalRoi: volumeRoi,
  readRoi: write,
  writeRoi: write,
  processFunction: thresholdBlock,
  readWriteConflict: false,
  upstreamTasks: [smooth],
});

const scheduler = new Scheduler([threshold]);
const started = Date.now();
const lastShown = new Map<string, number>();
function showProgress(taskId: string): void {
  const state = scheduler.taskStates.get(taskId)!;
  const done = state.completedCount + state.failedCount + state.orphanedCount;
  const percent = Math.floor((100 * done) / state.totalBlockCount);
  if (percent >= (lastShown.get(taskId) ?? -10) + 10 || state.isDone()) {
    lastShown.set(taskId, percent);
    console.log(`${taskId.padEnd(10)} ${String(percent).padStart(3)}%  ${done}/${state.totalBlockCount} blocks`);
  }
}
for (;;) {
  const ready = scheduler.getReadyTasks();
  if (ready.length === 0) break;
  for (const task of ready) {
    const block = scheduler.acquireBlock(task.taskId);
    if (block === null) continue;
    try {
      void task.processFunction!(block);
      block.status = BlockStatus.SUCCESS;
    } catch (error) {
      console.error(`block ${block.toString()} failed: ${String(error)}`);
      block.status = BlockStatus.FAILED;
    }
    scheduler.releaseBlock(block);
    showProgress(task.taskId);
  }
}

// Check: recompute on the whole volume.
const whole = input.read([0, 0, 0], shape);
const result = mask.read([0, 0, 0], shape);
let wrong = 0;
for (let z = 0; z < size; z++)
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const expected = Math.fround(boxMean(whole, [0, 0, 0], shape, z, y, x)) > 0.5 ? 1 : 0;
      if (result[(z * size + y) * size + x] !== expected) wrong++;
    }
for (const v of [input, smoothed, mask]) v.close();
const summary = [...scheduler.taskStates].map(([id, s]) => `${id}: ${s.completedCount} completed, ${s.failedCount} failed, ${s.orphanedCount} orphaned`);
console.log(summary.join('\n'));
console.log(`${size}³ voxels in ${Date.now() - started} ms; output in ${dir}; ${wrong === 0 ? 'verified voxel for voxel' : `${wrong} voxels WRONG`}`);
process.exit(wrong === 0 && [...scheduler.taskStates.values()].every((s) => s.completedCount === s.totalBlockCount) ? 0 : 1);
