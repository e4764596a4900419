/**
 * Hostile work streams for the protocol's property test
 * (tests/server/work-protocol.property.test.ts): a script of requests, well
 * formed or not, sent on a RawStream; a model of the contract's stream states
 * (proto/daisychain/v1/README.md) that says how the stream must end; and a
 * tracker of which stream holds which block, shared with the honest workers.
 */
import { create, fromBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  AcquireSchema,
  BlockStatus as WireBlockStatus,
  GiveBackSchema,
  HelloSchema,
  ReleaseSchema,
  ReleasesSchema,
  RenewSchema,
  SkipSchema,
  StartSchema,
  WorkRequestSchema,
  type WorkRequest,
  type WorkResponse,
} from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { workMethod } from '../../src/wire/service-definition.js';
import { RawStream } from './raw-stream.js';

/** A block id: one this stream holds (the index-th, mod how many; any id if none), any small id (maybe another's), or one ≥ 2^53. */
export type IdPick = { held: number } | { id: number } | { beyond: bigint };
export type Status = number;
export type Step =
  | { kind: 'hello'; taskId: string }
  | { kind: 'acquire'; count: number; ahead: number }
  | { kind: 'release'; id: IdPick; status: Status }
  | { kind: 'releases'; releases: { id: IdPick; status: Status }[]; started: IdPick[]; then: { count: number; ahead: number } | null }
  | { kind: 'skip'; id: IdPick }
  | { kind: 'start' | 'renew' | 'giveBack'; ids: IdPick[] }
  | { kind: 'empty' }
  | { kind: 'huge'; payload: HugeName }
  | { kind: 'garbage'; bytes: Uint8Array }
  | { kind: 'pause'; ms: number };
export type End = 'halfClose' | 'cancel' | 'silent';
export interface Script {
  startMs: number;
  gapMs: number;
  steps: Step[];
  /** 'silent' leaves the stream open: for one that never said Hello, the server must close it; a greeted one is half-closed instead, or it would hold its blocks for ever. */
  end: End;
}

// -- the big messages, built once ---------------------------------------------------------

/** Big messages, built once (see `hugeMessages`): lists beyond the id-list bound, at it, and one message over 4 MiB. */
export const HUGE_NAMES = ['releases650k', 'started200k', 'giveBackBeyond300k', 'start1024', 'renew1025', 'oversize'] as const;
export type HugeName = (typeof HUGE_NAMES)[number];

interface Huge {
  bytes: Buffer;
  /** The request as the server reads it, with its lists left out (the model needs its case only; the ids are held by nobody); 'oversize' for the one it never reads. */
  read: WorkRequest | 'oversize';
}

/**
 * Encodes a request of one big block-id list with protobuf-es's writer
 * rather than through 650,000 message objects, which would cost this
 * process (where memory is measured) hundreds of MB before any run.
 */
function listRequest(requestField: number, write: (w: BinaryWriter) => void): Buffer {
  const w = new BinaryWriter().tag(requestField, WireType.LengthDelimited).fork();
  write(w);
  const bytes = w.join().finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
const packed = (w: BinaryWriter, field: number, ids: Iterable<bigint>): void => {
  w.tag(field, WireType.LengthDelimited).fork();
  for (const id of ids) w.uint64(id);
  w.join();
};
function* range(n: number, from: bigint): Generator<bigint> {
  for (let i = 0n; i < BigInt(n); i++) yield from + i;
}
// WorkRequest's fields (scheduler.proto): releases = 5, start = 6, renew = 7, give_back = 8.
const shell = (message: WorkRequest['message']): WorkRequest => create(WorkRequestSchema, { message });

let huge: Map<HugeName, Huge> | null = null;
export function hugeMessages(): Map<HugeName, Huge> {
  if (huge !== null) return huge;
  // Ids from 20,000 up: no task here has them, so these lists name no block a stream holds.
  const unheld = 20_000n;
  huge = new Map<HugeName, Huge>([
    [
      // Finding 1's message: 650,000 unheld ids in 3.9 MB (Releases.releases, each a Release{block_id}).
      'releases650k',
      {
        bytes: listRequest(5, (w) => {
          for (const id of range(650_000, unheld)) w.tag(1, WireType.LengthDelimited).fork().tag(1, WireType.Varint).uint64(id).join();
        }),
        read: shell({ case: 'releases', value: create(ReleasesSchema) }),
      },
    ],
    [
      'started200k',
      {
        bytes: listRequest(5, (w) => {
          packed(w, 2, range(200_000, unheld));
          w.tag(3, WireType.LengthDelimited).fork().tag(1, WireType.Varint).uint32(1).join();
        }),
        read: shell({ case: 'releases', value: create(ReleasesSchema) }),
      },
    ],
    ['giveBackBeyond300k', { bytes: listRequest(8, (w) => packed(w, 1, range(300_000, 2n ** 53n))), read: shell({ case: 'giveBack', value: create(GiveBackSchema) }) }],
    // At the bound, judged item by item; one past it, refused whole.
    ['start1024', { bytes: listRequest(6, (w) => packed(w, 1, range(1024, unheld))), read: shell({ case: 'start', value: create(StartSchema) }) }],
    ['renew1025', { bytes: listRequest(7, (w) => packed(w, 1, range(1025, unheld))), read: shell({ case: 'renew', value: create(RenewSchema) }) }],
    ['oversize', { bytes: workMethod.requestSerialize(shell({ case: 'hello', value: create(HelloSchema, { taskId: 'a', workerId: 'w'.repeat(4_300_000) }) })), read: 'oversize' }],
  ]);
  return huge;
}

// -- who holds what, as the streams see it -----------------------------------------------

/**
 * Blocks held, as seen from the streams' ends: a block is held from the
 * Blocks response that hands it over until the holder sends (or is about to
 * send) anything that may let it go, or ends. That under-approximates what the
 * server counts as held (it lets go only later), so a block handed to a
 * stream while another live stream holds it here is a real double hand-out.
 */
export class HoldTracker {
  private readonly holder = new Map<string, string>();
  private readonly byStream = new Map<string, Set<string>>();
  /**
   * Blocks a stream named in a release before it was seen to hold them (a
   * hostile stream names any id, and its Blocks may be on the way): the next
   * grant of one may be the one that release gave back, so it is not
   * counted as held.
   */
  private readonly namedEarly = new Map<string, Set<string>>();
  private readonly gone = new Set<string>();
  readonly violations: string[] = [];

  granted(stream: string, taskId: string, blockId: number): void {
    // A stream that is ending may still be sent blocks (the server had not read its end yet); they go back at its end.
    if (this.gone.has(stream)) return;
    const key = `${taskId}/${blockId}`;
    const other = this.holder.get(key);
    if (other !== undefined) this.violations.push(`block ${key} handed to ${stream} while ${other} holds it`);
    if (this.namedEarly.get(stream)?.delete(key) === true) return;
    this.holder.set(key, stream);
    let held = this.byStream.get(stream);
    if (held === undefined) this.byStream.set(stream, (held = new Set()));
    held.add(key);
  }

  letGo(stream: string, taskId: string, blockId: number): void {
    const key = `${taskId}/${blockId}`;
    if (this.holder.get(key) === stream) {
      this.holder.delete(key);
      this.byStream.get(stream)?.delete(key);
      return;
    }
    let early = this.namedEarly.get(stream);
    if (early === undefined) this.namedEarly.set(stream, (early = new Set()));
    early.add(key);
  }

  ended(stream: string): void {
    this.gone.add(stream);
    for (const key of this.byStream.get(stream) ?? []) if (this.holder.get(key) === stream) this.holder.delete(key);
    this.byStream.delete(stream);
    this.namedEarly.delete(stream);
  }
}

/** The block ids a request names in a way that may let a block go (releases, skips, give-backs; not starts or renewals). */
export function idsLetGo(request: WorkRequest): bigint[] {
  const body = request.message;
  switch (body.case) {
    case 'release':
    case 'skip':
      return [body.value.blockId];
    case 'releases':
      return body.value.releases.map((r) => r.blockId);
    case 'giveBack':
      return body.value.blockIds;
    default:
      return [];
  }
}

// -- the contract's state machine for one stream ---------------------------------------------

export type ModelState = { state: 'opened' } | { state: 'serving'; taskId: string } | { state: 'ended'; code: GrpcStatus; details: RegExp; why: string };

/** What the stream becomes after the server reads `request` (null: bytes it cannot parse; 'oversize': over 4 MiB), per the README's tables. */
export function nextState(now: ModelState, request: WorkRequest | null | 'oversize', knownTasks: ReadonlySet<string>): ModelState {
  if (now.state === 'ended') return now;
  if (request === 'oversize') return { state: 'ended', code: GrpcStatus.RESOURCE_EXHAUSTED, details: /larger than max/, why: 'a message over 4 MiB' };
  if (request === null) return { state: 'ended', code: GrpcStatus.INVALID_ARGUMENT, details: /^malformed daisychain\.v1\.WorkRequest message: /, why: 'a message that cannot be parsed' };
  const kind = request.message.case;
  // An empty request is Rejected in any state; a second Hello, and anything but Hello once serving, leave it serving.
  if (kind === undefined || now.state === 'serving') return now;
  if (kind !== 'hello') return { state: 'ended', code: GrpcStatus.FAILED_PRECONDITION, details: /must start with Hello, got /, why: `${kind} before Hello` };
  const taskId = request.message.value.taskId;
  return knownTasks.has(taskId) ? { state: 'serving', taskId } : { state: 'ended', code: GrpcStatus.NOT_FOUND, details: /^unknown task id /, why: 'Hello for an unknown task' };
}

// -- running one hostile stream ------------------------------------------------------------

export interface HostileResult {
  /** What the stream saw that the contract forbids. */
  problems: string[];
  /** Requests sent, by kind (for the test's summary of what it exercised). */
  sent: Map<string, number>;
  blocks: number;
  rejected: number;
  /** How the stream ended: a gRPC status code (1, CANCELLED, when this side cancelled it). */
  endCode: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ALLOWED_REJECTION_CODES = new Set<number>([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.PERMISSION_DENIED, GrpcStatus.FAILED_PRECONDITION]);

export async function waitEnded(raw: RawStream, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!raw.ended && Date.now() < until) await sleep(5);
  return raw.ended;
}

/** Where a hostile stream runs: the server, the tasks it serves, its Hello timeout. */
export interface HostileTarget {
  address: string;
  taskIds: ReadonlySet<string>;
  helloTimeoutMs: number;
  /** Called once the server has answered a big message (a full collection, for the memory bound). */
  afterBigMessage?: () => void;
}

/**
 * Big messages go one at a time, across streams, each until the server has
 * answered it: one costs the server what decoding it allocates (~130 MB for
 * 650,000 ids), and the test bounds memory per message, not per pile-up.
 */
let bigMessageGate: Promise<void> = Promise.resolve();

/** Runs `script` on a new stream and returns what it saw that the contract forbids. */
export async function runHostile(target: HostileTarget, script: Script, name: string, tracker: HoldTracker): Promise<HostileResult> {
  const problems: string[] = [];
  await sleep(script.startMs);
  // Bytes to send as they are, for requests that are not a message (garbage) or are built once (huge).
  const asBytes = new WeakMap<WorkRequest, Buffer>();
  const raw = new RawStream(target.address, (message) => asBytes.get(message) ?? workMethod.requestSerialize(message));
  let model: ModelState = { state: 'opened' };
  let greetedAt: string | null = null;
  // The server closes a stream that has not said Hello within its timeout, which may come first: when this stream is slow
  // to say it (pauses), or when the server is slow to read its first request (busy decoding a big message). Then that
  // request was never read: accepted when nothing answered it (a Rejected would say the server read it and kept the
  // stream open, which it must not before Hello).
  const createdAt = Date.now();
  let mayHaveTimedOut = false;
  let repliesWhenEnded: number | null = null;
  const notePossibleTimeout = (): void => {
    if (model.state === 'opened' && Date.now() - createdAt > target.helloTimeoutMs / 2) mayHaveTimedOut = true;
  };
  const held: number[] = [];
  const sent = new Map<string, number>();
  let blocks = 0;
  let rejected = 0;
  let replies = 0;
  raw.call.on('data', (response: WorkResponse) => {
    replies++;
    const reply = response.message;
    if (reply.case === 'blocks') {
      for (const block of reply.value.blocks) {
        blocks++;
        if (greetedAt === null) problems.push(`${name} got block ${block.blockId} without a Hello accepted`);
        else if (block.taskId !== greetedAt) problems.push(`${name} (task ${greetedAt}) got a block of task ${block.taskId}`);
        held.push(Number(block.blockId));
        tracker.granted(name, block.taskId, Number(block.blockId));
      }
    } else if (reply.case === 'rejected') {
      rejected++;
      if (!ALLOWED_REJECTION_CODES.has(reply.value.code)) problems.push(`${name} got a Rejected with code ${reply.value.code}: ${reply.value.message}`);
      if (reply.value.message.length > 2000) problems.push(`${name} got a Rejected of ${reply.value.message.length} characters`);
    } else if (reply.case === 'welcome' && greetedAt === null) {
      problems.push(`${name} got a Welcome it should not have`);
    }
  });

  const pick = (p: IdPick): bigint => {
    if ('beyond' in p) return p.beyond;
    if ('id' in p) return BigInt(p.id);
    return held.length === 0 ? BigInt(p.held) : BigInt(held[p.held % held.length]!);
  };
  const release = (id: IdPick, s: Status) => create(ReleaseSchema, { blockId: pick(id), status: s as WireBlockStatus, error: s === WireBlockStatus.FAILED ? `hostile ${name}` : '' });
  const requestOf = (s: Exclude<Step, { kind: 'pause' | 'huge' | 'garbage' }>): WorkRequest['message'] => {
    switch (s.kind) {
      case 'hello':
        return { case: 'hello', value: create(HelloSchema, { taskId: s.taskId, workerId: name, language: 'hostile' }) };
      case 'acquire':
        return { case: 'acquire', value: create(AcquireSchema, { count: s.count, ahead: s.ahead }) };
      case 'release':
        return { case: 'release', value: release(s.id, s.status) };
      case 'releases':
        return {
          case: 'releases',
          value: create(ReleasesSchema, {
            releases: s.releases.map((r) => release(r.id, r.status)),
            started: s.started.map(pick),
            acquire: s.then === null ? undefined : create(AcquireSchema, s.then),
          }),
        };
      case 'skip':
        return { case: 'skip', value: create(SkipSchema, { blockId: pick(s.id) }) };
      case 'start':
        return { case: 'start', value: create(StartSchema, { blockIds: s.ids.map(pick) }) };
      case 'renew':
        return { case: 'renew', value: create(RenewSchema, { blockIds: s.ids.map(pick) }) };
      case 'giveBack':
        return { case: 'giveBack', value: create(GiveBackSchema, { blockIds: s.ids.map(pick) }) };
      case 'empty':
        return { case: undefined };
    }
  };

  let endTurn: (() => void) | null = null;
  const bigTurn = async (): Promise<void> => {
    const previous = bigMessageGate;
    bigMessageGate = new Promise((resolve) => (endTurn = resolve));
    await previous;
  };
  // Every big message is answered: refused with one Rejected (all of them name blocks the stream cannot hold), or the stream ends.
  const bigAnswered = async (payload: HugeName): Promise<void> => {
    const since = replies;
    const until = Date.now() + 10_000;
    while (replies === since && !raw.ended && Date.now() < until) await sleep(2);
    if (replies === since && !raw.ended && model.state !== 'ended') problems.push(`${name} got no answer to ${payload} within 10 s`);
    target.afterBigMessage?.();
    endTurn!();
  };

  for (const s of script.steps) {
    if (s.kind === 'pause') {
      await sleep(s.ms);
      continue;
    }
    let message: WorkRequest;
    /** The request as the server will read it, for the model and the tracker. */
    let read: WorkRequest | null | 'oversize';
    if (s.kind === 'garbage') {
      message = create(WorkRequestSchema);
      const bytes = Buffer.from(s.bytes);
      asBytes.set(message, bytes);
      // Bytes that happen to parse are read as the message they parse to.
      try {
        read = fromBinary(WorkRequestSchema, bytes);
      } catch {
        read = null;
      }
    } else if (s.kind === 'huge') {
      await bigTurn();
      const h = hugeMessages().get(s.payload)!;
      message = create(WorkRequestSchema);
      asBytes.set(message, h.bytes);
      read = h.read;
    } else {
      message = create(WorkRequestSchema, { message: requestOf(s) });
      read = message;
    }
    notePossibleTimeout();
    const before = model;
    model = nextState(model, read, target.taskIds);
    if (before.state === 'opened' && model.state === 'serving') greetedAt = model.taskId;
    // Let go before the bytes leave, so that the tracker never counts a block as held after the server may have taken it back.
    if (model.state === 'serving' && read !== null && read !== 'oversize') {
      for (const id of idsLetGo(read)) {
        if (id > BigInt(Number.MAX_SAFE_INTEGER)) continue;
        tracker.letGo(name, model.taskId, Number(id));
        const at = held.indexOf(Number(id));
        if (at >= 0) held.splice(at, 1);
      }
    }
    if (model.state === 'ended' && before.state !== 'ended') {
      tracker.ended(name);
      if (before.state === 'opened') repliesWhenEnded = replies;
    }
    const kind = s.kind === 'huge' ? s.payload : s.kind;
    sent.set(kind, (sent.get(kind) ?? 0) + 1);
    raw.call.write(message);
    if (s.kind === 'huge') await bigAnswered(s.payload);
    if (script.gapMs > 0) await sleep(script.gapMs);
  }

  notePossibleTimeout();
  const end: End = script.end === 'silent' && model.state === 'serving' ? 'halfClose' : script.end;
  const timedOut = (): boolean =>
    (mayHaveTimedOut || replies === repliesWhenEnded) && raw.welcome === null && raw.error?.code === GrpcStatus.FAILED_PRECONDITION && /no Hello within/.test(raw.error.details);
  if (model.state === 'ended') {
    // The server ended it: with the status the contract gives (the first one that applied).
    if (!(await waitEnded(raw, 5000))) problems.push(`${name} was not ended after ${model.why}`);
    else if ((raw.error?.code !== model.code || !model.details.test(raw.error.details)) && !timedOut()) {
      problems.push(`${name} ended with ${raw.error?.code ?? 'OK'} (${raw.error?.details ?? ''}) after ${model.why}, expected ${model.code} ${model.details}`);
    }
  } else if (end === 'cancel') {
    tracker.ended(name);
    raw.call.cancel();
    await waitEnded(raw, 1000);
  } else if (end === 'halfClose') {
    tracker.ended(name);
    raw.call.end();
    if (!(await waitEnded(raw, 5000))) problems.push(`${name} half-closed (${model.state}) but the server did not end it`);
    else if (raw.error !== null && !timedOut()) problems.push(`${name} half-closed (${model.state}) and ended with ${raw.error.code}: ${raw.error.details}`);
  } else {
    // Never said Hello and stays silent: the server closes it after its Hello timeout.
    tracker.ended(name);
    if (!(await waitEnded(raw, target.helloTimeoutMs + 5000))) problems.push(`${name} never said Hello and was not closed`);
    else if (raw.error?.code !== GrpcStatus.FAILED_PRECONDITION || !/no Hello within/.test(raw.error.details)) {
      problems.push(`${name} never said Hello and ended with ${raw.error?.code ?? 'OK'}: ${raw.error?.details ?? ''}`);
    }
  }
  raw.grpc.close();
  return { problems, sent, blocks, rejected, endCode: raw.error?.code ?? GrpcStatus.OK };
}
