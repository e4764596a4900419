import { create } from '@bufbuild/protobuf';
import {
  AcquireSchema,
  BlockStatus as WireBlockStatus,
  BlocksSchema,
  GiveBackSchema,
  HelloSchema,
  RejectedSchema,
  ReleaseSchema,
  ReleasesSchema,
  RenewSchema,
  RevokedSchema,
  ShutdownSchema,
  SkipSchema,
  StartSchema,
  WaitSchema,
  WelcomeSchema,
  WorkRequestSchema,
  WorkResponseSchema,
  type Block as BlockMessage,
  type Release,
  type WorkRequest,
  type WorkResponse,
} from '../gen/daisychain/v1/scheduler_pb.js';
import { BlockStatus } from '../model/block.js';
import { blockFromWire, statusFromWire, statusToWire, type WireBlock } from './convert.js';
import { MAX_ACQUIRE, MAX_MESSAGE_BYTES } from './limits.js';

/**
 * The messages of the Work stream, built and read here for both ends, so
 * that the server and the clients speak of blocks, ids and statuses and
 * never of protobuf cases.
 */

export type { BlockMessage, Release, WorkRequest, WorkResponse };

/** A request read by hand (work-codec.ts): the body `readWorkRequest` gives, and the case it came as on the wire. */
export class PreReadWorkRequest {
  constructor(
    readonly body: WorkRequestBody & { kind: 'releases' | 'acquire' },
    readonly wireCase: 'acquire' | 'release' | 'releases',
  ) {}
}

/** A Blocks response encoded by hand (work-codec.ts); the Work method's serializer sends its bytes as they are. */
export class EncodedBlocksResponse {
  constructor(readonly bytes: Uint8Array) {}
}

/** A request as the server receives it: read by hand when it is a round trip's (work-codec.ts), else protobuf-es's. */
export type ServerWorkRequest = WorkRequest | PreReadWorkRequest;
/** A response as the server sends it: blocks encoded by hand (work-codec.ts), or protobuf-es's message. */
export type ServerWorkResponse = WorkResponse | EncodedBlocksResponse;

/** Which field of the request's oneof was set, as on the wire (undefined: none). */
export function requestCase(message: ServerWorkRequest): WorkRequest['message']['case'] {
  return message instanceof PreReadWorkRequest ? message.wireCase : message.message.case;
}

/** Whether a response is a Rejected. */
export function isRejectedResponse(response: ServerWorkResponse): boolean {
  return !(response instanceof EncodedBlocksResponse) && response.message.case === 'rejected';
}

/**
 * daisychain.v1; `PROTOCOL_REVISION` counts the additions old clients may
 * ignore: 1 = Welcome, Acquire.ahead, Start and Releases.started,
 * Releases.acquire, Renew, GiveBack, Revoked, Rejected.about_block; 2 =
 * Hello.worker_secret; 3 = pipelines (Hello.pipeline_id, Welcome.pipeline_id,
 * the pipeline_id of GetTaskStates and WatchProgress, PipelineService);
 * 4 = resource budgets and the worker counts of TaskState; 5 =
 * TaskSpec.tracking (done markers).
 */
export const PROTOCOL_VERSION = 1;
export const PROTOCOL_REVISION = 5;

/** Who a worker says it is, in the Hello that opens its stream. */
export interface HelloFields {
  taskId: string;
  workerId: string;
  language: string;
  host: string;
  pid: number;
  /**
   * The worker_secret of the worker's context ('' when it has none): proof that the stream
   * comes from the process a worker pool started under `workerId`. Never logged or echoed.
   */
  workerSecret: string;
  /** Empty: the server's only pipeline. */
  pipelineId: string;
}

/** The server's answer to Hello. */
export interface WelcomeFields {
  protocolVersion: number;
  protocolRevision: number;
  serverVersion: string;
  taskId: string;
  workerId: string;
  /** Seconds, null for no timeout. */
  timeout: number | null;
  /** Seconds between renewals for a worker that renews its leases, null without a timeout. */
  renewInterval: number | null;
  maxAcquire: number;
  maxMessageBytes: number;
  /** The pipeline the stream serves ('' from a server older than pipelines). */
  pipelineId: string;
}

/**
 * A block id as the server reads it: `id` is null when the wire value is
 * beyond 2^53, where no task has ids (the request is refused by `raw`).
 */
export interface WireBlockId {
  id: number | null;
  raw: bigint;
}

function readBlockId(raw: bigint): WireBlockId {
  return { id: raw <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(raw) : null, raw };
}

/** One released block as the server reads it. */
export interface ReleaseReport {
  blockId: WireBlockId;
  /** SUCCESS or FAILED; null for any other status, which the server refuses. */
  status: BlockStatus.SUCCESS | BlockStatus.FAILED | null;
  /** The status as sent, for the refusal's message. */
  statusName: string;
  error: string;
  traceback: string;
}

/** A Work request, read. */
export type WorkRequestBody =
  | { kind: 'hello'; hello: HelloFields }
  /** `ahead` of the `count` blocks are for the worker's buffer: unstarted until Start. */
  | { kind: 'acquire'; count: number; ahead: number }
  /** `single` when sent as one Release rather than a Releases list; `started` come first (Releases.started). */
  | { kind: 'releases'; releases: ReleaseReport[]; started: WireBlockId[]; single: boolean; then: { count: number; ahead: number } | null }
  | { kind: 'skip'; blockId: WireBlockId }
  | { kind: 'start'; blockIds: WireBlockId[] }
  | { kind: 'renew'; blockIds: WireBlockId[] }
  | { kind: 'giveBack'; blockIds: WireBlockId[] }
  /** A list longer than the reader allows (`readWorkRequest`'s `maxListLength`): refused whole, its items never read. */
  | { kind: 'tooLong'; field: string; length: number; max: number }
  | { kind: 'empty' };

/** A refusal: a gRPC status code, why, and the block it is about (null if none). */
export interface Rejection {
  code: number;
  message: string;
  blockId: number | null;
}

/** A refusal as the server sends it: the block id as it came on the wire, which may lie beyond 2^53. */
export interface OutgoingRejection {
  code: number;
  message: string;
  blockId: bigint | null;
}

/** A Work response, read. */
export type WorkResponseBody =
  | { kind: 'blocks'; blocks: WireBlock[] }
  | { kind: 'wait' }
  | { kind: 'shutdown'; reason: string }
  | { kind: 'rejected'; rejection: Rejection }
  | { kind: 'welcome'; welcome: WelcomeFields }
  | { kind: 'revoked'; blockId: number; reason: string }
  | { kind: 'empty' };

// -- requests (worker → server) -------------------------------------------------

const request = (message: WorkRequest['message']): WorkRequest => create(WorkRequestSchema, { message });

export function helloRequest(hello: HelloFields): WorkRequest {
  return request({ case: 'hello', value: create(HelloSchema, hello) });
}

/** Asks for `count` blocks, `ahead` of them for the worker's buffer (unstarted until Start). */
export function acquireRequest(count: number, ahead = 0): WorkRequest {
  return request({ case: 'acquire', value: create(AcquireSchema, { count, ahead }) });
}

export function skipRequest(blockId: number): WorkRequest {
  return request({ case: 'skip', value: create(SkipSchema, { blockId: BigInt(blockId) }) });
}

export function startRequest(blockIds: readonly number[]): WorkRequest {
  return request({ case: 'start', value: create(StartSchema, { blockIds: blockIds.map(BigInt) }) });
}

export function renewRequest(blockIds: readonly number[]): WorkRequest {
  return request({ case: 'renew', value: create(RenewSchema, { blockIds: blockIds.map(BigInt) }) });
}

export function giveBackRequest(blockIds: readonly number[]): WorkRequest {
  return request({ case: 'giveBack', value: create(GiveBackSchema, { blockIds: blockIds.map(BigInt) }) });
}

/** One block handed back; several are sent together with `releasesRequest`. */
export function releaseMessage(blockId: number, status: BlockStatus.SUCCESS | BlockStatus.FAILED, error: string, traceback: string): Release {
  return create(ReleaseSchema, { blockId: BigInt(blockId), status: statusToWire(status), error, traceback });
}

/**
 * The releases as one message: a single Release, or Releases for several,
 * or with `started` blocks (started first) and a request for more blocks
 * (`then`, read after the releases).
 */
export function releasesRequest(
  releases: Release[],
  started: readonly number[] = [],
  then: { count: number; ahead: number } | null = null,
): WorkRequest {
  if (releases.length === 1 && started.length === 0 && then === null) return request({ case: 'release', value: releases[0]! });
  return request({
    case: 'releases',
    value: create(ReleasesSchema, {
      releases,
      started: started.map(BigInt),
      acquire: then === null ? undefined : create(AcquireSchema, then),
    }),
  });
}

function readRelease(release: Release): ReleaseReport {
  const status = statusFromWire(release.status);
  return {
    blockId: readBlockId(release.blockId),
    status: status === BlockStatus.SUCCESS || status === BlockStatus.FAILED ? status : null,
    statusName: WireBlockStatus[release.status] ?? String(release.status),
    error: release.error,
    traceback: release.traceback,
  };
}

/** The first block-id list of a request longer than `max`, by field name, or null. */
function overlongList(body: WorkRequest['message'], max: number): { field: string; length: number; max: number } | null {
  const lists: [string, number][] =
    body.case === 'releases'
      ? [
          ['Releases.releases', body.value.releases.length],
          ['Releases.started', body.value.started.length],
        ]
      : body.case === 'start'
        ? [['Start.block_ids', body.value.blockIds.length]]
        : body.case === 'renew'
          ? [['Renew.block_ids', body.value.blockIds.length]]
          : body.case === 'giveBack'
            ? [['GiveBack.block_ids', body.value.blockIds.length]]
            : [];
  for (const [field, length] of lists) if (length > max) return { field, length, max };
  return null;
}

/**
 * Reads a request. A block-id list longer than `maxListLength` is read as
 * `tooLong` before anything per item is built, so that a list of 500,000
 * ids costs no more than its length check.
 */
export function readWorkRequest(message: ServerWorkRequest, maxListLength = Number.POSITIVE_INFINITY): WorkRequestBody {
  if (message instanceof PreReadWorkRequest) return preReadBody(message.body, maxListLength);
  const body = message.message;
  const overlong = overlongList(body, maxListLength);
  if (overlong !== null) return { kind: 'tooLong', ...overlong };
  switch (body.case) {
    case 'hello': {
      const { taskId, workerId, language, host, pid, workerSecret, pipelineId } = body.value;
      return { kind: 'hello', hello: { taskId, workerId, language, host, pid, workerSecret, pipelineId } };
    }
    case 'acquire':
      return { kind: 'acquire', count: body.value.count, ahead: body.value.ahead };
    case 'release':
      return { kind: 'releases', releases: [readRelease(body.value)], started: [], single: true, then: null };
    case 'releases':
      return {
        kind: 'releases',
        releases: body.value.releases.map(readRelease),
        started: body.value.started.map(readBlockId),
        single: false,
        then: body.value.acquire === undefined ? null : { count: body.value.acquire.count, ahead: body.value.acquire.ahead },
      };
    case 'skip':
      return { kind: 'skip', blockId: readBlockId(body.value.blockId) };
    case 'start':
      return { kind: 'start', blockIds: body.value.blockIds.map(readBlockId) };
    case 'renew':
      return { kind: 'renew', blockIds: body.value.blockIds.map(readBlockId) };
    case 'giveBack':
      return { kind: 'giveBack', blockIds: body.value.blockIds.map(readBlockId) };
    case undefined:
      return { kind: 'empty' };
  }
}

/** A request read by hand, with the same bound on its lists as one read here. */
function preReadBody(body: PreReadWorkRequest['body'], max: number): WorkRequestBody {
  if (body.kind === 'releases' && !body.single) {
    if (body.releases.length > max) return { kind: 'tooLong', field: 'Releases.releases', length: body.releases.length, max };
    if (body.started.length > max) return { kind: 'tooLong', field: 'Releases.started', length: body.started.length, max };
  }
  return body;
}

// -- responses (server → worker) ------------------------------------------------

const response = (message: WorkResponse['message']): WorkResponse => create(WorkResponseSchema, { message });

export function blocksResponse(blocks: BlockMessage[]): WorkResponse {
  return response({ case: 'blocks', value: create(BlocksSchema, { blocks }) });
}

export function waitResponse(): WorkResponse {
  return response({ case: 'wait', value: create(WaitSchema) });
}

export function shutdownResponse(reason: string): WorkResponse {
  return response({ case: 'shutdown', value: create(ShutdownSchema, { reason }) });
}

export function rejectedResponse(rejection: OutgoingRejection): WorkResponse {
  const { code, message, blockId } = rejection;
  // block_id stays filled for clients older than about_block (0 when no block is concerned).
  return response({
    case: 'rejected',
    value: create(RejectedSchema, { code, message, blockId: blockId ?? 0n, aboutBlock: blockId ?? undefined }),
  });
}

export function welcomeResponse(welcome: Omit<WelcomeFields, 'protocolVersion' | 'protocolRevision' | 'maxAcquire' | 'maxMessageBytes'>): WorkResponse {
  return response({
    case: 'welcome',
    value: create(WelcomeSchema, {
      protocolVersion: PROTOCOL_VERSION,
      protocolRevision: PROTOCOL_REVISION,
      serverVersion: welcome.serverVersion,
      taskId: welcome.taskId,
      workerId: welcome.workerId,
      timeoutSeconds: welcome.timeout ?? 0,
      renewIntervalSeconds: welcome.renewInterval ?? 0,
      maxAcquire: MAX_ACQUIRE,
      maxMessageBytes: MAX_MESSAGE_BYTES,
      pipelineId: welcome.pipelineId,
    }),
  });
}

export function revokedResponse(blockId: number, reason: string): WorkResponse {
  return response({ case: 'revoked', value: create(RevokedSchema, { blockId: BigInt(blockId), reason }) });
}

export function readWorkResponse(message: WorkResponse): WorkResponseBody {
  const body = message.message;
  switch (body.case) {
    case 'blocks':
      return { kind: 'blocks', blocks: body.value.blocks.map(blockFromWire) };
    case 'wait':
      return { kind: 'wait' };
    case 'shutdown':
      return { kind: 'shutdown', reason: body.value.reason };
    case 'rejected': {
      const about = body.value.aboutBlock;
      return { kind: 'rejected', rejection: { code: body.value.code, message: body.value.message, blockId: about === undefined ? null : Number(about) } };
    }
    case 'welcome': {
      const w = body.value;
      return {
        kind: 'welcome',
        welcome: {
          protocolVersion: w.protocolVersion,
          protocolRevision: w.protocolRevision,
          serverVersion: w.serverVersion,
          taskId: w.taskId,
          workerId: w.workerId,
          timeout: w.timeoutSeconds > 0 ? w.timeoutSeconds : null,
          renewInterval: w.renewIntervalSeconds > 0 ? w.renewIntervalSeconds : null,
          maxAcquire: w.maxAcquire,
          maxMessageBytes: w.maxMessageBytes,
          pipelineId: w.pipelineId,
        },
      };
    }
    case 'revoked':
      return { kind: 'revoked', blockId: Number(body.value.blockId), reason: body.value.reason };
    case undefined:
      return { kind: 'empty' };
  }
}
