import { Roi } from '../geometry/roi.js';
import type { PipelineSpecData, RoiData, TaskSpecData } from '../model/task-spec.js';
import { Task, TaskValidationError } from '../model/task.js';
import { fileFieldPath, firstIssue, type FieldNamer, pipelineSpecSchema } from './spec-schema.js';

/** A pipeline spec that was refused; the message is one line naming the field. */
export class SpecError extends Error {
  override name = 'SpecError';
}

export interface ReadSpecOptions {
  /** Where the data came from, first in every message (a file's path, "spec"). */
  where?: string;
  /** How a field's path is written (the wire names fields as the proto does). */
  fieldPath?: FieldNamer;
}

/** A validated pipeline: its data as declared and the Tasks built from it, in declaration order. */
export interface ReadSpec {
  spec: PipelineSpecData;
  tasks: Task[];
}

/**
 * Reads pipeline data from any source: checks it against the schema (the
 * first problem, named by its path, is the error), then builds the Tasks,
 * resolving upstream task ids; the Task constructor adds the checks that
 * span fields (ROIs that fit each other, dimensions of upstream tasks).
 */
export function readPipelineSpec(data: unknown, options: ReadSpecOptions = {}): ReadSpec {
  const where = options.where ?? 'pipeline';
  const path = options.fieldPath ?? fileFieldPath;
  const parsed = pipelineSpecSchema.safeParse(data);
  if (!parsed.success) throw new SpecError(`${where}: ${firstIssue(parsed.error, path)}`);
  const spec = parsed.data;
  const indexById = new Map<string, number>();
  spec.tasks.forEach((task, i) => {
    if (indexById.has(task.taskId)) throw new SpecError(`${where}: ${path(['tasks', i, 'taskId'])}: task id ${JSON.stringify(task.taskId)} is declared twice`);
    indexById.set(task.taskId, i);
  });
  const built = new Map<string, Task>();
  const building = new Set<string>();
  const build = (i: number): Task => {
    const declared: TaskSpecData = spec.tasks[i]!;
    const done = built.get(declared.taskId);
    if (done !== undefined) return done;
    if (building.has(declared.taskId)) {
      throw new SpecError(`${where}: ${path(['tasks', i, 'upstreamTasks'])}: tasks depend on each other in a cycle through ${JSON.stringify(declared.taskId)}`);
    }
    building.add(declared.taskId);
    const upstream = (declared.upstreamTasks ?? []).map((id, j) => {
      const index = indexById.get(id);
      if (index === undefined) throw new SpecError(`${where}: ${path(['tasks', i, 'upstreamTasks', j])}: upstream task ${JSON.stringify(id)} is not declared`);
      return build(index);
    });
    let task: Task;
    try {
      task = new Task({ ...declared, totalRoi: roi(declared.totalRoi), readRoi: roi(declared.readRoi), writeRoi: roi(declared.writeRoi), upstreamTasks: upstream });
    } catch (error) {
      if (error instanceof TaskValidationError) throw new SpecError(`${where}: ${error.message}`);
      throw error;
    }
    building.delete(declared.taskId);
    built.set(declared.taskId, task);
    return task;
  };
  return { spec, tasks: spec.tasks.map((_, i) => build(i)) };
}

const roi = (data: RoiData): Roi => new Roi(data.offset, data.shape);
