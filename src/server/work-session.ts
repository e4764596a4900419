import type { ServerDuplexStream } from '@grpc/grpc-js';
import { isRejectedResponse, rejectedResponse, type ServerWorkResponse } from '../wire/work-messages.js';
import { Refusals } from './refusals.js';

/** Who is at the other end of a work stream, from its Hello. */
export interface WorkerIdentity {
  taskId: string;
  workerId: string;
  language: string;
  host: string;
  pid: number;
}

/**
 * One worker's work stream: what it said it is and how many more blocks it
 * asked for and has not received yet (the blocks it holds are its leases).
 */
export class WorkSession {
  static #nextId = 1;
  readonly id = WorkSession.#nextId++;
  identity: WorkerIdentity | null = null;
  /**
   * Its Hello presented the secret a worker pool registered for its worker id: only such a
   * stream's releases reach the pool (`workerRelease`), so no other stream can get a pool's
   * worker restarted. Decided at Hello, never later.
   */
  poolWorker = false;
  /** Blocks asked for and not yet sent. */
  wanted = 0;
  /** Of `wanted`, the blocks for the worker's buffer: handed out unstarted, after the others. */
  wantedAhead = 0;
  /** A Wait was sent for the current parked request; sent once per parking. */
  waitSent = false;
  shutdownSent = false;
  /** Its pool is stopping its worker (`retireWorker`): every Acquire gets Shutdown. */
  retired = false;
  closed = false;
  /** The refusals of the request being read, sent as one Rejected once it is read (one instance per stream, reused). */
  readonly refusals = new Refusals();
  /** A request is being read: refusals are gathered rather than sent. */
  reading = false;

  // Only written to: what the stream reads is the service's business.
  constructor(private readonly stream: ServerDuplexStream<unknown, ServerWorkResponse>) {}

  get taskId(): string | null {
    return this.identity?.taskId ?? null;
  }

  get label(): string {
    const who = this.identity;
    return who === null ? `stream ${this.id}` : `worker ${who.workerId} (${who.language}, pid ${who.pid} on ${who.host})`;
  }

  send(response: ServerWorkResponse): void {
    // Refusals gathered so far go first, so that replies keep the order of the requests' items.
    if (this.reading && !isRejectedResponse(response)) this.flushRefusals();
    if (!this.closed) this.stream.write(response);
  }

  /** Sends the refusals gathered so far as one Rejected. */
  flushRefusals(): void {
    const rejection = this.refusals.take();
    if (rejection !== null && !this.closed) this.stream.write(rejectedResponse(rejection));
  }

  /** Ends the stream with a gRPC status (the worker sees it as an error). */
  fail(code: number, details: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.emit('error', Object.assign(new Error(details), { code, details }));
  }
}
