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
  /** Stop cleanly on Ctrl-C (default true). */
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

/**
 * The serve loop of `runBlockwise` and `daisychain serve`: serves `service`
 * over gRPC, shows progress, waits until every task finished, Ctrl-C or the
 * abort signal, then stops the workers, the progress display and the server,
 * and prints and returns the summary.
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
    interrupted = true;
    stopRun();
  };
  const handleSigint = options.handleSigint ?? true;
  if (handleSigint) process.once('SIGINT', interrupt);
  options.signal?.addEventListener('abort', interrupt, { once: true });
  let progress: ProgressReporter | undefined;
  let workers: StartedWorkers | undefined;
  try {
    options.announce?.(endpoint);
    progress = createProgress(progressMode, service, out);
    workers = await options.startWorkers?.(endpoint, (event) => progress?.workerEvent(event));
    const finished = service.finished ? Promise.resolve() : new Promise<void>((done) => service.once('finished', done));
    await Promise.race([finished, stopped]);
    await (interrupted ? workers?.stop() : workers?.drain());
  } finally {
    if (handleSigint) process.off('SIGINT', interrupt);
    options.signal?.removeEventListener('abort', interrupt);
    await workers?.stop();
    progress?.close();
    await server.close();
  }
  const summary = summarize(service, (Date.now() - started) / 1000, interrupted);
  printSummary(summary, progressMode === 'auto' ? 'lines' : progressMode, out);
  return summary;
}
