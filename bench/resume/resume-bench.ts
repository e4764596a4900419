/**
 * Resume from done markers, daisychain side (bench/resume/run.sh runs it
 * beside daisy 2.0.0's bench/resume/daisy_resume_bench.py).
 *
 * The task: 3-D, write ROI 10³ with a context of 1 (read ROI 12³), read-write
 * conflicts, fit valid, ~10^7 blocks (215 per axis; BENCH_SCALE multiplies
 * the count). Its tracking group (daisy 2.0.0's layout) marks every block
 * done but those of the last level.
 *
 *   --mode make-group --basedir D   writes the group D/bench (prints its counts)
 *   --mode scheduler --basedir D    opens the group, then acquires every block
 *                                   of an in-process Scheduler and releases it
 *                                   (SUCCESS); the blocks handed out are the
 *                                   last level's
 *   --mode run-blockwise --basedir D  runBlockwise (a loopback gRPC server and
 *                                   an in-process worker) until the first
 *                                   block reaches the worker, then stops
 *
 * Prints one JSON line: seconds to the first block handed out (from before
 * the group is opened), blocks skipped by then, and for `scheduler` the
 * whole resume (skipped and handed-out counts, seconds).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BlockwiseDependencyGraph } from '../../src/dependencies/blockwise-dependency-graph.js';
import { BlockStatus, Roi, Scheduler, Task, runBlockwise, warmUpScheduler } from '../../src/index.js';
import { BlockTracker } from '../../src/tracking/index.js';
import { parseFlags } from '../flags.js';

const WRITE = 10;
const CONTEXT = 1;
const TASK_ID = 'bench';

function usage(message: string): never {
  process.stderr.write(`resume-bench: ${message}\nusage: node resume-bench.js --mode make-group|scheduler|run-blockwise --basedir DIR [--scale S]\n`);
  process.exit(2);
}

const flags = parseFlags(process.argv.slice(2), usage);
const mode = flags.get('mode') ?? usage('--mode is required');
const basedir = flags.get('basedir') ?? usage('--basedir is required');
const scale = Number(flags.get('scale') ?? process.env['BENCH_SCALE'] ?? '1');
if (!(scale > 0)) usage(`--scale must be positive, got ${flags.get('scale')}`);
const perAxis = Math.max(2, Math.round(Math.cbrt(1e7 * scale)));

function resumeTask(processFunction: (block: unknown) => void = () => {}): Task {
  const extent = perAxis * WRITE + 2 * CONTEXT;
  return new Task({
    taskId: TASK_ID,
    totalRoi: new Roi([0, 0, 0], [extent, extent, extent]),
    readRoi: new Roi([0, 0, 0], [WRITE + 2 * CONTEXT, WRITE + 2 * CONTEXT, WRITE + 2 * CONTEXT]),
    writeRoi: new Roi([CONTEXT, CONTEXT, CONTEXT], [WRITE, WRITE, WRITE]),
    readWriteConflict: true,
    fit: 'valid',
    processFunction,
  });
}

function print(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ impl: 'daisychain', mode, perAxis, blocks: perAxis ** 3, peakRssMb: process.resourceUsage().maxRSS / 1024, ...record })}\n`);
}

function makeGroup(): void {
  const task = resumeTask();
  const graph = BlockwiseDependencyGraph.fromTask(task);
  const tracker = BlockTracker.openUnder(basedir, task, { journal: false, flushIntervalMs: 3_600_000 });
  const strides = tracker.gridShape.map((_, d) => tracker.gridShape.slice(d + 1).reduce((a, b) => a * b, 1));
  const base = tracker.cellOf(graph.block(0).writeRoi);
  const last = graph.numLevels - 1;
  const k = [0, 0, 0];
  let lastLevel = 0;
  for (let key = 0; key < graph.numBlocks; key++) {
    if (graph.level(key) === last) {
      lastLevel++;
      continue;
    }
    graph.gridIndex(key, k);
    tracker.markCellDone(base + k[0]! * strides[0]! + k[1]! * strides[1]! + k[2]! * strides[2]!);
  }
  tracker.close();
  print({ marked: graph.numBlocks - lastLevel, lastLevel, levels: graph.numLevels });
}

function resumeInProcess(): void {
  warmUpScheduler();
  const start = performance.now();
  const task = resumeTask();
  const tracker = BlockTracker.openUnder(basedir, task);
  const scheduler = new Scheduler([task], { doneMarks: new Map([[TASK_ID, tracker]]) });
  const state = scheduler.taskStates.get(TASK_ID)!;
  let firstSeconds: number | null = null;
  let skippedAtFirst = 0;
  let handed = 0;
  for (;;) {
    const block = scheduler.acquireBlock(TASK_ID);
    if (block === null) break;
    if (firstSeconds === null) {
      firstSeconds = (performance.now() - start) / 1000;
      skippedAtFirst = state.skippedCount;
    }
    handed++;
    block.status = BlockStatus.SUCCESS;
    scheduler.releaseBlock(block);
  }
  const totalSeconds = (performance.now() - start) / 1000;
  const ok = state.isDone() && state.completedCount === state.totalBlockCount;
  print({ ok, firstSeconds, skippedAtFirst, skipped: state.skippedCount, handed, totalSeconds });
  // The close (flushing 50 MB of chunks) is not part of the resume.
  tracker.close();
  if (!ok) process.exitCode = 1;
}

async function resumeThroughServer(): Promise<void> {
  const logDir = mkdtempSync(path.join(tmpdir(), 'resume-bench-'));
  const abort = new AbortController();
  const start = performance.now();
  let firstSeconds: number | null = null;
  let skipped = 0;
  const task = resumeTask(() => {
    if (firstSeconds !== null) return;
    firstSeconds = (performance.now() - start) / 1000;
    abort.abort();
  });
  try {
    await runBlockwise([task], {
      logDir,
      trackingBasedir: basedir,
      progress: 'none',
      handleSignals: false,
      signal: abort.signal,
      onSummary: (summary) => (skipped = summary.tasks[0]!.skipped),
    });
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
  print({ ok: firstSeconds !== null, firstSeconds, skippedAtEnd: skipped });
  if (firstSeconds === null) process.exitCode = 1;
}

if (mode === 'make-group') makeGroup();
else if (mode === 'scheduler') resumeInProcess();
else if (mode === 'run-blockwise') await resumeThroughServer();
else usage(`unknown --mode ${mode}`);
