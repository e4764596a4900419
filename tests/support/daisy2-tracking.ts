/**
 * Real daisy 2.0.0 processes on tracking groups, for the tracking tests:
 * `runDaisy2` runs one task through tests/tracking/daisy2_tracking_run.py in
 * .cache/venv-daisy2 (its blocks at or beyond `failFrom` on axis 0 fail for
 * good), and the helpers name blocks by their write offsets.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BlockwiseDependencyGraph } from '../../src/dependencies/blockwise-dependency-graph.js';
import { type Block, Roi, Task, type Fit, type TaskOptions } from '../../src/index.js';

// Real daisy 2.0.0 processes (.cache/venv-daisy2, made by tests/run-all.sh) on the same tracking groups as src/tracking.
export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const daisy2 = path.join(repo, '.cache', 'venv-daisy2', 'bin', 'python');
const runner = path.join(repo, 'tests', 'tracking', 'daisy2_tracking_run.py');
export const skip = existsSync(daisy2) ? false : `no daisy 2.0.0 virtualenv at ${daisy2} (bash clients/python/env/make-venv.sh daisy2)`;

export interface RoiSpec {
  offset: number[];
  shape: number[];
}
export interface TaskSpec {
  taskId: string;
  totalRoi: RoiSpec;
  readRoi: RoiSpec;
  writeRoi: RoiSpec;
  fit: Fit;
}
export interface Daisy2Report {
  result?: boolean;
  error?: string;
  seen: number[][];
  failed: number[][];
}

export async function runDaisy2(dir: string, basedir: string, spec: TaskSpec, failFrom: number | null): Promise<Daisy2Report> {
  const specFile = path.join(dir, `${spec.taskId}-spec.json`);
  const outFile = path.join(dir, `${spec.taskId}-out.json`);
  writeFileSync(specFile, JSON.stringify({ ...spec, basedir, failFrom, workers: 2 }));
  await promisify(execFile)(daisy2, [runner, specFile, outFile], { cwd: dir, timeout: 120_000 });
  return JSON.parse(readFileSync(outFile, 'utf8')) as Daisy2Report;
}

export const taskOf = (spec: TaskSpec, options: Partial<TaskOptions> = {}): Task =>
  new Task({
    taskId: spec.taskId,
    totalRoi: new Roi(spec.totalRoi.offset, spec.totalRoi.shape),
    readRoi: new Roi(spec.readRoi.offset, spec.readRoi.shape),
    writeRoi: new Roi(spec.writeRoi.offset, spec.writeRoi.shape),
    fit: spec.fit,
    processFunction: () => {},
    ...options,
  });

/** Every block of the task (daisychain's own graph), by its write offset. */
export function blocksOf(task: Task): Map<string, Block> {
  const blocks = new Map<string, Block>();
  for (const [block] of BlockwiseDependencyGraph.fromTask(task).enumerateAllDependencies()) {
    blocks.set(JSON.stringify(block.writeRoi.offset.toArray()), block);
  }
  return blocks;
}

export const key = (offset: readonly number[]): string => JSON.stringify(offset);

export function withDir(name: string, body: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(path.join(tmpdir(), `tracking-${name}-`));
    try {
      await body(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

