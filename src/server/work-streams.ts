import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import { MAX_ACQUIRE } from '../wire/limits.js';
import { isMalformed, type MalformedRequest } from '../wire/service-definition.js';
import { readWorkRequest, rejectedResponse, requestCase, type HelloFields, type ServerWorkRequest, type ServerWorkResponse } from '../wire/work-messages.js';
import { WorkSession } from './work-session.js';

/** How long a new work stream may take to say Hello before it is closed. */
export const HELLO_TIMEOUT_MS = 10_000;
/** The most work streams open at once; a stream beyond it ends at once with RESOURCE_EXHAUSTED. */
export const MAX_STREAMS = 10_000;

export interface WorkStreamLimits {
  /** Default HELLO_TIMEOUT_MS. */
  helloTimeoutMs?: number;
  /** Default MAX_STREAMS. */
  maxStreams?: number;
}

/** Whoever serves a stream once its Hello was read: one pipeline's scheduler. */
export interface WorkStreamOwner {
  /** Answers the stream's Hello (Welcome, or the end of the stream). */
  adopt(session: WorkSession, hello: HelloFields): void;
  /** A request after the Hello. */
  request(session: WorkSession, message: ServerWorkRequest): void;
  /** The stream ended: the blocks it holds go back. */
  release(session: WorkSession, why: string): void;
}

/** Picks the owner of a stream from its Hello, or ends the stream (session.fail) and returns null. */
export type HelloRouter = (session: WorkSession, hello: HelloFields) => WorkStreamOwner | null;

/**
 * The work streams of one server, before and around their owner: the
 * server-wide limits (streams open at once, time to say Hello), everything a
 * stream may do before its Hello, and the end of every stream. Once the
 * Hello is read, `route` names the scheduler that serves the stream (with
 * several pipelines, the one the Hello names), and every later request and
 * the stream's end go to it.
 */
export class WorkStreams {
  private readonly sessions = new Set<WorkSession>();
  private readonly helloTimeoutMs: number;
  private readonly maxStreams: number;

  constructor(limits: WorkStreamLimits = {}) {
    this.helloTimeoutMs = limits.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
    this.maxStreams = limits.maxStreams ?? MAX_STREAMS;
  }

  /** Streams open now, Hello said or not. */
  get open(): number {
    return this.sessions.size;
  }

  accept(stream: ServerDuplexStream<ServerWorkRequest | MalformedRequest, ServerWorkResponse>, route: HelloRouter): void {
    const session = new WorkSession(stream);
    if (this.sessions.size >= this.maxStreams) {
      session.fail(GrpcStatus.RESOURCE_EXHAUSTED, `this server has ${this.sessions.size} work streams open, its limit; try again later`);
      return;
    }
    this.sessions.add(session);
    let owner: WorkStreamOwner | null = null;
    const end = (why: string): void => {
      if (!this.sessions.delete(session)) return;
      session.closed = true;
      owner?.release(session, why);
    };
    // A stream that never says Hello would hold its slot for ever.
    const helloTimer = setTimeout(() => {
      if (owner !== null || session.closed) return;
      session.fail(GrpcStatus.FAILED_PRECONDITION, `no Hello within ${this.helloTimeoutMs} ms: a work stream must start with Hello`);
      end('it never said Hello');
    }, this.helloTimeoutMs);
    helloTimer.unref();
    stream.on('data', (request: ServerWorkRequest | MalformedRequest) => {
      if (session.closed) return;
      if (isMalformed(request)) {
        session.fail(GrpcStatus.INVALID_ARGUMENT, request.message);
        end('it sent a malformed message');
        return;
      }
      try {
        if (owner !== null) {
          owner.request(session, request);
          return;
        }
        const hello = readBeforeHello(session, request);
        if (hello === null) {
          if (session.closed) end('it broke the protocol');
          return;
        }
        clearTimeout(helloTimer);
        owner = route(session, hello);
        if (owner === null) end('its Hello named no pipeline of this server');
        else owner.adopt(session, hello);
      } catch (error) {
        // A bug must not leave blocks stranded: end the stream, which reclaims them.
        session.fail(GrpcStatus.INTERNAL, `internal error: ${error instanceof Error ? error.message : String(error)}`);
        end('the server failed on its request');
      }
    });
    stream.on('end', () => {
      end('its stream ended');
      stream.end();
    });
    stream.on('cancelled', () => end('its stream was cancelled (worker gone)'));
    stream.on('error', () => end('its stream failed'));
    stream.on('close', () => {
      clearTimeout(helloTimer);
      end('its stream closed');
    });
  }
}

/**
 * A request on a stream that has not said Hello: its Hello, or null once it
 * was refused (a Rejected: the stream stays open) or ended the stream (any
 * request but Hello).
 */
function readBeforeHello(session: WorkSession, message: ServerWorkRequest): HelloFields | null {
  const request = readWorkRequest(message, MAX_ACQUIRE);
  const refuse = (text: string): null => {
    session.send(rejectedResponse({ code: GrpcStatus.INVALID_ARGUMENT, message: text, blockId: null }));
    return null;
  };
  switch (request.kind) {
    case 'hello':
      return request.hello;
    case 'empty':
      return refuse('empty WorkRequest: set hello, acquire, release, releases or skip');
    default: {
      // A list over the bound is no Hello either: before Hello, any other request ends the stream, whatever its length.
      const name = request.kind === 'tooLong' ? requestCase(message) : request.kind === 'releases' ? (request.single ? 'release' : 'releases') : request.kind;
      session.fail(GrpcStatus.FAILED_PRECONDITION, `a work stream must start with Hello, got ${name}`);
      return null;
    }
  }
}
