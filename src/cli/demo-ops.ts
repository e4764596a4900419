/**
 * The block function of the demo's "smooth" task and the whole-volume
 * computation the demo checks its result against.
 */
import type { Array as DaisyArray } from '../arrays/array.js';
import type { Block } from '../model/block.js';
import type { Roi } from '../geometry/roi.js';

export const pattern = (z: number, y: number, x: number): number => Math.sin(z / 5) + Math.cos(y / 7) + Math.sin((x + z) / 9);

/** Mean over the 3×3×3 neighbourhood that lies inside `data` (box [begin, end)). */
export function boxMean(data: Float32Array, begin: readonly number[], end: readonly number[], z: number, y: number, x: number): number {
  const [dy, dx] = [end[1]! - begin[1]!, end[2]! - begin[2]!];
  let sum = 0;
  let count = 0;
  for (let k = Math.max(z - 1, begin[0]!); k <= Math.min(z + 1, end[0]! - 1); k++)
    for (let j = Math.max(y - 1, begin[1]!); j <= Math.min(y + 1, end[1]! - 1); j++)
      for (let i = Math.max(x - 1, begin[2]!); i <= Math.min(x + 1, end[2]! - 1); i++) {
        sum += data[((k - begin[0]!) * dy + (j - begin[1]!)) * dx + (i - begin[2]!)]!;
        count++;
      }
  return sum / count;
}

const ends = (roi: Roi): number[] => roi.end.toArray() as number[];
const begins = (roi: Roi): number[] => roi.begin.toArray() as number[];

/** The threshold the Python workers apply, as they see the stored float32. */
export const maskValue = (smoothed: number): number => (Math.fround(smoothed) > 0.5 ? 1 : 0);

export async function smoothBlock(block: Block, input: DaisyArray, smoothed: DaisyArray): Promise<void> {
  // The read ROI reaches one voxel past the volume at its faces: clip it.
  const read = block.readRoi.intersect(input.roi);
  const [rb, re] = [begins(read), ends(read)];
  const data = (await input.read(read)).data as Float32Array;
  const [wb, we] = [begins(block.writeRoi), ends(block.writeRoi)];
  const shape = [we[0]! - wb[0]!, we[1]! - wb[1]!, we[2]! - wb[2]!];
  const out = new Float32Array(shape[0]! * shape[1]! * shape[2]!);
  let at = 0;
  for (let z = wb[0]!; z < we[0]!; z++)
    for (let y = wb[1]!; y < we[1]!; y++) for (let x = wb[2]!; x < we[2]!; x++) out[at++] = boxMean(data, rb, re, z, y, x);
  await smoothed.write(block.writeRoi, { data: out, shape });
}
