export type ContainerFormat = 'zarr' | 'n5' | 'hdf5';

/** The container format a file name asks for, by its extension as daisy decides it. */
export function containerFormat(filename: string): ContainerFormat {
  const name = filename.replace(/\/+$/, '').toLowerCase();
  if (name.endsWith('.zarr')) return 'zarr';
  if (name.endsWith('.n5')) return 'n5';
  if (name.endsWith('.h5') || name.endsWith('.hdf') || name.endsWith('.hdf5')) return 'hdf5';
  throw new Error(`unknown file format for ${filename}: expected a .zarr, .n5, .h5, .hdf or .hdf5 container`);
}
