import { EventEmitter } from 'node:events';
import { status as GrpcStatus, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { BlockStatus } from '../model/block.js';
import type { FailureRecord } from '../model/failure-record.js';
import type { Task } from '../model/task.js';
import type { TaskState } from '../model/task-state.js';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.js';
import { warmUpScheduler } from '../scheduler/warm-up.js';
import { blockToWire } from '../wire/convert.js';
import { MAX_ACQUIRE } from '../wire/limits.js';
import {
  readTaskStatesRequest,
  taskStatesResponse,
  watchProgressResponse,
  type GetTaskStatesRequest,
  type GetTaskStatesResponse,
  type WatchProgressRequest,
  type WatchProgressResponse,
} from '../wire/progress-messages.js';
import {
  blocksResponse,
  readWorkRequest,
  rejectedResponse,
  revokedResponse,
  shutdownResponse,
  waitResponse,
  welcomeResponse,
  type HelloFields,
  type ReleaseReport,
  type WireBlockId,
  type WorkRequest,
  type WorkResponse,
} from '../wire/work-messages.js';
import { PreChecks, postCheck, type PostCheckVerdict } from './block-checks.js';
import { boundText, MAX_ERROR_BYTES, MAX_TRACEBACK_BYTES } from './failure-text.js';
import { isRefusal, type Lease, Leases } from './leases.js';
import { quotePeerText } from './peer-text.js';
import { serverVersion } from './version.js';
import { WorkSession } from './work-session.js';

export type { FailureRecord };

/** How long a new work stream may take to say Hello before it is closed. */
export const HELLO_TIMEOUT_MS = 10_000;
/** The most work streams open at once; a stream beyond it ends at once with RESOURCE_EXHAUSTED. */
export const MAX_STREAMS = 10_000;

export interface SchedulerServiceOptions extends Omit<SchedulerOptions, 'checks'> {
  /** Default HELLO_TIMEOUT_MS. */
  helloTimeoutMs?: number;
  /** Default MAX_STREAMS. */
  maxStreams?: number;
}

export interface SchedulerServiceEvents {
  /** Task states changed (coalesced by listeners as they like). */
  change: [];
  failure: [FailureRecord];
  /** A worker released a block (or lost it); pools use it to restart workers that keep failing. */
  workerRelease: [workerId: string, taskId: string, succeeded: boolean];
  /** Every task is done. */
  finished: [];
}

/**
 * The scheduler behind the gRPC service: hands blocks to work streams, parks
 * requests that nothing can answer yet, reclaims the blocks of streams that
 * close or time out, and reports progress. Every request is checked before
 * anything changes; a refused request changes nothing.
 */
export class SchedulerService extends EventEmitter<SchedulerServiceEvents> {
  private readonly scheduler: Scheduler;
  private readonly taskById = new Map<string, Task>();
  private readonly leases: Leases;
  /** Tasks whose streams were told to shut down. */
  private readonly shutDownTasks = new Set<string>();
  /** Streams per task that asked for blocks and wait for them, oldest first. */
  private readonly parked = new Map<string, Set<WorkSession>>();
  private readonly sessions = new Set<WorkSession>();
  readonly failures: FailureRecord[] = [];
  private finishedEmitted = false;
  private readonly preChecks: PreChecks;
  private changeScheduled = false;

  private readonly helloTimeoutMs: number;
  private readonly maxStreams: number;

  /** Pre-checks always run here, not in the scheduler, so that they may be asynchronous (block-checks.ts). */
  constructor(tasks: readonly Task[], serviceOptions: SchedulerServiceOptions = {}) {
    super();
    const { helloTimeoutMs = HELLO_TIMEOUT_MS, maxStreams = MAX_STREAMS, ...options } = serviceOptions;
    this.helloTimeoutMs = helloTimeoutMs;
    this.maxStreams = maxStreams;
    // A server's first task should not pay for compiling the scheduler (see warm-up.ts).
    warmUpScheduler();
    this.scheduler = new Scheduler(tasks, { ...options, checks: 'external' });
    this.preChecks = new PreChecks(this.scheduler, () => this.afterChangeSoon());
    for (const task of this.scheduler.tasks) {
      this.taskById.set(task.taskId, task);
      this.parked.set(task.taskId, new Set());
    }
    this.leases = new Leases(this.taskById.keys(), (lease) => this.onLeaseExpired(lease));
  }

  /** The tasks served, with the tasks they require, in daisy's order. */
  get tasks(): readonly Task[] {
    return this.scheduler.tasks;
  }

  get taskIds(): string[] {
    return [...this.scheduler.taskStates.keys()];
  }

  states(): ReadonlyMap<string, TaskState> {
    return this.scheduler.taskStates;
  }

  state(taskId: string): TaskState {
    const state = this.scheduler.taskStates.get(taskId);
    if (state === undefined) throw new Error(this.unknownTaskMessage(taskId));
    return state;
  }

  /** Ids of the blocks of a task that failed for good, in order of failure. */
  failedBlockIds(taskId: string): readonly number[] {
    return this.scheduler.failedBlockIds(taskId);
  }

  get finished(): boolean {
    for (const state of this.scheduler.taskStates.values()) if (!state.isDone()) return false;
    return true;
  }

  /** Gives up on a task: its remaining blocks fail, its downstream is orphaned, its workers are shut down. */
  abandonTask(taskId: string, reason: string): void {
    this.scheduler.abandonTask(taskId);
    this.preChecks.abandon(taskId);
    for (const session of this.sessions) {
      if (session.taskId === taskId) this.shutdown(session, reason);
    }
    this.afterChange();
  }

  // -- gRPC handlers ---------------------------------------------------------

  readonly work = (stream: ServerDuplexStream<WorkRequest, WorkResponse>): void => {
    const session = new WorkSession(stream);
    if (this.sessions.size >= this.maxStreams) {
      session.fail(GrpcStatus.RESOURCE_EXHAUSTED, `this server has ${this.sessions.size} work streams open, its limit; try again later`);
      return;
    }
    this.sessions.add(session);
    // A stream that never says Hello would hold its slot for ever.
    const helloTimer = setTimeout(() => {
      if (session.identity !== null || session.closed) return;
      session.fail(GrpcStatus.FAILED_PRECONDITION, `no Hello within ${this.helloTimeoutMs} ms: a work stream must start with Hello`);
      this.closeSession(session, 'it never said Hello');
    }, this.helloTimeoutMs);
    helloTimer.unref();
    stream.on('close', () => clearTimeout(helloTimer));
    stream.on('data', (request: WorkRequest) => {
      try {
        this.onRequest(session, request);
      } catch (error) {
        // A bug must not leave blocks stranded: end the stream, which reclaims them.
        session.fail(GrpcStatus.INTERNAL, `internal error: ${error instanceof Error ? error.message : String(error)}`);
        this.closeSession(session, 'the server failed on its request');
      }
    });
    const close = (why: string) => () => this.closeSession(session, why);
    stream.on('end', () => {
      this.closeSession(session, 'its stream ended');
      stream.end();
    });
    stream.on('cancelled', close('its stream was cancelled (worker gone)'));
    stream.on('error', close('its stream failed'));
    stream.on('close', close('its stream closed'));
  };

  readonly getTaskStates = (
    call: ServerUnaryCall<GetTaskStatesRequest, GetTaskStatesResponse>,
    callback: sendUnaryData<GetTaskStatesResponse>,
  ): void => {
    const asked = readTaskStatesRequest(call.request);
    const unknown = asked.filter((id) => !this.taskById.has(id));
    if (unknown.length > 0) {
      callback({ code: GrpcStatus.NOT_FOUND, details: this.unknownTaskMessage(unknown[0]!) });
      return;
    }
    callback(null, taskStatesResponse(this.states(), asked.length > 0 ? asked : this.taskIds));
  };

  readonly watchProgress = (call: ServerWritableStream<WatchProgressRequest, WatchProgressResponse>): void => {
    let pending: NodeJS.Timeout | undefined;
    const send = (failure?: FailureRecord): void => {
      call.write(watchProgressResponse(this.states(), this.finished, failure));
    };
    // Changes are many (one per block); a watcher gets at most one update per 100 ms.
    const onChange = (): void => {
      pending ??= setTimeout(() => {
        pending = undefined;
        send();
        if (this.finished) call.end();
      }, 100);
    };
    const onFailure = (f: FailureRecord): void => send(f);
    this.on('change', onChange);
    this.on('failure', onFailure);
    const stop = (): void => {
      this.off('change', onChange);
      this.off('failure', onFailure);
      if (pending !== undefined) clearTimeout(pending);
    };
    call.on('cancelled', stop);
    call.on('close', stop);
    send();
    if (this.finished) {
      stop();
      call.end();
    }
  };

  // -- the work protocol ------------------------------------------------------

  private onRequest(session: WorkSession, message: WorkRequest): void {
    if (session.closed) return;
    // The refusals of one request go out as one Rejected (one more per other reply it causes),
    // whatever the request's length.
    session.reading = true;
    try {
      this.readRequest(session, message);
    } finally {
      session.flushRefusals();
      session.reading = false;
    }
  }

  private readRequest(session: WorkSession, message: WorkRequest): void {
    // No list longer than what a stream may be owed, or than what it holds, can be all valid.
    const request = readWorkRequest(message, Math.max(MAX_ACQUIRE, this.leases.countHeldBy(session)));
    if (request.kind === 'malformed') {
      // The status grpc-js would give; the server ends the stream itself, in order (service-definition.ts says why).
      session.fail(GrpcStatus.INTERNAL, `Error deserializing request: ${request.reason}`);
      this.closeSession(session, 'it sent a message that cannot be parsed');
      return;
    }
    if (request.kind === 'empty') {
      this.reject(session, GrpcStatus.INVALID_ARGUMENT, 'empty WorkRequest: set hello, acquire, release, releases or skip');
      return;
    }
    if (request.kind === 'hello') {
      this.onHello(session, request.hello);
      return;
    }
    // Before the list bound: before Hello, a request of any length ends the stream (the contract's "opened" state).
    if (session.identity === null) {
      const name = request.kind === 'tooLong' ? message.message.case : request.kind === 'releases' ? (request.single ? 'release' : 'releases') : request.kind;
      session.fail(GrpcStatus.FAILED_PRECONDITION, `a work stream must start with Hello, got ${name}`);
      this.closeSession(session, 'it broke the protocol');
      return;
    }
    if (request.kind === 'tooLong') {
      this.reject(
        session,
        GrpcStatus.INVALID_ARGUMENT,
        `${request.field} lists ${request.length} blocks, more than this stream could hold (${request.max}); nothing in the request was applied`,
      );
      return;
    }
    switch (request.kind) {
      case 'acquire':
        this.onAcquire(session, request.count, request.ahead);
        break;
      case 'releases':
        for (const id of request.started) this.onStart(session, id);
        for (const release of request.releases) this.onRelease(session, release);
        if (request.then !== null && !session.closed) this.onAcquire(session, request.then.count, request.then.ahead);
        break;
      case 'skip':
        this.onSkip(session, request.blockId);
        break;
      case 'start':
        for (const id of request.blockIds) this.onStart(session, id);
        break;
      case 'renew':
        for (const id of request.blockIds) this.onRenew(session, id);
        break;
      case 'giveBack':
        this.onGiveBack(session, request.blockIds);
        break;
    }
  }

  private onHello(session: WorkSession, hello: HelloFields): void {
    if (session.identity !== null) {
      this.reject(session, GrpcStatus.FAILED_PRECONDITION, `this stream already said Hello for task ${JSON.stringify(session.identity.taskId)}`);
      return;
    }
    if (!this.taskById.has(hello.taskId)) {
      session.fail(GrpcStatus.NOT_FOUND, this.unknownTaskMessage(hello.taskId));
      this.closeSession(session, 'it named an unknown task');
      return;
    }
    const workerId = hello.workerId === '' ? `stream-${session.id}` : hello.workerId;
    session.identity = { taskId: hello.taskId, workerId, language: hello.language, host: hello.host, pid: hello.pid };
    const timeout = this.taskById.get(hello.taskId)!.timeout;
    session.send(
      welcomeResponse({ serverVersion: serverVersion(), taskId: hello.taskId, workerId, timeout, renewInterval: timeout === null ? null : timeout / 3 }),
    );
    if (this.state(hello.taskId).isOver()) this.shutdown(session, this.overReason(hello.taskId));
  }

  private onAcquire(session: WorkSession, count: number, ahead: number): void {
    if (count < 1 || count > MAX_ACQUIRE) {
      this.reject(session, GrpcStatus.INVALID_ARGUMENT, `Acquire.count must be between 1 and ${MAX_ACQUIRE}, got ${count}`);
      return;
    }
    if (ahead > count) {
      this.reject(session, GrpcStatus.INVALID_ARGUMENT, `Acquire.ahead must be at most its count (${count}), got ${ahead}`);
      return;
    }
    const taskId = session.taskId!;
    if (this.state(taskId).isOver()) {
      // Every Acquire gets an answer: one that crossed the Shutdown gets it again.
      this.shutdown(session, this.overReason(taskId), true);
      return;
    }
    session.wanted = Math.min(MAX_ACQUIRE, session.wanted + count);
    session.wantedAhead = Math.min(session.wanted, session.wantedAhead + ahead);
    this.serve(session);
    if (session.wanted > 0) {
      this.parked.get(taskId)!.add(session);
      if (!session.waitSent) {
        session.waitSent = true;
        session.send(waitResponse());
      }
    }
  }

  private onRelease(session: WorkSession, release: ReleaseReport): void {
    const lease = this.leaseOf(session, release.blockId);
    if (lease === null) return;
    if (release.status === null) {
      this.reject(
        session,
        GrpcStatus.INVALID_ARGUMENT,
        `block ${release.blockId.raw} of task ${JSON.stringify(session.taskId)} released with status ${release.statusName}; expected SUCCESS or FAILED`,
        release.blockId.raw,
      );
      return;
    }
    this.giveBack(lease, release.status, release.error, release.traceback);
  }

  private onSkip(session: WorkSession, blockId: WireBlockId): void {
    const lease = this.leaseOf(session, blockId);
    if (lease === null) return;
    this.leases.end(lease);
    this.scheduler.releaseSkipped(lease.block);
    this.afterChange();
  }

  private onStart(session: WorkSession, blockId: WireBlockId): void {
    const lease = this.leaseOf(session, blockId);
    if (lease !== null) this.leases.start(lease);
  }

  private onRenew(session: WorkSession, blockId: WireBlockId): void {
    const lease = this.leaseOf(session, blockId);
    if (lease === null) return;
    if (!lease.started) {
      this.reject(session, GrpcStatus.FAILED_PRECONDITION, `${this.describe(lease)} was not started: send Start before Renew`, blockId.raw);
      return;
    }
    this.leases.renew(lease);
  }

  /** Unstarted blocks come back ready, first in line, without spending an attempt. */
  private onGiveBack(session: WorkSession, blockIds: readonly WireBlockId[]): void {
    let returned = false;
    for (const blockId of blockIds) {
      const lease = this.leaseOf(session, blockId);
      if (lease === null) continue;
      if (lease.started) {
        this.reject(session, GrpcStatus.FAILED_PRECONDITION, `${this.describe(lease)} was started: release it (SUCCESS or FAILED) instead`, blockId.raw);
        continue;
      }
      this.leases.end(lease);
      this.scheduler.returnBlock(lease.block);
      returned = true;
    }
    if (returned) this.afterChange();
  }

  private describe(lease: Lease): string {
    return `block ${lease.block.blockId} of task ${JSON.stringify(lease.block.taskId)}`;
  }

  /** The lease of `blockId` if `session` holds it; otherwise says why not and returns null. */
  private leaseOf(session: WorkSession, blockId: WireBlockId): Lease | null {
    if (blockId.id === null) {
      this.reject(session, GrpcStatus.INVALID_ARGUMENT, `block id ${blockId.raw} is beyond 2^53: no task has such a block`, blockId.raw);
      return null;
    }
    const found = this.leases.find(session, session.taskId!, blockId.id);
    if (!isRefusal(found)) return found;
    this.reject(session, found.code, found.message, blockId.raw);
    return null;
  }

  // -- handing out and taking back ----------------------------------------------

  /** Sends `session` as many ready blocks as it wants and the task has. */
  private serve(session: WorkSession): void {
    const taskId = session.taskId!;
    const task = this.taskById.get(taskId)!;
    const timeout = task.timeout;
    const blocks = [];
    while (session.wanted > 0) {
      const block = this.preChecks.next(task);
      if (block === null) break;
      const attempt = this.scheduler.attemptOf(block);
      // Blocks the worker waits for come first and start now; buffered ones start with their Start.
      const startsNow = session.wanted > session.wantedAhead;
      this.leases.grant(session, block, attempt, timeout, startsNow);
      blocks.push(blockToWire(block, attempt));
      session.wanted--;
      if (!startsNow) session.wantedAhead--;
    }
    if (blocks.length > 0) {
      session.waitSent = false;
      session.send(blocksResponse(blocks));
      this.emit('change');
    }
    if (session.wanted === 0) this.parked.get(taskId)!.delete(session);
  }

  private giveBack(lease: Lease, status: BlockStatus.SUCCESS | BlockStatus.FAILED, error: string, traceback: string): void {
    this.leases.end(lease);
    const task = this.taskById.get(lease.block.taskId)!;
    if (status !== BlockStatus.SUCCESS || task.postCheck === null) {
      this.settle(lease, status, error, traceback);
      return;
    }
    // The lease is over, so no stream can release the block again, and it stays processing in
    // the scheduler, so nobody else gets it, until the post-check says whether it succeeded.
    const verdict = postCheck(task, lease.block);
    if (verdict instanceof Promise) void verdict.then((v) => this.settlePostChecked(lease, v));
    else this.settlePostChecked(lease, verdict);
  }

  private settlePostChecked(lease: Lease, verdict: PostCheckVerdict): void {
    if (verdict === null) this.settle(lease, BlockStatus.SUCCESS, '', '');
    else this.settle(lease, BlockStatus.FAILED, verdict.error, verdict.traceback);
  }

  /** Hands an ended lease's block back to the scheduler and reports what became of it. */
  private settle(lease: Lease, status: BlockStatus.SUCCESS | BlockStatus.FAILED, error: string, traceback: string): void {
    const { block, session } = lease;
    block.status = status;
    const outcome = this.scheduler.releaseBlock(block);
    if (status === BlockStatus.FAILED) {
      const record: FailureRecord = {
        taskId: block.taskId,
        blockId: block.blockId,
        workerId: session.identity?.workerId ?? session.label,
        error: error === '' ? 'failed (no error message)' : boundText(error, MAX_ERROR_BYTES),
        traceback: boundText(traceback, MAX_TRACEBACK_BYTES),
        attempt: lease.attempt,
        permanent: outcome === 'failed',
      };
      this.failures.push(record);
      this.emit('failure', record);
      this.emit('workerRelease', record.workerId, block.taskId, false);
    } else if (session.identity !== null) {
      this.emit('workerRelease', session.identity.workerId, block.taskId, true);
    }
    this.afterChange();
  }

  /** The task's timeout passed: the worker is told to stop, and the block returns as a failed attempt. */
  private onLeaseExpired(lease: Lease): void {
    const reason = `timed out: held for more than ${lease.timeout} s by ${lease.session.label}`;
    lease.session.send(revokedResponse(lease.block.blockId, reason));
    this.settle(lease, BlockStatus.FAILED, reason, '');
  }

  private closeSession(session: WorkSession, why: string): void {
    if (!this.sessions.delete(session)) return;
    session.closed = true;
    if (session.taskId !== null) {
      this.parked.get(session.taskId)!.delete(session);
      let returned = false;
      for (const lease of this.leases.heldBy(session)) {
        if (lease.started) {
          this.giveBack(lease, BlockStatus.FAILED, `lost: ${session.label} left while holding it (${why})`, '');
        } else {
          // Never started: nothing ran, so no attempt is spent.
          this.leases.end(lease);
          this.scheduler.returnBlock(lease.block);
          returned = true;
        }
      }
      if (returned) this.afterChange();
    }
    this.leases.dropSession(session);
  }

  /** Serves parked streams after a change, and shuts down streams of tasks that are over. */
  private afterChange(): void {
    for (const [taskId, waiting] of this.parked) {
      const state = this.state(taskId);
      if (state.isOver()) {
        if (!this.shutDownTasks.has(taskId)) {
          this.shutDownTasks.add(taskId);
          for (const session of this.sessions) if (session.taskId === taskId) this.shutdown(session, this.overReason(taskId));
        }
        waiting.clear();
        continue;
      }
      // serve() drops a satisfied session from `waiting`; deleting the current entry is safe while iterating.
      for (const session of waiting) {
        this.serve(session);
        if (state.readyCount === 0 && this.preChecks.waiting(taskId) === 0) break;
      }
    }
    this.emit('change');
    if (!this.finishedEmitted && this.finished) {
      this.finishedEmitted = true;
      for (const session of this.sessions) if (session.taskId !== null) this.shutdown(session, this.overReason(session.taskId));
      this.emit('finished');
    }
  }

  /**
   * afterChange from a place that may itself be inside serve() (blocks skipped
   * by their pre-check) or outside any request (a check answered): once, on
   * the next turn, rather than recursively.
   */
  private afterChangeSoon(): void {
    if (this.changeScheduled) return;
    this.changeScheduled = true;
    setImmediate(() => {
      this.changeScheduled = false;
      this.afterChange();
    });
  }

  private overReason(taskId: string): string {
    return this.state(taskId).abandoned ? `task ${JSON.stringify(taskId)} was abandoned` : `task ${JSON.stringify(taskId)} is done`;
  }

  private shutdown(session: WorkSession, reason: string, again = false): void {
    session.wanted = 0;
    session.wantedAhead = 0;
    if (session.shutdownSent && !again) return;
    session.shutdownSent = true;
    session.send(shutdownResponse(reason));
  }

  private reject(session: WorkSession, code: GrpcStatus, message: string, blockId: bigint | number | null = null): void {
    const rejection = { code, message, blockId: blockId === null ? null : BigInt(blockId) };
    if (session.reading) session.refusals.add(rejection);
    else session.send(rejectedResponse(rejection));
  }

  private unknownTaskMessage(taskId: string): string {
    return `unknown task id ${quotePeerText(taskId)}; this server runs ${this.taskIds.map((t) => JSON.stringify(t)).join(', ')}`;
  }
}
