import { existsSync } from 'node:fs';
import { Roi } from '../geometry/roi.js';
import { Array } from './array.js';
import { containerFormat } from './container-format.js';
import { Hdf5Store } from './hdf5-store.js';
import { readSpatialMetadata, type AxisOrder } from './metadata.js';
import { N5Store } from './n5-store.js';
import type { VoxelStore } from './voxel-store.js';
import { ZarrStore } from './zarr-store.js';

/** `r` reads; `r+` and `a` also write. Datasets are created by `prepareDs`. */
export type OpenMode = 'r' | 'r+' | 'a';

const OPEN_MODES: readonly string[] = ['r', 'r+', 'a'];

async function openStore(
  filename: string,
  dsName: string,
  writable: boolean,
): Promise<{ store: VoxelStore; attributes: Record<string, unknown>; order: AxisOrder }> {
  switch (containerFormat(filename)) {
    case 'zarr': {
      const store = await ZarrStore.open(filename, dsName, writable);
      return { store, attributes: store.attributes, order: 'C' };
    }
    case 'n5': {
      const store = await N5Store.open(filename, dsName, writable);
      return { store, attributes: store.attributes, order: 'F' };
    }
    case 'hdf5': {
      const store = await Hdf5Store.open(filename, dsName, writable);
      return { store, attributes: store.attributes, order: 'C' };
    }
  }
}

/**
 * Opens dataset `dsName` of a Zarr (v2 or v3), N5 or HDF5 container as an
 * Array, with voxel size and offset from its attributes (1 and 0 where
 * there are none); axes beyond those the attributes describe are channels.
 */
export async function openDs(filename: string, dsName: string, mode: OpenMode = 'r'): Promise<Array> {
  if (!OPEN_MODES.includes(mode)) {
    throw new TypeError(`unknown mode ${JSON.stringify(mode)} for openDs: use 'r', 'r+' or 'a' (prepareDs creates datasets)`);
  }
  containerFormat(filename);
  if (!existsSync(filename)) throw new Error(`${filename} does not exist`);
  const name = dsName.replace(/^\/+/, '');
  const { store, attributes, order } = await openStore(filename, name, mode !== 'r');
  try {
    const metadata = readSpatialMetadata(attributes, store.shape, order);
    const spatialShape = store.shape.slice(store.shape.length - metadata.voxelSize.length);
    const roi = new Roi(
      metadata.offset,
      spatialShape.map((extent, d) => extent * metadata.voxelSize[d]),
    );
    return new Array(store, roi, metadata.voxelSize, { axisNames: metadata.axisNames, units: metadata.units });
  } catch (error) {
    await store.close();
    throw error;
  }
}
