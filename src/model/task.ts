import { Roi } from '../geometry/roi.js';
import type { Block } from './block.js';

export type Fit = 'valid' | 'overhang' | 'shrink';
export const FITS: readonly Fit[] = ['valid', 'overhang', 'shrink'];

/** Processes one block; a thrown error or rejected promise marks it failed. */
export type ProcessFunction = (block: Block) => void | Promise<void>;
/** Tells whether a block is already done (pre-check) or was done right (post-check). */
export type CheckFunction = (block: Block) => boolean | Promise<boolean>;
export type InitCallback = (context: Readonly<Record<string, string>>) => void | Promise<void>;

export interface TaskOptions {
  taskId: string;
  totalRoi: Roi;
  readRoi: Roi;
  writeRoi: Roi;
  processFunction?: ProcessFunction | null;
  /** One function (used before a block runs) or a [preCheck, postCheck] pair. */
  checkFunction?: CheckFunction | readonly [CheckFunction, CheckFunction] | null;
  initCallbackFn?: InitCallback | null;
  readWriteConflict?: boolean;
  numWorkers?: number;
  maxRetries?: number;
  fit?: Fit;
  /** Seconds a worker may hold a block before it is reclaimed; null for no limit. */
  timeout?: number | null;
  upstreamTasks?: readonly Task[];
  /**
   * A program (argv) run `numWorkers` times as the task's workers, in any
   * language: it finds the server through DAISY_CONTEXT. Used instead of
   * `processFunction` by runBlockwise.
   */
  workerCommand?: readonly string[] | null;
  /** Variables added to the environment of each `workerCommand` process (not DAISY_CONTEXT, which the pool sets). */
  workerEnv?: Readonly<Record<string, string>>;
  /**
   * Worker processes that crash (or are restarted) more than this many times
   * in a row, with no block succeeding in between, make runBlockwise abandon
   * the task (default 10). A success resets the count, so sporadic crashes of
   * workers that make progress never abandon a long run.
   */
  maxWorkerRestarts?: number;
  /**
   * What one worker process of this task holds of its pipeline's resource
   * budget while it is alive (daisy 2.0's `requires`), e.g. `{ gpu: 1 }`:
   * the pool starts a worker only when this fits into the budget
   * (`runBlockwise(tasks, { resources })`) minus what live workers hold. A
   * value of 0 requires nothing; none: the budget does not bound the task.
   */
  requires?: Readonly<Record<string, number>>;
  /**
   * Where the task's done markers live (daisy 2.0.0's `tracking_path`): a
   * tracking group in daisy's layout, read before any check (a block marked
   * done is skipped) and marked as blocks succeed. Absent or null: the run's
   * default, `<trackingBasedir>/<taskId>` (runBlockwise: `<logDir>/tracking`);
   * false: the task is not tracked.
   */
  trackingPath?: string | false | null;
}

export class TaskValidationError extends Error {
  override name = 'TaskValidationError';
}

/**
 * Upper bounds on a task's counts, so that a typo (`numWorkers: 1e9`) is
 * refused up front instead of starting processes until the machine falls
 * over. `maxTimeoutSeconds` is the longest delay a Node timer can wait:
 * beyond it the timer fires at once and every block would be reclaimed.
 */
export const TASK_LIMITS = {
  maxTaskIdLength: 255,
  maxWorkers: 10_000,
  maxRetries: 1_000,
  maxWorkerRestarts: 100_000,
  maxTimeoutSeconds: Math.floor((2 ** 31 - 1) / 1000),
  maxTrackingPathLength: 4096,
} as const;

/** A `trackingPath` the task can be given: a path, false (not tracked), or null (the run's default). */
export function isTrackingPath(value: unknown): value is string | false | null {
  if (value === null || value === false) return true;
  return typeof value === 'string' && value.length > 0 && value.length <= TASK_LIMITS.maxTrackingPathLength && !value.includes('\0');
}

/**
 * Resource names and amounts (a pipeline's `resources`, a task's
 * `requires`): identifiers, so that they read the same in a file, a proto
 * map and a message; amounts are exact integers, and a budget never holds
 * more than 2^53 - 1, so sums stay exact.
 */
export const RESOURCE_LIMITS = {
  maxNames: 64,
  maxNameLength: 64,
  maxAmount: Number.MAX_SAFE_INTEGER,
} as const;
export const RESOURCE_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * A task id names the task's log directory (`<logDir>/<taskId>/`) and travels
 * in DAISY_CONTEXT, whose entries are split on ':' and '=': only characters
 * that are safe in both, and in a terminal, are allowed ("." and ".." would
 * name no directory of its own). Spaces inside are allowed, as daisy's task
 * ids ("Smoothing with context") have them; at either end they would hide.
 */
export const TASK_ID_PATTERN = /^(?!\.\.?$)(?! )(?!.* $)[A-Za-z0-9._ -]+$/;

/**
 * The words of each rule, after the field's name, shared by the Task
 * constructor and the pipeline schema (src/pipelines/spec-schema.ts), so that
 * a rule reads the same whether TypeScript code, a pipeline file or the
 * control plane broke it.
 */
export const TASK_RULE_TEXT = {
  taskIdType: (value: unknown) => `must be a non-empty string, got ${JSON.stringify(value)}`,
  taskIdLength: (length: number) => `must be at most ${TASK_LIMITS.maxTaskIdLength} characters, got ${length}`,
  taskIdCharacters: (value: string) =>
    `must consist of letters, digits, spaces (not at either end), '.', '_' and '-' (and not be "." or ".."), since it names the task's log directory and travels in DAISY_CONTEXT; got ${JSON.stringify(value)}`,
  count: (min: number, value: unknown) => `must be ${min === 0 ? 'a non-negative' : 'a positive'} integer, got ${String(value)}`,
  atMost: (max: number, value: unknown) => `must be at most ${max}, got ${String(value)}`,
  timeout: (value: unknown) => `must be a positive number of seconds or null, got ${String(value)}`,
  timeoutAtMost: (value: unknown) =>
    `must be at most ${TASK_LIMITS.maxTimeoutSeconds} seconds (24 days), or null for no limit; got ${String(value)}`,
  fit: (value: unknown) => `must be one of ${FITS.join(', ')}, got ${JSON.stringify(value)}`,
  workerCommand: () => 'must be a non-empty array of strings (program and arguments)',
  workerEnv: () => `must map variable names (non-empty, without '=' or NUL, not ${WORKER_ENV_RESERVED}) to strings without NUL`,
  resourceMap: (value: unknown) => `must map resource names to non-negative integers, got ${showValue(value)}`,
  resourceCount: (count: number) => `must name at most ${RESOURCE_LIMITS.maxNames} resources, got ${count}`,
  resourceName: (name: string) =>
    `has the resource name ${JSON.stringify(name)}: names start with a letter or '_', then letters, digits, '_', '.' or '-', at most ${RESOURCE_LIMITS.maxNameLength} characters`,
  trackingPath: (value: unknown) =>
    `must be a path (a non-empty string of at most ${TASK_LIMITS.maxTrackingPathLength} characters, without NUL), false for no done markers, or absent for the run's default; got ${showValue(value)}`,
  resourceAmount: (value: unknown) => `must be a non-negative integer of at most 2^53 - 1, got ${showValue(value)}`,
} as const;

function showValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
}

/**
 * Why a resource map (`resources`, `requires`) is refused, in the words
 * above after its field's name (`.gpu` appended for one entry), or null.
 */
export function resourceMapProblem(map: unknown): { key: string | null; text: string } | null {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return { key: null, text: TASK_RULE_TEXT.resourceMap(map) };
  const entries = Object.entries(map);
  if (entries.length > RESOURCE_LIMITS.maxNames) return { key: null, text: TASK_RULE_TEXT.resourceCount(entries.length) };
  for (const [name, amount] of entries) {
    if (name.length > RESOURCE_LIMITS.maxNameLength || !RESOURCE_NAME_PATTERN.test(name)) return { key: null, text: TASK_RULE_TEXT.resourceName(name) };
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) return { key: name, text: TASK_RULE_TEXT.resourceAmount(amount) };
  }
  return null;
}

/** The variable the pools set themselves: a task's `workerEnv` may not set it. */
export const WORKER_ENV_RESERVED = 'DAISY_CONTEXT';

/** A `workerEnv` a process can be started with: names without '=' or NUL, values without NUL, DAISY_CONTEXT left to the pool. */
export function isWorkerEnv(env: unknown): env is Readonly<Record<string, string>> {
  if (typeof env !== 'object' || env === null || Array.isArray(env)) return false;
  return Object.entries(env).every(
    ([name, value]) => /^[^=\0]+$/.test(name) && name !== WORKER_ENV_RESERVED && typeof value === 'string' && !value.includes('\0'),
  );
}

function checkTaskId(taskId: unknown): string {
  if (typeof taskId !== 'string' || taskId.length === 0) throw new TaskValidationError(`taskId ${TASK_RULE_TEXT.taskIdType(taskId)}`);
  if (taskId.length > TASK_LIMITS.maxTaskIdLength) throw new TaskValidationError(`taskId ${TASK_RULE_TEXT.taskIdLength(taskId.length)}`);
  if (!TASK_ID_PATTERN.test(taskId)) throw new TaskValidationError(`taskId ${TASK_RULE_TEXT.taskIdCharacters(taskId)}`);
  return taskId;
}

/** An integer option within [min, max]. */
function checkCount(where: string, name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min) throw new TaskValidationError(`${where}: ${name} ${TASK_RULE_TEXT.count(min, value)}`);
  if (value > max) throw new TaskValidationError(`${where}: ${name} ${TASK_RULE_TEXT.atMost(max, value)}`);
  return value;
}

/**
 * A block-wise job over `totalRoi`, with daisy's parameters and defaults.
 * Everything is validated here, so that the graph and scheduler can trust it.
 */
export class Task {
  readonly taskId: string;
  readonly totalRoi: Roi;
  readonly readRoi: Roi;
  readonly writeRoi: Roi;
  readonly processFunction: ProcessFunction | null;
  readonly preCheck: CheckFunction | null;
  readonly postCheck: CheckFunction | null;
  readonly initCallbackFn: InitCallback | null;
  readonly readWriteConflict: boolean;
  readonly numWorkers: number;
  readonly maxRetries: number;
  readonly fit: Fit;
  readonly timeout: number | null;
  readonly upstreamTasks: readonly Task[];
  readonly workerCommand: readonly string[] | null;
  readonly workerEnv: Readonly<Record<string, string>>;
  readonly maxWorkerRestarts: number;
  /** The option `requires`: what one worker holds of the pipeline's budget (empty: unbounded by it). */
  readonly requiredResources: Readonly<Record<string, number>>;
  /** The option `trackingPath`: a path, false (not tracked) or null (the run's default). */
  readonly trackingPath: string | false | null;

  constructor(options: TaskOptions) {
    const taskId = checkTaskId(options.taskId);
    const where = `task ${JSON.stringify(taskId)}`;
    for (const name of ['totalRoi', 'readRoi', 'writeRoi'] as const) {
      const roi = options[name];
      if (!(roi instanceof Roi)) throw new TaskValidationError(`${where}: ${name} must be a Roi`);
      if (roi.unbounded) throw new TaskValidationError(`${where}: ${name} ${roi.toString()} is unbounded`);
      if (!roi.offset.toArray().concat(roi.shape.toArray()).every((v) => Number.isSafeInteger(v))) {
        throw new TaskValidationError(`${where}: ${name} ${roi.toString()} must have integer offset and shape within ±2^53`);
      }
    }
    const { totalRoi, readRoi, writeRoi } = options;
    if (totalRoi.dims !== readRoi.dims || readRoi.dims !== writeRoi.dims) {
      throw new TaskValidationError(
        `${where}: ROIs have mismatched dimensions (totalRoi ${totalRoi.dims}, readRoi ${readRoi.dims}, writeRoi ${writeRoi.dims})`,
      );
    }
    if (writeRoi.shape.toArray().some((s) => (s ?? 0) <= 0)) {
      throw new TaskValidationError(`${where}: writeRoi ${writeRoi.toString()} must have a positive shape in every dimension`);
    }
    if (readRoi.shape.toArray().some((s) => (s ?? 0) <= 0)) {
      throw new TaskValidationError(`${where}: readRoi ${readRoi.toString()} must have a positive shape in every dimension`);
    }
    if (totalRoi.shape.toArray().some((s) => (s ?? 0) < 0)) {
      throw new TaskValidationError(`${where}: totalRoi ${totalRoi.toString()} has a negative shape`);
    }
    if (!readRoi.contains(writeRoi)) {
      throw new TaskValidationError(
        `${where}: writeRoi ${writeRoi.toString()} is not contained in readRoi ${readRoi.toString()}`,
      );
    }
    const fit = options.fit ?? 'valid';
    if (!FITS.includes(fit)) {
      throw new TaskValidationError(`${where}: fit ${TASK_RULE_TEXT.fit(fit)}`);
    }
    const numWorkers = checkCount(where, 'numWorkers', options.numWorkers ?? 1, 1, TASK_LIMITS.maxWorkers);
    const maxRetries = checkCount(where, 'maxRetries', options.maxRetries ?? 2, 0, TASK_LIMITS.maxRetries);
    const timeout = options.timeout ?? null;
    if (timeout !== null && !(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
      throw new TaskValidationError(`${where}: timeout ${TASK_RULE_TEXT.timeout(timeout)}`);
    }
    if (timeout !== null && timeout > TASK_LIMITS.maxTimeoutSeconds) {
      throw new TaskValidationError(`${where}: timeout ${TASK_RULE_TEXT.timeoutAtMost(timeout)}`);
    }
    const upstreamTasks = options.upstreamTasks ?? [];
    for (const upstream of upstreamTasks) {
      if (!(upstream instanceof Task)) throw new TaskValidationError(`${where}: upstreamTasks must contain Tasks`);
      if (upstream.totalRoi.dims !== totalRoi.dims) {
        throw new TaskValidationError(
          `${where}: upstream task ${JSON.stringify(upstream.taskId)} has ${upstream.totalRoi.dims} dimensions, this task ${totalRoi.dims}`,
        );
      }
    }
    const check = options.checkFunction ?? null;
    const workerCommand = options.workerCommand ?? null;
    if (workerCommand !== null && (!Array.isArray(workerCommand) || workerCommand.length === 0 || !workerCommand.every((a) => typeof a === 'string'))) {
      throw new TaskValidationError(`${where}: workerCommand ${TASK_RULE_TEXT.workerCommand()}`);
    }
    const workerEnv = options.workerEnv ?? {};
    if (!isWorkerEnv(workerEnv)) throw new TaskValidationError(`${where}: workerEnv ${TASK_RULE_TEXT.workerEnv()}`);
    const maxWorkerRestarts = checkCount(where, 'maxWorkerRestarts', options.maxWorkerRestarts ?? 10, 0, TASK_LIMITS.maxWorkerRestarts);
    const requires = options.requires ?? {};
    const requiresProblem = resourceMapProblem(requires);
    if (requiresProblem !== null) throw new TaskValidationError(`${where}: requires${requiresProblem.key === null ? '' : `.${requiresProblem.key}`} ${requiresProblem.text}`);

    const trackingPath = options.trackingPath ?? null;
    if (!isTrackingPath(trackingPath)) throw new TaskValidationError(`${where}: trackingPath ${TASK_RULE_TEXT.trackingPath(trackingPath)}`);

    this.taskId = taskId;
    this.totalRoi = totalRoi;
    this.readRoi = readRoi;
    this.writeRoi = writeRoi;
    this.processFunction = options.processFunction ?? null;
    this.preCheck = typeof check === 'function' ? check : check === null ? null : check[0];
    this.postCheck = check !== null && typeof check !== 'function' ? check[1] : null;
    this.initCallbackFn = options.initCallbackFn ?? null;
    this.readWriteConflict = options.readWriteConflict ?? true;
    this.numWorkers = numWorkers;
    this.maxRetries = maxRetries;
    this.fit = fit;
    this.timeout = timeout;
    this.upstreamTasks = [...upstreamTasks];
    this.workerCommand = workerCommand === null ? null : [...workerCommand];
    this.workerEnv = { ...workerEnv };
    this.maxWorkerRestarts = maxWorkerRestarts;
    this.requiredResources = Object.freeze({ ...requires });
    this.trackingPath = trackingPath;
  }

  /** The region the task's blocks may write: the total ROI shrunk by the context. */
  get totalWriteRoi(): Roi {
    return this.totalRoi.grow(this.writeRoi.begin.sub(this.readRoi.begin).neg(), this.readRoi.end.sub(this.writeRoi.end).neg());
  }

  /** The tasks this one reads from, as daisy's `requires()`. */
  requires(): readonly Task[] {
    return this.upstreamTasks;
  }
}
