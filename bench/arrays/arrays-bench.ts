/**
 * Array throughput benchmark, daisychain side: the same cases, data and
 * timing as bench/arrays/zarr_python_bench.py (see its docstring), through
 * daisychain's public arrays API, all in this one process:
 *
 *   node dist/bench/arrays/arrays-bench.js --data DIR --work DIR [--formats zarr2,zarr3,n5]
 *     [--compressors gzip,raw] [--dtypes uint8,float32] [--block 64] [--repeats 1]
 *
 * Per case: `prepareDs` creates the dataset (write size = one block, so one
 * chunk per block) and `array.write(roi, block)` is timed over every block,
 * one after the other; then `openDs(..., 'r')` opens it afresh and
 * `array.read(roi)` is timed over every block. Cutting the blocks from the
 * volume, creating and opening the dataset, and comparing the blocks read
 * with the blocks written are not timed. One JSON line per measurement.
 * Exit status 1 when a block read back differs from the block written.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { viewBytes } from '../../src/arrays/dtype.js';
import {
  Array as DsArray,
  type CompressorOption,
  type DType,
  type Ndarray,
  ndarray,
  openDs,
  prepareDs,
  Roi,
  type ZarrFormat,
} from '../../src/index.js';
import { parseFlags } from '../flags.js';

const FORMATS = ['zarr2', 'zarr3', 'n5'] as const;
const COMPRESSORS = ['gzip', 'raw'] as const;
const DTYPES = ['uint8', 'float32'] as const;
type Format = (typeof FORMATS)[number];
type CompressorName = (typeof COMPRESSORS)[number];
const GZIP_LEVEL = 5;
const IMPL = 'daisychain';
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

interface Block {
  roi: Roi;
  data: Ndarray;
}

function usage(message: string): never {
  process.stderr.write(
    `arrays-bench: ${message}\nusage: arrays-bench.js --data DIR --work DIR [--formats zarr2,zarr3,n5] [--compressors gzip,raw] [--dtypes uint8,float32] [--block 64] [--repeats 1]\n`,
  );
  process.exit(2);
}

function listOf<T extends string>(value: string, allowed: readonly T[], what: string): T[] {
  const items = value.split(',');
  for (const item of items) if (!(allowed as readonly string[]).includes(item)) usage(`unknown ${what} ${item}`);
  return items as T[];
}

function positive(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) usage(`${what} must be a positive integer`);
  return n;
}

/** The volume of `dtype` cut into blocks (C order of the block grid), and the sha256 of its bytes. */
async function loadBlocks(
  dataDir: string,
  shape: number[],
  dtype: DType,
  block: number,
): Promise<{ blocks: Block[]; sha256: string }> {
  const raw = readFileSync(path.join(dataDir, `${dtype}.raw`));
  const sha256 = createHash('sha256').update(raw).digest('hex');
  if (shape.some((extent) => extent % block !== 0)) usage(`volume shape [${shape.join(', ')}] is not a multiple of --block ${block}`);
  const volume = new DsArray(ndarray(viewBytes(dtype, raw), shape), new Roi([0, 0, 0], shape), [1, 1, 1]);
  const grid = shape.map((extent) => extent / block);
  const blocks: Block[] = [];
  for (let i = 0; i < grid[0]; i++) {
    for (let j = 0; j < grid[1]; j++) {
      for (let k = 0; k < grid[2]; k++) {
        const roi = new Roi([i * block, j * block, k * block], [block, block, block]);
        blocks.push({ roi, data: await volume.read(roi) });
      }
    }
  }
  return { blocks, sha256 };
}

function sameBytes(a: Ndarray, b: Ndarray): boolean {
  const x = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return a.data.constructor === b.data.constructor && x.equals(y);
}

function storedBytes(directory: string): number {
  let total = 0;
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

async function timed(action: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await action();
  return (performance.now() - start) / 1000;
}

async function runCase(
  work: string,
  format: Format,
  compressorName: CompressorName,
  dtype: DType,
  blocks: Block[],
  shape: number[],
  block: number,
): Promise<Record<string, unknown>[]> {
  const container = path.join(work, `${IMPL}-${format}-${compressorName}-${dtype}.${format === 'n5' ? 'n5' : 'zarr'}`);
  rmSync(container, { recursive: true, force: true });
  const compressor: CompressorOption = compressorName === 'gzip' ? { id: 'gzip', level: GZIP_LEVEL } : null;
  const zarrFormat: ZarrFormat | undefined = format === 'zarr3' ? 3 : format === 'zarr2' ? 2 : undefined;
  const written = await prepareDs(container, 'volume', new Roi([0, 0, 0], shape), [1, 1, 1], dtype, {
    writeSize: [block, block, block],
    compressor,
    zarrFormat,
  });
  const writeSeconds = await timed(async () => {
    for (const { roi, data } of blocks) await written.write(roi, data);
  });
  await written.close();
  const size = storedBytes(container);
  const reader = await openDs(container, 'volume', 'r');
  const got: Ndarray[] = [];
  const readSeconds = await timed(async () => {
    for (const { roi } of blocks) got.push(await reader.read(roi));
  });
  await reader.close();
  const wrong = blocks.filter(({ data }, i) => !sameBytes(data, got[i]!)).length;
  rmSync(container, { recursive: true, force: true });
  const errors = wrong === 0 ? [] : [`${wrong} of ${blocks.length} blocks read back differ from the blocks written`];
  const bytes = blocks.reduce((sum, { data }) => sum + data.data.byteLength, 0);
  return (
    [
      ['write', writeSeconds],
      ['read', readSeconds],
    ] as const
  ).map(([op, seconds]) => ({
    impl: IMPL,
    version: VERSION,
    node: process.version,
    format,
    compressor: compressorName,
    dtype,
    op,
    block,
    blocks: blocks.length,
    bytes,
    seconds,
    mb_per_s: bytes / seconds / 1e6,
    stored_bytes: size,
    ok: errors.length === 0,
    errors,
  }));
}

const args = parseFlags(process.argv.slice(2), usage);
const dataDir = args.get('data') ?? usage('--data is required');
const work = args.get('work') ?? usage('--work is required');
const formats = listOf(args.get('formats') ?? FORMATS.join(','), FORMATS, 'format');
const compressors = listOf(args.get('compressors') ?? COMPRESSORS.join(','), COMPRESSORS, 'compressor');
const dtypes = listOf(args.get('dtypes') ?? DTYPES.join(','), DTYPES, 'dtype');
const block = positive(args.get('block') ?? '64', '--block');
const repeats = positive(args.get('repeats') ?? '1', '--repeats');
const { shape } = JSON.parse(readFileSync(path.join(dataDir, 'volume.json'), 'utf8')) as { shape: number[] };

let failed = false;
for (const dtype of dtypes) {
  const { blocks, sha256 } = await loadBlocks(dataDir, shape, dtype, block);
  for (let r = 0; r < repeats; r++) {
    for (const format of formats) {
      for (const compressor of compressors) {
        for (const record of await runCase(work, format, compressor, dtype, blocks, shape, block)) {
          failed ||= record.ok !== true;
          process.stdout.write(`${JSON.stringify({ ...record, data_sha256: sha256 })}\n`);
        }
      }
    }
  }
}
process.exitCode = failed ? 1 : 0;
