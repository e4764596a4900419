/**
 * An n-dimensional integer coordinate with funlib.geometry's semantics (the
 * `Coordinate` daisy uses), so that arithmetic on block positions gives the
 * same numbers as daisy.
 *
 * Semantics kept from funlib:
 * - every entry is an integer or `null` (funlib's `None`, "unbounded"); the
 *   constructor truncates non-integers toward zero, as Python's `int()` does,
 *   and so does every operation, because funlib builds each result through
 *   that constructor: `div` is true division *then* truncation
 *   (`(7, -7) / 2` is `(3, -3)`);
 * - `floorDiv` and `mod` follow Python's `//` and `%` (floor toward -inf, the
 *   remainder takes the divisor's sign), including Python's float rules
 *   (`1 // 0.1` is 9);
 * - a `null` entry on either side gives `null`, and is never divided, so
 *   `(null, 3) / (0, 1)` is `(null, 3)` while `(1, 3) / (0, 1)` throws.
 *
 * Where funlib fails (assertion, ZeroDivisionError, TypeError, ...) this
 * class throws; operands of different dimensions always throw a message that
 * names both dimension counts. Instances are frozen: they can be shared freely.
 */

/** A Coordinate, or a plain array taken as one. */
export type CoordinateLike = Coordinate | readonly (number | null)[];

/** What the element-wise operations accept: a scalar or a coordinate. */
export type CoordinateOperand = number | CoordinateLike;

type Entry = number | null;
type ScalarOp = (a: number, b: number) => number;

export class Coordinate implements Iterable<number | null> {
  readonly #values: readonly Entry[];

  constructor(values: Iterable<number | null>) {
    // A private copy is enough to keep instances immutable; this constructor
    // runs for every block handed out, so the integer case takes no detour.
    const entries: Entry[] = [];
    if (Array.isArray(values)) {
      for (let i = 0; i < values.length; i++) {
        const v: unknown = values[i];
        entries.push(Number.isSafeInteger(v) && !Object.is(v, -0) ? (v as number) : toInteger(v));
      }
    } else {
      for (const v of values as Iterable<unknown>) entries.push(toInteger(v));
    }
    this.#values = entries;
  }

  /** Returns `c` itself if it already is a Coordinate (they are immutable). */
  static from(c: CoordinateLike): Coordinate {
    if (c instanceof Coordinate) return c;
    if (c === null || typeof c !== 'object' || typeof (c as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`expected a Coordinate or an array of numbers, got ${describe(c)}`);
    }
    return new Coordinate(c);
  }

  get dims(): number {
    return this.#values.length;
  }

  /** Entry `i`; negative indices count from the end, as in Python. */
  get(i: number): number | null {
    const index = Number.isInteger(i) && i < 0 ? i + this.dims : i;
    if (!Number.isInteger(index) || index < 0 || index >= this.dims) {
      throw new RangeError(`index ${i} is out of range for the ${this.dims}-dimensional Coordinate ${this.toString()}`);
    }
    return this.#values[index];
  }

  /** A fresh array: changing it does not change this Coordinate. */
  toArray(): (number | null)[] {
    return this.#values.slice();
  }

  [Symbol.iterator](): Iterator<number | null> {
    return this.#values[Symbol.iterator]();
  }

  add(other: CoordinateOperand): Coordinate {
    return this.#combine(other, 'add', (a, b) => a + b);
  }

  sub(other: CoordinateOperand): Coordinate {
    return this.#combine(other, 'subtract', (a, b) => a - b);
  }

  mul(other: CoordinateOperand): Coordinate {
    return this.#combine(other, 'multiply', (a, b) => a * b);
  }

  /** Python's `/`, truncated toward zero afterwards as funlib does. */
  div(other: CoordinateOperand): Coordinate {
    return this.#combine(other, 'divide', trueDivide);
  }

  /** Python's `//`: rounds toward negative infinity. */
  floorDiv(other: CoordinateOperand): Coordinate {
    return this.#combine(other, 'floor-divide', pythonFloorDiv);
  }

  /** Python's `%`: the result has the sign of the divisor. */
  mod(other: CoordinateOperand): Coordinate {
    return this.#combine(other, 'take the modulo of', pythonMod);
  }

  pow(other: CoordinateOperand): Coordinate {
    return this.#combine(other, 'raise', pythonPow);
  }

  neg(): Coordinate {
    return this.#map((a) => -a);
  }

  abs(): Coordinate {
    return this.#map(Math.abs);
  }

  /**
   * True when every entry is a multiple of the matching entry of `other`.
   * Like funlib, every pair is checked before answering, so a `null` or a zero
   * divisor anywhere throws even when an earlier pair already answers false.
   */
  isMultipleOf(other: CoordinateLike): boolean {
    const o = this.#sameDims(other, 'test multiples of');
    let all = true;
    for (let i = 0; i < this.dims; i++) {
      const a = this.#values[i];
      const b = o.#values[i];
      if (a === null || b === null) {
        throw new TypeError(`cannot test ${this.toString()} for multiples of ${o.toString()}: null entries have no remainder`);
      }
      if (pythonMod(a, b) !== 0) all = false;
    }
    return all;
  }

  /** Division rounding to the nearest integer; exact halves round down. */
  roundDivision(other: CoordinateOperand): Coordinate {
    this.#checkOperandDims(other, 'round-divide');
    const half = typeof other === 'number' ? pythonFloorDiv(other - 1, 2) : Coordinate.from(other).sub(1).floorDiv(2);
    return this.add(half).floorDiv(other);
  }

  floorDivision(other: CoordinateOperand): Coordinate {
    return this.floorDiv(other);
  }

  /** Division rounding up; built from the same steps as funlib, truncation included. */
  ceilDivision(other: CoordinateOperand): Coordinate {
    this.#checkOperandDims(other, 'ceil-divide');
    return this.add(other).sub(1).floorDiv(other);
  }

  /** Drops dimension `dim`; like funlib, an index outside 0..dims-1 (even -1) drops nothing. */
  squeeze(dim = 0): Coordinate {
    return new Coordinate(this.#values.filter((_, i) => i !== dim));
  }

  equals(other: CoordinateLike): boolean {
    const o = Coordinate.from(other);
    return o.dims === this.dims && this.#values.every((v, i) => v === o.#values[i]);
  }

  /** Python's repr of the tuple: `(1, 2)`, `(None, 4)`, `(5,)`, `()`. */
  toString(): string {
    const parts = this.#values.map((v) => (v === null ? 'None' : formatInteger(v)));
    return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
  }

  #map(op: (a: number) => number): Coordinate {
    return new Coordinate(this.#values.map((a) => (a === null ? null : op(a))));
  }

  #combine(other: CoordinateOperand, verb: string, op: ScalarOp): Coordinate {
    if (typeof other === 'number') return this.#map((a) => op(a, other));
    const o = this.#sameDims(other, verb);
    return new Coordinate(
      this.#values.map((a, i) => {
        const b = o.#values[i];
        return a === null || b === null ? null : op(a, b);
      }),
    );
  }

  #checkOperandDims(other: CoordinateOperand, verb: string): void {
    if (typeof other !== 'number') this.#sameDims(other, verb);
  }

  #sameDims(other: CoordinateLike, verb: string): Coordinate {
    const o = Coordinate.from(other);
    if (o.dims !== this.dims) {
      throw new RangeError(
        `cannot ${verb} Coordinates of different dimensions: ${this.toString()} has ${this.dims} dimensions, ${o.toString()} has ${o.dims}`,
      );
    }
    return o;
  }
}

/** Python's `str()` of an integer (no exponent notation for large values). */
export function formatInteger(value: number): string {
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

/** Python's `int()` of an entry: truncation toward zero; NaN and infinities cannot be integers. */
function toInteger(value: unknown): Entry {
  if (value === null) return null;
  if (typeof value !== 'number') {
    throw new TypeError(`Coordinate entries must be numbers or null, got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) throw new RangeError(`cannot convert ${value} to an integer Coordinate entry`);
  // `+ 0` turns -0 into 0, so that results print and compare like Python ints.
  return Math.trunc(value) + 0;
}

function requireNonZeroDivisor(b: number, what: string): void {
  if (b === 0) throw new RangeError(`${what} by zero`);
}

function trueDivide(a: number, b: number): number {
  requireNonZeroDivisor(b, 'division');
  return a / b;
}

/**
 * Python's float floor division (CPython's float_floor_div), which is also
 * exact for integers within 2^53; `Math.floor(a / b)` is not, e.g. for
 * `1 // 0.1`, where the rounded quotient 10 hides that 0.1 is slightly above 1/10.
 */
export function pythonFloorDiv(a: number, b: number): number {
  requireNonZeroDivisor(b, 'integer division or modulo');
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && b < 0 !== mod < 0) div -= 1;
  if (div === 0) return 0;
  const floor = Math.floor(div);
  return div - floor > 0.5 ? floor + 1 : floor;
}

/** Python's `%`: JavaScript's remainder moved into the divisor's sign. */
export function pythonMod(a: number, b: number): number {
  requireNonZeroDivisor(b, 'integer division or modulo');
  const mod = a % b;
  return mod !== 0 && b < 0 !== mod < 0 ? mod + b : mod;
}

/** Python's `**` on ints and floats, failing where Python fails. */
function pythonPow(a: number, b: number): number {
  if (a === 0 && b < 0) throw new RangeError('0 cannot be raised to a negative power');
  if (a < 0 && Number.isFinite(b) && !Number.isInteger(b)) {
    // Python answers with a complex number, which funlib cannot turn into an int.
    throw new TypeError(`${a} ** ${b} is a complex number, not a Coordinate entry`);
  }
  // Python defines 1 ** x as 1 for every x, and (-1) ** ±inf as 1; JavaScript gives NaN.
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b) && b >= 0) return integerPow(a, b);
  return a ** b;
}

/** Exact powers by squaring while the result fits in a double's integer range. */
function integerPow(base: number, exponent: number): number {
  let result = 1;
  let b = base;
  let e = exponent;
  while (e > 0) {
    if (e % 2 === 1) result *= b;
    e = Math.floor(e / 2);
    if (e > 0) b *= b;
  }
  return result;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
