import { join, resolve } from 'node:path';
import { formatContext } from '../client/context.js';
import { PipelineRegistry } from '../pipelines/pipeline-registry.js';
import { Authorizer, type TokenPolicy } from '../server/authorization.js';
import type { ServerTls } from '../server/server.js';
import { type Task, TaskValidationError } from '../model/task.js';
import { prepareTaskLogDirs } from '../workers/log-paths.js';
import { assertProgressMode, type ProgressMode } from './progress.js';
import { type Endpoint, serveUntilDone } from './serve-until-done.js';
import type { RunSummary } from './summary.js';
import { startInProcessTaskWorkers } from './task-workers.js';

export interface RunBlockwiseOptions {
  /**
   * The run's budget of resources (daisy 2.0's `resources`), e.g.
   * `{ gpu: 2, cpu: 8 }`: worker processes start only while the sum of their
   * tasks' `requires` over the live ones fits into it. A task requiring more
   * of a resource than the budget has is refused before anything starts.
   */
  resources?: Readonly<Record<string, number>> | undefined;
  /** Address the server listens on (default 127.0.0.1; use 0.0.0.0 for workers on other machines). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** The host name workers dial (default: `host`, or 127.0.0.1 when listening on all interfaces). */
  advertiseHost?: string;
  /** daisy's log directory for worker output (default ./daisy_logs). */
  logDir?: string;
  /**
   * Where tasks without a `trackingPath` keep their done markers, each in
   * `<trackingBasedir>/<taskId>/` in daisy 2.0.0's layout (daisy's
   * `set_tracking_basedir`): a block marked there is skipped when the run is
   * repeated. Default `<logDir>/tracking`; false: only tasks with a
   * `trackingPath` are tracked.
   */
  trackingBasedir?: string | false;
  progress?: ProgressMode;
  /** Where progress and the summary go (default stderr). */
  out?: { write(text: string): unknown; isTTY?: boolean };
  /** Blocks each in-process worker keeps requested ahead (default 1). */
  prefetch?: number;
  /**
   * Stop cleanly on SIGINT (Ctrl-C) or SIGTERM: workers are terminated, the
   * summary printed, false returned; a second signal exits the process at
   * once with 130 (SIGINT) or 143 (SIGTERM) (default true).
   */
  handleSignals?: boolean;
  /** @deprecated The former name of `handleSignals`, used when that is not given. */
  handleSigint?: boolean;
  /** Aborting it stops the run as Ctrl-C does. */
  signal?: AbortSignal;
  /** Receives the summary (also printed unless progress is 'none'). */
  onSummary?: (summary: RunSummary) => void;
  /** TLS for the server (mTLS with `clientCa`); the workers get `workerContext` (`tls_ca` and, under mTLS, `tls_cert`/`tls_key` paths). */
  tls?: ServerTls | null;
  workerContext?: Readonly<Record<string, string>>;
  /** Tokens: with `workerTokens`, the pipeline's worker token is made at start (or `workerToken` is used) and handed to its workers. */
  tokens?: TokenPolicy & { workerToken?: string };
  /** Called once the server listens, with the DAISY_CONTEXT entries of workers started elsewhere (token included). */
  announce?: (endpoint: Endpoint, workerContext: Readonly<Record<string, string>>) => void;
}

/**
 * daisy's run_blockwise: serves the tasks (and the tasks they require) as one
 * pipeline of a gRPC server on a free port, starts each task's workers —
 * `numWorkers` processes of its `workerCommand` (the pipeline's pools), or
 * its `processFunction` in this process — shows progress, and returns true
 * only if every block succeeded.
 */
export async function runBlockwise(tasks: readonly Task[], options: RunBlockwiseOptions = {}): Promise<boolean> {
  const progressMode = options.progress ?? 'auto';
  assertProgressMode(progressMode);
  const logDir = resolve(options.logDir ?? 'daisy_logs');
  // One pipeline, its logs where daisy puts them: <logDir>/<taskId>/.
  const trackingBasedir = options.trackingBasedir === undefined ? join(logDir, 'tracking') : options.trackingBasedir === false ? false : resolve(options.trackingBasedir);
  const registry = new PipelineRegistry({ logDirOf: () => logDir, trackingBasedirOf: () => trackingBasedir, authorizer: new Authorizer(options.tokens ?? {}) });
  // The one submission path: the schema of files and the control plane, then the pipeline's scheduler.
  const pipeline = registry.create(tasks, { name: 'runBlockwise', resources: options.resources, ...(options.tokens?.workerToken === undefined ? {} : { workerToken: options.tokens.workerToken }) });
  const tokenEntry: Record<string, string> = pipeline.workerToken === '' ? {} : { worker_token: pipeline.workerToken };
  for (const task of pipeline.service.tasks) {
    if (task.workerCommand === null && task.processFunction === null) {
      throw new TaskValidationError(`task ${JSON.stringify(task.taskId)} has neither a processFunction nor a workerCommand: nothing can process its blocks`);
    }
  }
  const out = options.out ?? process.stderr;
  prepareTaskLogDirs(logDir, pipeline.service.tasks.filter((task) => task.workerCommand !== null).map((task) => task.taskId));
  const summary = await serveUntilDone(registry, pipeline, {
    host: options.host,
    port: options.port,
    advertiseHost: options.advertiseHost,
    progress: progressMode,
    out,
    handleSignals: options.handleSignals ?? options.handleSigint,
    signal: options.signal,
    security: { tls: options.tls ?? null, workerContext: options.workerContext ?? {} },
    announce: (endpoint) => options.announce?.(endpoint, { ...endpoint.workerContext, ...tokenEntry }),
    beforeWorkers: (endpoint) => runInitCallbacks(pipeline.service.tasks, endpoint, logDir, pipeline.id),
    startWorkers: async (endpoint) =>
      startInProcessTaskWorkers(pipeline.service.tasks, {
        host: endpoint.dialHost,
        port: endpoint.port,
        pipelineId: pipeline.id,
        prefetch: options.prefetch,
        out,
        context: { ...endpoint.workerContext, ...tokenEntry },
      }),
  });
  options.onSummary?.(summary);
  return summary.succeeded;
}

/** daisy's init_callback_fn: once per task, before its workers start, with the context they will get. */
async function runInitCallbacks(tasks: Iterable<Task>, endpoint: Endpoint, logDir: string, pipelineId: string): Promise<void> {
  for (const task of tasks) {
    if (task.initCallbackFn !== null) {
      const context = { hostname: endpoint.dialHost, port: String(endpoint.port), task_id: task.taskId, logdir: logDir, pipeline_id: pipelineId };
      formatContext(context); // the same checks a worker's context gets
      await task.initCallbackFn(context);
    }
  }
}
