/**
 * Voxel size, offset, axis names and units as daisy and funlib.persistence
 * store them in a dataset's attributes:
 * - daisy / funlib.persistence 0.1: `resolution` and `offset` in world units
 *   (also `scale`, `pixelResolution.dimensions` and a `transform` with
 *   `scale`/`translate`, as other tools write them); in N5 files these lists
 *   are in N5's reversed axis order;
 * - funlib.persistence ≥ 0.2: `voxel_size`, `offset`, `axis_names`, `units`
 *   and `types`, always in the array's own (C) axis order.
 */

export type AxisOrder = 'C' | 'F';

export interface SpatialMetadata {
  voxelSize: number[];
  offset: number[];
  axisNames: string[] | null;
  units: string[] | null;
}

function numberList(value: unknown, name: string): number[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`attribute ${name} must be a list of numbers, got ${JSON.stringify(value)}`);
  }
  return value as number[];
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
}

function reversedIf(values: number[] | null, reverse: boolean): number[] | null {
  return values !== null && reverse ? [...values].reverse() : values;
}

export function readSpatialMetadata(
  attributes: Record<string, unknown>,
  shape: readonly number[],
  order: AxisOrder,
): SpatialMetadata {
  const transform = attributes.transform as { scale?: unknown; translate?: unknown; ordering?: string } | undefined;
  const transformReversed = (transform?.ordering ?? 'C') !== order;
  const legacyReversed = order === 'F';
  const types = stringList(attributes.types);

  let voxelSize: number[] | null = null;
  let offset: number[] | null;
  if (attributes.voxel_size !== undefined) {
    // funlib.persistence's own convention: C order in every container.
    voxelSize = numberList(attributes.voxel_size, 'voxel_size');
    offset = numberList(attributes.offset, 'offset');
  } else {
    voxelSize =
      reversedIf(numberList(attributes.resolution, 'resolution'), legacyReversed) ??
      reversedIf(numberList(attributes.scale, 'scale'), legacyReversed) ??
      reversedIf(
        numberList((attributes.pixelResolution as { dimensions?: unknown } | undefined)?.dimensions, 'pixelResolution'),
        legacyReversed,
      ) ??
      (transform ? reversedIf(numberList(transform.scale, 'transform.scale'), transformReversed) : null);
    offset =
      reversedIf(numberList(attributes.offset, 'offset'), legacyReversed) ??
      (transform ? reversedIf(numberList(transform.translate, 'transform.translate'), transformReversed) : null);
  }
  if (voxelSize !== null && offset !== null && voxelSize.length !== offset.length) {
    throw new RangeError(`voxel size [${voxelSize.join(', ')}] and offset [${offset.join(', ')}] differ in length`);
  }
  const spatialDims =
    voxelSize?.length ??
    offset?.length ??
    types?.filter((type) => type === 'space' || type === 'time').length ??
    shape.length;
  if (spatialDims > shape.length) {
    throw new RangeError(`${spatialDims} spatial dimensions in the attributes, but the data has ${shape.length} axes`);
  }
  voxelSize ??= new Array<number>(spatialDims).fill(1);
  offset ??= new Array<number>(spatialDims).fill(0);
  // An offset to voxel centres (half a voxel off the grid) is snapped to the
  // nearest voxel corner, as daisy does.
  const size = voxelSize;
  offset = offset.map((o, d) => (o % size[d] === 0 ? o : Math.floor((o + size[d] / 2) / size[d]) * size[d]));
  return {
    voxelSize,
    offset,
    axisNames: stringList(attributes.axis_names),
    units: stringList(attributes.units),
  };
}

/**
 * Attributes for a new dataset that daisy, funlib.persistence (old and new)
 * and neuroglancer-style readers all understand.
 */
export function spatialAttributes(
  voxelSize: readonly number[],
  offset: readonly number[],
  channelDims: number,
  order: AxisOrder,
): Record<string, unknown> {
  if (order === 'F') {
    // N5 containers: daisy's reversed convention only, so that N5 tools
    // that read `resolution` see N5's own axis order.
    return { resolution: [...voxelSize].reverse(), offset: [...offset].reverse() };
  }
  const channels = Array.from({ length: channelDims }, (_, c) => `c${c}^`);
  const spatial = Array.from({ length: voxelSize.length }, (_, d) => `d${d}`);
  return {
    resolution: [...voxelSize],
    offset: [...offset],
    voxel_size: [...voxelSize],
    axis_names: [...channels, ...spatial],
    units: new Array<string>(voxelSize.length).fill(''),
    types: [...new Array<string>(channelDims).fill('channel'), ...new Array<string>(voxelSize.length).fill('space')],
  };
}
