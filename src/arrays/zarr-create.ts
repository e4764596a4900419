import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as zarr from 'zarrita';
import { writeFileAtomically, AtomicFileSystemStore } from './atomic-file-store.js';
import { zarrV2Compressor, zarrV3Codecs, type Compressor } from './compressor.js';
import { toNumpyTypestr, type DType } from './dtype.js';
import type { ZarrFormat } from './zarr-store.js';

export interface ZarrArraySpec {
  format: ZarrFormat;
  shape: readonly number[];
  chunkShape: readonly number[];
  dtype: DType;
  compressor: Compressor | null;
  attributes: Record<string, unknown>;
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

/** The Zarr format of an existing container, judged by its root metadata file. */
export function containerZarrFormat(container: string): ZarrFormat | null {
  if (existsSync(path.join(container, 'zarr.json'))) return 3;
  if (existsSync(path.join(container, '.zgroup')) || existsSync(path.join(container, '.zarray'))) return 2;
  return null;
}

/**
 * Creates the groups leading to `dataset` (where missing) and the array
 * itself, with the metadata zarr-python writes for the same call.
 */
export async function createZarrArray(container: string, dataset: string, spec: ZarrArraySpec): Promise<void> {
  const parts = dataset.split('/').filter((part) => part !== '');
  for (let depth = 0; depth < parts.length; depth++) {
    const group = path.join(container, ...parts.slice(0, depth));
    const marker = path.join(group, spec.format === 3 ? 'zarr.json' : '.zgroup');
    if (!existsSync(marker)) {
      const metadata = spec.format === 3 ? { zarr_format: 3, node_type: 'group', attributes: {} } : { zarr_format: 2 };
      await writeFileAtomically(marker, json(metadata));
    }
  }
  const directory = path.join(container, ...parts);
  if (spec.format === 2) {
    await writeFileAtomically(path.join(directory, '.zattrs'), json(spec.attributes));
    await writeFileAtomically(
      path.join(directory, '.zarray'),
      json({
        chunks: spec.chunkShape,
        compressor: zarrV2Compressor(spec.compressor),
        dimension_separator: '.',
        dtype: toNumpyTypestr(spec.dtype),
        fill_value: 0,
        filters: null,
        order: 'C',
        shape: spec.shape,
        zarr_format: 2,
      }),
    );
    return;
  }
  const location = zarr.root(new AtomicFileSystemStore(container)).resolve(parts.join('/'));
  await zarr.create(location, {
    shape: [...spec.shape],
    chunkShape: [...spec.chunkShape],
    dtype: spec.dtype,
    codecs: zarrV3Codecs(spec.compressor, spec.dtype) as zarr.CodecMetadata[],
    // A JSON number even for 64-bit integers: zarrita's metadata writer cannot encode a BigInt.
    fillValue: 0 as zarr.Scalar<DType>,
    attributes: spec.attributes,
  });
}
