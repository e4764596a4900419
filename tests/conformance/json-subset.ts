import type { JsonValue } from '@bufbuild/protobuf';

/**
 * Whether `actual` contains `expected`: every field listed in an expected
 * object is present and equal (others are ignored), lists have the same
 * length and match element by element, and `null` means "absent" (a field
 * with explicit presence that is not set). Returns where the first
 * difference is, or null when `actual` matches.
 */
export function subsetMismatch(expected: JsonValue, actual: JsonValue | undefined, path = '$'): string | null {
  if (expected === null) return actual === undefined || actual === null ? null : `${path}: expected absent, got ${JSON.stringify(actual)}`;
  if (actual === undefined) return `${path}: missing, expected ${JSON.stringify(expected)}`;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected a list, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} entries, got ${actual.length}`;
    for (let i = 0; i < expected.length; i++) {
      const m = subsetMismatch(expected[i]!, actual[i], `${path}[${i}]`);
      if (m !== null) return m;
    }
    return null;
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, value] of Object.entries(expected)) {
      const m = subsetMismatch(value, actual[key], `${path}.${key}`);
      if (m !== null) return m;
    }
    return null;
  }
  return actual === expected ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}
