import type { FailureRecord } from './failure-record.js';
import type { PipelineSpecData } from './task-spec.js';
import type { TaskState } from './task-state.js';

/** Where a pipeline is in its life (PipelineStatus in pipeline.proto). */
export type PipelineStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export const PIPELINE_STATUSES: readonly PipelineStatus[] = ['running', 'succeeded', 'failed', 'cancelled'];

/** The counters progress displays read: a TaskState, or a copy of one that came over the wire. */
export type TaskCounters = Pick<
  TaskState,
  'started' | 'totalBlockCount' | 'readyCount' | 'processingCount' | 'pendingCount' | 'completedCount' | 'skippedCount' | 'failedCount' | 'orphanedCount' | 'abandoned' | 'workerFailureCount' | 'workerRestartCount'
>;

/** One task's counters at one moment, as plain data. */
export interface TaskStateSnapshot extends TaskCounters {
  taskId: string;
  done: boolean;
}

export function snapshotOf(taskId: string, state: TaskState): TaskStateSnapshot {
  return {
    taskId,
    started: state.started,
    totalBlockCount: state.totalBlockCount,
    readyCount: state.readyCount,
    processingCount: state.processingCount,
    pendingCount: Math.max(0, state.pendingCount),
    completedCount: state.completedCount,
    skippedCount: state.skippedCount,
    failedCount: state.failedCount,
    orphanedCount: state.orphanedCount,
    done: state.isDone(),
    abandoned: state.abandoned,
    workerFailureCount: state.workerFailureCount,
    workerRestartCount: state.workerRestartCount,
  };
}

/** A pipeline as Get and List report it. */
export interface PipelineView {
  pipelineId: string;
  spec: PipelineSpecData;
  status: PipelineStatus;
  /** In daisy's order: root tasks first. */
  states: TaskStateSnapshot[];
  /** '' unless cancelled. */
  cancelReason: string;
  submittedAt: Date;
  finishedAt: Date | null;
}

/** One event of a watched pipeline. */
export interface PipelineEvent {
  states: TaskStateSnapshot[];
  /** Set when the event was a failed attempt. */
  failure: FailureRecord | null;
  /** The pipeline ended: `status` is final. */
  finished: boolean;
  status: PipelineStatus;
  cancelReason: string;
}
