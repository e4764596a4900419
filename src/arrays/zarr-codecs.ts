import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { registry } from 'zarrita';
import { inflateOptions } from './compressor.js';

/**
 * zarrita decodes gzip and zlib but cannot encode them, and its blosc codec
 * takes numcodecs' integer `shuffle` where Zarr v3 metadata spells it out.
 * These entries in zarrita's codec registry fill both gaps with Node's zlib
 * (and numcodecs' blosc), so daisychain writes what zarr-python reads.
 */
const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const deflate = promisify(zlib.deflate);
const inflate = promisify(zlib.inflate);

interface LevelConfig {
  level?: number;
}

function levelOf(config: unknown, fallback: number): number {
  const level = (config as LevelConfig | undefined)?.level;
  return typeof level === 'number' ? level : fallback;
}

function bytesCodec(
  encode: (bytes: Uint8Array, level: number) => Promise<Buffer>,
  decode: (bytes: Uint8Array) => Promise<Buffer>,
  defaultLevel: number,
) {
  return {
    kind: 'bytes_to_bytes' as const,
    fromConfig(config: unknown) {
      const level = levelOf(config, defaultLevel);
      return {
        kind: 'bytes_to_bytes' as const,
        async encode(bytes: Uint8Array): Promise<Uint8Array> {
          const out = await encode(bytes, level);
          return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        },
        async decode(bytes: Uint8Array): Promise<Uint8Array> {
          const out = await decode(bytes);
          return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
        },
      };
    },
  };
}

// numcodecs' GZip and Zlib default to level 1; Zarr v3 metadata always names one.
const gzipCodec = bytesCodec((bytes, level) => gzip(bytes, { level }), (bytes) => gunzip(bytes, inflateOptions(bytes)), 1);
const zlibCodec = bytesCodec((bytes, level) => deflate(bytes, { level }), (bytes) => inflate(bytes, inflateOptions(bytes)), 1);

const SHUFFLE_CODES: Record<string, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };

let registered = false;

export function registerZarrCodecs(): void {
  if (registered) return;
  registered = true;
  registry.set('gzip', async () => gzipCodec);
  registry.set('numcodecs.gzip', async () => gzipCodec);
  registry.set('zlib', async () => zlibCodec);
  registry.set('numcodecs.zlib', async () => zlibCodec);
  registry.set('blosc', async () => {
    const { default: Blosc } = await import('numcodecs/blosc');
    return {
      kind: 'bytes_to_bytes' as const,
      fromConfig(config: unknown) {
        const { shuffle, typesize: _typesize, ...rest } = (config ?? {}) as Record<string, unknown>;
        const code = typeof shuffle === 'string' ? SHUFFLE_CODES[shuffle] : shuffle;
        const codec = Blosc.fromConfig({ ...rest, shuffle: code as number });
        return Object.assign(codec, { kind: 'bytes_to_bytes' as const });
      },
    };
  });
}
