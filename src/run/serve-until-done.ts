import { constants } from 'node:os';
import type { SchedulerService } from '../server/scheduler-service.js';
import { startServer } from '../server/server.js';
import type { WorkerEvent } from '../workers/worker-process-pool.js';
import { assertProgressMode, createProgress, type ProgressMode, type ProgressReporter } from './progress.js';
import { printSummary, type RunSummary, summarize } from './summary.js';

/** Where the server listens and where workers should dial it. */
export interface Endpoint {
  /** The address the server listens on, as given. */
  readonly host: string;
  readonly port: number;
  /** `host:port` (IPv6 in brackets), for messages. */
  readonly address: string;
  /** The host workers on this machine dial. */
  readonly dialHost: string;
  /** True when `host` is a wildcard (0.0.0.0, ::): workers elsewhere must dial this machine's name. */
  readonly allInterfaces: boolean;
}

/** Workers started for a run, as the serve loop ends them. */
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
  /** Called once progress is shown; starts workers that report to `onWorkerEvent`. */
  startWorkers?: (endpoint: Endpoint, onWorkerEvent: (event: WorkerEvent) => void) => Promise<StartedWorkers>;
}

/** Raised when the server cannot listen where it was asked to (address in use, unknown host). */
export class ListenError extends Error {
  override name = 'ListenError';
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);
const HANDLED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/**
 * The serve loop of `runBlockwise` and `daisychain serve`: serves `service`
 * over gRPC, shows progress, waits until every task finished, SIGINT,
 * SIGTERM or the abort signal, then stops the workers, the progress display
 * and the server, and prints and returns the summary.
 */
export async function serveUntilDone(service: SchedulerService, options: ServeUntilDoneOptions = {}): Promise<RunSummary> {
  const progressMode = options.progress ?? 'auto';
  assertProgressMode(progressMode);
  const out = options.out ?? process.stderr;
  const host = options.host ?? '127.0.0.1';
  const server = await startServer(service, host, options.port ?? 0).catch((error: unknown) => {
    throw new ListenError(error instanceof Error ? error.message : String(error), { cause: error });
  });
  const allInterfaces = WILDCARD_HOSTS.has(host);
  // A wildcard is not an address to dial; workers on this machine reach it on loopback.
  const dialHost = options.advertiseHost ?? (allInterfaces ? '127.0.0.1' : host);
  const endpoint: Endpoint = { host, port: server.port, address: server.address, dialHost, allInterfaces };
  const started = Date.now();
  let interrupted = false;
  let stopRun: () => void = () => {};
  const stopped = new Promise<void>((resolveStop) => (stopRun = resolveStop));
  const interrupt = (): void => {
    // Once every task finished, a signal only hurries the workers' exit: the run was not cut short.
    if (!service.finished) interrupted = true;
    stopRun();
  };
  let workers: StartedWorkers | undefined;
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // Whoever sends it again wants out now, not after the grace period: leave no worker behind.
      workers?.kill?.();
      process.exit(128 + constants.signals[signal]);
    }
    signalled = true;
    interrupt();
  };
  const handleSignals = options.handleSignals ?? options.handleSigint ?? true;
  if (handleSignals) for (const signal of HANDLED_SIGNALS) process.on(signal, onSignal);
  options.signal?.addEventListener('abort', interrupt, { once: true });
  let progress: ProgressReporter | undefined;
  try {
    options.announce?.(endpoint);
    progress = createProgress(progressMode, service, out);
    workers = await options.startWorkers?.(endpoint, (event) => progress?.workerEvent(event));
    const finished = service.finished ? Promise.resolve() : new Promise<void>((done) => service.once('finished', done));
    await Promise.race([finished, stopped]);
    // A signal while draining stops the workers without waiting out the drain.
    if (!interrupted) await Promise.race([workers?.drain(), stopped]);
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    // Still listening while workers stop and the server closes, so a second signal exits at once.
    await workers?.stop();
    progress?.close();
    await server.close();
    if (handleSignals) for (const signal of HANDLED_SIGNALS) process.off(signal, onSignal);
  }
  const summary = summarize(service, (Date.now() - started) / 1000, interrupted);
  printSummary(summary, progressMode === 'auto' ? 'lines' : progressMode, out);
  return summary;
}
