import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The daisychain package's version, as the server reports it in Welcome. */
export function serverVersion(): string {
  if (cached !== undefined) return cached;
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
