import { readFileSync } from 'node:fs';

/**
 * The version that the one-file server bundled into the Python package
 * carries (esbuild's `define`, clients/python/bundle/build-server.mjs): it has
 * no package.json beside it. Undeclared everywhere else, hence `typeof`.
 */
declare const DAISYCHAIN_BUNDLED_VERSION: string | undefined;

let cached: string | undefined;

/** The daisychain package's version, as the server reports it in Welcome and `daisychain --version` prints it. */
export function serverVersion(): string {
  if (cached !== undefined) return cached;
  if (typeof DAISYCHAIN_BUNDLED_VERSION === 'string') return (cached = DAISYCHAIN_BUNDLED_VERSION);
  try {
    // This module runs as dist/src/server/version.js; package.json is at the package root.
    const manifest: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
    const version = typeof manifest === 'object' && manifest !== null && 'version' in manifest ? manifest.version : undefined;
    cached = typeof version === 'string' ? version : 'unknown';
  } catch {
    cached = 'unknown';
  }
  return cached;
}
