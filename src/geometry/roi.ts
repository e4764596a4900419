/**
 * A rectangular region of interest with funlib.geometry's semantics (the `Roi`
 * daisy uses): an offset and a shape, both Coordinates, in world units.
 *
 * Special cases kept from funlib:
 * - a `null` shape entry means "unbounded along this axis"; the constructor
 *   then sets that offset entry to `null` too;
 * - a `null` offset entry with a bounded shape is allowed and means "no lower
 *   bound" (its end is `null` as well);
 * - a ROI is empty when a shape entry is zero or negative; `intersect` returns
 *   the canonical empty ROI, offset all `null` and shape all 0.
 *
 * Operands of mismatched dimensions always throw a message naming both counts,
 * including in `contains` and `union`, where funlib 0.3.0 silently compares
 * only the leading dimensions (or returns the other ROI unchecked).
 * Instances are immutable.
 */

import { Coordinate, formatInteger, type CoordinateLike, type CoordinateOperand } from './coordinate.js';

export type SnapMode = 'grow' | 'shrink' | 'closest';

/** Python's `slice(start, stop)` as funlib's `to_slices` builds it. */
export interface Slice {
  readonly start: number | null;
  readonly stop: number | null;
}

type Entry = number | null;

export class Roi {
  readonly #offset: Coordinate;
  readonly #shape: Coordinate;
  #end: Coordinate | undefined; // computed on first use; invisible from outside

  constructor(offset: CoordinateLike, shape: CoordinateLike) {
    const o = Coordinate.from(offset);
    const s = Coordinate.from(shape);
    if (o.dims !== s.dims) {
      throw new RangeError(`Roi offset ${o.toString()} has ${o.dims} dimensions but shape ${s.toString()} has ${s.dims}`);
    }
    this.#offset = dropUnboundedOffsets(o, s);
    this.#shape = s;
  }

  get offset(): Coordinate {
    return this.#offset;
  }

  get shape(): Coordinate {
    return this.#shape;
  }

  /** The smallest coordinate inside the ROI. */
  get begin(): Coordinate {
    return this.#offset;
  }

  /** The first coordinate past the ROI along every axis (`null` where unbounded). */
  get end(): Coordinate {
    return (this.#end ??= this.#offset.add(this.#shape));
  }

  /** `offset + shape / 2`, with funlib's truncation of the half shape toward zero. */
  get center(): Coordinate {
    return this.#offset.add(this.#shape.div(2));
  }

  get dims(): number {
    return this.#shape.dims;
  }

  get empty(): boolean {
    for (const s of this.#shape) if (s !== null && s <= 0) return true;
    return false;
  }

  get unbounded(): boolean {
    for (const s of this.#shape) if (s === null) return true;
    return false;
  }

  /** The volume, or `null` when unbounded; an empty ROI may give 0 or a negative number, as in funlib. */
  get size(): number | null {
    let size = 1;
    for (const s of this.#shape) {
      if (s === null) return null;
      size *= s;
    }
    return size;
  }

  /**
   * Whether `other` (a ROI or a point) lies inside this ROI. Like funlib, an
   * empty ROI is contained by an empty ROI or by a ROI containing its begin;
   * the canonical empty ROI (begin all `null`) is thus contained only by empty
   * ROIs and by ROIs without begin and end on every axis. A plain array's
   * entries are compared as given, without truncation to integers.
   */
  contains(other: Roi | CoordinateLike): boolean {
    if (other instanceof Roi) return this.#containsRoi(other);
    return this.#containsPoint(pointEntries(other));
  }

  intersects(other: Roi): boolean {
    this.#requireSameDims(other, 'intersect');
    if (this.empty || other.empty) return false;
    const [b1, e1, b2, e2] = [this.begin, this.end, other.begin, other.end];
    for (let d = 0; d < this.dims; d++) {
      if (separated(b1.get(d), e1.get(d), b2.get(d), e2.get(d))) return false;
    }
    return true;
  }

  intersect(other: Roi): Roi {
    if (!this.intersects(other)) return Roi.#emptyRoi(this.dims);
    const begin = zipEntries(this.begin, other.begin, maxTreatingNullAsLowest);
    const end = zipEntries(this.end, other.end, minTreatingNullAsHighest);
    return new Roi(begin, end.sub(begin));
  }

  /** The bounding box of both ROIs; an empty ROI on either side gives the other one unchanged. */
  union(other: Roi): Roi {
    this.#requireSameDims(other, 'unite');
    if (this.empty) return other;
    if (other.empty) return this;
    const begin = zipEntries(this.begin, other.begin, (a, b) => (a === null || b === null ? null : Math.min(a, b)));
    const end = zipEntries(this.end, other.end, (a, b) => (a === null || b === null ? null : Math.max(a, b)));
    return new Roi(begin, end.sub(begin));
  }

  /** Grows by `neg` below and `pos` above, per axis or by one number for all axes. */
  grow(neg: CoordinateOperand = 0, pos: CoordinateOperand = 0): Roi {
    return new Roi(this.#offset.sub(neg), this.#shape.add(neg).add(pos));
  }

  shift(by: CoordinateOperand): Roi {
    return new Roi(this.#offset.add(by), this.#shape);
  }

  /**
   * Aligns begin and end with multiples of `voxelSize`: 'grow' moves them
   * outward, 'shrink' inward, 'closest' to the nearest multiple (exact halves
   * round down). As in funlib, `null` ends stay `null`, so snapping the
   * canonical empty ROI gives an unbounded ROI.
   */
  snapToGrid(voxelSize: CoordinateLike, mode: SnapMode = 'grow'): Roi {
    const voxel = Coordinate.from(voxelSize);
    if (voxel.dims !== this.dims) {
      throw new RangeError(
        `cannot snap the ${this.dims}-dimensional Roi ${this.toString()} to the ${voxel.dims}-dimensional voxel size ${voxel.toString()}`,
      );
    }
    if (voxel.toArray().includes(0)) throw new RangeError(`voxel size ${voxel.toString()} contains a zero`);
    const [begin, end] = snapEnds(this.begin, this.end, voxel, mode);
    return new Roi(begin.mul(voxel), end.sub(begin).mul(voxel));
  }

  /** Per axis `{ start, stop }` as funlib's Python slices: `(null, null)` unbounded, `(null, 0)` zero shape. */
  toSlices(): Slice[] {
    const slices: Slice[] = [];
    for (let d = 0; d < this.dims; d++) {
      const offset = this.#offset.get(d);
      const shape = this.#shape.get(d);
      if (shape === null) slices.push({ start: null, stop: null });
      else if (shape === 0) slices.push({ start: null, stop: 0 });
      else if (offset === null) {
        throw new TypeError(`Roi ${this.toString()} has no offset along axis ${d}, so it cannot be turned into slices`);
      } else slices.push({ start: offset, stop: offset + shape });
    }
    return slices;
  }

  /** Roi is immutable, so a copy is only needed where a distinct object is wanted. */
  copy(): Roi {
    return new Roi(this.#offset, this.#shape);
  }

  equals(other: Roi): boolean {
    return this.#offset.equals(other.#offset) && this.#shape.equals(other.#shape);
  }

  squeeze(dim = 0): Roi {
    return new Roi(this.#offset.squeeze(dim), this.#shape.squeeze(dim));
  }

  /** Shifts by `other` (funlib's `roi + x`, which takes integers and Coordinates only). */
  add(other: CoordinateOperand): Roi {
    return this.shift(requireRoiOperand(other, 'add'));
  }

  sub(other: CoordinateOperand): Roi {
    const by = requireRoiOperand(other, 'subtract');
    return this.shift(typeof by === 'number' ? -by : Coordinate.from(by).neg());
  }

  /** Scales offset and shape. */
  mul(other: CoordinateOperand): Roi {
    const by = requireRoiOperand(other, 'multiply');
    return new Roi(this.#offset.mul(by), this.#shape.mul(by));
  }

  /** Divides offset and shape, truncating toward zero as funlib does. */
  div(other: CoordinateOperand): Roi {
    const by = requireRoiOperand(other, 'divide');
    return new Roi(this.#offset.div(by), this.#shape.div(by));
  }

  floorDiv(other: CoordinateOperand): Roi {
    const by = requireRoiOperand(other, 'floor-divide');
    return new Roi(this.#offset.floorDiv(by), this.#shape.floorDiv(by));
  }

  mod(other: CoordinateOperand): Roi {
    const by = requireRoiOperand(other, 'take the modulo of');
    return new Roi(this.#offset.mod(by), this.#shape.mod(by));
  }

  /** funlib's repr: `[1:4, :] (3, inf)`, or `[empty ROI]`. */
  toString(): string {
    if (this.empty) return '[empty ROI]';
    const show = (v: Entry): string => (v === null ? '' : formatInteger(v));
    const end = this.end;
    const slices = this.begin.toArray().map((b, d) => `${show(b)}:${show(end.get(d))}`);
    const shape = this.#shape.toArray().map((s) => (s === null ? 'inf' : formatInteger(s)));
    return `[${slices.join(', ')}] (${shape.join(', ')})`;
  }

  static #emptyRoi(dims: number): Roi {
    return new Roi(new Array<Entry>(dims).fill(null), new Array<number>(dims).fill(0));
  }

  #containsRoi(other: Roi): boolean {
    this.#requireSameDims(other, 'test containment of');
    if (other.empty) return this.empty || this.#containsPoint(other.begin.toArray());
    return this.#containsPoint(other.begin.toArray()) && this.#containsPoint(other.end.sub(1).toArray());
  }

  /** `null` bounds are open; a `null` point entry is inside only an axis unbounded on both sides. */
  #containsPoint(point: readonly Entry[]): boolean {
    if (point.length !== this.dims) {
      throw new RangeError(
        `cannot test whether the ${this.dims}-dimensional Roi ${this.toString()} contains a point of ${point.length} dimensions`,
      );
    }
    const begin = this.begin;
    const end = this.end;
    return point.every((p, d) => {
      const b = begin.get(d);
      const e = end.get(d);
      return (b === null || (p !== null && p >= b)) && (e === null || (p !== null && p < e));
    });
  }

  #requireSameDims(other: Roi, verb: string): void {
    if (other.dims !== this.dims) {
      throw new RangeError(
        `cannot ${verb} Rois of different dimensions: ${this.toString()} has ${this.dims} dimensions, ${other.toString()} has ${other.dims}`,
      );
    }
  }
}

/** funlib's offset consolidation: no offset where the shape is unbounded. */
function dropUnboundedOffsets(offset: Coordinate, shape: Coordinate): Coordinate {
  const o = offset.toArray();
  const s = shape.toArray();
  for (let d = 0; d < o.length; d++) {
    if (o[d] !== null && s[d] === null) {
      return new Coordinate(offset.toArray().map((o, i) => (shape.get(i) === null ? null : o)));
    }
  }
  return offset; // the common case: no copy
}

/** The entries of a point; a plain array keeps its non-integer entries, as funlib compares them raw. */
function pointEntries(point: CoordinateLike): Entry[] {
  if (point instanceof Coordinate) return point.toArray();
  if (!Array.isArray(point)) throw new TypeError('contains() needs a Roi, a Coordinate or an array of numbers');
  return point.map((p: unknown) => {
    if (p !== null && typeof p !== 'number') throw new TypeError(`point entries must be numbers or null, got ${typeof p}`);
    return p;
  });
}

/** Two axes are separated when both are bounded on both sides and do not overlap. */
function separated(b1: Entry, e1: Entry, b2: Entry, e2: Entry): boolean {
  if (b1 === null || e1 === null || b2 === null || e2 === null) return false;
  return b1 >= e2 || b2 >= e1;
}

function zipEntries(a: Coordinate, b: Coordinate, pick: (x: Entry, y: Entry) => Entry): Coordinate {
  return new Coordinate(a.toArray().map((x, i) => pick(x, b.get(i))));
}

/** For lower bounds `null` is -infinity: the larger begin is the other one. */
function maxTreatingNullAsLowest(x: Entry, y: Entry): Entry {
  if (x === null) return y;
  if (y === null) return x;
  return Math.max(x, y);
}

/** For upper bounds `null` is +infinity: the smaller end is the other one. */
function minTreatingNullAsHighest(x: Entry, y: Entry): Entry {
  if (x === null) return y;
  if (y === null) return x;
  return Math.min(x, y);
}

/** Begin and end in voxels, rounded as `mode` asks. */
function snapEnds(begin: Coordinate, end: Coordinate, voxel: Coordinate, mode: SnapMode): [Coordinate, Coordinate] {
  switch (mode) {
    case 'grow':
      return [begin.floorDivision(voxel), end.ceilDivision(voxel)];
    case 'shrink':
      return [begin.ceilDivision(voxel), end.floorDivision(voxel)];
    case 'closest':
      return [begin.roundDivision(voxel), end.roundDivision(voxel)];
    default:
      throw new RangeError(`unknown snapToGrid mode ${JSON.stringify(mode as unknown)}: use 'grow', 'shrink' or 'closest'`);
  }
}

/** funlib's ROI arithmetic takes only integers and Coordinates. */
function requireRoiOperand(other: CoordinateOperand, verb: string): CoordinateOperand {
  if (typeof other === 'number' && !Number.isInteger(other)) {
    throw new TypeError(`can only ${verb} a Roi with an integer or a Coordinate, got ${other}`);
  }
  return other;
}
