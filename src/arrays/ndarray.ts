import { allocate, dtypeOf, type DType, type TypedArray } from './dtype.js';

/** A dense n-dimensional array in C (row-major) order. */
export interface Ndarray {
  readonly data: TypedArray;
  readonly shape: readonly number[];
}

export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const extent of shape) count *= extent;
  return count;
}

export function ndarray(data: TypedArray, shape: readonly number[]): Ndarray {
  if (!shape.every((extent) => Number.isInteger(extent) && extent >= 0)) {
    throw new RangeError(`invalid shape [${shape.join(', ')}]`);
  }
  if (data.length !== elementCount(shape)) {
    throw new RangeError(`${data.length} elements do not fill shape [${shape.join(', ')}]`);
  }
  return { data, shape: [...shape] };
}

export function zeros(dtype: DType, shape: readonly number[]): Ndarray {
  return ndarray(allocate(dtype, elementCount(shape)), shape);
}

export function full(dtype: DType, shape: readonly number[], value: number): Ndarray {
  const array = zeros(dtype, shape);
  fill(array.data, value);
  return array;
}

export function fill(data: TypedArray, value: number): void {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    data.fill(BigInt(value));
  } else {
    data.fill(value);
  }
}

export function ndarrayDType(array: Ndarray): DType {
  return dtypeOf(array.data);
}

/** Element strides of a C-order array of `shape`. */
export function cStrides(shape: readonly number[]): number[] {
  const result = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    result[d] = stride;
    stride *= shape[d];
  }
  return result;
}

/**
 * Copies the box of `shape` starting at `sourceBegin` in `source` to
 * `targetBegin` in `target`. Rows along the last axis are moved with one
 * `set` each, so a copy costs one call per row, not per element.
 */
export function copyBox(
  source: Ndarray,
  sourceBegin: readonly number[],
  target: Ndarray,
  targetBegin: readonly number[],
  shape: readonly number[],
): void {
  const dims = shape.length;
  if (source.shape.length !== dims || target.shape.length !== dims) {
    throw new RangeError(
      `copy of a ${dims}-d box between ${source.shape.length}-d and ${target.shape.length}-d arrays`,
    );
  }
  if (dtypeOf(source.data) !== dtypeOf(target.data)) {
    throw new TypeError(`cannot copy ${dtypeOf(source.data)} data into a ${dtypeOf(target.data)} array`);
  }
  for (let d = 0; d < dims; d++) {
    if (
      sourceBegin[d] < 0 ||
      targetBegin[d] < 0 ||
      sourceBegin[d] + shape[d] > source.shape[d] ||
      targetBegin[d] + shape[d] > target.shape[d]
    ) {
      throw new RangeError(`box of shape [${shape.join(', ')}] does not fit (axis ${d})`);
    }
  }
  if (elementCount(shape) === 0) return;
  if (dims === 0) {
    (target.data as Float64Array)[0] = (source.data as Float64Array)[0];
    return;
  }
  const sourceStrides = cStrides(source.shape);
  const targetStrides = cStrides(target.shape);
  const rowLength = shape[dims - 1];
  const index = new Array<number>(dims - 1).fill(0);
  // Both typed arrays have the same element type (checked above), so their
  // `set`/`subarray` pair is type-correct whatever that type is.
  const sourceData = source.data as Float64Array;
  const targetData = target.data as Float64Array;
  for (;;) {
    let sourceOffset = sourceBegin[dims - 1];
    let targetOffset = targetBegin[dims - 1];
    for (let d = 0; d < dims - 1; d++) {
      sourceOffset += (sourceBegin[d] + index[d]) * sourceStrides[d];
      targetOffset += (targetBegin[d] + index[d]) * targetStrides[d];
    }
    targetData.set(sourceData.subarray(sourceOffset, sourceOffset + rowLength), targetOffset);
    let d = dims - 2;
    while (d >= 0) {
      index[d]++;
      if (index[d] < shape[d]) break;
      index[d] = 0;
      d--;
    }
    if (d < 0) return;
  }
}
