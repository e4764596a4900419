/**
 * Element types an array may hold, named as numpy names them, with the
 * spellings each container format uses for them.
 */
export const DTYPES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'uint64',
  'int64',
  'float32',
  'float64',
] as const;

export type DType = (typeof DTYPES)[number];

export type TypedArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

type TypedArrayConstructor = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const CONSTRUCTORS: Record<DType, TypedArrayConstructor> = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  uint64: BigUint64Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && (DTYPES as readonly string[]).includes(value);
}

export function assertDType(value: unknown): DType {
  if (!isDType(value)) {
    throw new TypeError(`unsupported dtype ${JSON.stringify(value)}: expected one of ${DTYPES.join(', ')}`);
  }
  return value;
}

export function typedArrayConstructor(dtype: DType): TypedArrayConstructor {
  return CONSTRUCTORS[dtype];
}

export function bytesPerElement(dtype: DType): number {
  return CONSTRUCTORS[dtype].BYTES_PER_ELEMENT;
}

export function allocate(dtype: DType, length: number): TypedArray {
  return new CONSTRUCTORS[dtype](length);
}

/** A view of `bytes` as elements of `dtype` in the machine's (little-endian) order. */
export function viewBytes(dtype: DType, bytes: Uint8Array): TypedArray {
  const size = bytesPerElement(dtype);
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes are not a whole number of ${dtype} elements`);
  }
  if (bytes.byteOffset % size === 0) {
    return new CONSTRUCTORS[dtype](bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
  }
  // Typed arrays need aligned offsets; an unaligned slice is copied once.
  const copy = bytes.slice();
  return new CONSTRUCTORS[dtype](copy.buffer, 0, copy.byteLength / size);
}

export function dtypeOf(data: TypedArray): DType {
  for (const dtype of DTYPES) {
    if (data instanceof CONSTRUCTORS[dtype]) return dtype;
  }
  throw new TypeError('not a typed array of a supported dtype');
}

/** Zarr v2's numpy type string, little-endian as zarr-python writes it. */
export function toNumpyTypestr(dtype: DType): string {
  const size = bytesPerElement(dtype);
  const kind = dtype.startsWith('float') ? 'f' : dtype.startsWith('u') ? 'u' : 'i';
  return `${size === 1 ? '|' : '<'}${kind}${size}`;
}
