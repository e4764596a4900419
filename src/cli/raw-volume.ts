import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * A C-ordered float32 3-D volume in a plain file, read and written row by row
 * at positions. Just enough storage for the in-process demo; the Zarr arrays
 * replace it.
 */
export class RawVolume {
  private readonly fd: number;

  constructor(
    readonly path: string,
    readonly shape: readonly [number, number, number],
    mode: 'r+' | 'w+',
  ) {
    this.fd = openSync(path, mode);
    if (mode === 'w+') writeSync(this.fd, new Uint8Array(4), 0, 4, shape[0] * shape[1] * shape[2] * 4 - 4);
  }

  /** Reads the box [begin, end) (voxel coordinates) into a dense array. */
  read(begin: readonly number[], end: readonly number[]): Float32Array {
    const [z0, y0, x0] = begin as [number, number, number];
    const [z1, y1, x1] = end as [number, number, number];
    const row = x1 - x0;
    const out = new Float32Array((z1 - z0) * (y1 - y0) * row);
    const bytes = new Uint8Array(out.buffer);
    let at = 0;
    for (let z = z0; z < z1; z++) {
      for (let y = y0; y < y1; y++) {
        readSync(this.fd, bytes, at * 4, row * 4, this.offset(z, y, x0));
        at += row;
      }
    }
    return out;
  }

  write(begin: readonly number[], end: readonly number[], data: Float32Array): void {
    const [z0, y0, x0] = begin as [number, number, number];
    const [z1, y1, x1] = end as [number, number, number];
    const row = x1 - x0;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let at = 0;
    for (let z = z0; z < z1; z++) {
      for (let y = y0; y < y1; y++) {
        writeSync(this.fd, bytes, at * 4, row * 4, this.offset(z, y, x0));
        at += row;
      }
    }
  }

  private offset(z: number, y: number, x: number): number {
    return ((z * this.shape[1] + y) * this.shape[2] + x) * 4;
  }

  close(): void {
    closeSync(this.fd);
  }
}
