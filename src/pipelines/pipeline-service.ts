import { status as GrpcStatus, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { FailureRecord } from '../model/failure-record.js';
import type { PipelineEvent } from '../model/pipeline-view.js';
import { LogDirError } from '../workers/log-paths.js';
import {
  cancelPipelineResponse,
  pipelineBytes,
  getPipelineResponse,
  listPipelinesResponse,
  pipelineEventToWire,
  pipelineSpecFromWire,
  pipelineSpecToWire,
  pipelineToWire,
  specBytes,
  submitPipelineResponse,
  wireFieldPath,
  type CancelPipelineRequest,
  type CancelPipelineResponse,
  type GetPipelineRequest,
  type GetPipelineResponse,
  type ListPipelinesRequest,
  type ListPipelinesResponse,
  type PipelineMessage,
  type SubmitPipelineRequest,
  type SubmitPipelineResponse,
  type WatchPipelineRequest,
  type WatchPipelineResponse,
} from '../wire/pipeline-messages.js';
import { isMalformed, type MalformedRequest } from '../wire/service-definition.js';
import { type Pipeline, PipelineEndedError } from './pipeline.js';
import { RegistryFullError, type PipelineRegistry } from './pipeline-registry.js';
import { readPipelineSpec, SpecError } from './pipeline-spec.js';

/** A spec's encoded size at most: a Get reply (spec and states) must stay well inside one 4 MiB message. */
export const MAX_SPEC_BYTES = 2 * 1024 * 1024;
/** A List page stops before its pipelines would reach this many bytes. */
const LIST_PAGE_BYTES = 3 * 1024 * 1024;
export const MAX_CANCEL_REASON_LENGTH = 1000;
/** A watcher gets at most one state update per this many ms (failures at once). */
const WATCH_INTERVAL_MS = 100;

type Unary<Req, Res> = (call: ServerUnaryCall<Req | MalformedRequest, Res>, callback: sendUnaryData<Res>) => void;
type Refuse = (code: GrpcStatus, details: string) => void;

/**
 * The handlers of daisychain.v1.PipelineService over a registry. Every
 * request is checked before anything changes: a refused one (a spec the
 * schema refuses, an unknown id, a cancel of an ended pipeline) changes
 * nothing.
 */
export class PipelineServiceHandlers {
  constructor(private readonly registry: PipelineRegistry) {}

  readonly submitPipeline: Unary<SubmitPipelineRequest, SubmitPipelineResponse> = (call, callback) => {
    const request = readable(call, callback);
    if (request === null) return;
    if (request.spec === undefined) {
      callback({ code: GrpcStatus.INVALID_ARGUMENT, details: 'spec is required' });
      return;
    }
    const bytes = specBytes(request.spec);
    if (bytes > MAX_SPEC_BYTES) {
      callback({ code: GrpcStatus.INVALID_ARGUMENT, details: `spec is ${bytes} bytes, more than ${MAX_SPEC_BYTES}` });
      return;
    }
    let pipeline: Pipeline;
    try {
      const { spec, tasks } = readPipelineSpec(pipelineSpecFromWire(request.spec), { where: 'spec', fieldPath: wireFieldPath });
      pipeline = this.registry.submit(tasks, { name: spec.name ?? '', resources: spec.resources });
    } catch (error) {
      callback(submitRefusal(error));
      return;
    }
    callback(null, submitPipelineResponse(toWire(pipeline), pipeline.workerToken));
  };

  readonly listPipelines: Unary<ListPipelinesRequest, ListPipelinesResponse> = (call, callback) => {
    const request = readable(call, callback);
    if (request === null) return;
    const all = this.registry.list();
    let start = 0;
    if (request.pageToken !== '') {
      start = all.findIndex((pipeline) => pipeline.id === request.pageToken);
      if (start < 0) {
        // The token's pipeline was forgotten meanwhile (the oldest ended ones are): go on after where it would be.
        start = all.findIndex((pipeline) => pipeline.id > request.pageToken);
        if (start < 0) start = all.length;
      }
    }
    const pageSize = request.pageSize === 0 ? all.length : request.pageSize;
    const page: PipelineMessage[] = [];
    let bytes = 0;
    let next = start;
    while (next < all.length && page.length < pageSize) {
      const message = toWire(all[next]!);
      const size = pipelineBytes(message);
      // Always one per page, so that a client makes progress.
      if (page.length > 0 && bytes + size > LIST_PAGE_BYTES) break;
      page.push(message);
      bytes += size;
      next++;
    }
    callback(null, listPipelinesResponse(page, next < all.length ? all[next]!.id : ''));
  };

  readonly getPipeline: Unary<GetPipelineRequest, GetPipelineResponse> = (call, callback) => {
    const request = readable(call, callback);
    if (request === null) return;
    const pipeline = this.registry.lookup(request.pipelineId, (code, details) => callback({ code, details }));
    if (pipeline !== null) callback(null, getPipelineResponse(toWire(pipeline)));
  };

  readonly cancelPipeline: Unary<CancelPipelineRequest, CancelPipelineResponse> = (call, callback) => {
    const request = readable(call, callback);
    if (request === null) return;
    if (request.reason.length > MAX_CANCEL_REASON_LENGTH) {
      callback({ code: GrpcStatus.INVALID_ARGUMENT, details: `reason must be at most ${MAX_CANCEL_REASON_LENGTH} characters, got ${request.reason.length}` });
      return;
    }
    // An empty id would name the only pipeline: a cancel must say which.
    if (request.pipelineId === '') {
      callback({ code: GrpcStatus.INVALID_ARGUMENT, details: 'pipeline_id is required' });
      return;
    }
    const pipeline = this.registry.lookup(request.pipelineId, (code, details) => callback({ code, details }));
    if (pipeline === null) return;
    try {
      pipeline.cancel(request.reason === '' ? 'cancelled' : request.reason);
    } catch (error) {
      if (!(error instanceof PipelineEndedError)) throw error;
      callback({ code: GrpcStatus.FAILED_PRECONDITION, details: error.message });
      return;
    }
    callback(null, cancelPipelineResponse(toWire(pipeline)));
  };

  readonly watchPipeline = (call: ServerWritableStream<WatchPipelineRequest | MalformedRequest, WatchPipelineResponse>): void => {
    const refuse: Refuse = (code, details) => call.emit('error', Object.assign(new Error(details), { code, details }));
    if (isMalformed(call.request)) {
      refuse(GrpcStatus.INVALID_ARGUMENT, call.request.message);
      return;
    }
    const pipeline = this.registry.lookup(call.request.pipelineId, refuse);
    if (pipeline !== null) watch(pipeline, call);
  };
}

/** Sends a pipeline's events to one watcher until the pipeline ends or the watcher leaves. */
function watch(pipeline: Pipeline, call: ServerWritableStream<unknown, WatchPipelineResponse>): void {
  const service = pipeline.service;
  let pending: NodeJS.Timeout | undefined;
  const send = (failure: FailureRecord | null): void => {
    call.write(pipelineEventToWire(eventOf(pipeline, failure)));
  };
  const onChange = (): void => {
    pending ??= setTimeout(() => {
      pending = undefined;
      send(null);
    }, WATCH_INTERVAL_MS);
  };
  const onFailure = (failure: FailureRecord): void => {
    // A watcher that does not keep up gets the failures' counts with the next update, not each of them queued.
    if (call.writableNeedDrain) onChange();
    else send(failure);
  };
  const stop = (): void => {
    service.off('change', onChange);
    service.off('failure', onFailure);
    pipeline.off('ended', onEnded);
    if (pending !== undefined) clearTimeout(pending);
  };
  const onEnded = (): void => {
    stop();
    send(null);
    call.end();
  };
  call.on('cancelled', stop);
  call.on('close', stop);
  send(null);
  if (pipeline.ended) {
    call.end();
    return;
  }
  service.on('change', onChange);
  service.on('failure', onFailure);
  pipeline.on('ended', onEnded);
}

/** The states and status only: a watcher gets many events, the spec it can Get once. */
function eventOf(pipeline: Pipeline, failure: FailureRecord | null): PipelineEvent {
  return { states: pipeline.snapshots(), failure, finished: pipeline.ended, status: pipeline.status, cancelReason: pipeline.cancelReason };
}

function toWire(pipeline: Pipeline): PipelineMessage {
  const view = pipeline.view();
  return pipelineToWire(view, pipelineSpecToWire(view.spec));
}

/** The request, or null once a malformed one was answered with INVALID_ARGUMENT. */
function readable<Req, Res>(call: ServerUnaryCall<Req | MalformedRequest, Res>, callback: sendUnaryData<Res>): Req | null {
  if (!isMalformed(call.request)) return call.request;
  callback({ code: GrpcStatus.INVALID_ARGUMENT, details: call.request.message });
  return null;
}

function submitRefusal(error: unknown): { code: GrpcStatus; details: string } {
  if (error instanceof SpecError) return { code: GrpcStatus.INVALID_ARGUMENT, details: error.message };
  if (error instanceof RegistryFullError) return { code: GrpcStatus.RESOURCE_EXHAUSTED, details: error.message };
  if (error instanceof LogDirError) return { code: GrpcStatus.FAILED_PRECONDITION, details: error.message };
  return { code: GrpcStatus.INTERNAL, details: `internal error: ${error instanceof Error ? error.message : String(error)}` };
}
