/**
 * The reconnect rule of a worker (proto/daisychain/v1/README.md,
 * "Reconnecting"), in one place for the TypeScript client: how long a worker
 * waits for its server to come back, how it spaces its attempts, which ends of
 * a work stream are worth a new Hello, and the exit statuses that say how a
 * worker ended. The Python client (clients/python/src/daisychain/reconnect.py)
 * follows the same rule.
 */
import { status } from '@grpc/grpc-js';
import { ContextError, type WorkerContext } from './context.js';

/** How long a worker waits for its server to come back, when nothing says otherwise (seconds). */
export const DEFAULT_RECONNECT_GRACE_SECONDS = 60;

/** The DAISY_CONTEXT entry that sets a worker's grace, in seconds (a launcher's choice for the workers it starts). */
export const RECONNECT_GRACE_ENTRY = 'reconnect_grace';

/** The environment variable that sets it when the context does not (in a pool's environment, or a task's `workerEnv`). */
export const RECONNECT_GRACE_VARIABLE = 'DAISYCHAIN_RECONNECT_GRACE';

/** The exit status of a worker whose server went away and did not answer a new Hello within the grace (sysexits' EX_TEMPFAIL). */
export const SERVER_LOST_EXIT_CODE = 75;

/** The exit status of a worker whose Hello the server refused: PERMISSION_DENIED or UNAUTHENTICATED (sysexits' EX_NOPERM). */
export const HELLO_REFUSED_EXIT_CODE = 77;

/** The first retry comes after at most this long; each one after waits up to twice as long as the one before... */
const FIRST_DELAY_MS = 250;
/** ...up to this: a restarted server is found within about 5 s of listening again. */
const MAX_DELAY_MS = 5000;

/**
 * The grace in seconds: the client's option, else the context's
 * `reconnect_grace`, else DAISYCHAIN_RECONNECT_GRACE, else 60. 0 never
 * reconnects. A bad value is refused at once rather than read as 0.
 */
export function reconnectGraceSeconds(option: number | undefined, context: WorkerContext, env: NodeJS.ProcessEnv = process.env): number {
  if (option !== undefined) return checkedGrace(option, 'the reconnectGrace option');
  const fromContext = context[RECONNECT_GRACE_ENTRY];
  if (fromContext !== undefined) return checkedGrace(parseSeconds(fromContext), `the worker context's ${RECONNECT_GRACE_ENTRY}=${JSON.stringify(fromContext)}`);
  const fromEnv = env[RECONNECT_GRACE_VARIABLE];
  if (fromEnv !== undefined && fromEnv !== '') return checkedGrace(parseSeconds(fromEnv), `${RECONNECT_GRACE_VARIABLE}=${JSON.stringify(fromEnv)}`);
  return DEFAULT_RECONNECT_GRACE_SECONDS;
}

function parseSeconds(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

function checkedGrace(seconds: number, source: string): number {
  // setTimeout's limit (about 24.8 days) bounds it too.
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 2_147_483) {
    throw new ContextError(`${source} must be a number of seconds from 0 to 2147483`);
  }
  return seconds;
}

/** The wait before retry number `attempt` (0 first): capped exponential, jittered over its upper half so that a fleet spreads out. */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** Math.min(attempt, 16));
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * What a work stream that ended before any Shutdown means, by its status
 * (null: ended OK):
 * - `retry`: the server went away or dropped the call (UNAVAILABLE: refused,
 *   reset, keepalive; CANCELLED by the server; an OK end without Shutdown);
 * - `refused`: the server will not have this worker (PERMISSION_DENIED,
 *   UNAUTHENTICATED): a new Hello would be refused again;
 * - `fail`: anything else is an answer, not an absence (NOT_FOUND for a task
 *   or pipeline the server does not hold, INVALID_ARGUMENT, INTERNAL, ...).
 */
export function endKind(code: status | null): 'retry' | 'refused' | 'fail' {
  if (code === null || code === status.OK || code === status.UNAVAILABLE || code === status.CANCELLED) return 'retry';
  if (code === status.PERMISSION_DENIED || code === status.UNAUTHENTICATED) return 'refused';
  return 'fail';
}
