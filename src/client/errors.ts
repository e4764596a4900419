import { HELLO_REFUSED_EXIT_CODE, SERVER_LOST_EXIT_CODE } from './reconnect.js';

/** The work stream failed; `exitCode` is the status a worker process should end with (the protocol note's table). */
export class ClientError extends Error {
  override name = 'ClientError';
  readonly exitCode: number = 1;
}

/** The server went away and did not answer a new Hello within the reconnect grace. */
export class ServerLostError extends ClientError {
  override name = 'ServerLostError';
  override readonly exitCode = SERVER_LOST_EXIT_CODE;
}

/** The server refused the worker's Hello (`code`: PERMISSION_DENIED or UNAUTHENTICATED), e.g. a pool's worker whose secret a restarted server does not know. */
export class HelloRefusedError extends ClientError {
  override name = 'HelloRefusedError';
  override readonly exitCode = HELLO_REFUSED_EXIT_CODE;
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

/**
 * The exit status for a worker script that ends with `error`: a client
 * error's own (75 server lost, 77 Hello refused, 1 otherwise), 1 for anything
 * else. `catch (error) { process.exitCode = workerExitCode(error); }`.
 */
export function workerExitCode(error: unknown): number {
  return error instanceof ClientError ? error.exitCode : 1;
}
