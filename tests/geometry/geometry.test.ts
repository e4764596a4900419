import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Coordinate, Roi, type CoordinateLike, type CoordinateOperand, type SnapMode } from '../../src/geometry/index.js';

// Replays tests/vectors/geometry.json, written by
// tests/oracle/generate_geometry_vectors.py from funlib.geometry itself.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface VectorCase {
  op: string;
  args: Json[];
  result?: Json;
  raises?: string;
  mixedDims?: boolean;
}

interface VectorFile {
  cases: VectorCase[];
  funlibGeometry: string;
  seed: number;
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../tests/vectors/geometry.json', import.meta.url), 'utf8'),
) as VectorFile;

/**
 * Operations where funlib 0.3.0 does not check dimensions (it zips the
 * operands, or returns the other ROI unchecked) and daisychain deliberately
 * throws instead; every other mixed-dimension case must agree with funlib.
 */
const STRICTER_ON_MIXED_DIMS = new Set(['Coordinate.is_multiple_of', 'Roi.contains', 'Roi.union']);

// ---------------------------------------------------------------------------
// arguments as the generator encodes them

function entries(value: Json | undefined): (number | null)[] {
  assert.ok(Array.isArray(value), `expected a coordinate, got ${JSON.stringify(value)}`);
  return value.map((v) => {
    assert.ok(v === null || typeof v === 'number', `bad coordinate entry ${JSON.stringify(v)}`);
    return v;
  });
}

const coord = (value: Json | undefined): Coordinate => new Coordinate(entries(value));

function roi(value: Json | undefined): Roi {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `expected a ROI, got ${JSON.stringify(value)}`);
  return new Roi(entries(value['offset']), entries(value['shape']));
}

function operand(value: Json | undefined): CoordinateOperand {
  return typeof value === 'number' ? value : entries(value);
}

function num(value: Json | undefined): number {
  assert.equal(typeof value, 'number');
  return value as number;
}

function roiOrPoint(value: Json | undefined): Roi | CoordinateLike {
  return Array.isArray(value) ? entries(value) : roi(value);
}

type Operation = (args: Json[]) => unknown;

function grow(a: Json[]): Roi {
  const r = roi(a[0]);
  if (a.length > 2) return r.grow(operand(a[1]), operand(a[2]));
  return a.length > 1 ? r.grow(operand(a[1])) : r.grow();
}

function snapToGrid(a: Json[]): Roi {
  const r = roi(a[0]);
  // The generator also passes funlib an unknown mode, which must throw here too.
  return a.length > 2 ? r.snapToGrid(entries(a[1]), a[2] as SnapMode) : r.snapToGrid(entries(a[1]));
}

const OPERATIONS: Record<string, Operation> = {
  Coordinate: (a) => new Coordinate(entries(a[0])),
  'Coordinate.dims': (a) => coord(a[0]).dims,
  'Coordinate.getitem': (a) => coord(a[0]).get(num(a[1])),
  'Coordinate.repr': (a) => coord(a[0]).toString(),
  'Coordinate.eq': (a) => coord(a[0]).equals(entries(a[1])),
  'Coordinate.add': (a) => coord(a[0]).add(operand(a[1])),
  'Coordinate.sub': (a) => coord(a[0]).sub(operand(a[1])),
  'Coordinate.mul': (a) => coord(a[0]).mul(operand(a[1])),
  'Coordinate.truediv': (a) => coord(a[0]).div(operand(a[1])),
  'Coordinate.floordiv': (a) => coord(a[0]).floorDiv(operand(a[1])),
  'Coordinate.mod': (a) => coord(a[0]).mod(operand(a[1])),
  'Coordinate.pow': (a) => coord(a[0]).pow(operand(a[1])),
  'Coordinate.neg': (a) => coord(a[0]).neg(),
  'Coordinate.abs': (a) => coord(a[0]).abs(),
  'Coordinate.is_multiple_of': (a) => coord(a[0]).isMultipleOf(entries(a[1])),
  'Coordinate.round_division': (a) => coord(a[0]).roundDivision(operand(a[1])),
  'Coordinate.floor_division': (a) => coord(a[0]).floorDivision(operand(a[1])),
  'Coordinate.ceil_division': (a) => coord(a[0]).ceilDivision(operand(a[1])),
  'Coordinate.squeeze': (a) => coord(a[0]).squeeze(num(a[1])),
  Roi: (a) => new Roi(entries(a[0]), entries(a[1])),
  'Roi.offset': (a) => roi(a[0]).offset,
  'Roi.shape': (a) => roi(a[0]).shape,
  'Roi.begin': (a) => roi(a[0]).begin,
  'Roi.end': (a) => roi(a[0]).end,
  'Roi.center': (a) => roi(a[0]).center,
  'Roi.dims': (a) => roi(a[0]).dims,
  'Roi.empty': (a) => roi(a[0]).empty,
  'Roi.unbounded': (a) => roi(a[0]).unbounded,
  'Roi.size': (a) => roi(a[0]).size,
  'Roi.contains': (a) => roi(a[0]).contains(roiOrPoint(a[1])),
  'Roi.intersects': (a) => roi(a[0]).intersects(roi(a[1])),
  'Roi.intersect': (a) => roi(a[0]).intersect(roi(a[1])),
  'Roi.union': (a) => roi(a[0]).union(roi(a[1])),
  'Roi.grow': grow,
  'Roi.shift': (a) => roi(a[0]).shift(operand(a[1])),
  'Roi.snap_to_grid': snapToGrid,
  'Roi.to_slices': (a) => roi(a[0]).toSlices(),
  'Roi.copy': (a) => roi(a[0]).copy(),
  'Roi.eq': (a) => roi(a[0]).equals(roi(a[1])),
  'Roi.squeeze': (a) => (a.length > 1 ? roi(a[0]).squeeze(num(a[1])) : roi(a[0]).squeeze()),
  'Roi.add': (a) => roi(a[0]).add(operand(a[1])),
  'Roi.sub': (a) => roi(a[0]).sub(operand(a[1])),
  'Roi.mul': (a) => roi(a[0]).mul(operand(a[1])),
  'Roi.truediv': (a) => roi(a[0]).div(operand(a[1])),
  'Roi.floordiv': (a) => roi(a[0]).floorDiv(operand(a[1])),
  'Roi.mod': (a) => roi(a[0]).mod(operand(a[1])),
  'Roi.repr': (a) => roi(a[0]).toString(),
};

/** A TypeScript result in the generator's JSON encoding. */
function encode(value: unknown): Json {
  if (value instanceof Coordinate) return value.toArray();
  if (value instanceof Roi) return { offset: value.offset.toArray(), shape: value.shape.toArray() };
  if (Array.isArray(value)) return value.map(encode);
  if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  throw new Error(`cannot encode a ${typeof value} result`);
}

type Outcome = { result: Json } | { error: Error };

function replay(vector: VectorCase): Outcome {
  const operation = OPERATIONS[vector.op];
  assert.ok(operation !== undefined, `no TypeScript operation for ${vector.op}`);
  try {
    return { result: encode(operation(vector.args)) };
  } catch (error) {
    assert.ok(error instanceof Error, `${vector.op} threw a non-Error: ${String(error)}`);
    return { error };
  }
}

/** Why a replayed case disagrees with its vector, or null when it agrees. */
function disagreement(vector: VectorCase, outcome: Outcome): string | null {
  const expectThrow = vector.raises !== undefined || (vector.mixedDims === true && STRICTER_ON_MIXED_DIMS.has(vector.op));
  if (expectThrow) {
    if (!('error' in outcome)) return `expected a throw (funlib: ${vector.raises ?? 'no check'}), got ${JSON.stringify(outcome.result)}`;
    if (vector.mixedDims === true && !/dimension/.test(outcome.error.message)) {
      return `mixed dimensions gave an unclear message: ${outcome.error.message}`;
    }
    return null;
  }
  if ('error' in outcome) return `expected ${JSON.stringify(vector.result)}, threw ${outcome.error.message}`;
  try {
    assert.deepStrictEqual(outcome.result, vector.result);
    return null;
  } catch {
    return `expected ${JSON.stringify(vector.result)}, got ${JSON.stringify(outcome.result)}`;
  }
}

function casesByOp(): Map<string, VectorCase[]> {
  const byOp = new Map<string, VectorCase[]>();
  for (const vector of vectors.cases) {
    const list = byOp.get(vector.op) ?? [];
    list.push(vector);
    byOp.set(vector.op, list);
  }
  return byOp;
}

const byOp = casesByOp();

test('geometry vectors cover every operation', () => {
  assert.ok(vectors.cases.length >= 400, `only ${vectors.cases.length} cases`);
  assert.deepEqual([...byOp.keys()].sort(), Object.keys(OPERATIONS).sort());
});

for (const [op, cases] of byOp) {
  test(`funlib.geometry ${vectors.funlibGeometry} vectors: ${op} (${cases.length} cases)`, () => {
    const failures: string[] = [];
    for (const vector of cases) {
      const why = disagreement(vector, replay(vector));
      if (why !== null) failures.push(`${op}(${JSON.stringify(vector.args).slice(1, -1)}): ${why}`);
    }
    assert.deepEqual(failures, []);
  });
}

// ---------------------------------------------------------------------------
// clear messages for operands of different dimensions

test('Coordinate arithmetic names both dimension counts', () => {
  const c = new Coordinate([1, 2, 3]);
  assert.throws(() => c.add([1, 2]), { name: 'RangeError', message: /cannot add .*\(1, 2, 3\) has 3 dimensions, \(1, 2\) has 2/ });
  assert.throws(() => c.floorDiv(new Coordinate([1])), /floor-divide .*has 3 dimensions, \(1,\) has 1/);
  assert.throws(() => c.ceilDivision([2, 2]), /ceil-divide .*has 3 dimensions, \(2, 2\) has 2/);
  assert.throws(() => c.isMultipleOf([1, 1, 1, 1]), /has 3 dimensions, \(1, 1, 1, 1\) has 4/);
});

test('Roi construction and operations name both dimension counts', () => {
  assert.throws(() => new Roi([0, 0], [1, 1, 1]), {
    name: 'RangeError',
    message: 'Roi offset (0, 0) has 2 dimensions but shape (1, 1, 1) has 3',
  });
  const box = new Roi([0, 0], [10, 10]);
  const line = new Roi([0], [4]);
  assert.throws(() => box.intersect(line), /cannot intersect Rois of different dimensions: \[0:10, 0:10\] \(10, 10\) has 2 dimensions, \[0:4\] \(4\) has 1/);
  assert.throws(() => box.union(line), /has 2 dimensions, .* has 1/);
  assert.throws(() => box.contains(line), /has 2 dimensions, .* has 1/);
  assert.throws(() => box.contains([1, 1, 1]), /2-dimensional Roi .* a point of 3 dimensions/);
  assert.throws(() => box.snapToGrid([4]), /2-dimensional Roi .* 1-dimensional voxel size \(4,\)/);
  assert.throws(() => box.grow([1, 1, 1]), /has 2 dimensions, \(1, 1, 1\) has 3/);
  assert.throws(() => box.shift([1]), /has 2 dimensions, \(1,\) has 1/);
});

// ---------------------------------------------------------------------------
// what JSON vectors cannot carry

test('entries that are no integers: truncation, NaN and infinities', () => {
  assert.deepEqual(new Coordinate([2.9, -2.9]).toArray(), [2, -2]);
  assert.throws(() => new Coordinate([Number.NaN]), RangeError);
  assert.throws(() => new Coordinate([1]).add(Number.POSITIVE_INFINITY), RangeError);
  assert.deepEqual(new Coordinate([5, -5]).floorDiv(Number.POSITIVE_INFINITY).toArray(), [0, -1]);
  assert.throws(() => new Coordinate(['1' as unknown as number]), TypeError);
  // Python prints 0 where a negation or truncation gives JavaScript's -0.
  const zeros = new Coordinate([0, -0.5]).neg();
  assert.ok(zeros.toArray().every((v) => Object.is(v, 0)));
  assert.equal(zeros.toString(), '(0, 0)');
});

test('Coordinates and Rois expose nothing mutable', () => {
  const c = new Coordinate([1, 2]);
  const array = c.toArray();
  array[0] = 99;
  assert.deepEqual(c.toArray(), [1, 2]);
  assert.equal(Coordinate.from(c), c);
  const source = [1, null];
  const r = new Roi(source, [3, null]);
  source[0] = 7;
  assert.equal(r.toString(), '[1:4, :] (3, inf)');
  assert.deepEqual(r.offset.toArray(), [1, null]);
});
