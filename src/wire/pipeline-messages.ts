import { create, toBinary, type JsonValue } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  CancelPipelineRequestSchema,
  CancelPipelineResponseSchema,
  Fit as WireFit,
  GetPipelineRequestSchema,
  GetPipelineResponseSchema,
  ListPipelinesRequestSchema,
  ListPipelinesResponseSchema,
  PipelineSchema,
  PipelineSpecSchema,
  PipelineStatus as WirePipelineStatus,
  SubmitPipelineRequestSchema,
  SubmitPipelineResponseSchema,
  TaskSpecSchema,
  WatchPipelineRequestSchema,
  WatchPipelineResponseSchema,
  WorkerLaunchSchema,
  type CancelPipelineRequest,
  type CancelPipelineResponse,
  type GetPipelineRequest,
  type GetPipelineResponse,
  type ListPipelinesRequest,
  type ListPipelinesResponse,
  type Pipeline as PipelineMessage,
  type PipelineSpec,
  type SubmitPipelineRequest,
  type SubmitPipelineResponse,
  type TaskSpec,
  type WatchPipelineRequest,
  type WatchPipelineResponse,
} from '../gen/daisychain/v1/pipeline_pb.js';
import { BlockFailureSchema, TaskStateSchema, type BlockFailure, type TaskState as TaskStateMessage } from '../gen/daisychain/v1/scheduler_pb.js';
import type { Coordinate as CoordinateMessage, Roi as RoiMessage } from '../gen/daisychain/v1/geometry_pb.js';
import { CoordinateSchema, RoiSchema } from '../gen/daisychain/v1/geometry_pb.js';
import type { FailureRecord } from '../model/failure-record.js';
import type { PipelineEvent, PipelineStatus, PipelineView, TaskStateSnapshot } from '../model/pipeline-view.js';
import type { Fit } from '../model/task.js';
import type { PipelineSpecData, RoiData, TaskSpecData } from '../model/task-spec.js';

/**
 * The messages of PipelineService (pipeline.proto), built and read for the
 * server and the control-plane clients. A spec from the wire becomes the
 * plain data a pipeline file holds (`pipelineSpecFromWire`), unvalidated, so
 * that one schema (src/pipelines/spec-schema.ts) judges both; its refusals
 * name fields as the proto does (`wireFieldPath`).
 */

export type {
  CancelPipelineRequest,
  CancelPipelineResponse,
  GetPipelineRequest,
  GetPipelineResponse,
  ListPipelinesRequest,
  ListPipelinesResponse,
  SubmitPipelineRequest,
  SubmitPipelineResponse,
  WatchPipelineRequest,
  WatchPipelineResponse,
};

const FIT_FROM_WIRE: Record<number, Fit> = { [WireFit.VALID]: 'valid', [WireFit.OVERHANG]: 'overhang', [WireFit.SHRINK]: 'shrink' };
const FIT_TO_WIRE: Record<Fit, WireFit> = { valid: WireFit.VALID, overhang: WireFit.OVERHANG, shrink: WireFit.SHRINK };
const STATUS_TO_WIRE: Record<PipelineStatus, WirePipelineStatus> = {
  running: WirePipelineStatus.RUNNING,
  succeeded: WirePipelineStatus.SUCCEEDED,
  failed: WirePipelineStatus.FAILED,
  cancelled: WirePipelineStatus.CANCELLED,
};

// -- specs: wire -> data (for the schema), data -> wire (for clients) ----------------

/** A coordinate as the schema reads it: null for an unbounded dimension (which it refuses), numbers beyond 2^53 as they are (refused too). */
function coordinateData(message: CoordinateMessage | undefined): JsonValue {
  if (message === undefined) return null;
  const values: (number | null)[] = message.values.map((v) => Number(v));
  for (const d of message.nullDims) if (d < values.length) values[d] = null;
  return values;
}

function roiData(message: RoiMessage | undefined): JsonValue | undefined {
  if (message === undefined) return undefined;
  return { offset: coordinateData(message.offset), shape: coordinateData(message.shape) };
}

/** A proto map of resource amounts as plain data (absent when empty: maps have no presence); amounts past 2^53 stay too big, for the schema to refuse. */
function resourceData(map: { [name: string]: bigint }): JsonValue | undefined {
  const entries = Object.entries(map);
  return entries.length === 0 ? undefined : Object.fromEntries(entries.map(([name, amount]) => [name, Number(amount)]));
}

const resourcesToWire = (map: Readonly<Record<string, number>> | undefined): { [name: string]: bigint } =>
  Object.fromEntries(Object.entries(map ?? {}).map(([name, amount]) => [name, BigInt(amount)]));

/** The oneof `tracking` as the plain data's `trackingPath`: a path, false (disabled), or absent (the default). */
function trackingData(tracking: TaskSpec['tracking']): string | false | undefined {
  if (tracking.case === 'trackingPath') return tracking.value;
  if (tracking.case === 'trackingDisabled' && tracking.value) return false;
  return undefined;
}

/** Only the fields present, so that absent ones take the schema's defaults. */
function taskData(task: TaskSpec): Record<string, JsonValue> {
  const data: Record<string, JsonValue | undefined> = {
    taskId: task.taskId,
    totalRoi: roiData(task.totalRoi),
    readRoi: roiData(task.readRoi),
    writeRoi: roiData(task.writeRoi),
    readWriteConflict: task.readWriteConflict,
    // An enum number this server does not know is passed on for the schema to refuse by value.
    fit: task.fit === WireFit.UNSPECIFIED ? undefined : (FIT_FROM_WIRE[task.fit] ?? task.fit),
    numWorkers: task.numWorkers,
    maxRetries: task.maxRetries,
    timeout: task.timeoutSeconds,
    maxWorkerRestarts: task.maxWorkerRestarts,
    upstreamTasks: task.upstreamTaskIds.length > 0 ? task.upstreamTaskIds : undefined,
    workerCommand: task.workerLaunch?.command,
    workerEnv: task.workerLaunch === undefined || Object.keys(task.workerLaunch.env).length === 0 ? undefined : task.workerLaunch.env,
    requires: resourceData(task.requires),
    trackingPath: trackingData(task.tracking),
  };
  return Object.fromEntries(Object.entries(data).filter((entry): entry is [string, JsonValue] => entry[1] !== undefined));
}

/** A SubmitPipeline spec as the plain data of a pipeline file, not yet validated. */
export function pipelineSpecFromWire(spec: PipelineSpec | undefined): JsonValue {
  if (spec === undefined) return null;
  const resources = resourceData(spec.resources);
  return { ...(spec.name === '' ? {} : { name: spec.name }), tasks: spec.tasks.map(taskData), ...(resources === undefined ? {} : { resources }) };
}

/** The proto's name of each field of the plain data, for messages about a spec that came over the wire. */
const WIRE_NAMES: Record<string, string> = {
  taskId: 'task_id',
  totalRoi: 'total_roi',
  readRoi: 'read_roi',
  writeRoi: 'write_roi',
  readWriteConflict: 'read_write_conflict',
  numWorkers: 'num_workers',
  maxRetries: 'max_retries',
  timeout: 'timeout_seconds',
  maxWorkerRestarts: 'max_worker_restarts',
  upstreamTasks: 'upstream_task_ids',
  workerCommand: 'worker_launch.command',
  workerEnv: 'worker_launch.env',
  trackingPath: 'tracking_path',
};

/** A path into the plain data written with the proto's field names: `tasks[0].num_workers`. */
export function wireFieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${WIRE_NAMES[String(key)] ?? String(key)}`)).join('');
}

const coordinateToWire = (values: readonly number[]): CoordinateMessage => create(CoordinateSchema, { values: values.map((v) => BigInt(v)) });
const roiToWire = (roi: RoiData): RoiMessage => create(RoiSchema, { offset: coordinateToWire(roi.offset), shape: coordinateToWire(roi.shape) });

export function taskSpecToWire(task: TaskSpecData): TaskSpec {
  return create(TaskSpecSchema, {
    taskId: task.taskId,
    totalRoi: roiToWire(task.totalRoi),
    readRoi: roiToWire(task.readRoi),
    writeRoi: roiToWire(task.writeRoi),
    fit: task.fit === undefined ? WireFit.UNSPECIFIED : FIT_TO_WIRE[task.fit],
    readWriteConflict: task.readWriteConflict,
    maxRetries: task.maxRetries,
    timeoutSeconds: task.timeout ?? undefined,
    numWorkers: task.numWorkers,
    maxWorkerRestarts: task.maxWorkerRestarts,
    upstreamTaskIds: task.upstreamTasks ?? [],
    workerLaunch: task.workerCommand === undefined ? undefined : create(WorkerLaunchSchema, { command: task.workerCommand, env: task.workerEnv ?? {} }),
    requires: resourcesToWire(task.requires),
    tracking:
      task.trackingPath === undefined
        ? { case: undefined }
        : task.trackingPath === false
          ? { case: 'trackingDisabled', value: true }
          : { case: 'trackingPath', value: task.trackingPath },
  });
}

export function pipelineSpecToWire(spec: PipelineSpecData): PipelineSpec {
  return create(PipelineSpecSchema, { name: spec.name ?? '', tasks: spec.tasks.map(taskSpecToWire), resources: resourcesToWire(spec.resources) });
}

/** A spec read back from a Pipeline message (Get, List), for clients; the server made it, so it is taken as it is. */
function specFromPipeline(spec: PipelineSpec | undefined): PipelineSpecData {
  const data = pipelineSpecFromWire(spec) as unknown as PipelineSpecData | null;
  return data ?? { tasks: [] };
}

// -- states, failures, views -----------------------------------------------------------

export function snapshotToWire(s: TaskStateSnapshot): TaskStateMessage {
  return create(TaskStateSchema, {
    taskId: s.taskId,
    started: s.started,
    totalBlockCount: BigInt(s.totalBlockCount),
    readyCount: BigInt(s.readyCount),
    processingCount: BigInt(s.processingCount),
    pendingCount: BigInt(Math.max(0, s.pendingCount)),
    completedCount: BigInt(s.completedCount),
    skippedCount: BigInt(s.skippedCount),
    failedCount: BigInt(s.failedCount),
    orphanedCount: BigInt(s.orphanedCount),
    done: s.done,
    abandoned: s.abandoned,
    workerFailureCount: BigInt(s.workerFailureCount),
    workerRestartCount: BigInt(s.workerRestartCount),
  });
}

export function snapshotFromWire(m: TaskStateMessage): TaskStateSnapshot {
  return {
    taskId: m.taskId,
    started: m.started,
    totalBlockCount: Number(m.totalBlockCount),
    readyCount: Number(m.readyCount),
    processingCount: Number(m.processingCount),
    pendingCount: Number(m.pendingCount),
    completedCount: Number(m.completedCount),
    skippedCount: Number(m.skippedCount),
    failedCount: Number(m.failedCount),
    orphanedCount: Number(m.orphanedCount),
    done: m.done,
    abandoned: m.abandoned,
    workerFailureCount: Number(m.workerFailureCount),
    workerRestartCount: Number(m.workerRestartCount),
  };
}

function failureToWire(f: FailureRecord): BlockFailure {
  return create(BlockFailureSchema, { ...f, blockId: BigInt(f.blockId) });
}

function failureFromWire(f: BlockFailure): FailureRecord {
  return { taskId: f.taskId, blockId: Number(f.blockId), workerId: f.workerId, error: f.error, traceback: f.traceback, attempt: f.attempt, permanent: f.permanent };
}

function statusFromWire(status: WirePipelineStatus): PipelineStatus {
  const found = (Object.entries(STATUS_TO_WIRE) as [PipelineStatus, WirePipelineStatus][]).find(([, wire]) => wire === status);
  // A status a newer server added: the pipeline is at least not known to be over.
  return found?.[0] ?? 'running';
}

/** The server's view of a pipeline as a message; `spec` is its own wire form, kept from submission. */
export function pipelineToWire(view: PipelineView, spec: PipelineSpec): PipelineMessage {
  return create(PipelineSchema, {
    pipelineId: view.pipelineId,
    spec,
    status: STATUS_TO_WIRE[view.status],
    states: view.states.map(snapshotToWire),
    cancelReason: view.cancelReason,
    submittedAt: timestampFromDate(view.submittedAt),
    finishedAt: view.finishedAt === null ? undefined : timestampFromDate(view.finishedAt),
  });
}

export function pipelineFromWire(m: PipelineMessage | undefined): PipelineView {
  if (m === undefined) throw new Error('the server sent no pipeline');
  return {
    pipelineId: m.pipelineId,
    spec: specFromPipeline(m.spec),
    status: statusFromWire(m.status),
    states: m.states.map(snapshotFromWire),
    cancelReason: m.cancelReason,
    submittedAt: m.submittedAt === undefined ? new Date(0) : timestampDate(m.submittedAt),
    finishedAt: m.finishedAt === undefined ? null : timestampDate(m.finishedAt),
  };
}

export function pipelineEventToWire(event: PipelineEvent): WatchPipelineResponse {
  return create(WatchPipelineResponseSchema, {
    states: event.states.map(snapshotToWire),
    failure: event.failure === null ? undefined : failureToWire(event.failure),
    finished: event.finished,
    status: STATUS_TO_WIRE[event.status],
    cancelReason: event.cancelReason,
  });
}

export function pipelineEventFromWire(m: WatchPipelineResponse): PipelineEvent {
  return {
    states: m.states.map(snapshotFromWire),
    failure: m.failure === undefined ? null : failureFromWire(m.failure),
    finished: m.finished,
    status: statusFromWire(m.status),
    cancelReason: m.cancelReason,
  };
}

// -- requests and responses ---------------------------------------------------------------

export const submitPipelineRequest = (spec: PipelineSpecData): SubmitPipelineRequest => create(SubmitPipelineRequestSchema, { spec: pipelineSpecToWire(spec) });
export const submitPipelineResponse = (pipeline: PipelineMessage, workerToken = ''): SubmitPipelineResponse => create(SubmitPipelineResponseSchema, { pipeline, workerToken });
export const listPipelinesRequest = (pageSize = 0, pageToken = ''): ListPipelinesRequest => create(ListPipelinesRequestSchema, { pageSize, pageToken });
export const listPipelinesResponse = (pipelines: PipelineMessage[], nextPageToken: string): ListPipelinesResponse =>
  create(ListPipelinesResponseSchema, { pipelines, nextPageToken });
export const getPipelineRequest = (pipelineId: string): GetPipelineRequest => create(GetPipelineRequestSchema, { pipelineId });
export const getPipelineResponse = (pipeline: PipelineMessage): GetPipelineResponse => create(GetPipelineResponseSchema, { pipeline });
export const watchPipelineRequest = (pipelineId: string): WatchPipelineRequest => create(WatchPipelineRequestSchema, { pipelineId });
export const cancelPipelineRequest = (pipelineId: string, reason: string): CancelPipelineRequest => create(CancelPipelineRequestSchema, { pipelineId, reason });
export const cancelPipelineResponse = (pipeline: PipelineMessage): CancelPipelineResponse => create(CancelPipelineResponseSchema, { pipeline });

/** Encoded sizes, for the bounds on a submitted spec and on a List page. */
export const specBytes = (spec: PipelineSpec): number => toBinary(PipelineSpecSchema, spec).byteLength;
export const pipelineBytes = (pipeline: PipelineMessage): number => toBinary(PipelineSchema, pipeline).byteLength;
export type { PipelineMessage, PipelineSpec };
