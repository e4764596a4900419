import { hostname } from 'node:os';
import { Client as GrpcClient, status, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { type Block, BlockStatus } from '../model/block.js';
import { CLIENT_CHANNEL_OPTIONS, formatHostPort, MAX_ACQUIRE } from '../wire/limits.js';
import { workMethod } from '../wire/service-definition.js';
import {
  acquireRequest,
  giveBackRequest,
  helloRequest,
  readWorkResponse,
  releaseMessage,
  releasesRequest,
  renewRequest,
  skipRequest,
  startRequest,
  type Rejection,
  type Release,
  type WelcomeFields,
  type WorkRequest,
  type WorkResponse,
} from '../wire/work-messages.js';
import { contextFromEnv, requireContextEntries, type WorkerContext } from './context.js';
import { channelCredentials, type ClientSecurity, securityFromContext, tokenMetadata } from './credentials.js';
import { ClientError, HelloRefusedError, ServerLostError } from './errors.js';
import { backoffDelayMs, endKind, reconnectGraceSeconds, SERVER_LOST_EXIT_CODE } from './reconnect.js';

export type { Rejection, WelcomeFields };
export { ClientError };

export interface ClientOptions {
  /**
   * Blocks the worker holds at most, counting the one it runs (default 1:
   * only the block it runs, as daisy's workers). More keeps blocks requested
   * ahead, which hides the round trip for cheap blocks; a block held but not
   * started runs no timeout and costs no attempt when it goes back.
   */
  prefetch?: number;
  /** Reported to the server in Hello. */
  language?: string;
  /**
   * Seconds a worker whose server went away keeps trying to say Hello again
   * (default: the context's `reconnect_grace`, else DAISYCHAIN_RECONNECT_GRACE,
   * else 60; 0 never reconnects). A worker that finds no server at start waits
   * as long for one to come up.
   */
  reconnectGrace?: number;
  /**
   * When the grace ends while the worker still holds a block of the lost
   * stream (its function may still be running), end the process with status
   * 75 (default true: nothing outlives a dead server). In-process workers,
   * which share their process with others, turn it off.
   */
  exitOnServerLoss?: boolean;
}

interface Waiter {
  resolve: (block: Block | null) => void;
  reject: (error: Error) => void;
}

/**
 * A worker's connection to a daisychain server: daisy's Client contract.
 * `acquireBlock()` gives the next block of the worker's task, or null when
 * the task has no more; `releaseBlock()` hands it back with its status;
 * `acquire(fn)` does both around `fn`, failing the block if `fn` throws.
 * A server that goes away is sought again for the reconnect grace
 * (proto/daisychain/v1/README.md, "Reconnecting"; the rule in reconnect.ts).
 */
export class Client {
  readonly context: WorkerContext;
  readonly taskId: string;
  readonly workerId: string;
  /** The context's `pipeline_id`, '' when it names none (the server's only pipeline). */
  readonly pipelineId: string;
  readonly prefetch: number;
  /** Requests the server refused, oldest first. */
  readonly rejections: Rejection[] = [];
  private readonly target: string;
  private readonly security: ClientSecurity;
  private readonly hello: WorkRequest;
  private readonly graceMs: number;
  private readonly exitOnServerLoss: boolean;
  private grpc: GrpcClient;
  /** The current stream; null while the client waits to reconnect. */
  private call: ClientDuplexStream<WorkRequest, WorkResponse> | null;
  /** Counts the streams opened, so that a late event of an old one is ignored. */
  private generation = 0;
  private readonly ready: Block[] = [];
  /** The blocks handed out and not released (buffered ones included), with their attempt. */
  private readonly attempts = new Map<Block, number>();
  /**
   * Blocks the worker held when their stream was lost: the server has them
   * back (a restarted one runs them again; the same one took them back as
   * failed attempts), so their release, skip or renewal is not sent.
   */
  private readonly orphaned = new Set<Block>();
  /** When the current loss of the server began (ms, Date.now()), null while connected. */
  private lostSince: number | null = null;
  /** How the last attempt of the current loss ended, for the error at the grace's end. */
  private lossDetails = '';
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private graceTimer: NodeJS.Timeout | null = null;
  /** Whether any server ever answered this client (a worker that never found one has nothing to do). */
  private everReceived = false;
  private readonly waiters: Waiter[] = [];
  /** Blocks the server took back (timeout): their release would be refused, so it is not sent. */
  private readonly revoked = new Set<number>();
  /** Blocks asked for and not received: those the worker waits for (started at hand-out), and those for its buffer. */
  private outstandingNow = 0;
  private outstandingAhead = 0;
  /** Starts and releases not sent yet: flushed together once the worker waits (or sends anything else). */
  private unsentStarts: number[] = [];
  private unsent: Release[] = [];
  private welcomeFields: WelcomeFields | null = null;
  private flushScheduled = false;
  private shutdownReason: string | null = null;
  private failure: Error | null = null;
  private closed = false;
  private received = false;

  constructor(context?: WorkerContext, options: ClientOptions = {}) {
    this.context = context ?? contextFromEnv();
    const { host, port, taskId, workerId, workerSecret, pipelineId } = requireContextEntries(this.context);
    this.taskId = taskId;
    this.workerId = workerId;
    this.pipelineId = pipelineId;
    this.prefetch = options.prefetch ?? 1;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1 || this.prefetch > MAX_ACQUIRE) {
      throw new ClientError(`prefetch must be an integer from 1 to ${MAX_ACQUIRE}, got ${options.prefetch}`);
    }
    this.graceMs = reconnectGraceSeconds(options.reconnectGrace, this.context) * 1000;
    this.exitOnServerLoss = options.exitOnServerLoss ?? true;
    this.target = formatHostPort(host, port);
    // TLS and the worker token come from the context (tls_ca, tls_cert, tls_key, worker_token): worker scripts need no change.
    this.security = securityFromContext(this.context);
    // The pool's worker_secret proves that this stream is the process the pool started under workerId
    // (the server refuses the id without it); '' for a worker started by hand, which needs none.
    // The same Hello opens every stream, a reconnection's too.
    this.hello = helloRequest({ taskId, workerId, language: options.language ?? 'typescript', host: hostname(), pid: process.pid, workerSecret, pipelineId });
    const [grpc, call] = this.openStream();
    this.grpc = grpc;
    this.call = call;
  }

  /** A new channel and work stream, its Hello sent; its events reach this client only while it is the current one. */
  private openStream(): [GrpcClient, ClientDuplexStream<WorkRequest, WorkResponse>] {
    const generation = ++this.generation;
    this.received = false;
    // A fresh channel per stream: grpc-js's own reconnect backoff on a channel (up to minutes) must not outlast the grace.
    const grpc = new GrpcClient(this.target, channelCredentials(this.security.tls), CLIENT_CHANNEL_OPTIONS);
    const call = grpc.makeBidiStreamRequest(
      workMethod.path,
      workMethod.requestSerialize,
      workMethod.responseDeserialize,
      tokenMetadata(this.security.token),
    ) as ClientDuplexStream<WorkRequest, WorkResponse>;
    const current = () => generation === this.generation;
    call.on('data', (response: WorkResponse) => {
      if (current()) this.onResponse(response);
    });
    call.on('error', (error: ServiceError) => {
      if (current()) this.onStreamEnd(error.code, error.details || error.message);
    });
    call.on('end', () => {
      if (current()) this.onStreamEnd(null, 'the server ended the work stream');
    });
    call.write(this.hello);
    return [grpc, call];
  }

  /** What the server said in reply to Hello (protocol version, the task's timeout, limits), once it has. */
  get welcome(): WelcomeFields | null {
    return this.welcomeFields;
  }

  /** Why the server said there are no more blocks, once it has. */
  get shutdownMessage(): string | null {
    return this.shutdownReason;
  }

  /** The attempt number of a held block: 0 the first time it is handed out. */
  attemptOf(block: Block): number {
    return this.attempts.get(block) ?? 0;
  }

  /**
   * The next block of the task, or null when the task has no more blocks.
   * The block counts as started from here: its timeout runs.
   */
  acquireBlock(): Promise<Block | null> {
    const block = this.ready.shift();
    if (block !== undefined) {
      // A buffered block: the server starts its timeout when it reads this Start.
      this.markStarted(block);
      this.topUp(false);
      return Promise.resolve(block);
    }
    if (this.shutdownReason !== null) return Promise.resolve(null);
    if (this.failure !== null) return Promise.reject(this.failure);
    this.topUp(true);
    // A worker that waits for a block while its server is away stays alive until it is back or the grace ends.
    this.reconnectTimer?.ref();
    this.graceTimer?.ref();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Whether the server took this block back (its timeout passed, or its stream was lost): the worker may stop working on it. */
  isRevoked(block: Block): boolean {
    return this.revoked.has(block.blockId) || this.orphaned.has(block);
  }

  /** Tells the server the worker still runs `block`, so that its timeout starts again (for long blocks under a short timeout). */
  renewLease(block: Block): void {
    if (this.orphaned.size > 0 && this.orphaned.has(block)) return; // the server has it back
    this.send(renewRequest([block.blockId]));
  }

  private markStarted(block: Block): void {
    this.unsentStarts.push(block.blockId);
    this.scheduleFlush();
  }

  /**
   * Hands a block back: SUCCESS unless its status is FAILED or `error` is
   * given, in which case the error's message and stack reach the server.
   */
  releaseBlock(block: Block, error?: unknown): void {
    const failed = error !== undefined || block.status === BlockStatus.FAILED;
    block.status = failed ? BlockStatus.FAILED : BlockStatus.SUCCESS;
    this.attempts.delete(block);
    // A block of a lost stream is the server's again: its release would be refused.
    if (this.orphaned.size > 0 && this.orphaned.delete(block)) return;
    // The server already counted a revoked block as a failed attempt.
    if (this.revoked.delete(block.blockId)) return;
    this.queueRelease(
      releaseMessage(
        block.blockId,
        block.status,
        error === undefined ? (failed ? 'the block was marked FAILED' : '') : describeError(error),
        error instanceof Error ? (error.stack ?? '') : '',
      ),
    );
  }

  private queueRelease(release: Release): void {
    if (this.failure !== null) throw this.failure;
    this.unsent.push(release);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // setImmediate runs once the worker has used up what it can do without
      // waiting, so cheap blocks are started and released many to a message.
      setImmediate(() => this.flushPending());
    }
  }

  /** Sends the queued starts and releases; the server reads the starts first, so every released block was started before. */
  private flushPending(then: { count: number; ahead: number } | null = null): void {
    this.flushScheduled = false;
    if (this.failure !== null || this.call === null || this.call.writableEnded) return;
    const starts = this.unsentStarts;
    const releases = this.unsent;
    this.unsentStarts = [];
    this.unsent = [];
    // One message for the batch: the starts ride along with the releases (Releases.started), and so may a request for more.
    if (releases.length > 0) this.call.write(releasesRequest(releases, starts, then));
    else if (starts.length > 0) this.call.write(startRequest(starts));
  }

  /** Hands a block back as already done (the worker's own check found its output). */
  skipBlock(block: Block): void {
    block.status = BlockStatus.SUCCESS;
    this.attempts.delete(block);
    if (this.orphaned.size > 0 && this.orphaned.delete(block)) return;
    this.send(skipRequest(block.blockId));
  }

  /**
   * Runs `fn` on the next block and releases it: as SUCCESS when `fn`
   * returns (unless it set the status to FAILED), as FAILED with the error
   * when it throws. Returns false when the task has no more blocks.
   */
  async acquire(fn: (block: Block) => unknown): Promise<boolean> {
    const block = await this.acquireBlock();
    if (block === null) return false;
    block.status = BlockStatus.PROCESSING;
    try {
      await fn(block);
    } catch (error) {
      this.releaseBlock(block, error);
      return true;
    }
    this.releaseBlock(block);
    return true;
  }

  /** Ends the work stream; blocks still held return to the server as failed attempts. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopReconnecting();
    for (const waiter of this.waiters.splice(0)) waiter.reject(new ClientError('the client is closed'));
    const call = this.call;
    await new Promise<void>((resolve) => {
      if (this.failure !== null || call === null || call.writableEnded) {
        resolve();
        return;
      }
      call.once('end', () => resolve());
      call.once('error', () => resolve());
      call.once('close', () => resolve());
      this.flushPending();
      // Blocks requested ahead and never started go back without costing an attempt.
      const unstarted = this.ready.splice(0).map((block) => block.blockId);
      if (unstarted.length > 0) call.write(giveBackRequest(unstarted));
      call.end();
      // A server that never answers must not keep the worker from exiting.
      setTimeout(resolve, 2000).unref();
    });
    this.grpc.close();
  }

  /**
   * Keeps blocks requested: one the worker waits for (`waiting`), and
   * `prefetch - 1` for its buffer, asked again only when half of those are
   * used up, so that requests and the answers to them carry several blocks
   * each. The buffered ones reach the server as `ahead`: unstarted until
   * their Start.
   */
  private topUp(waiting: boolean): void {
    // While the server is lost nothing is asked: a reconnection asks for what waiters want.
    if (this.shutdownReason !== null || this.failure !== null || this.closed || this.call === null) return;
    const buffer = this.prefetch - 1;
    const buffered = this.ready.length + this.outstandingAhead;
    const now = waiting && this.outstandingNow === 0 ? 1 : 0;
    const ahead = buffered > Math.floor(buffer / 2) && now === 0 ? 0 : Math.max(0, buffer - buffered);
    if (now + ahead === 0) return;
    this.outstandingNow += now;
    this.outstandingAhead += ahead;
    if (this.failure !== null) throw this.failure;
    if (this.unsent.length > 0 && !this.call.writableEnded) {
      // Release and ask for the next block in one message (Releases.acquire).
      this.flushPending({ count: now + ahead, ahead });
      return;
    }
    this.send(acquireRequest(now + ahead, ahead));
  }

  private send(request: WorkRequest): void {
    if (this.failure !== null) throw this.failure;
    if (this.closed) throw new ClientError('the client is closed');
    // While the server is lost a request has no one to go to: a reconnection starts afresh.
    if (this.call === null || this.call.writableEnded) return;
    this.flushPending(); // keep the order in which the worker said things
    this.call.write(request);
  }

  private onResponse(message: WorkResponse): void {
    if (!this.received) this.onConnected();
    const response = readWorkResponse(message);
    switch (response.kind) {
      case 'blocks':
        for (const { block, attempt } of response.blocks) {
          this.attempts.set(block, attempt);
          // The server hands out the blocks a worker waits for first; they start at hand-out.
          const startedAtHandOut = this.outstandingNow > 0;
          if (startedAtHandOut) this.outstandingNow--;
          else this.outstandingAhead = Math.max(0, this.outstandingAhead - 1);
          const waiter = this.waiters.shift();
          if (waiter !== undefined) {
            // With a buffer, a buffered block in flight may answer the wait: when unsure, Start (a no-op for a started block).
            if (!startedAtHandOut || this.prefetch > 1) this.markStarted(block);
            waiter.resolve(block);
          } else this.ready.push(block);
        }
        break;
      case 'shutdown':
        this.shutdownReason = response.reason;
        this.outstandingNow = 0;
        this.outstandingAhead = 0;
        for (const waiter of this.waiters.splice(0)) waiter.resolve(null);
        break;
      case 'rejected':
        this.rejections.push(response.rejection);
        break;
      case 'welcome':
        this.welcomeFields = response.welcome;
        break;
      case 'revoked':
        this.revoked.add(response.blockId);
        break;
      case 'wait':
      case 'empty':
        break;
    }
  }

  /** The current stream ended (`code` null: OK) without the client closing it. */
  private onStreamEnd(code: status | null, details: string): void {
    if (this.closed || this.failure !== null) return;
    if (this.shutdownReason !== null) {
      // Told there is nothing more: the stream's end changes nothing (only releases may still have been in flight).
      this.fail(new ClientError(`the work stream to ${this.target} ended after Shutdown: ${details}`));
      return;
    }
    const kind = endKind(code);
    if (kind === 'retry') this.onServerLost(details);
    else if (kind === 'refused' && !this.received) this.fail(new HelloRefusedError(`the server at ${this.target} refused this worker's Hello: ${details}`, code ?? 0));
    else this.fail(new ClientError(`the work stream to ${this.target} failed: ${details}`));
  }

  /**
   * The server went away. What the stream held is the server's again: the
   * blocks the worker runs are orphaned (their releases are not sent),
   * buffered ones are dropped, queued starts and releases too. Then Hello
   * again, with backoff, until the grace ends.
   */
  private onServerLost(details: string): void {
    this.lossDetails = details;
    if (this.lostSince === null) {
      this.lostSince = Date.now();
      this.reconnectAttempt = 0;
      if (this.graceMs > 0) {
        this.graceTimer = setTimeout(() => this.giveUp(), this.graceMs);
        if (this.waiters.length === 0) this.graceTimer.unref();
      }
    }
    const dropped = new Set(this.ready.splice(0));
    for (const block of this.attempts.keys()) {
      if (dropped.has(block)) this.attempts.delete(block);
      else this.orphaned.add(block);
    }
    this.revoked.clear();
    this.unsent = [];
    this.unsentStarts = [];
    this.outstandingNow = 0;
    this.outstandingAhead = 0;
    this.generation++; // the lost call's later events are not this client's business
    this.call = null;
    this.grpc.close();
    const remaining = this.lostSince + this.graceMs - Date.now();
    if (remaining <= 0) {
      this.giveUp();
      return;
    }
    const delay = Math.min(backoffDelayMs(this.reconnectAttempt++), remaining);
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      const [grpc, call] = this.openStream();
      this.grpc = grpc;
      this.call = call;
      // Pipelined behind the Hello: what the worker waits for.
      if (this.waiters.length > 0) this.topUp(true);
    }, delay);
    // A worker waiting for a block stays alive to reconnect; an idle client does not hold its process open.
    if (this.waiters.length === 0) this.reconnectTimer.unref();
  }

  /** The first response of a stream: the server is there, a loss is over. */
  private onConnected(): void {
    this.received = true;
    this.everReceived = true;
    if (this.lostSince !== null) {
      this.lostSince = null;
      if (this.graceTimer !== null) clearTimeout(this.graceTimer);
      this.graceTimer = null;
    }
  }

  /** The grace ended with no server: stop, and end the process if a block of the lost stream may still be running. */
  private giveUp(): void {
    const details = this.lossDetails;
    if (this.closed || this.failure !== null || this.shutdownReason !== null) return;
    this.stopReconnecting();
    this.generation++;
    if (this.call !== null) this.call.cancel();
    this.call = null;
    this.grpc.close();
    const grace = `${this.graceMs / 1000} s`;
    if (!this.everReceived) {
      // A worker started after its run ended finds no server: like daisy 2.0, it has nothing to do (and says so).
      process.emitWarning(`no daisychain server at ${this.target} within ${grace} (${details}); no blocks to process`);
      this.shutdownReason = `no server at ${this.target}`;
      for (const waiter of this.waiters.splice(0)) waiter.resolve(null);
      return;
    }
    const error = new ServerLostError(`the daisychain server at ${this.target} went away and did not come back within ${grace} (${details})`);
    if (this.exitOnServerLoss && this.orphaned.size > 0) {
      // The worker still runs a block the server no longer counts on: nothing may outlive a dead server.
      process.stderr.write(`${error.name}: ${error.message}; exiting while a block still runs\n`);
      process.exit(SERVER_LOST_EXIT_CODE);
    }
    this.fail(error);
  }

  private stopReconnecting(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.graceTimer !== null) clearTimeout(this.graceTimer);
    this.reconnectTimer = null;
    this.graceTimer = null;
  }

  private fail(error: ClientError): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.stopReconnecting();
    for (const waiter of this.waiters.splice(0)) {
      if (this.shutdownReason !== null) waiter.resolve(null);
      else waiter.reject(this.failure);
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
