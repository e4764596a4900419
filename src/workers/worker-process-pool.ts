import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { CONTEXT_VARIABLE, formatContext, SCHEDULING_ENTRY, WORKER_SECRET_ENTRY } from '../client/context.js';
import type { SchedulerService } from '../server/scheduler-service.js';
import type { Task } from '../model/task.js';
import { taskLogDir, workerLogBase } from './log-paths.js';
import type { ResourceAllocator } from './resource-allocator.js';
import { SpawnGate } from './spawn-gate.js';

export interface WorkerPoolOptions {
  /** Where the server listens, as workers should dial it. */
  host: string;
  port: number;
  /** daisy's log directory: worker output goes to `<logDir>/<task>/worker_<id>.{out,err}`. */
  logDir: string;
  /** Consecutive failed blocks after which a worker process is restarted (default 3). */
  maxConsecutiveFailures?: number;
  /** Called for every worker start, restart and exit, for the progress display. */
  onEvent?: (event: WorkerEvent) => void;
  /** The pipeline the task belongs to, handed to workers as DAISY_CONTEXT's `pipeline_id` (none when empty: the server's only pipeline). */
  pipelineId?: string;
  /** More DAISY_CONTEXT entries: the pipeline's `worker_token`, the server's `tls_ca` (server-pool workers need nothing else). */
  context?: Readonly<Record<string, string>>;
  /**
   * The pipeline's budget, shared by its pools: with one, a worker of a task
   * with `requires` is spawned only once it holds a slot, and gives it back
   * when its process exits. Without one (or without `requires`), workers
   * start at once.
   */
  allocator?: ResourceAllocator;
  /** Whether workers are asked to run under SCHED_BATCH (`scheduling=batch` in DAISY_CONTEXT); default `workerScheduling()`. */
  scheduling?: 'batch' | 'normal';
}

export interface WorkerEvent {
  taskId: string;
  workerId: string;
  kind: 'started' | 'exited' | 'restarting' | 'abandoned';
  detail: string;
  /** The process, on 'started' and 'exited' (a durable server records who to stop after a crash). */
  pid?: number;
}

interface LiveWorker {
  readonly id: string;
  readonly child: ChildProcess;
  consecutiveFailures: number;
  released: number;
  /** Set when the pool itself stopped the worker (restart after failures, shutdown). */
  stoppedBy: 'pool-restart' | 'pool-stop' | null;
  /** It holds a slot of the budget, given back when it exits. */
  readonly holdsSlot: boolean;
}

let nextWorkerId = 0;

/** The environment variable that turns the pools' `scheduling=batch` off (`normal`). */
export const WORKER_SCHEDULING_VARIABLE = 'DAISYCHAIN_WORKER_SCHEDULING';

/**
 * What the pools ask of their workers' scheduling: 'batch' unless the
 * server's environment says `DAISYCHAIN_WORKER_SCHEDULING=normal`.
 *
 * Why batch: with more workers than cores, a worker woken by its next block
 * otherwise preempts the server (Linux's wake-up preemption) while it is
 * still answering the other workers, so every worker waits for the one that
 * woke. SCHED_BATCH keeps a worker's share of the CPU and only gives up that
 * preemption, which suits a worker's long computations anyway
 * (bench/README.md has the measurements).
 */
export function workerScheduling(env: NodeJS.ProcessEnv = process.env): 'batch' | 'normal' {
  const value = env[WORKER_SCHEDULING_VARIABLE];
  if (value === undefined || value === '' || value === 'batch') return 'batch';
  if (value === 'normal') return 'normal';
  throw new Error(`${WORKER_SCHEDULING_VARIABLE} must be batch or normal, got ${JSON.stringify(value)}`);
}

/** One rate for every pool of this process: 50 workers start at once, then 100 a second. */
const spawnGate = new SpawnGate(50, 100);

/**
 * Runs a task's `workerCommand` `numWorkers` times with DAISY_CONTEXT in the
 * environment, as daisy's worker pools do. A worker that crashes (non-zero
 * exit or signal), or keeps failing blocks, is replaced; after more than the
 * task's `maxWorkerRestarts` such exits with no block succeeding in between,
 * the task is abandoned, which orphans its downstream, instead of respawning
 * forever (daisy issue #64). Sporadic crashes of workers that make progress
 * never add up to the cap, so a long run survives them.
 */
export class WorkerProcessPool {
  readonly taskId: string;
  /** Counted exits over the whole run (a statistic: the cap looks at `restartsWithoutProgress`). */
  restarts = 0;
  /** Counted exits since a worker of this pool last released a block successfully. */
  restartsWithoutProgress = 0;
  private readonly command: readonly string[];
  private readonly live = new Map<string, LiveWorker>();
  private stopping = false;
  private readonly exits: Promise<void>[] = [];
  private readonly maxConsecutiveFailures: number;
  private readonly scheduling: 'batch' | 'normal';

  constructor(
    private readonly task: Task,
    private readonly service: SchedulerService,
    private readonly options: WorkerPoolOptions,
  ) {
    if (task.workerCommand === null) throw new Error(`task ${JSON.stringify(task.taskId)} has no workerCommand`);
    this.taskId = task.taskId;
    this.command = task.workerCommand;
    this.maxConsecutiveFailures = options.maxConsecutiveFailures ?? 3;
    this.scheduling = options.scheduling ?? workerScheduling();
    service.on('workerRelease', this.onRelease);
  }

  start(): void {
    mkdirSync(taskLogDir(this.options.logDir, this.taskId), { recursive: true });
    for (let i = 0; i < this.task.numWorkers; i++) this.spawnWorker();
  }

  /** Stops every worker (SIGTERM, then SIGKILL after `graceMs`) and waits for them. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    this.options.allocator?.withdraw(this.taskId);
    this.service.off('workerRelease', this.onRelease);
    for (const worker of this.live.values()) {
      worker.stoppedBy ??= 'pool-stop';
      worker.child.kill('SIGTERM');
      setTimeout(() => worker.child.kill('SIGKILL'), graceMs).unref();
    }
    await Promise.all(this.exits);
  }

  /** SIGKILLs every worker now, without waiting: for a process that is about to exit. */
  kill(): void {
    this.stopping = true;
    this.options.allocator?.withdraw(this.taskId);
    for (const worker of this.live.values()) worker.child.kill('SIGKILL');
  }

  /** Waits until every worker has exited on its own (after the server told it to shut down). */
  async drained(graceMs: number): Promise<void> {
    const timer = setTimeout(() => void this.stop(), graceMs);
    await Promise.all(this.exits);
    clearTimeout(timer);
  }

  /**
   * Spawns a worker as soon as the budget (for a task with `requires`: a
   * slot, taken before the spawn) and then the shared rate allow, unless the
   * pool stopped or the task ended meanwhile.
   */
  private spawnWorker(): void {
    const allocator = this.options.allocator;
    if (allocator === undefined || !allocator.bounds(this.task)) {
      this.spawnGated(false);
      return;
    }
    allocator.request(
      this.task,
      () => !this.stopping && !this.service.state(this.taskId).isOver(),
      () => {
        try {
          this.spawnGated(true);
        } catch (error) {
          // The pool cannot act on a throw from the allocator's turn: report it as the exit of a worker that never started.
          this.emitEvent('?', 'exited', `could not start: ${error instanceof Error ? error.message : String(error)}`);
        }
      },
    );
  }

  /** Through the spawn gate; a worker `holding` a slot gives it back if it is dropped or fails to spawn. */
  private spawnGated(holding: boolean): void {
    spawnGate.run(() => {
      if (this.stopping || this.service.state(this.taskId).isOver()) {
        if (holding) this.options.allocator!.release(this.task);
        return false;
      }
      try {
        this.spawnNow(holding);
      } catch (error) {
        if (holding) this.options.allocator!.release(this.task);
        throw error;
      }
      return true;
    });
  }

  private spawnNow(holdsSlot: boolean): void {
    const id = String(nextWorkerId++);
    // Ids are a counter anyone can guess; the secret (hex: no ':' or '=' for DAISY_CONTEXT) is
    // what binds a stream to this process, so that no other peer can fail blocks in its name.
    const secret = randomBytes(32).toString('hex');
    const context = formatContext({
      hostname: this.options.host,
      port: String(this.options.port),
      task_id: this.taskId,
      worker_id: id,
      logdir: this.options.logDir,
      [WORKER_SECRET_ENTRY]: secret,
      ...(this.scheduling === 'batch' ? { [SCHEDULING_ENTRY]: 'batch' } : {}),
      ...(this.options.pipelineId ? { pipeline_id: this.options.pipelineId } : {}),
      ...this.options.context,
    });
    const base = workerLogBase(this.options.logDir, this.taskId, id);
    const out = openSync(`${base}.out`, 'w');
    const err = openSync(`${base}.err`, 'w');
    // Registered before the process exists, so that its Hello can never come first.
    this.service.expectWorker(this.taskId, id, secret);
    let child: ChildProcess;
    try {
      child = spawn(this.command[0]!, this.command.slice(1), {
        env: { ...process.env, ...this.task.workerEnv, [CONTEXT_VARIABLE]: context },
        stdio: ['ignore', out, err],
      });
    } catch (error) {
      this.service.forgetWorker(this.taskId, id);
      throw error;
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const worker: LiveWorker = { id, child, consecutiveFailures: 0, released: 0, stoppedBy: null, holdsSlot };
    this.live.set(id, worker);
    this.emitEvent(id, 'started', `pid ${child.pid ?? '?'}: ${this.command.join(' ')}`, child.pid);
    this.exits.push(
      new Promise<void>((resolve) => {
        child.once('error', (error) => {
          // The program could not be started at all (no such file, no permission).
          this.onExit(worker, null, null, error.message);
          resolve();
        });
        child.once('exit', (code, signal) => {
          this.onExit(worker, code, signal, null);
          resolve();
        });
      }),
    );
  }

  private readonly onRelease = (workerId: string, taskId: string, succeeded: boolean): void => {
    if (taskId !== this.taskId) return;
    const worker = this.live.get(workerId);
    if (worker === undefined) return;
    worker.released++;
    worker.consecutiveFailures = succeeded ? 0 : worker.consecutiveFailures + 1;
    // Progress: the crashes so far were not a crash loop.
    if (succeeded) this.restartsWithoutProgress = 0;
    if (worker.consecutiveFailures >= this.maxConsecutiveFailures && worker.stoppedBy === null) {
      worker.stoppedBy = 'pool-restart';
      this.emitEvent(worker.id, 'restarting', `failed ${worker.consecutiveFailures} blocks in a row`);
      // Before the Releases being read hands it its next block, which it would take down with it.
      this.service.retireWorker(this.taskId, worker.id, `worker ${worker.id} failed ${worker.consecutiveFailures} blocks in a row and is restarted`);
      worker.child.kill('SIGTERM');
    }
  };

  private onExit(worker: LiveWorker, code: number | null, signal: NodeJS.Signals | null, spawnError: string | null): void {
    if (!this.live.delete(worker.id)) return;
    // The process is gone: its share of the budget is free for any waiting worker of the pipeline.
    if (worker.holdsSlot) this.options.allocator!.release(this.task);
    // Its streams are bound already (or gone with it); a later Hello with its id binds to nothing.
    this.service.forgetWorker(this.taskId, worker.id);
    const how = spawnError !== null ? `could not start: ${spawnError}` : signal !== null ? `killed by ${signal}` : `exited with status ${code}`;
    this.emitEvent(worker.id, 'exited', how, worker.child.pid);
    if (this.stopping || this.service.state(this.taskId).isOver()) return;
    // A clean exit of a worker that did some work is its own business (it
    // may process a fixed share); anything else counts against the cap.
    const clean = spawnError === null && code === 0 && worker.released > 0 && worker.stoppedBy === null;
    if (!clean) {
      this.restarts++;
      this.restartsWithoutProgress++;
      this.service.state(this.taskId).countWorkerFailure();
    }
    // Nor is it replaced while another worker of the task runs, as in daisy (its fix #68 of
    // an endless reap-and-replace cycle); the last one is, so that the remaining blocks get a worker.
    if (clean && this.live.size > 0) return;
    if (this.restartsWithoutProgress > this.task.maxWorkerRestarts) {
      const reason = `its workers failed ${this.restartsWithoutProgress} times without a block succeeding (maxWorkerRestarts ${this.task.maxWorkerRestarts}); last: worker ${worker.id} ${how}`;
      this.emitEvent(worker.id, 'abandoned', reason);
      this.service.abandonTask(this.taskId, reason);
      return;
    }
    this.service.state(this.taskId).countWorkerRestart();
    this.spawnWorker();
  }

  private emitEvent(workerId: string, kind: WorkerEvent['kind'], detail: string, pid?: number): void {
    this.options.onEvent?.({ taskId: this.taskId, workerId, kind, detail, ...(pid === undefined ? {} : { pid }) });
  }
}
