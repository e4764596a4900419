/**
 * In-process scheduler benchmark, daisychain side.
 *
 * One case per process, so that the peak RSS reported belongs to that case
 * alone. Prints one JSON line on stdout, with the same arguments and fields
 * as bench/scheduler/daisy_scheduler_bench.py, the daisy side.
 *
 *   node dist/bench/scheduler/scheduler-bench.js --case conflict|no-conflict|first-block
 *        [--scale X] [--budget SECONDS] [--impl LABEL]
 *
 * Cases (3-D task, write ROI 10^3 with a context of 1 on each side, so a read
 * ROI of 12^3, fit 'valid'):
 *  - conflict:    ~10^6 blocks (100 per axis) with readWriteConflict; acquire
 *                 and release (SUCCESS) every block, one at a time;
 *  - no-conflict: the same without read/write conflicts;
 *  - first-block: ~10^9 blocks (1000 per axis) with conflicts; time from
 *                 constructing the Task and Scheduler to the first
 *                 acquireBlock returning, in a fresh process (cold code);
 *  - first-block-warm: the same after a 1,000-block task ran to the end in
 *                 the process, as in a server that has already run a task.
 * --scale (default: $BENCH_SCALE, else 1) multiplies the block counts (the
 * per-axis count by its cube root). --budget stops the run after that many
 * seconds; the row is then marked `extrapolated`.
 *
 * Exit status: 0 on success, 1 when a number of blocks other than expected
 * was processed, 2 on bad arguments.
 */
import { performance } from 'node:perf_hooks';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Task } from '../../src/core.js';

// Loading 'daisychain/core' is timed (and reported) because it includes the
// scheduler's warm-up (src/scheduler/warm-up.ts), the cost that buys a fast
// first block; DAISYCHAIN_NO_WARMUP=1 measures the cold path instead.
const importStart = performance.now();
const { BlockStatus, Roi, Scheduler, Task: TaskClass } = await import('../../src/core.js');
const importSeconds = (performance.now() - importStart) / 1000;

const CASES = ['conflict', 'no-conflict', 'first-block', 'first-block-warm'] as const;
type Case = (typeof CASES)[number];
const WRITE = 10;
const CONTEXT = 1;
const TASK_ID = 'bench';
const CHECK_EVERY = 64; // blocks between clock reads
const MARK_EVERY = 1024; // blocks between the marks that give the rate per half

interface Args {
  case: Case;
  scale: number;
  budget: number | null;
  impl: string;
}

function usage(message: string): never {
  process.stderr.write(
    `scheduler-bench: ${message}\n` +
      'usage: scheduler-bench.js --case conflict|no-conflict|first-block|first-block-warm [--scale X] [--budget SECONDS] [--impl LABEL]\n',
  );
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  let benchCase: Case | undefined;
  let scale = Number(process.env['BENCH_SCALE'] ?? '1');
  let budget = 0;
  let impl = 'daisychain';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined) usage(`${flag} needs a value`);
    i++;
    switch (flag) {
      case '--case':
        if (!(CASES as readonly string[]).includes(value)) usage(`unknown case ${JSON.stringify(value)}`);
        benchCase = value as Case;
        break;
      case '--scale':
        scale = Number(value);
        break;
      case '--budget':
        budget = Number(value);
        break;
      case '--impl':
        impl = value;
        break;
      default:
        usage(`unknown argument ${JSON.stringify(flag)}`);
    }
  }
  if (benchCase === undefined) usage('--case is required');
  if (!(scale > 0) || !Number.isFinite(scale)) usage('--scale must be a positive number');
  if (!(budget >= 0) || !Number.isFinite(budget)) usage('--budget must be a number >= 0');
  return { case: benchCase, scale, budget: budget > 0 ? budget : null, impl };
}

function blocksPerAxis(benchCase: Case, scale: number): number {
  const base = benchCase.startsWith('first-block') ? 1000 : 100;
  // Math.round matches Python's round() except at exact .5, which a cube
  // root of a decimal scale does not hit in practice.
  return Math.max(2, Math.round(base * Math.cbrt(scale)));
}

/** Peak resident set size of this process so far, in MiB (maxRSS is in KiB). */
function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function makeTask(n: number, readWriteConflict: boolean): Task {
  const size = WRITE * n + 2 * CONTEXT;
  return new TaskClass({
    taskId: TASK_ID,
    totalRoi: new Roi([0, 0, 0], [size, size, size]),
    readRoi: new Roi([0, 0, 0], [WRITE + 2 * CONTEXT, WRITE + 2 * CONTEXT, WRITE + 2 * CONTEXT]),
    writeRoi: new Roi([CONTEXT, CONTEXT, CONTEXT], [WRITE, WRITE, WRITE]),
    processFunction: () => {},
    readWriteConflict,
    fit: 'valid',
  });
}

type Result = Record<string, unknown> & { errors: string[] };

/**
 * Blocks/s over the first and the second half of the blocks done (at
 * MARK_EVERY granularity): tells whether the rate held during the run.
 * Times in milliseconds.
 */
function ratesPerHalf(marks: readonly number[], start: number, end: number, done: number): [number | null, number | null] {
  const k = Math.floor(marks.length / 2);
  if (k === 0) return [null, null];
  const halfDone = k * MARK_EVERY;
  const halfTime = marks[k - 1]!;
  if (halfTime <= start || end <= halfTime) return [null, null];
  return [(halfDone * 1000) / (halfTime - start), ((done - halfDone) * 1000) / (end - halfTime)];
}

function runAllBlocks(n: number, readWriteConflict: boolean, budget: number | null): Result {
  const expected = n ** 3;
  const start = performance.now();
  const deadline = budget === null ? null : start + budget * 1000;
  const scheduler = new Scheduler([makeTask(n, readWriteConflict)]);
  let done = 0;
  let stoppedByBudget = false;
  const marks: number[] = []; // the clock when done reached MARK_EVERY * (i + 1)
  let block = scheduler.acquireBlock(TASK_ID);
  const firstBlockSeconds = (performance.now() - start) / 1000;
  while (block !== null) {
    block.status = BlockStatus.SUCCESS;
    scheduler.releaseBlock(block);
    done++;
    if (done % CHECK_EVERY === 0) {
      const now = performance.now();
      if (done % MARK_EVERY === 0) marks.push(now);
      if (deadline !== null && now >= deadline) {
        stoppedByBudget = true;
        break;
      }
    }
    block = scheduler.acquireBlock(TASK_ID);
  }
  const end = performance.now();
  const seconds = (end - start) / 1000;
  const [firstHalf, secondHalf] = ratesPerHalf(marks, start, end, done);
  const completed = scheduler.taskStates.get(TASK_ID)?.completedCount;
  const errors: string[] = [];
  if (completed !== done) errors.push(`completedCount is ${completed}, released ${done} blocks`);
  if (!stoppedByBudget && done !== expected) errors.push(`processed ${done} blocks, expected ${expected}`);
  return {
    blocks_expected: expected,
    blocks_done: done,
    complete: !stoppedByBudget,
    extrapolated: stoppedByBudget,
    seconds,
    blocks_per_s: seconds > 0 ? done / seconds : null,
    estimated_seconds: done > 0 ? (expected * seconds) / done : null,
    first_block_seconds: firstBlockSeconds,
    rate_first_half: firstHalf,
    rate_second_half: secondHalf,
    errors,
  };
}

/**
 * Schedules a task of 1,000 blocks to the end, as a server that already ran
 * a task has done: the code the timed task takes has run (and compiled) before.
 */
function warmUp(): void {
  const scheduler = new Scheduler([makeTask(10, true)]);
  for (let block = scheduler.acquireBlock(TASK_ID); block !== null; block = scheduler.acquireBlock(TASK_ID)) {
    block.status = BlockStatus.SUCCESS;
    scheduler.releaseBlock(block);
  }
}

function runFirstBlock(n: number, warm: boolean): Result {
  // A synchronous call cannot be interrupted in-process; run.sh's outer
  // timeout covers a runaway first block.
  if (warm) warmUp();
  const expected = n ** 3;
  const start = performance.now();
  const scheduler = new Scheduler([makeTask(n, true)]);
  const block = scheduler.acquireBlock(TASK_ID);
  const seconds = (performance.now() - start) / 1000;
  const errors: string[] = [];
  if (block === null) errors.push('the first acquireBlock returned null');
  const total = scheduler.taskStates.get(TASK_ID)?.totalBlockCount;
  if (total !== expected) errors.push(`totalBlockCount is ${total}, expected ${expected}`);
  return {
    blocks_expected: expected,
    blocks_done: block === null ? 0 : 1,
    complete: block !== null,
    extrapolated: false,
    seconds,
    first_block_seconds: seconds,
    errors,
  };
}

function packageVersion(): string {
  try {
    const url = new URL('../../../package.json', import.meta.url);
    const pkg = JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const n = blocksPerAxis(args.case, args.scale);
  const baseline = peakRssMb();
  const { errors, ...result } =
    args.case.startsWith('first-block')
      ? runFirstBlock(n, args.case === 'first-block-warm')
      : runAllBlocks(n, args.case === 'conflict', args.budget);
  const record: Record<string, unknown> = {
    impl: args.impl,
    version: packageVersion(),
    runtime: `node ${process.versions.node}`,
    case: args.case,
    import_seconds: importSeconds,
    scale: args.scale,
    blocks_per_axis: n,
    budget_seconds: args.budget,
    ...result,
    baseline_rss_mb: baseline,
    peak_rss_mb: peakRssMb(),
    ok: errors.length === 0,
  };
  if (errors.length > 0) record['errors'] = errors;
  process.stdout.write(`${JSON.stringify(record)}\n`);
  for (const error of errors) process.stderr.write(`error: ${args.impl} ${args.case}: ${error}\n`);
  return errors.length > 0 ? 1 : 0;
}

process.exitCode = main();
