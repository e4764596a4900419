/**
 * The main job: a two-task pipeline over a 3-D volume in local files, run by
 * runBlockwise with a gRPC server on loopback and worker processes.
 * "smooth" box-filters the input block by block (one voxel of context),
 * "threshold" turns the smoothed volume into a mask as soon as the smoothed
 * blocks under each block are done. Progress goes to stderr; the result is
 * checked voxel for voxel against a whole-volume computation.
 *
 *   node dist/src/cli/demo.js [OUTPUT_DIR]     (DEMO_SIZE, DEMO_BLOCK, DEMO_WORKERS)
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Roi } from '../geometry/roi.js';
import { runBlockwise } from '../run/run-blockwise.js';
import { Task } from '../scheduler/task.js';
import { boxMean, pattern } from './demo-ops.js';
import { RawVolume } from './raw-volume.js';

const size = Number(process.env['DEMO_SIZE'] ?? 128);
const blockSize = Number(process.env['DEMO_BLOCK'] ?? 16);
const workers = Number(process.env['DEMO_WORKERS'] ?? 2);
const shape: [number, number, number] = [size, size, size];
const dir = resolve(process.argv[2] ?? join('.cache', 'demo'));
mkdirSync(dir, { recursive: true });

{
  const input = new RawVolume(join(dir, 'input.f32'), shape, 'w+');
  const plane = new Float32Array(size * size);
  for (let z = 0; z < size; z++) {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) plane[y * size + x] = pattern(z, y, x);
    input.write([z, 0, 0], [z + 1, size, size], plane);
  }
  input.close();
  new RawVolume(join(dir, 'smoothed.f32'), shape, 'w+').close();
  new RawVolume(join(dir, 'mask.f32'), shape, 'w+').close();
}

// The workers inherit this environment (plus their DAISY_CONTEXT).
process.env['DEMO_DIR'] = dir;
process.env['DEMO_SIZE'] = String(size);
const workerCommand = [process.execPath, fileURLToPath(new URL('./demo-worker.js', import.meta.url))];
const volumeRoi = new Roi([0, 0, 0], shape);
const write = new Roi([0, 0, 0], [blockSize, blockSize, blockSize]);
const smooth = new Task({
  taskId: 'smooth',
  totalRoi: volumeRoi.grow(1, 1),
  readRoi: write.grow(1, 1),
  writeRoi: write,
  readWriteConflict: false,
  fit: 'shrink',
  numWorkers: workers,
  workerCommand,
});
const threshold = new Task({
  taskId: 'threshold',
  totalRoi: volumeRoi,
  readRoi: write,
  writeRoi: write,
  readWriteConflict: false,
  numWorkers: workers,
  workerCommand,
  upstreamTasks: [smooth],
});

const started = Date.now();
const ok = await runBlockwise([threshold], { logDir: join(dir, 'daisy_logs') });

// Check: recompute on the whole volume.
const input = new RawVolume(join(dir, 'input.f32'), shape, 'r+');
const mask = new RawVolume(join(dir, 'mask.f32'), shape, 'r+');
const whole = input.read([0, 0, 0], shape);
const result = mask.read([0, 0, 0], shape);
let wrong = 0;
for (let z = 0; z < size; z++)
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const expected = Math.fround(boxMean(whole, [0, 0, 0], shape, z, y, x)) > 0.5 ? 1 : 0;
      if (result[(z * size + y) * size + x] !== expected) wrong++;
    }
input.close();
mask.close();
process.stderr.write(
  `${size}³ voxels in ${Date.now() - started} ms; output and worker logs in ${dir}; ${wrong === 0 ? 'verified voxel for voxel' : `${wrong} voxels WRONG`}\n`,
);
process.exit(ok && wrong === 0 ? 0 : 1);
