import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Roi } from '../geometry/roi.js';
import { FITS, type Fit, Task, TaskValidationError } from '../model/task.js';

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
 *       upstreamTasks: [other-task-id]
 *
 * Every field is checked, and an error names the field it is about.
 */
export class PipelineError extends Error {
  override name = 'PipelineError';
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const TASK_FIELDS = new Set([
  'taskId',
  'totalRoi',
  'readRoi',
  'writeRoi',
  'readWriteConflict',
  'fit',
  'numWorkers',
  'maxRetries',
  'timeout',
  'workerCommand',
  'upstreamTasks',
  'maxWorkerRestarts',
]);

export function loadPipeline(path: string): Task[] {
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
  return pipelineFromData(data as Json, path);
}

export function pipelineFromData(data: Json, where = 'pipeline'): Task[] {
  if (!isObject(data) || !Array.isArray(data['tasks']) || data['tasks'].length === 0) {
    throw new PipelineError(`${where}: expected an object with a non-empty "tasks" list`);
  }
  const specs = data['tasks'];
  const byId = new Map<string, Task>();
  const pending = new Map<string, { spec: { [key: string]: Json }; at: string }>();
  specs.forEach((spec, i) => {
    const at = `${where}: tasks[${i}]`;
    if (!isObject(spec)) throw new PipelineError(`${at} must be an object`);
    for (const key of Object.keys(spec)) if (!TASK_FIELDS.has(key)) throw new PipelineError(`${at}: unknown field "${key}"`);
    const id = spec['taskId'];
    if (typeof id !== 'string' || id === '') throw new PipelineError(`${at}.taskId must be a non-empty string`);
    if (pending.has(id)) throw new PipelineError(`${at}: task id "${id}" is declared twice`);
    pending.set(id, { spec, at: `${where}: task "${id}"` });
  });
  const building = new Set<string>();
  const build = (id: string, from: string): Task => {
    const done = byId.get(id);
    if (done !== undefined) return done;
    const entry = pending.get(id);
    if (entry === undefined) throw new PipelineError(`${from}: upstream task "${id}" is not declared`);
    if (building.has(id)) throw new PipelineError(`${from}: tasks depend on each other in a cycle through "${id}"`);
    building.add(id);
    const { spec, at } = entry;
    const upstream = optional(spec, 'upstreamTasks', at, (v, f) => stringList(v, f)) ?? [];
    let task: Task;
    try {
      task = new Task({
        taskId: id,
        totalRoi: roi(spec['totalRoi'], `${at}.totalRoi`),
        readRoi: roi(spec['readRoi'], `${at}.readRoi`),
        writeRoi: roi(spec['writeRoi'], `${at}.writeRoi`),
        readWriteConflict: optional(spec, 'readWriteConflict', at, boolean),
        fit: optional(spec, 'fit', at, fit),
        numWorkers: optional(spec, 'numWorkers', at, number),
        maxRetries: optional(spec, 'maxRetries', at, number),
        timeout: spec['timeout'] === null ? null : optional(spec, 'timeout', at, number),
        maxWorkerRestarts: optional(spec, 'maxWorkerRestarts', at, number),
        workerCommand: optional(spec, 'workerCommand', at, (v, f) => stringList(v, f)),
        upstreamTasks: upstream.map((up) => build(up, at)),
      });
    } catch (error) {
      if (error instanceof TaskValidationError) throw new PipelineError(`${where}: ${error.message}`);
      throw error;
    }
    building.delete(id);
    byId.set(id, task);
    return task;
  };
  return [...pending.keys()].map((id) => build(id, where));
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optional<T>(spec: { [key: string]: Json }, key: string, at: string, read: (v: Json, field: string) => T): T | undefined {
  const value = spec[key];
  return value === undefined ? undefined : read(value, `${at}.${key}`);
}

function number(v: Json, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new PipelineError(`${field} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function boolean(v: Json, field: string): boolean {
  if (typeof v !== 'boolean') throw new PipelineError(`${field} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function fit(v: Json, field: string): Fit {
  if (typeof v !== 'string' || !(FITS as readonly string[]).includes(v)) {
    throw new PipelineError(`${field} must be one of ${FITS.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as Fit;
}

function stringList(v: Json, field: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new PipelineError(`${field} must be a list of strings`);
  return v as string[];
}

function roi(v: Json | undefined, field: string): Roi {
  if (!isObject(v)) throw new PipelineError(`${field} must be {offset: [...], shape: [...]}`);
  const entries = (key: string): number[] => {
    const list = v[key];
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      throw new PipelineError(`${field}.${key} must be a non-empty list of integers, got ${JSON.stringify(list)}`);
    }
    return list as number[];
  };
  const offset = entries('offset');
  const shape = entries('shape');
  if (offset.length !== shape.length) {
    throw new PipelineError(`${field}: offset has ${offset.length} dimensions but shape has ${shape.length}`);
  }
  return new Roi(offset, shape);
}
