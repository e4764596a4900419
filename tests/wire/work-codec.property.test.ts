/**
 * The hand-written codec of the Work stream's round trip (src/wire/work-codec.ts)
 * against protobuf-es, which stays the reference:
 *
 * - every Blocks response it encodes is byte for byte protobuf-es's;
 * - every request it reads (it may decline any) reads as protobuf-es reads it,
 *   for every shape of WorkRequest, for requests written unpacked, merged
 *   from two messages, cut short or with bytes changed, and for random bytes;
 * - it declines none of the plain requests a client sends, so that the fast
 *   path is the one taken.
 *
 * Seeded (FC_SEED overrides the seed, FC_RUNS the number of runs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import fc from 'fast-check';
import { Roi } from '../../src/geometry/roi.js';
import { Block, BlockStatus } from '../../src/model/block.js';
import {
  AcquireSchema,
  GiveBackSchema,
  HelloSchema,
  ReleaseSchema,
  ReleasesSchema,
  RenewSchema,
  SkipSchema,
  StartSchema,
  WorkRequestSchema,
  WorkResponseSchema,
  type WorkRequest,
} from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { blockToWire } from '../../src/wire/convert.js';
import { MAX_ACQUIRE } from '../../src/wire/limits.js';
import { decodeHotWorkRequest, encodeBlocksResponse } from '../../src/wire/work-codec.js';
import { blocksResponse, readWorkRequest } from '../../src/wire/work-messages.js';

const SEED = Number(process.env['FC_SEED'] ?? '20261206');
const NUM_RUNS = Number(process.env['FC_RUNS'] ?? '2000');
const settings = { seed: SEED, numRuns: NUM_RUNS };

// -- responses ------------------------------------------------------------------

const entry = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -1000, max: 100_000 }) },
  { weight: 2, arbitrary: fc.maxSafeInteger() },
  { weight: 1, arbitrary: fc.constant(null) },
);

const roi = fc
  .integer({ min: 0, max: 5 })
  .chain((dims) => fc.tuple(fc.array(entry, { minLength: dims, maxLength: dims }), fc.array(entry, { minLength: dims, maxLength: dims })))
  .map(([offset, shape]) => new Roi(offset, shape));

const block = fc
  .record({
    total: roi,
    read: roi,
    write: roi,
    blockId: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), fc.maxSafeNat()),
    taskId: fc.oneof(fc.constant('bench'), fc.string({ unit: 'grapheme', maxLength: 20 })),
    status: fc.constantFrom(BlockStatus.CREATED, BlockStatus.PROCESSING, BlockStatus.SUCCESS, BlockStatus.FAILED),
    attempt: fc.oneof(fc.constant(0), fc.nat(5), fc.integer({ min: 0, max: 0xffffffff })),
  })
  .map(({ total, read, write, blockId, taskId, status, attempt }) => {
    const b = new Block(total, read, write, blockId, taskId);
    b.status = status;
    return { block: b, attempt };
  });

test('a Blocks response encoded by hand is byte for byte what protobuf-es writes', () => {
  fc.assert(
    fc.property(fc.array(block, { maxLength: 6 }), (blocks) => {
      const reference = toBinary(WorkResponseSchema, blocksResponse(blocks.map(({ block: b, attempt }) => blockToWire(b, attempt))));
      assert.deepEqual(encodeBlocksResponse(blocks).bytes, reference);
    }),
    settings,
  );
});

// Blocks that share their total ROI and shape Coordinates, as a task's blocks do: the encoder keeps
// what it computed for the last ones it saw, and must notice when another one comes.
const sharedBlocks = fc
  .tuple(fc.array(roi, { minLength: 1, maxLength: 3 }), fc.array(roi, { minLength: 1, maxLength: 3 }))
  .chain(([totals, shapes]) =>
    fc.array(
      fc.record({
        total: fc.constantFrom(...totals),
        readShape: fc.constantFrom(...shapes),
        writeShape: fc.constantFrom(...shapes),
        offset: roi,
        blockId: fc.nat(1000),
      }),
      { maxLength: 8 },
    ),
  )
  .map((picks) =>
    picks
      .filter(({ readShape, writeShape, offset }) => offset.dims === readShape.dims && offset.dims === writeShape.dims)
      .map(({ total, readShape, writeShape, offset, blockId }) => {
        const b = new Block(total, new Roi(offset.offset, readShape.shape), new Roi(offset.offset, writeShape.shape), blockId, 'shared');
        b.status = BlockStatus.PROCESSING;
        return { block: b, attempt: 0 };
      }),
  );

test('blocks sharing total ROIs and shapes encode as protobuf-es writes them, one response or many', () => {
  fc.assert(
    fc.property(sharedBlocks, fc.nat(8), (blocks, cut) => {
      const reference = (part: typeof blocks): Uint8Array => toBinary(WorkResponseSchema, blocksResponse(part.map(({ block: b, attempt }) => blockToWire(b, attempt))));
      assert.deepEqual(encodeBlocksResponse(blocks).bytes, reference(blocks));
      for (const part of [blocks.slice(0, cut), blocks.slice(cut)]) assert.deepEqual(encodeBlocksResponse(part).bytes, reference(part));
    }),
    settings,
  );
});

test("a 3-D block as the server hands one out encodes as protobuf-es's", () => {
  const b = new Block(new Roi([0, 0, 0], [252, 252, 322]), new Roi([10, 20, 30], [12, 12, 12]), new Roi([11, 21, 31], [10, 10, 10]), 123_456, 'bench');
  b.status = BlockStatus.PROCESSING;
  assert.deepEqual(encodeBlocksResponse([{ block: b, attempt: 0 }]).bytes, toBinary(WorkResponseSchema, blocksResponse([blockToWire(b, 0)])));
});

// -- requests -------------------------------------------------------------------

const uint64 = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 0n, max: 100_000n }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: (1n << 49n) - 1n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) },
);
const uint32 = fc.oneof(fc.nat(40), fc.integer({ min: 0, max: 0xffffffff }));
const status = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) });
const text = fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });

const acquire = fc.record({ count: uint32, ahead: uint32 }).map((a) => create(AcquireSchema, a));
const release = fc.record({ blockId: uint64, status, error: text, traceback: text }).map((r) => create(ReleaseSchema, r));
const releases = fc
  .record({ releases: fc.array(release, { maxLength: 5 }), started: fc.array(uint64, { maxLength: 5 }), acquire: fc.option(acquire, { nil: undefined }) })
  .map((r) => create(ReleasesSchema, r));
const ids = fc.array(uint64, { maxLength: 4 });

const workRequest: fc.Arbitrary<WorkRequest> = fc
  .oneof(
    acquire.map((value) => ({ case: 'acquire' as const, value })),
    release.map((value) => ({ case: 'release' as const, value })),
    releases.map((value) => ({ case: 'releases' as const, value })),
    fc.record({ taskId: fc.string(), workerId: fc.string(), pid: fc.nat() }).map((h) => ({ case: 'hello' as const, value: create(HelloSchema, h) })),
    uint64.map((blockId) => ({ case: 'skip' as const, value: create(SkipSchema, { blockId }) })),
    ids.map((blockIds) => ({ case: 'start' as const, value: create(StartSchema, { blockIds }) })),
    ids.map((blockIds) => ({ case: 'renew' as const, value: create(RenewSchema, { blockIds }) })),
    ids.map((blockIds) => ({ case: 'giveBack' as const, value: create(GiveBackSchema, { blockIds }) })),
    fc.constant({ case: undefined }),
  )
  .map((message) => create(WorkRequestSchema, { message }));

/** The same Releases with `started` written unpacked, one tag per id, which readers must accept too. */
function withUnpackedStarts(message: WorkRequest): Uint8Array | null {
  if (message.message.case !== 'releases') return null;
  const inner = new BinaryWriter();
  for (const r of message.message.value.releases) inner.tag(1, WireType.LengthDelimited).bytes(toBinary(ReleaseSchema, r));
  for (const id of message.message.value.started) inner.tag(2, WireType.Varint).uint64(id);
  const acq = message.message.value.acquire;
  if (acq !== undefined) inner.tag(3, WireType.LengthDelimited).bytes(toBinary(AcquireSchema, acq));
  return new BinaryWriter().tag(5, WireType.LengthDelimited).bytes(inner.finish()).finish();
}

/** If the codec reads `bytes`, protobuf-es must read them too, to the same request, under every list bound. */
function assertReadsAsProtobufEs(bytes: Uint8Array): boolean {
  const hot = decodeHotWorkRequest(bytes);
  if (hot === null) return false;
  let reference: WorkRequest;
  try {
    reference = fromBinary(WorkRequestSchema, bytes);
  } catch (error) {
    assert.fail(`the codec read bytes that protobuf-es refuses (${String(error)}): ${Buffer.from(bytes).toString('hex')}`);
  }
  for (const bound of [Number.POSITIVE_INFINITY, MAX_ACQUIRE, 2, 0]) {
    assert.deepEqual(readWorkRequest(hot, bound), readWorkRequest(reference, bound), `bytes ${Buffer.from(bytes).toString('hex')}, bound ${bound}`);
  }
  return true;
}

/** A request of the shape a client sends: the codec must read it, not leave it to protobuf-es. */
function isPlain(message: WorkRequest): boolean {
  const plainRelease = (r: { blockId: bigint; status: number; error: string; traceback: string }): boolean =>
    r.blockId < 1n << 49n && r.status >= 0 && r.error === '' && r.traceback === '';
  switch (message.message.case) {
    case 'acquire':
      return true;
    case 'release':
      return plainRelease(message.message.value);
    case 'releases':
      return message.message.value.releases.every(plainRelease) && message.message.value.started.every((id) => id < 1n << 49n);
    default:
      return false;
  }
}

test('every WorkRequest reads as protobuf-es reads it, and the plain ones are read by the codec', () => {
  fc.assert(
    fc.property(workRequest, (message) => {
      const bytes = toBinary(WorkRequestSchema, message);
      const read = assertReadsAsProtobufEs(bytes);
      assert.equal(read, isPlain(message), `read by the codec: ${read}, plain: ${isPlain(message)}`);
      const unpacked = withUnpackedStarts(message);
      if (unpacked !== null) assert.equal(assertReadsAsProtobufEs(unpacked), isPlain(message));
    }),
    settings,
  );
});

test('merged, truncated, altered and random bytes read as protobuf-es reads them, or are left to it', () => {
  const altered = fc
    .tuple(workRequest, workRequest, fc.nat(), fc.nat(255), fc.constantFrom('merge', 'truncate', 'alter', 'append'))
    .map(([a, b, at, byte, how]) => {
      const first = toBinary(WorkRequestSchema, a);
      const second = toBinary(WorkRequestSchema, b);
      switch (how) {
        case 'merge':
          return Uint8Array.from([...first, ...second]);
        case 'truncate':
          return first.subarray(0, first.length === 0 ? 0 : at % first.length);
        case 'alter': {
          const copy = Uint8Array.from(first);
          if (copy.length > 0) copy[at % copy.length] = byte;
          return copy;
        }
        case 'append':
          return Uint8Array.from([...first, byte]);
      }
    });
  fc.assert(
    fc.property(fc.oneof(altered, fc.uint8Array({ maxLength: 40 })), (bytes) => {
      assertReadsAsProtobufEs(bytes);
    }),
    settings,
  );
});

test('a Releases with more than MAX_ACQUIRE ids is left to protobuf-es, whose reader refuses it by its length', () => {
  const message = create(WorkRequestSchema, {
    message: { case: 'releases', value: create(ReleasesSchema, { started: Array.from({ length: MAX_ACQUIRE + 1 }, (_, i) => BigInt(i)) }) },
  });
  assert.equal(decodeHotWorkRequest(toBinary(WorkRequestSchema, message)), null);
});
