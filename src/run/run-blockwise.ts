import { resolve } from 'node:path';
import { formatContext } from '../client/context.js';
import { SchedulerService } from '../server/scheduler-service.js';
import { startServer } from '../server/server.js';
import { type Task, TaskValidationError } from '../model/task.js';
import { runInProcessWorkers } from '../workers/in-process-workers.js';
import { WorkerProcessPool } from '../workers/worker-process-pool.js';
import { createProgress, PROGRESS_MODES, type ProgressMode } from './progress.js';
import { printSummary, type RunSummary, summarize } from './summary.js';

export interface RunBlockwiseOptions {
  /** Address the server listens on (default 127.0.0.1; use 0.0.0.0 for workers on other machines). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** The host name workers dial (default: `host`, or 127.0.0.1 when listening on all interfaces). */
  advertiseHost?: string;
  /** daisy's log directory for worker output (default ./daisy_logs). */
  logDir?: string;
  progress?: ProgressMode;
  /** Where progress and the summary go (default stderr). */
  out?: { write(text: string): unknown; isTTY?: boolean };
  /** Blocks each in-process worker keeps requested ahead (default 1). */
  prefetch?: number;
  /** Stop cleanly on Ctrl-C: workers are terminated, the summary printed, false returned (default true). */
  handleSigint?: boolean;
  /** Aborting it stops the run as Ctrl-C does. */
  signal?: AbortSignal;
  /** Receives the summary (also printed unless progress is 'none'). */
  onSummary?: (summary: RunSummary) => void;
}

/**
 * daisy's run_blockwise: serves the tasks (and the tasks they require) from a
 * gRPC server on a free port, starts each task's workers — `numWorkers`
 * processes of its `workerCommand`, or its `processFunction` in this process
 * — shows progress, and returns true only if every block succeeded.
 */
export async function runBlockwise(tasks: readonly Task[], options: RunBlockwiseOptions = {}): Promise<boolean> {
  const progressMode = options.progress ?? 'auto';
  if (!PROGRESS_MODES.includes(progressMode)) {
    throw new TypeError(`progress must be one of ${PROGRESS_MODES.join(', ')}, got ${JSON.stringify(progressMode)}`);
  }
  const service = new SchedulerService(tasks);
  for (const task of service.tasks) {
    if (task.workerCommand === null && task.processFunction === null) {
      throw new TaskValidationError(`task ${JSON.stringify(task.taskId)} has neither a processFunction nor a workerCommand: nothing can process its blocks`);
    }
  }
  const out = options.out ?? process.stderr;
  const logDir = resolve(options.logDir ?? 'daisy_logs');
  const host = options.host ?? '127.0.0.1';
  const server = await startServer(service, host, options.port ?? 0);
  const dialHost = options.advertiseHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const started = Date.now();
  const progress = createProgress(progressMode, service, out);
  const pools: WorkerProcessPool[] = [];
  const inProcess: Promise<void>[] = [];
  let interrupted = false;
  let stopRun: () => void = () => {};
  const stopped = new Promise<void>((resolveStop) => (stopRun = resolveStop));
  const interrupt = (): void => {
    interrupted = true;
    stopRun();
  };
  const handleSigint = options.handleSigint ?? true;
  if (handleSigint) process.once('SIGINT', interrupt);
  options.signal?.addEventListener('abort', interrupt, { once: true });

  try {
    for (const task of service.tasks) {
      if (task.initCallbackFn !== null) {
        const context = { hostname: dialHost, port: String(server.port), task_id: task.taskId, logdir: logDir };
        formatContext(context); // the same checks a worker's context gets
        await task.initCallbackFn(context);
      }
    }
    for (const task of service.tasks) {
      if (task.workerCommand !== null) {
        const pool = new WorkerProcessPool(task, service, {
          host: dialHost,
          port: server.port,
          logDir,
          onEvent: (event) => progress.workerEvent(event),
        });
        pools.push(pool);
        pool.start();
      } else {
        inProcess.push(
          runInProcessWorkers(task, { host: dialHost, port: server.port, prefetch: options.prefetch }).catch((error: unknown) => {
            out.write(`in-process workers of ${task.taskId} stopped: ${error instanceof Error ? error.message : String(error)}\n`);
          }),
        );
      }
    }
    const finished = service.finished ? Promise.resolve() : new Promise<void>((done) => service.once('finished', done));
    await Promise.race([finished, stopped]);
    if (interrupted) {
      await Promise.all(pools.map((pool) => pool.stop()));
    } else {
      // Workers were told to shut down; give them a moment to exit on their own.
      await Promise.all(pools.map((pool) => pool.drained(5000)));
      await Promise.all(inProcess);
    }
  } finally {
    if (handleSigint) process.off('SIGINT', interrupt);
    options.signal?.removeEventListener('abort', interrupt);
    await Promise.all(pools.map((pool) => pool.stop()));
    progress.close();
    await server.close();
  }
  const summary = summarize(service, (Date.now() - started) / 1000, interrupted);
  printSummary(summary, progressMode === 'auto' ? 'lines' : progressMode, out);
  options.onSummary?.(summary);
  return summary.succeeded;
}
