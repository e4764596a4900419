import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PIPELINE_STATUSES, type PipelineStatus } from '../model/pipeline-view.js';
import type { PipelineSpecData } from '../model/task-spec.js';
import { messageOf, type StateDir, StateDirError } from './state-dir.js';

/** The format of `pipeline.json`; a server refuses a record of another. */
export const PIPELINE_RECORD_FORMAT = 1;
export const PIPELINE_RECORD_FILE = 'pipeline.json';

/**
 * What a server keeps of a pipeline to resume it: its declaration (the spec
 * as Get reports it, which the pipeline schema reads back), its worker token
 * (workers started elsewhere keep sending it after a restart) and where it
 * is in its life. Which blocks are done is not here: the done markers hold it.
 */
export interface PipelineRecord {
  format: typeof PIPELINE_RECORD_FORMAT;
  id: string;
  name: string;
  spec: PipelineSpecData;
  /** '' when the server requires no tokens. A secret: the file is its owner's alone (0600). */
  workerToken: string;
  submittedAt: string;
  status: PipelineStatus;
  cancelReason: string;
  finishedAt: string | null;
}

export function writePipelineRecord(state: StateDir, record: PipelineRecord): void {
  state.writeJson(join(state.pipelineDir(record.id), PIPELINE_RECORD_FILE), record);
}

/** The record of pipeline `id`, or null when its directory holds none (a submission cut short before its record was written). */
export function readPipelineRecord(state: StateDir, id: string): PipelineRecord | null {
  const file = join(state.pipelineDir(id), PIPELINE_RECORD_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateDirError(`${file} cannot be read: ${messageOf(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateDirError(`${file} is not JSON: ${messageOf(error)}`);
  }
  const problem = recordProblem(data, id);
  if (problem !== null) throw new StateDirError(`${file} is not a pipeline record of this server: ${problem}`);
  return data as PipelineRecord;
}

/** The spec itself is checked by the pipeline schema when the pipeline is recreated; this checks the envelope. */
function recordProblem(data: unknown, id: string): string | null {
  if (typeof data !== 'object' || data === null) return 'not an object';
  const record = data as Record<string, unknown>;
  if (record['format'] !== PIPELINE_RECORD_FORMAT) return `format is ${JSON.stringify(record['format'])}, expected ${PIPELINE_RECORD_FORMAT}`;
  if (record['id'] !== id) return `its id ${JSON.stringify(record['id'])} is not its directory's name ${JSON.stringify(id)}`;
  for (const field of ['name', 'workerToken', 'submittedAt', 'cancelReason'] as const) {
    if (typeof record[field] !== 'string') return `${field} is not a string`;
  }
  if (!PIPELINE_STATUSES.includes(record['status'] as PipelineStatus)) return `status ${JSON.stringify(record['status'])} is none of ${PIPELINE_STATUSES.join(', ')}`;
  if (record['finishedAt'] !== null && typeof record['finishedAt'] !== 'string') return 'finishedAt is neither null nor a string';
  if (typeof record['spec'] !== 'object' || record['spec'] === null) return 'spec is not an object';
  return null;
}
