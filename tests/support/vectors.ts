import { readFileSync } from 'node:fs';
import { Roi, Task, type Fit, type CheckFunction } from '../../src/index.js';

/** A ROI as the oracle writes it. */
export interface RoiJson {
  offset: (number | null)[];
  shape: (number | null)[];
}

export interface TaskJson {
  taskId: string;
  totalRoi: RoiJson;
  readRoi: RoiJson;
  writeRoi: RoiJson;
  readWriteConflict: boolean;
  fit: Fit;
  upstreamTasks: string[];
  maxRetries?: number;
}

/** Reads a vector file kept in tests/vectors (the compiled tests run from dist/tests). */
export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../../tests/vectors/${name}`, import.meta.url), 'utf8')) as T;
}

export const roiFromJson = (roi: RoiJson): Roi => new Roi(roi.offset, roi.shape);

export const roiToJson = (roi: Roi): RoiJson => ({ offset: roi.offset.toArray(), shape: roi.shape.toArray() });

/** Builds the tasks of a case; upstream tasks always precede the tasks that require them. */
export function tasksFromJson(
  specs: readonly TaskJson[],
  checkFunction: (taskIndex: number) => CheckFunction | null = () => null,
): Task[] {
  const byId = new Map<string, Task>();
  return specs.map((spec, index) => {
    const task = new Task({
      taskId: spec.taskId,
      totalRoi: roiFromJson(spec.totalRoi),
      readRoi: roiFromJson(spec.readRoi),
      writeRoi: roiFromJson(spec.writeRoi),
      readWriteConflict: spec.readWriteConflict,
      fit: spec.fit,
      maxRetries: spec.maxRetries ?? 2,
      checkFunction: checkFunction(index),
      upstreamTasks: spec.upstreamTasks.map((id) => {
        const upstream = byId.get(id);
        if (upstream === undefined) throw new Error(`vector lists upstream task ${id} after ${spec.taskId}`);
        return upstream;
      }),
    });
    byId.set(spec.taskId, task);
    return task;
  });
}
