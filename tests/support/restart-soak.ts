/**
 * The soak of a durable server (issue 17), shared by the test command's
 * small run (tests/state/restart-soak.test.ts) and the benchmark's large one
 * (bench/server-restarts): a real `daisychain serve --state-dir` process
 * runs one pipeline whose pool workers record every block they run; the
 * harness SIGKILLs the server at random moments and starts it again on the
 * same address and directory, until the pipeline succeeded. It reports
 * what ran twice against what can have (the blocks held at the kills: one
 * per worker, at prefetch 1), what never ran, and how long each restart
 * took to listen and to have a block run again.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServe } from './cli-process.js';

const workerScript = fileURLToPath(new URL('../fixtures/record-worker.js', import.meta.url));

export interface RestartSoakOptions {
  /** A fresh directory: state, logs, records and the pipeline file go there. */
  dir: string;
  blocks: number;
  workers: number;
  kills: number;
  /** Time each block takes in its worker. */
  blockDelayMs?: number;
  /** Seeds the moments of the kills (fractions of the blocks recorded). */
  seed?: number;
  log?: (line: string) => void;
}

export interface RestartTiming {
  /** Blocks recorded when the server was killed. */
  recordedAtKill: number;
  /** From starting the new server process to its "listening" line (the pipelines are back by then). */
  toListeningMs: number;
  /** From starting it to the first block a worker of the new server recorded. */
  toFirstBlockMs: number;
}

export interface RestartSoakResult {
  blocks: number;
  workers: number;
  kills: number;
  /** Runs beyond the first, over all blocks. */
  ranTwice: number;
  /** What may run twice: the blocks held at the kills. */
  heldBound: number;
  /** Blocks that never ran. */
  lost: number;
  exitCode: number | null;
  restarts: RestartTiming[];
  seconds: number;
}

export async function runRestartSoak(options: RestartSoakOptions): Promise<RestartSoakResult> {
  const { dir, blocks, workers, kills } = options;
  const log = options.log ?? (() => {});
  mkdirSync(dir, { recursive: true });
  const records = join(dir, 'records.txt');
  writeFileSync(records, '');
  const pipelineFile = join(dir, 'pipeline.yaml');
  const task = {
    taskId: 'soak',
    totalRoi: { offset: [0], shape: [blocks] },
    readRoi: { offset: [0], shape: [1] },
    writeRoi: { offset: [0], shape: [1] },
    readWriteConflict: false,
    numWorkers: workers,
    maxRetries: 10,
    workerCommand: [process.execPath, workerScript],
    workerEnv: { RECORD_FILE: records, BLOCK_DELAY_MS: String(options.blockDelayMs ?? 0) },
  };
  writeFileSync(pipelineFile, `name: restart soak\ntasks:\n  - ${JSON.stringify(task)}\n`);
  const random = mulberry32(options.seed ?? 1);
  const killAt = Array.from({ length: kills }, () => Math.floor(blocks * (0.1 + 0.8 * random()))).sort((a, b) => a - b);
  const args = (port: number): string[] => [pipelineFile, '--listen', `127.0.0.1:${port}`, '--state-dir', join(dir, 'state'), '--log-dir', join(dir, 'logs'), '--progress', 'none'];
  const started = Date.now();
  let service = await startServe(args(0));
  const port = service.port;
  const restarts: RestartTiming[] = [];
  try {
    for (const threshold of killAt) {
      await until(() => countLines(records) >= threshold || service.child.exitCode !== null);
      if (service.child.exitCode !== null) break;
      service.child.kill('SIGKILL');
      await service.exit;
      const recordedAtKill = countLines(records);
      log(`killed the server at ${recordedAtKill} blocks recorded`);
      const restartedAt = Date.now();
      service = await startServe(args(port));
      const toListeningMs = Date.now() - restartedAt;
      // The old server's workers were stopped before the new one listened: a line from now on is a new block.
      const before = countLines(records);
      await until(() => countLines(records) > before || service.child.exitCode !== null);
      restarts.push({ recordedAtKill, toListeningMs, toFirstBlockMs: Date.now() - restartedAt });
      log(`restarted: listening after ${toListeningMs} ms, a block ran after ${restarts.at(-1)!.toFirstBlockMs} ms`);
    }
    const exitCode = await service.exit;
    const counts = new Map<number, number>();
    for (const line of readFileSync(records, 'utf8').split('\n')) {
      if (line === '') continue;
      const block = Number(line.split(' ')[1]);
      counts.set(block, (counts.get(block) ?? 0) + 1);
    }
    let lost = 0;
    for (let block = 0; block < blocks; block++) if (!counts.has(block)) lost++;
    const ranTwice = [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
    return { blocks, workers, kills: restarts.length, ranTwice, heldBound: restarts.length * workers, lost, exitCode, restarts, seconds: (Date.now() - started) / 1000 };
  } finally {
    service.child.kill('SIGKILL');
  }
}

function countLines(file: string): number {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file);
  let lines = 0;
  for (const byte of text) if (byte === 10) lines++;
  return lines;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** A small seeded generator, so that a soak's kill moments can be replayed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
