/**
 * A worker process of the demo pipeline, started by the worker pool with
 * DAISY_CONTEXT: it serves whichever task the context names, reading and
 * writing the volumes in DEMO_DIR (blocks write disjoint regions, so the
 * workers share the files safely).
 */
import { join } from 'node:path';
import { Client } from '../client/client.js';
import { Roi } from '../geometry/roi.js';
import { smoothBlock, thresholdBlock } from './demo-ops.js';
import { RawVolume } from './raw-volume.js';

const dir = process.env['DEMO_DIR'];
const size = Number(process.env['DEMO_SIZE']);
if (dir === undefined || !(size > 0)) throw new Error('DEMO_DIR and DEMO_SIZE must be set (the demo sets them)');
const shape: [number, number, number] = [size, size, size];
const volumeRoi = new Roi([0, 0, 0], shape);
const input = new RawVolume(join(dir, 'input.f32'), shape, 'r+');
const smoothed = new RawVolume(join(dir, 'smoothed.f32'), shape, 'r+');
const mask = new RawVolume(join(dir, 'mask.f32'), shape, 'r+');

const client = new Client(undefined, { prefetch: 2 });
const process_ = client.taskId === 'smooth' ? (b: Parameters<typeof thresholdBlock>[0]) => smoothBlock(b, input, smoothed, volumeRoi) : (b: Parameters<typeof thresholdBlock>[0]) => thresholdBlock(b, smoothed, mask);
while (await client.acquire(process_)) {
  // one block per iteration
}
await client.close();
for (const v of [input, smoothed, mask]) v.close();
