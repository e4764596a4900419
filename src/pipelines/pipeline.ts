import { EventEmitter } from 'node:events';
import type { PipelineStatus, PipelineView, TaskStateSnapshot } from '../model/pipeline-view.js';
import { snapshotOf } from '../model/pipeline-view.js';
import type { Task } from '../model/task.js';
import { taskToSpecData } from '../model/task-spec.js';
import { SchedulerService } from '../server/scheduler-service.js';
import { prepareTaskLogDirs } from '../workers/log-paths.js';
import { closure } from './task-closure.js';
import { TaskTracking } from './task-tracking.js';
import { ResourceAllocator } from '../workers/resource-allocator.js';
import { type WorkerEvent, WorkerProcessPool, workerScheduling } from '../workers/worker-process-pool.js';

/** Time worker processes get to exit on their own once their pipeline ended, before they are stopped. */
export const DRAIN_MS = 5000;

/** Where the server listens, as the workers it starts dial it. */
export interface DialEndpoint {
  host: string;
  port: number;
  /** More DAISY_CONTEXT entries for the workers the server starts: `tls_ca`, `tls_cert`, `tls_key` (paths) on a TLS server. */
  context?: Readonly<Record<string, string>>;
}

export interface PipelineEvents {
  /** The pipeline ended: its status is final. */
  ended: [status: PipelineStatus];
  /** A worker the server runs started, exited, was restarted, or its task was abandoned. */
  workerEvent: [event: WorkerEvent];
}

/** A cancel of a pipeline that already ended. */
export class PipelineEndedError extends Error {
  override name = 'PipelineEndedError';
}

/**
 * One pipeline of a server: its scheduler (a SchedulerService, which serves
 * the work streams whose Hello names this pipeline), the worker pools the
 * server runs for its tasks with a worker command, and its life: running,
 * then succeeded, failed or cancelled once every task is done.
 */
export class Pipeline extends EventEmitter<PipelineEvents> {
  readonly service: SchedulerService;
  readonly submittedAt: Date;
  private finalStatus: PipelineStatus | null = null;
  private reason = '';
  private finished: Date | null = null;
  private readonly pools: WorkerProcessPool[] = [];
  private poolsStopped: Promise<void> = Promise.resolve();
  private workersStarted = false;
  /** The tasks' done markers (task-tracking.ts), closed when the pipeline ends. */
  readonly tracking: TaskTracking;

  constructor(
    readonly id: string,
    readonly name: string,
    tasks: readonly Task[],
    /** The token its workers send on the Work call ('' when the server requires none). A secret: never logged. */
    readonly workerToken = '',
    /** Its budget: the sum of `requires` over the live worker processes its pools run never exceeds it (empty: no task requires anything). */
    readonly resources: Readonly<Record<string, number>> = {},
    /** Where tasks without a `trackingPath` keep their done markers (`<basedir>/<taskId>`); false: they have none. */
    trackingBasedir: string | false = false,
    submittedAt?: Date,
    /** Brought back by a restarted server: failed attempts its markers counted spend retries. */
    resumed = false,
  ) {
    super();
    this.submittedAt = submittedAt ?? new Date();
    // Opened first: a group of another task refuses the pipeline (SpecError) before anything is held.
    this.tracking = TaskTracking.open(closure(tasks), trackingBasedir);
    try {
      this.service = new SchedulerService(tasks, { pipelineId: id, doneMarks: this.tracking.doneMarks, retriesFromMarks: resumed });
    } catch (error) {
      this.tracking.close();
      throw error;
    }
    if (this.service.finished) setImmediate(() => this.end());
    else this.service.once('finished', () => this.end());
  }

  get status(): PipelineStatus {
    return this.finalStatus ?? (this.reason === '' ? 'running' : 'cancelled');
  }

  get cancelReason(): string {
    return this.reason;
  }

  get finishedAt(): Date | null {
    return this.finished;
  }

  get ended(): boolean {
    return this.finalStatus !== null;
  }

  /** Resolves once the pipeline ended (at once if it has). */
  whenEnded(): Promise<PipelineStatus> {
    if (this.finalStatus !== null) return Promise.resolve(this.finalStatus);
    return new Promise((resolve) => this.once('ended', resolve));
  }

  /**
   * Starts the server's own workers: `numWorkers` processes of each task's
   * `workerCommand`, logging to `<logDir>/<taskId>/`, with the pipeline's id
   * in their DAISY_CONTEXT. Tasks without a command wait for workers started
   * elsewhere. Throws a LogDirError before any process starts when a log
   * directory cannot be used, and an Error when DAISYCHAIN_WORKER_SCHEDULING
   * is neither `batch` nor `normal`.
   */
  startWorkers(endpoint: DialEndpoint, logDir: string): void {
    // Once: a server that resumes a pipeline and then serves it as its file's may be asked twice.
    if (this.workersStarted) return;
    this.workersStarted = true;
    const launched = this.service.tasks.filter((task) => task.workerCommand !== null);
    if (launched.length === 0) return;
    const scheduling = workerScheduling();
    prepareTaskLogDirs(
      logDir,
      launched.map((task) => task.taskId),
    );
    // One budget for all the pipeline's pools; each pipeline of a server has its own.
    const allocator = new ResourceAllocator(this.resources, this.service);
    for (const task of launched) {
      const pool = new WorkerProcessPool(task, this.service, {
        host: endpoint.host,
        port: endpoint.port,
        logDir,
        pipelineId: this.id,
        // The token reaches the workers through their environment only, never their command line.
        context: { ...endpoint.context, ...(this.workerToken === '' ? {} : { worker_token: this.workerToken }) },
        onEvent: (event) => this.emit('workerEvent', event),
        allocator,
        scheduling,
      });
      this.pools.push(pool);
      pool.start();
    }
  }

  /** Stops the server's workers of this pipeline now (SIGTERM, then SIGKILL) and waits for them. */
  stopWorkers(): Promise<void> {
    this.poolsStopped = Promise.all(this.pools.map((pool) => pool.stop())).then(() => {});
    return this.poolsStopped;
  }

  /** SIGKILLs the server's workers without waiting: the process is about to exit. */
  killWorkers(): void {
    for (const pool of this.pools) pool.kill();
  }

  /** Resolves once every worker process the server ran for this pipeline has exited. */
  workersExited(): Promise<void> {
    return this.poolsStopped;
  }

  /**
   * Cancels the pipeline: its pools stop, its streams are told (Revoked for
   * each held block, then Shutdown with the reason), held blocks are taken
   * back, and every block left fails or is orphaned as when a task is
   * abandoned. Throws PipelineEndedError if it already ended.
   */
  cancel(reason: string): void {
    if (this.ended || this.reason !== '') throw new PipelineEndedError(`pipeline ${JSON.stringify(this.id)} already ended (${this.status})`);
    this.reason = reason;
    // Pools first: a worker stopped now must not count as a crash to restart.
    void this.stopWorkers();
    this.service.cancel(reason);
  }

  /** Every task's counters now, in daisy's order. */
  snapshots(): TaskStateSnapshot[] {
    return [...this.service.states()].map(([taskId, state]) => snapshotOf(taskId, state));
  }

  view(): PipelineView {
    return {
      pipelineId: this.id,
      spec: { name: this.name, tasks: this.service.tasks.map(taskToSpecData), ...(Object.keys(this.resources).length === 0 ? {} : { resources: { ...this.resources } }) },
      status: this.status,
      states: this.snapshots(),
      cancelReason: this.reason,
      submittedAt: this.submittedAt,
      finishedAt: this.finished,
    };
  }

  private end(): void {
    if (this.finalStatus !== null) return;
    const succeeded = [...this.service.states().values()].every((state) => state.succeededEntirely());
    this.finalStatus = this.reason !== '' ? 'cancelled' : succeeded ? 'succeeded' : 'failed';
    this.finished = new Date();
    // Every block is settled: no mark can come after this.
    try {
      this.tracking.close();
    } catch (error) {
      // The journal still holds the marks the chunks could not take: the next open replays them.
      process.stderr.write(`daisychain: pipeline ${this.id}: done markers not flushed: ${error instanceof Error ? error.message : String(error)}
`);
    }
    // Workers were told to shut down; give them a moment to exit on their own.
    if (this.pools.length > 0) this.poolsStopped = Promise.all(this.pools.map((pool) => pool.drained(DRAIN_MS))).then(() => {});
    this.emit('ended', this.finalStatus);
  }
}
