import { constants } from 'node:os';
import type { Pipeline } from '../pipelines/pipeline.js';
import type { PipelineRegistry } from '../pipelines/pipeline-registry.js';
import { type PipelineServerSecurity, startPipelineServer } from '../pipelines/pipeline-server.js';
import type { RunningServer } from '../server/server.js';
import { assertProgressMode, createProgress, type ProgressMode, type ProgressReporter } from './progress.js';
import { printSummary, type RunSummary, summarize } from './summary.js';
import { escapeForTerminal } from './terminal-text.js';

/** Where the server listens and where workers should dial it. */
export interface Endpoint {
  /** The address the server listens on, as given. */
  readonly host: string;
  readonly port: number;
  /** `host:port` (IPv6 in brackets), for messages. */
  readonly address: string;
  /** The host workers on this machine dial. */
  readonly dialHost: string;
  /** DAISY_CONTEXT entries workers need besides the address (TLS files); the worker token is the pipeline's. */
  readonly workerContext: Readonly<Record<string, string>>;
  /** True when `host` is a wildcard (0.0.0.0, ::): workers elsewhere must dial this machine's name. */
  readonly allInterfaces: boolean;
}

/** Workers a run starts besides the pipeline's own pools (in-process ones), as the serve loop ends them. */
export interface StartedWorkers {
  /** Ends them now (interrupt, error, or after draining); called at least once, maybe more. */
  stop(): Promise<void>;
  /** Every task finished: lets them exit on their own. */
  drain(): Promise<void>;
  /** SIGKILLs them without waiting: the process exits right after (a second signal). */
  kill?(): void;
}

export interface ServeUntilDoneOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /** The host name workers dial (default: `host`, or 127.0.0.1 when listening on all interfaces). */
  advertiseHost?: string;
  progress?: ProgressMode;
  /** Where progress and the summary go (default stderr). */
  out?: { write(text: string): unknown; isTTY?: boolean };
  /**
   * Stop cleanly on SIGINT (Ctrl-C) or SIGTERM; a second one exits the
   * process at once with 128 + the signal number (default true).
   */
  handleSignals?: boolean;
  /** @deprecated The former name of `handleSignals`, used when that is not given. */
  handleSigint?: boolean;
  /** Aborting it stops the run as Ctrl-C does. */
  signal?: AbortSignal;
  /** Called once the server listens, before progress starts: the place to tell people where to connect. */
  announce?: (endpoint: Endpoint) => void;
  /** Called once progress is shown, before the pipeline's pools start (daisy's init callbacks). */
  beforeWorkers?: (endpoint: Endpoint) => Promise<void>;
  /** Called once the pipeline's pools started; starts the run's other workers (in-process ones). */
  startWorkers?: (endpoint: Endpoint) => Promise<StartedWorkers>;
  /**
   * Once the pipeline ended and its summary is printed, go on serving (the
   * control plane, more pipelines) until SIGINT, SIGTERM or the abort signal;
   * then running pipelines are cancelled (`serve --keep-running`).
   */
  keepRunning?: boolean;
  /** TLS, and the DAISY_CONTEXT entries of the workers the server starts; the tokens are the registry's authorizer. */
  security?: PipelineServerSecurity;
  /**
   * Called once the server is told to stop (signal, abort), before anything
   * is cancelled or stopped: a durable server stops recording here, so that
   * what the stop does to its pipelines is not taken for their fate.
   */
  onStopping?: () => void;
  /**
   * A stop cancels nothing (`PipelineRegistry.suspend`): the pipelines are
   * to resume when the server starts again on its state directory, and
   * workers started elsewhere reconnect then.
   */
  stopKeepsPipelines?: boolean;
}

/** Raised when the server cannot listen where it was asked to (address in use, unknown host). */
export class ListenError extends Error {
  override name = 'ListenError';
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);
const HANDLED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * The serve loop of `runBlockwise` and `daisychain serve FILE`: serves the
 * registry (with `pipeline` created in it) over gRPC, shows the pipeline's
 * progress, starts its workers, waits until it ended, SIGINT, SIGTERM or the
 * abort signal, then stops the workers, the progress display and the server,
 * and prints and returns the summary.
 */
export async function serveUntilDone(registry: PipelineRegistry, pipeline: Pipeline, options: ServeUntilDoneOptions = {}): Promise<RunSummary> {
  const progressMode = options.progress ?? 'auto';
  assertProgressMode(progressMode);
  const out = options.out ?? process.stderr;
  const { server, endpoint } = await listen(registry, options);
  const service = pipeline.service;
  const started = Date.now();
  let interrupted = false;
  let stopRun: () => void = () => {};
  const stopped = new Promise<void>((resolveStop) => (stopRun = resolveStop));
  const interrupt = (): void => {
    // Once the pipeline ended, a signal only hurries the workers' exit: the run was not cut short.
    if (!pipeline.ended) interrupted = true;
    stopRun();
  };
  let workers: StartedWorkers | undefined;
  const signals = onSignals(options, interrupt, () => {
    registry.kill();
    workers?.kill?.();
  });
  options.signal?.addEventListener('abort', interrupt, { once: true });
  let progress: ProgressReporter | undefined;
  let summary: RunSummary;
  try {
    options.announce?.(endpoint);
    progress = createProgress(progressMode, service, out);
    const onWorkerEvent = progress.workerEvent.bind(progress);
    pipeline.on('workerEvent', onWorkerEvent);
    await options.beforeWorkers?.(endpoint);
    registry.start(pipeline);
    workers = await options.startWorkers?.(endpoint);
    await Promise.race([pipeline.whenEnded(), stopped]);
    if (interrupted) options.onStopping?.();
    // A signal while draining stops the workers without waiting out the drain.
    if (!interrupted) await Promise.race([Promise.all([pipeline.workersExited(), workers?.drain()]), stopped]);
    if (options.keepRunning === true && !interrupted) {
      await Promise.all([pipeline.stopWorkers(), workers?.stop()]);
      progress.close();
      progress = undefined;
      summary = summarize(service, (Date.now() - started) / 1000, false);
      printSummary(summary, progressMode === 'auto' ? 'lines' : progressMode, out);
      const logging = logPipelines(registry, out);
      await stopped;
      options.onStopping?.();
      await (options.stopKeepsPipelines === true ? registry.suspend() : registry.close());
      logging.off();
      return summary;
    }
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    // Still listening while workers stop and the server closes, so a second signal exits at once.
    await Promise.all([pipeline.stopWorkers(), workers?.stop()]);
    progress?.close();
    await server.close();
    signals.off();
  }
  summary = summarize(service, (Date.now() - started) / 1000, interrupted);
  printSummary(summary, progressMode === 'auto' ? 'lines' : progressMode, out);
  return summary;
}

/**
 * `daisychain serve` without a pipeline file: a long-running service. It
 * serves the control plane and every pipeline submitted to it, says on
 * `out` when one is submitted and when one ends, and stops on SIGINT,
 * SIGTERM or the abort signal: running pipelines are cancelled (their held
 * blocks taken back, their workers told to stop), the server's pools are
 * stopped, and the server closes.
 */
export async function serveForever(registry: PipelineRegistry, options: ServeUntilDoneOptions = {}): Promise<void> {
  const out = options.out ?? process.stderr;
  const { server, endpoint } = await listen(registry, options);
  let stopRun: () => void = () => {};
  const stopped = new Promise<void>((resolveStop) => (stopRun = resolveStop));
  const signals = onSignals(options, stopRun, () => registry.kill());
  options.signal?.addEventListener('abort', stopRun, { once: true });
  const logging = logPipelines(registry, out);
  try {
    options.announce?.(endpoint);
    await stopped;
    options.onStopping?.();
    await (options.stopKeepsPipelines === true ? registry.suspend() : registry.close());
  } finally {
    options.signal?.removeEventListener('abort', stopRun);
    logging.off();
    await server.close();
    signals.off();
  }
}

/** A line when a pipeline is submitted to the server and when one ends, for a long-running server's log. */
function logPipelines(registry: PipelineRegistry, out: { write(text: string): unknown }): { off(): void } {
  const onSubmitted = (pipeline: Pipeline): void => {
    out.write(`pipeline ${pipeline.id} submitted${pipeline.name === '' ? '' : ` (${escapeForTerminal(pipeline.name)})`}: ${pipeline.service.tasks.length} tasks\n`);
  };
  const onEnded = (pipeline: Pipeline): void => {
    const why = pipeline.cancelReason === '' ? '' : `: ${escapeForTerminal(pipeline.cancelReason)}`;
    out.write(`pipeline ${pipeline.id} ${pipeline.status}${why}\n`);
  };
  registry.on('submitted', onSubmitted);
  registry.on('ended', onEnded);
  return {
    off: () => {
      registry.off('submitted', onSubmitted);
      registry.off('ended', onEnded);
    },
  };
}

async function listen(registry: PipelineRegistry, options: ServeUntilDoneOptions): Promise<{ server: RunningServer; endpoint: Endpoint }> {
  const host = options.host ?? '127.0.0.1';
  const allInterfaces = WILDCARD_HOSTS.has(host);
  // A wildcard is not an address to dial; workers on this machine reach it on loopback.
  const dialHost = options.advertiseHost ?? (allInterfaces ? '127.0.0.1' : host);
  const server = await startPipelineServer(registry, host, options.port ?? 0, dialHost, options.security).catch((error: unknown) => {
    throw new ListenError(error instanceof Error ? error.message : String(error), { cause: error });
  });
  const workerContext = options.security?.workerContext ?? {};
  return { server, endpoint: { host, port: server.port, address: server.address, dialHost, allInterfaces, workerContext } };
}

/**
 * SIGINT and SIGTERM, when handled: the first calls `interrupt`; a second
 * one means "out now": `kill` SIGKILLs the workers and the process exits
 * with 128 + the signal's number.
 */
function onSignals(options: ServeUntilDoneOptions, interrupt: () => void, kill: () => void): { off(): void } {
  const handleSignals = options.handleSignals ?? options.handleSigint ?? true;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // Whoever sends it again wants out now, not after the grace period: leave no worker behind.
      kill();
      process.exit(128 + constants.signals[signal]);
    }
    signalled = true;
    interrupt();
  };
  if (handleSignals) for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);
  return {
    off: () => {
      if (handleSignals) for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
    },
  };
}
