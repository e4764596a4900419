/**
 * Block ids: the generalised Cantor number of a block's grid index, as daisy
 * computes it: the pyramid volumes are computed in double precision with a
 * truncation after each, as funlib.math does, so that ids agree bit for bit
 * (also beyond 2^53, where they are refused).
 */

function pyramidVolume(dims: number, edgeLength: number): number {
  if (edgeLength === 0) return 0;
  let volume = 1;
  for (let d = 0; d < dims; d++) {
    volume *= edgeLength + d;
    volume /= d + 1;
  }
  return Math.trunc(volume);
}

/** Cantor number of `index[0..dims)`, before the final truncation. */
function cantorRaw(index: ArrayLike<number>, dims: number): number {
  if (dims === 1) return index[0]!;
  let sum = 0;
  for (let d = 0; d < dims; d++) sum += index[d]!;
  return pyramidVolume(dims, sum) + cantorRaw(index, dims - 1);
}

export function cantorNumber(index: ArrayLike<number>): number {
  const id = Math.trunc(cantorRaw(index, index.length));
  if (!Number.isSafeInteger(id)) {
    throw new RangeError(
      `block id of grid index (${Array.from(index).join(', ')}) exceeds 2^53; the block grid is too large`,
    );
  }
  return id;
}
