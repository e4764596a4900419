import { bytesPerElement, type DType } from './dtype.js';

/** Compressors as numcodecs names them in Zarr v2 metadata. */
export type Compressor =
  | { id: 'gzip'; level?: number }
  | { id: 'zlib'; level?: number }
  | { id: 'zstd'; level?: number }
  | { id: 'blosc'; cname?: string; clevel?: number; shuffle?: 0 | 1 | 2 };

/** `'default'` is gzip at level 5, as daisy's prepare_ds chooses; null stores raw bytes. */
export type CompressorOption = 'default' | null | Compressor;

export const DEFAULT_COMPRESSOR: Compressor = { id: 'gzip', level: 5 };

/**
 * Options for node:zlib's one-shot decompression of `compressed` bytes. Its
 * default 16 KiB output chunk costs one thread-pool round trip per 16 KiB
 * out, which halves gunzip's throughput on MB-sized chunks; 4x the input
 * (at least the default, at most 64 MiB) decompresses most chunks in one go.
 * Only the speed depends on it.
 */
export function inflateOptions(compressed: Uint8Array): { chunkSize: number } {
  return { chunkSize: Math.min(64 << 20, Math.max(16 << 10, 4 * compressed.byteLength)) };
}

const COMPRESSOR_IDS = ['gzip', 'zlib', 'zstd', 'blosc'];

export function resolveCompressor(option: CompressorOption | undefined): Compressor | null {
  if (option === undefined || option === 'default') return DEFAULT_COMPRESSOR;
  if (option === null) return null;
  if (typeof option !== 'object' || !COMPRESSOR_IDS.includes(option.id)) {
    throw new TypeError(
      `unknown compressor ${JSON.stringify(option)}: use 'default', null or { id: ${COMPRESSOR_IDS.map((id) => `'${id}'`).join(' | ')} }`,
    );
  }
  return option;
}

export function zarrV2Compressor(compressor: Compressor | null): Record<string, unknown> | null {
  if (compressor === null) return null;
  switch (compressor.id) {
    case 'gzip':
    case 'zlib':
      return { id: compressor.id, level: compressor.level ?? 5 };
    case 'zstd':
      return { id: 'zstd', level: compressor.level ?? 3 };
    case 'blosc':
      return {
        id: 'blosc',
        cname: compressor.cname ?? 'lz4',
        clevel: compressor.clevel ?? 5,
        shuffle: compressor.shuffle ?? 1,
        blocksize: 0,
      };
  }
}

const SHUFFLE_NAMES = ['noshuffle', 'shuffle', 'bitshuffle'] as const;

export function zarrV3Codecs(compressor: Compressor | null, dtype: DType): Record<string, unknown>[] {
  const codecs: Record<string, unknown>[] = [{ name: 'bytes', configuration: { endian: 'little' } }];
  if (compressor === null) return codecs;
  switch (compressor.id) {
    case 'gzip':
      codecs.push({ name: 'gzip', configuration: { level: compressor.level ?? 5 } });
      break;
    case 'zlib':
      throw new TypeError('Zarr v3 has no zlib codec: use gzip, zstd or blosc');
    case 'zstd':
      codecs.push({ name: 'zstd', configuration: { level: compressor.level ?? 3, checksum: false } });
      break;
    case 'blosc':
      codecs.push({
        name: 'blosc',
        configuration: {
          cname: compressor.cname ?? 'lz4',
          clevel: compressor.clevel ?? 5,
          shuffle: SHUFFLE_NAMES[compressor.shuffle ?? 1],
          typesize: bytesPerElement(dtype),
          blocksize: 0,
        },
      });
      break;
  }
  return codecs;
}
