/**
 * The main job: a two-task pipeline over a 3-D Zarr volume, run by
 * runBlockwise with a gRPC server on loopback and worker processes in two
 * languages. "smooth" (TypeScript workers, src/cli/demo-worker.ts)
 * box-filters raw into smoothed, reading one voxel of context; "threshold"
 * (Python workers with zarr-python, clients/python/examples/threshold_worker.py)
 * turns smoothed into a mask as soon as the smoothed blocks under each block
 * are done. Progress goes to stderr; the mask is checked voxel for voxel
 * against a whole-volume computation.
 *
 *   node dist/src/cli/demo.js [OUTPUT_DIR]     (DEMO_SIZE, DEMO_BLOCK, DEMO_WORKERS, DEMO_PYTHON)
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDs } from '../arrays/open-ds.js';
import { prepareDs } from '../arrays/prepare-ds.js';
import { Roi } from '../geometry/roi.js';
import { runBlockwise } from '../run/run-blockwise.js';
import { Task } from '../model/task.js';
import { boxMean, maskValue, pattern } from './demo-ops.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const size = Number(process.env['DEMO_SIZE'] ?? 128);
const blockSize = Number(process.env['DEMO_BLOCK'] ?? 16);
const workers = Number(process.env['DEMO_WORKERS'] ?? 2);
const python = process.env['DEMO_PYTHON'] ?? join(root, '.cache', 'venv-client', 'bin', 'python');
if (!existsSync(python)) {
  throw new Error(`${python} is missing: run \`bash clients/python/env/make-venv.sh client\` (npm run demo does) or set DEMO_PYTHON`);
}
const shape: [number, number, number] = [size, size, size];
const dir = resolve(process.argv[2] ?? join('.cache', 'demo'));
const volume = join(dir, 'volume.zarr');
mkdirSync(dir, { recursive: true });
// Every run writes its outputs anew (zeroed below): the done markers of an earlier run would skip the blocks it must write.
rmSync(join(dir, 'daisy_logs', 'tracking'), { recursive: true, force: true });

const volumeRoi = new Roi([0, 0, 0], shape);
const write = new Roi([0, 0, 0], [blockSize, blockSize, blockSize]);
const writeSize = [blockSize, blockSize, blockSize];
{
  const raw = await prepareDs(volume, 'raw', volumeRoi, [1, 1, 1], 'float32', { writeSize: [1, size, size], delete: true });
  const plane = new Float32Array(size * size);
  for (let z = 0; z < size; z++) {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) plane[y * size + x] = pattern(z, y, x);
    await raw.write(new Roi([z, 0, 0], [1, size, size]), { data: plane, shape: [1, size, size] });
  }
  // Outputs chunked by the block size, so that every block writes whole chunks;
  // zeroed, so that the check below cannot pass on blocks of an earlier run.
  for (const [name, dtype] of [['smoothed', 'float32'], ['mask', 'uint8']] as const) {
    await prepareDs(volume, name, volumeRoi, [1, 1, 1], dtype, { writeSize, forceExactWriteSize: true, delete: true });
    const output = await openDs(volume, name, 'r+');
    await output.write(volumeRoi, 0);
  }
}

// The workers inherit this environment (plus their DAISY_CONTEXT).
process.env['DEMO_VOLUME'] = volume;
const smooth = new Task({
  taskId: 'smooth',
  totalRoi: volumeRoi.grow(1, 1),
  readRoi: write.grow(1, 1),
  writeRoi: write,
  readWriteConflict: false,
  fit: 'shrink',
  numWorkers: workers,
  workerCommand: [process.execPath, fileURLToPath(new URL('./demo-worker.js', import.meta.url))],
});
const threshold = new Task({
  taskId: 'threshold',
  totalRoi: volumeRoi,
  readRoi: write,
  writeRoi: write,
  readWriteConflict: false,
  numWorkers: workers,
  workerCommand: [python, join(root, 'clients', 'python', 'examples', 'threshold_worker.py'), volume],
  upstreamTasks: [smooth],
});

const started = Date.now();
const ok = await runBlockwise([threshold], { logDir: join(dir, 'daisy_logs') });

// Check: recompute on the whole volume.
const whole = (await (await openDs(volume, 'raw')).read()).data as Float32Array;
const result = (await (await openDs(volume, 'mask')).read()).data;
let wrong = 0;
for (let z = 0; z < size; z++)
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const expected = maskValue(boxMean(whole, [0, 0, 0], shape, z, y, x));
      if (result[(z * size + y) * size + x] !== expected) wrong++;
    }
process.stderr.write(
  `${size}³ voxels in ${Date.now() - started} ms; ${volume} holds raw, smoothed and mask; worker logs in ${join(dir, 'daisy_logs')}; ${wrong === 0 ? 'mask verified voxel for voxel' : `${wrong} voxels WRONG`}\n`,
);
process.exit(ok && wrong === 0 ? 0 : 1);
