/**
 * The conformance case format (tests/conformance/README.md): reads case
 * files and checks their shape, so that a typo in a case fails loudly with
 * the case and step it is in rather than as a puzzling replay.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';

/** A gRPC status code by name, as google.rpc.Code spells it ("OK", "FAILED_PRECONDITION", ...). */
export type StatusName = string;

export type Step =
  | { kind: 'send'; stream: string; request: JsonObject }
  | { kind: 'sendRaw'; stream: string; bytes: Buffer }
  | { kind: 'sendBigRelease'; stream: string; tracebackLength: number }
  | { kind: 'expect'; stream: string; response: JsonObject; within: number | null }
  | { kind: 'expectEnd'; stream: string; code: StatusName | null; detailsContain: string | null; within: number | null }
  | { kind: 'expectNothingFor'; stream: string; ms: number }
  | { kind: 'halfClose'; stream: string }
  | { kind: 'cancel'; stream: string }
  | { kind: 'sleep'; ms: number }
  | { kind: 'expectStates'; states: Record<string, JsonObject>; within: number | null };

/** A worker process the server is to take for one its own pool started, with the secret its DAISY_CONTEXT holds. */
export interface PoolWorker {
  taskId: string;
  workerId: string;
  secret: string;
}

export interface ConformanceCase {
  name: string;
  description: string;
  /** Task objects in the pipeline-file format (src/run/pipeline-file.ts). */
  tasks: JsonValue[];
  /** The id of the one pipeline the server runs the tasks as; null: any id the server makes. */
  pipelineId: string | null;
  /** Registered with the server before the first step (SchedulerService.expectWorker); empty for most cases. */
  poolWorkers: PoolWorker[];
  /** When false, `expect`, `expectEnd` and `expectNothingFor` pass over Wait and Welcome replies they do not ask for. */
  strict: boolean;
  steps: Step[];
  /** Set in known-failing.json: why the server does not pass the case yet. */
  knownFailing: string | null;
  /** The file the case came from, for messages. */
  file: string;
}

export class CaseFormatError extends Error {
  override name = 'CaseFormatError';
}

const CASE_KEYS = new Set(['name', 'description', 'tasks', 'pipelineId', 'poolWorkers', 'strict', 'steps', 'knownFailing']);
/** The keys a step may carry besides its one action. */
const STEP_OPTIONS = new Set(['stream', 'within', 'note']);
const STREAM_ACTIONS = ['send', 'sendRaw', 'sendBigRelease', 'expect', 'expectEnd', 'expectNothingFor', 'halfClose', 'cancel'] as const;
const GLOBAL_ACTIONS = ['sleep', 'expectStates'] as const;
/** The actions that wait for something, and so may set how long. */
const WAITING_ACTIONS = new Set(['expect', 'expectEnd', 'expectStates']);

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function nonNegative(v: JsonValue | undefined, at: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new CaseFormatError(`${at} must be a non-negative integer (ms or bytes), got ${JSON.stringify(v)}`);
  return v;
}

function readStep(raw: JsonValue, at: string): Step {
  if (!isObject(raw)) throw new CaseFormatError(`${at} must be an object`);
  const actions = Object.keys(raw).filter((k) => !STEP_OPTIONS.has(k));
  if (actions.length !== 1) throw new CaseFormatError(`${at} must have exactly one action, got ${JSON.stringify(actions)}`);
  const action = actions[0]!;
  const value = raw[action];
  const within = raw['within'] === undefined ? null : nonNegative(raw['within'], `${at}.within`);
  if (within !== null && !WAITING_ACTIONS.has(action)) throw new CaseFormatError(`${at}: "within" applies to expect, expectEnd and expectStates only`);
  if ((GLOBAL_ACTIONS as readonly string[]).includes(action)) {
    if (raw['stream'] !== undefined) throw new CaseFormatError(`${at}: "${action}" concerns no stream`);
    if (action === 'sleep') return { kind: 'sleep', ms: nonNegative(value, `${at}.sleep`) };
    if (!isObject(value) || !Object.values(value).every(isObject)) throw new CaseFormatError(`${at}.expectStates must map task ids to TaskState objects`);
    return { kind: 'expectStates', states: value as Record<string, JsonObject>, within };
  }
  if (!(STREAM_ACTIONS as readonly string[]).includes(action)) throw new CaseFormatError(`${at}: unknown action "${action}"`);
  const stream = raw['stream'];
  if (typeof stream !== 'string' || stream === '') throw new CaseFormatError(`${at}.stream must name a stream`);
  switch (action as (typeof STREAM_ACTIONS)[number]) {
    case 'send':
      if (!isObject(value)) throw new CaseFormatError(`${at}.send must be a WorkRequest in protobuf JSON`);
      return { kind: 'send', stream, request: value };
    case 'sendRaw':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new CaseFormatError(`${at}.sendRaw must be base64`);
      return { kind: 'sendRaw', stream, bytes: Buffer.from(value, 'base64') };
    case 'sendBigRelease':
      return { kind: 'sendBigRelease', stream, tracebackLength: nonNegative(value, `${at}.sendBigRelease`) };
    case 'expect':
      if (!isObject(value)) throw new CaseFormatError(`${at}.expect must be a WorkResponse in protobuf JSON`);
      return { kind: 'expect', stream, response: value, within };
    case 'expectEnd': {
      if (!isObject(value)) throw new CaseFormatError(`${at}.expectEnd must be an object ({"code": "..."})`);
      const code = value['code'];
      const details = value['detailsContain'];
      if (code !== undefined && typeof code !== 'string') throw new CaseFormatError(`${at}.expectEnd.code must be a status name`);
      if (details !== undefined && typeof details !== 'string') throw new CaseFormatError(`${at}.expectEnd.detailsContain must be a string`);
      return { kind: 'expectEnd', stream, code: code ?? null, detailsContain: details ?? null, within };
    }
    case 'expectNothingFor':
      return { kind: 'expectNothingFor', stream, ms: nonNegative(value, `${at}.expectNothingFor`) };
    case 'halfClose':
    case 'cancel':
      if (value !== true) throw new CaseFormatError(`${at}.${action} must be true`);
      return { kind: action === 'halfClose' ? 'halfClose' : 'cancel', stream };
  }
}

function readPoolWorkers(raw: JsonValue | undefined, where: string): PoolWorker[] {
  if (raw === undefined) return [];
  const fields = ['taskId', 'workerId', 'secret'] as const;
  if (!Array.isArray(raw)) throw new CaseFormatError(`${where}: poolWorkers must be a list`);
  return raw.map((w, i) => {
    if (!isObject(w) || Object.keys(w).some((k) => !(fields as readonly string[]).includes(k)) || !fields.every((k) => typeof w[k] === 'string' && w[k] !== '')) {
      throw new CaseFormatError(`${where}: poolWorkers[${i}] must be {"taskId", "workerId", "secret"}, each a non-empty string`);
    }
    return { taskId: w['taskId'] as string, workerId: w['workerId'] as string, secret: w['secret'] as string };
  });
}

function readCase(raw: JsonValue, at: string, file: string): ConformanceCase {
  if (!isObject(raw)) throw new CaseFormatError(`${at} must be an object`);
  for (const key of Object.keys(raw)) if (!CASE_KEYS.has(key)) throw new CaseFormatError(`${at}: unknown field "${key}"`);
  const { name, description, tasks, pipelineId, poolWorkers, strict, steps, knownFailing } = raw;
  if (typeof name !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new CaseFormatError(`${at}.name must be kebab-case, got ${JSON.stringify(name)}`);
  const where = `${file}: case "${name}"`;
  if (typeof description !== 'string' || description === '') throw new CaseFormatError(`${where}: description must be a non-empty string`);
  if (!Array.isArray(tasks) || tasks.length === 0) throw new CaseFormatError(`${where}: tasks must be a non-empty list`);
  if (pipelineId !== undefined && (typeof pipelineId !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(pipelineId))) {
    throw new CaseFormatError(`${where}: pipelineId must be lower-case letters, digits and '-', got ${JSON.stringify(pipelineId)}`);
  }
  if (strict !== undefined && typeof strict !== 'boolean') throw new CaseFormatError(`${where}: strict must be true or false`);
  if (knownFailing !== undefined && typeof knownFailing !== 'string') throw new CaseFormatError(`${where}: knownFailing must be a reason`);
  if (!Array.isArray(steps) || steps.length === 0) throw new CaseFormatError(`${where}: steps must be a non-empty list`);
  return {
    name,
    description,
    tasks,
    pipelineId: pipelineId ?? null,
    poolWorkers: readPoolWorkers(poolWorkers, where),
    strict: strict ?? false,
    steps: steps.map((s, i) => readStep(s, `${where}: steps[${i}]`)),
    knownFailing: knownFailing ?? null,
    file,
  };
}

/** The cases of one file (a JSON list of cases). */
export function loadCaseFile(path: string): ConformanceCase[] {
  const file = path.split('/').at(-1)!;
  const data = JSON.parse(readFileSync(path, 'utf8')) as JsonValue;
  if (!Array.isArray(data)) throw new CaseFormatError(`${file} must hold a list of cases`);
  return data.map((c, i) => readCase(c, `${file}: [${i}]`, file));
}

/** Every case of a folder, in file order; names must be unique across files. */
export function loadCases(dir: string): ConformanceCase[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const cases = files.flatMap((f) => loadCaseFile(`${dir}/${f}`));
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.name)) throw new CaseFormatError(`case name "${c.name}" is used twice (again in ${c.file})`);
    seen.add(c.name);
  }
  return cases;
}
