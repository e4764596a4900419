import { create } from '@bufbuild/protobuf';
import {
  AcquireSchema,
  BlockStatus as WireBlockStatus,
  BlocksSchema,
  HelloSchema,
  RejectedSchema,
  ReleaseSchema,
  ReleasesSchema,
  ShutdownSchema,
  SkipSchema,
  WaitSchema,
  WorkRequestSchema,
  WorkResponseSchema,
  type Block as BlockMessage,
  type Release,
  type WorkRequest,
  type WorkResponse,
} from '../gen/daisychain/v1/scheduler_pb.js';
import { BlockStatus } from '../model/block.js';
import { blockFromWire, statusFromWire, statusToWire, type WireBlock } from './convert.js';

/**
 * The messages of the Work stream, built and read here for both ends, so
 * that the server and the clients speak of blocks, ids and statuses and
 * never of protobuf cases.
 */

export type { BlockMessage, Release, WorkRequest, WorkResponse };

/** Who a worker says it is, in the Hello that opens its stream. */
export interface HelloFields {
  taskId: string;
  workerId: string;
  language: string;
  host: string;
  pid: number;
}

/** One released block as the server reads it. */
export interface ReleaseReport {
  blockId: number;
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
  | { kind: 'acquire'; count: number }
  /** `single` when sent as one Release rather than a Releases list. */
  | { kind: 'releases'; releases: ReleaseReport[]; single: boolean }
  | { kind: 'skip'; blockId: number }
  | { kind: 'empty' };

/** A refusal: a gRPC status code, why, and the block it is about (0 if none). */
export interface Rejection {
  code: number;
  message: string;
  blockId: number;
}

/** A Work response, read. */
export type WorkResponseBody =
  | { kind: 'blocks'; blocks: WireBlock[] }
  | { kind: 'wait' }
  | { kind: 'shutdown'; reason: string }
  | { kind: 'rejected'; rejection: Rejection }
  | { kind: 'empty' };

// -- requests (worker → server) -------------------------------------------------

const request = (message: WorkRequest['message']): WorkRequest => create(WorkRequestSchema, { message });

export function helloRequest(hello: HelloFields): WorkRequest {
  return request({ case: 'hello', value: create(HelloSchema, hello) });
}

export function acquireRequest(count: number): WorkRequest {
  return request({ case: 'acquire', value: create(AcquireSchema, { count }) });
}

export function skipRequest(blockId: number): WorkRequest {
  return request({ case: 'skip', value: create(SkipSchema, { blockId: BigInt(blockId) }) });
}

/** One block handed back; several are sent together with `releasesRequest`. */
export function releaseMessage(blockId: number, status: BlockStatus.SUCCESS | BlockStatus.FAILED, error: string, traceback: string): Release {
  return create(ReleaseSchema, { blockId: BigInt(blockId), status: statusToWire(status), error, traceback });
}

/** The releases as one message: a single Release, or Releases for several. */
export function releasesRequest(releases: Release[]): WorkRequest {
  return releases.length === 1
    ? request({ case: 'release', value: releases[0]! })
    : request({ case: 'releases', value: create(ReleasesSchema, { releases }) });
}

function readRelease(release: Release): ReleaseReport {
  const status = statusFromWire(release.status);
  return {
    blockId: Number(release.blockId),
    status: status === BlockStatus.SUCCESS || status === BlockStatus.FAILED ? status : null,
    statusName: WireBlockStatus[release.status] ?? String(release.status),
    error: release.error,
    traceback: release.traceback,
  };
}

export function readWorkRequest(message: WorkRequest): WorkRequestBody {
  const body = message.message;
  switch (body.case) {
    case 'hello': {
      const { taskId, workerId, language, host, pid } = body.value;
      return { kind: 'hello', hello: { taskId, workerId, language, host, pid } };
    }
    case 'acquire':
      return { kind: 'acquire', count: body.value.count };
    case 'release':
      return { kind: 'releases', releases: [readRelease(body.value)], single: true };
    case 'releases':
      return { kind: 'releases', releases: body.value.releases.map(readRelease), single: false };
    case 'skip':
      return { kind: 'skip', blockId: Number(body.value.blockId) };
    case undefined:
      return { kind: 'empty' };
  }
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

export function rejectedResponse(rejection: Rejection): WorkResponse {
  const { code, message, blockId } = rejection;
  return response({ case: 'rejected', value: create(RejectedSchema, { code, message, blockId: BigInt(blockId) }) });
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
    case 'rejected':
      return {
        kind: 'rejected',
        rejection: { code: body.value.code, message: body.value.message, blockId: Number(body.value.blockId) },
      };
    case undefined:
      return { kind: 'empty' };
  }
}
