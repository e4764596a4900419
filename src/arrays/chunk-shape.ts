import { bytesPerElement, type DType } from './dtype.js';

/**
 * daisy's rule for chunks under a block-wise write: along each axis, the
 * divisor of the write extent closest to 256 voxels (the larger one on a
 * tie), so that every aligned write covers whole chunks.
 */
export function chunkExtentFor(writeExtent: number, target = 256): number {
  let best = writeExtent;
  let bestDistance = Infinity;
  for (let parts = 1; parts <= writeExtent; parts++) {
    if (writeExtent % parts !== 0) continue;
    const extent = writeExtent / parts;
    const distance = Math.abs(extent - target);
    if (distance < bestDistance) {
      best = extent;
      bestDistance = distance;
    }
  }
  return best;
}

export function chunkShapeFor(writeShape: readonly number[]): number[] {
  return writeShape.map((extent) => chunkExtentFor(extent));
}

/**
 * Chunks for a dataset with no announced write size: the whole shape, the
 * largest axis halved until a chunk is at most 1 MiB.
 */
export function defaultChunkShape(shape: readonly number[], dtype: DType, maxBytes = 1 << 20): number[] {
  const chunk = shape.map((extent) => Math.max(1, extent));
  const bytes = () => chunk.reduce((product, extent) => product * extent, bytesPerElement(dtype));
  while (bytes() > maxBytes) {
    let largest = 0;
    for (let d = 1; d < chunk.length; d++) if (chunk[d] > chunk[largest]) largest = d;
    if (chunk[largest] === 1) break;
    chunk[largest] = Math.ceil(chunk[largest] / 2);
  }
  return chunk;
}
