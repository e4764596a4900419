import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Coordinate, type CoordinateLike } from '../geometry/coordinate.js';
import type { Roi } from '../geometry/roi.js';
import { Array } from './array.js';
import { chunkShapeFor, defaultChunkShape } from './chunk-shape.js';
import { resolveCompressor, type CompressorOption } from './compressor.js';
import { containerFormat } from './container-format.js';
import { assertDType, type DType } from './dtype.js';
import { spatialAttributes } from './metadata.js';
import { createN5Dataset, n5Compression, readN5Attributes } from './n5-store.js';
import { openDs } from './open-ds.js';
import { containerZarrFormat, createZarrArray } from './zarr-create.js';
import type { ZarrFormat } from './zarr-store.js';

export interface PrepareDsOptions {
  /** Deprecated in daisy in favour of `writeSize`; its shape is used as the write size. */
  writeRoi?: Roi;
  /** World size of the block-wise writes; chunks are chosen so that it is a multiple of them. */
  writeSize?: CoordinateLike;
  numChannels?: number;
  compressor?: CompressorOption;
  /** Replace an existing dataset that does not match instead of failing. */
  delete?: boolean;
  /** Use the write size itself as chunk shape. */
  forceExactWriteSize?: boolean;
  /** For a new Zarr container (default 2); an existing one keeps its own format. */
  zarrFormat?: ZarrFormat;
  checkWriteChunkAlign?: boolean;
}

function voxels(world: Coordinate, voxelSize: Coordinate, what: string): number[] {
  if (!world.isMultipleOf(voxelSize)) {
    throw new RangeError(`${what} ${world.toString()} is not a multiple of the voxel size ${voxelSize.toString()}`);
  }
  return world.div(voxelSize).toArray() as number[];
}

function sameList(a: readonly number[] | null, b: readonly number[] | null): boolean {
  return a !== null && b !== null && a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Creates dataset `dsName` of a Zarr or N5 container for `totalRoi` at
 * `voxelSize`, or reuses an existing one that matches: same shape, ROI,
 * voxel size, dtype and (with a write size) chunks. A mismatch is an error
 * unless `delete` is set, which replaces the dataset.
 */
export async function prepareDs(
  filename: string,
  dsName: string,
  totalRoi: Roi,
  voxelSize: CoordinateLike,
  dtype: DType,
  options: PrepareDsOptions = {},
): Promise<Array> {
  const format = containerFormat(filename);
  if (format === 'hdf5') throw new Error(`prepareDs creates Zarr and N5 datasets, not HDF5 (${filename})`);
  assertDType(dtype);
  const voxelSizeC = Coordinate.from(voxelSize);
  if (voxelSizeC.dims !== totalRoi.dims) {
    throw new RangeError(`voxel size ${voxelSizeC.toString()} and ROI ${totalRoi.toString()} differ in dimensions`);
  }
  if (totalRoi.unbounded) throw new RangeError(`ROI ${totalRoi.toString()} is unbounded`);
  const spatialShape = voxels(totalRoi.shape, voxelSizeC, 'ROI shape');
  const offset = totalRoi.begin.toArray() as number[];
  voxels(totalRoi.begin, voxelSizeC, 'ROI offset');
  const numChannels = options.numChannels;
  if (numChannels !== undefined && !(Number.isInteger(numChannels) && numChannels > 0)) {
    throw new RangeError(`numChannels must be a positive integer, got ${numChannels}`);
  }
  const channelShape = numChannels === undefined ? [] : [numChannels];
  const shape = [...channelShape, ...spatialShape];

  const writeSize = options.writeSize ?? options.writeRoi?.shape;
  let chunkShape: number[] | null = null;
  if (writeSize !== undefined) {
    const writeVoxels = voxels(Coordinate.from(writeSize), voxelSizeC, 'write size');
    if (!writeVoxels.every((extent) => extent > 0)) throw new RangeError(`write size ${writeSize.toString()} must be positive`);
    chunkShape = [...channelShape, ...(options.forceExactWriteSize ? writeVoxels : chunkShapeFor(writeVoxels))];
  }
  const compressor = resolveCompressor(options.compressor);
  const datasetName = dsName.replace(/^\/+/, '');
  const datasetDirectory = path.join(filename, datasetName);

  const exists =
    format === 'zarr'
      ? existsSync(path.join(datasetDirectory, '.zarray')) || existsSync(path.join(datasetDirectory, 'zarr.json'))
      : (await readN5Attributes(datasetDirectory))?.dimensions !== undefined;
  if (exists) {
    const existing = await openDs(filename, datasetName, 'r+');
    const mismatches: string[] = [];
    if (!sameList(existing.store.shape, shape)) mismatches.push(`shape [${existing.store.shape.join(', ')}] vs [${shape.join(', ')}]`);
    if (!existing.roi.equals(totalRoi)) mismatches.push(`ROI ${existing.roi.toString()} vs ${totalRoi.toString()}`);
    if (!existing.voxelSize.equals(voxelSizeC)) mismatches.push(`voxel size ${existing.voxelSize.toString()} vs ${voxelSizeC.toString()}`);
    if (existing.dtype !== dtype) mismatches.push(`dtype ${existing.dtype} vs ${dtype}`);
    if (chunkShape !== null && !sameList(existing.store.chunkShape, chunkShape)) {
      mismatches.push(`chunks [${existing.store.chunkShape?.join(', ')}] vs [${chunkShape.join(', ')}]`);
    }
    if (mismatches.length === 0) {
      return options.checkWriteChunkAlign ? withChunkCheck(existing) : existing;
    }
    await existing.close();
    if (!options.delete) {
      throw new Error(
        `existing dataset ${datasetDirectory} is not compatible (${mismatches.join('; ')}): delete it, or pass delete: true`,
      );
    }
    await rm(datasetDirectory, { recursive: true, force: true });
  }

  await mkdir(filename, { recursive: true });
  const finalChunkShape = chunkShape ?? defaultChunkShape(shape, dtype);
  const order = format === 'n5' ? 'F' : 'C';
  const attributes = spatialAttributes(voxelSizeC.toArray() as number[], offset, channelShape.length, order);
  if (format === 'zarr') {
    const existingFormat = containerZarrFormat(filename);
    if (existingFormat !== null && options.zarrFormat !== undefined && existingFormat !== options.zarrFormat) {
      throw new Error(`${filename} is a Zarr v${existingFormat} container; it cannot hold a Zarr v${options.zarrFormat} array`);
    }
    await createZarrArray(filename, datasetName, {
      format: existingFormat ?? options.zarrFormat ?? 2,
      shape,
      chunkShape: finalChunkShape,
      dtype,
      compressor,
      attributes,
    });
  } else {
    await createN5Dataset(filename, datasetName, {
      shape,
      chunkShape: finalChunkShape,
      dtype,
      compression: n5Compression(compressor),
      attributes,
    });
  }
  const created = await openDs(filename, datasetName, 'r+');
  return options.checkWriteChunkAlign ? withChunkCheck(created) : created;
}

function withChunkCheck(array: Array): Array {
  return new Array(array.store, array.roi, array.voxelSize, {
    checkWriteChunkAlign: true,
    axisNames: array.axisNames,
    units: array.units,
  });
}
