import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Task } from '../model/task.js';
import { type ReadSpec, readPipelineSpec, SpecError } from '../pipelines/pipeline-spec.js';

/**
 * Tasks declared in a file (JSON, or YAML for files ending in .yaml/.yml),
 * for `daisychain run` and `daisychain serve`:
 *
 *   tasks:
 *     - taskId: smooth
 *       totalRoi: {offset: [0, 0, 0], shape: [96, 96, 96]}
 *       readRoi:  {offset: [-1, -1, -1], shape: [18, 18, 18]}
 *       writeRoi: {offset: [0, 0, 0], shape: [16, 16, 16]}
 *       readWriteConflict: false        # optional, as the Task options
 *       fit: shrink
 *       numWorkers: 2
 *       workerCommand: [python, worker.py]
 *       workerEnv: {OMP_NUM_THREADS: "1"}
 *       upstreamTasks: [other-task-id]
 *
 * Every field is checked by the one pipeline schema
 * (src/pipelines/spec-schema.ts, published as pipeline-file.schema.json),
 * and an error names the field it is about.
 */
export class PipelineError extends Error {
  override name = 'PipelineError';
}

export function loadPipeline(path: string): Task[] {
  return loadPipelineSpec(path).tasks;
}

/** The file's pipeline as data (for the control plane) and as Tasks. */
export function loadPipelineSpec(path: string): ReadSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PipelineError(`cannot read pipeline file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    // The YAML parser appends a drawing of the spot on further lines; its first line says where.
    const reason = error instanceof Error ? error.message.split('\n')[0]!.replace(/:$/, '') : String(error);
    throw new PipelineError(`${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}: ${reason}`);
  }
  return readPipelineData(data, path);
}

export function pipelineFromData(data: unknown, where = 'pipeline'): Task[] {
  return readPipelineData(data, where).tasks;
}

/** The schema every submission goes through (src/pipelines/spec-schema.ts), its refusal as a PipelineError. */
function readPipelineData(data: unknown, where: string): ReadSpec {
  try {
    return readPipelineSpec(data, { where });
  } catch (error) {
    if (error instanceof SpecError) throw new PipelineError(error.message);
    throw error;
  }
}
