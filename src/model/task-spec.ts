import type { Roi } from '../geometry/roi.js';
import type { Fit, Task, TaskOptions } from './task.js';

/**
 * A task's declarable fields as plain data: what a pipeline file, a
 * SubmitPipeline request and TypeScript code can all say about a task, with
 * the names of TaskOptions. Functions (processFunction, checks, init
 * callbacks) stay in TypeScript; the rest is this one set of fields, which
 * src/pipelines/spec-schema.ts validates for files and the control plane.
 */
export interface RoiData {
  offset: number[];
  shape: number[];
}

export interface TaskSpecData {
  taskId: string;
  totalRoi: RoiData;
  readRoi: RoiData;
  writeRoi: RoiData;
  readWriteConflict?: boolean | undefined;
  fit?: Fit | undefined;
  numWorkers?: number | undefined;
  maxRetries?: number | undefined;
  /** Seconds; null (or absent) for no limit. */
  timeout?: number | null | undefined;
  maxWorkerRestarts?: number | undefined;
  /** Task ids of the same pipeline. */
  upstreamTasks?: string[] | undefined;
  workerCommand?: string[] | undefined;
  workerEnv?: Record<string, string> | undefined;
  /** What one worker holds of the pipeline's `resources` while alive. */
  requires?: Record<string, number> | undefined;
  /** Where the done markers live; false: none; absent: the run's default. */
  trackingPath?: string | false | undefined;
}

export interface PipelineSpecData {
  name?: string | undefined;
  tasks: TaskSpecData[];
  /** The budget the sum of `requires` over the pipeline's live workers never exceeds. */
  resources?: Record<string, number> | undefined;
}

/** The options of TaskOptions that are code, not data. */
type CodeOptions = 'processFunction' | 'checkFunction' | 'initCallbackFn';

// TaskOptions and TaskSpecData name the same fields: adding one to either
// without the other fails to compile here, instead of drifting apart.
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : never;
const sameFields: SameKeys<Omit<TaskOptions, CodeOptions>, TaskSpecData> = true;
void sameFields;

const roiData = (roi: Roi): RoiData => ({ offset: roi.offset.toArray() as number[], shape: roi.shape.toArray() as number[] });

/** A task's declarable fields, every default written out (as Get and List report a pipeline). */
export function taskToSpecData(task: Task): TaskSpecData {
  return {
    taskId: task.taskId,
    totalRoi: roiData(task.totalRoi),
    readRoi: roiData(task.readRoi),
    writeRoi: roiData(task.writeRoi),
    readWriteConflict: task.readWriteConflict,
    fit: task.fit,
    numWorkers: task.numWorkers,
    maxRetries: task.maxRetries,
    timeout: task.timeout,
    maxWorkerRestarts: task.maxWorkerRestarts,
    upstreamTasks: task.upstreamTasks.map((up) => up.taskId),
    workerCommand: task.workerCommand === null ? undefined : [...task.workerCommand],
    workerEnv: Object.keys(task.workerEnv).length === 0 ? undefined : { ...task.workerEnv },
    requires: Object.keys(task.requiredResources).length === 0 ? undefined : { ...task.requiredResources },
    trackingPath: task.trackingPath ?? undefined,
  };
}
