import { EventEmitter } from 'node:events';
import { status as GrpcStatus, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import { BlockStatus } from '../model/block.js';
import type { FailureRecord } from '../model/failure-record.js';
import type { Task } from '../model/task.js';
import type { TaskState } from '../model/task-state.js';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.js';
import { warmUpScheduler } from '../scheduler/warm-up.js';
import { MAX_ACQUIRE } from '../wire/limits.js';
import { isMalformed, type MalformedRequest } from '../wire/service-definition.js';
import {
  readTaskStatesRequest,
  taskStatesResponse,
  watchProgressResponse,
  type GetTaskStatesRequest,
  type GetTaskStatesResponse,
  type WatchProgressRequest,
  type WatchProgressResponse,
} from '../wire/progress-messages.js';
import { encodeBlocksResponse } from '../wire/work-codec.js';
import {
  readWorkRequest,
  rejectedResponse,
  revokedResponse,
  shutdownResponse,
  waitResponse,
  welcomeResponse,
  type HelloFields,
  type ReleaseReport,
  type WireBlockId,
  type ServerWorkRequest,
  type ServerWorkResponse,
} from '../wire/work-messages.js';
import { PreChecks, postCheck, type PostCheckVerdict } from './block-checks.js';
import { FailureHistory } from './failure-history.js';
import { boundText, MAX_ERROR_BYTES, MAX_TRACEBACK_BYTES } from './failure-text.js';
import { isRefusal, type Lease, Leases } from './leases.js';
import { quotePeerText } from './peer-text.js';
import { serverVersion } from './version.js';
import type { WorkSession } from './work-session.js';
import { type WorkStreamLimits, type WorkStreamOwner, WorkStreams } from './work-streams.js';
import { WorkerSecrets } from './worker-secrets.js';

export type { FailureRecord };
export { HELLO_TIMEOUT_MS, MAX_STREAMS } from './work-streams.js';

/**
 * Marked blocks skipped in one turn of the event loop (by `skipMarked` or a
 * hand-out), so that resuming a task of 10^7 done blocks never holds other
 * streams, leases and pipelines for more than a few milliseconds.
 */
export const MARKED_SKIPS_PER_TURN = 16_384;

export interface SchedulerServiceOptions extends Omit<SchedulerOptions, 'checks'>, WorkStreamLimits {
  /**
   * The pipeline this scheduler runs, sent in Welcome; a Hello naming
   * another is refused when this service is the whole server (`work`).
   * Default '': the server's only pipeline.
   */
  pipelineId?: string;
}

export interface SchedulerServiceEvents {
  /** Task states changed (coalesced by listeners as they like). */
  change: [];
  failure: [FailureRecord];
  /**
   * A pool's worker released a block (or lost it); pools use it to restart workers that keep
   * failing. Only for streams whose Hello presented the secret registered with `expectWorker`:
   * other streams cannot speak for a pool's worker.
   */
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
export class SchedulerService extends EventEmitter<SchedulerServiceEvents> implements WorkStreamOwner {
  readonly pipelineId: string;
  private readonly scheduler: Scheduler;
  private readonly taskById = new Map<string, Task>();
  private readonly leases: Leases;
  /** Tasks whose streams were told to shut down. */
  private readonly shutDownTasks = new Set<string>();
  /** Streams per task that asked for blocks and wait for them, oldest first. */
  private readonly parked = new Map<string, Set<WorkSession>>();
  private readonly sessions = new Set<WorkSession>();
  private readonly failureHistory = new FailureHistory();
  /** Why a task ended early (abandoned, cancelled), for the Shutdown of its streams. */
  private readonly overReasons = new Map<string, string>();
  /** The secrets of the worker processes this server's pools started (worker-secrets.ts). */
  private readonly workerSecrets = new WorkerSecrets();
  private finishedEmitted = false;
  private readonly preChecks: PreChecks;
  private changeScheduled = false;
  /** Tasks with done markers (SchedulerOptions.doneMarks). */
  private readonly trackedTaskIds: string[] = [];
  private skipScheduled = false;

  /** The work streams when this service is the whole server (`work`); a server of many pipelines has its own. */
  private readonly streams: WorkStreams;

  /** Pre-checks always run here, not in the scheduler, so that they may be asynchronous (block-checks.ts). */
  constructor(tasks: readonly Task[], serviceOptions: SchedulerServiceOptions = {}) {
    super();
    const { helloTimeoutMs, maxStreams, pipelineId = '', ...options } = serviceOptions;
    this.streams = new WorkStreams({ helloTimeoutMs, maxStreams });
    this.pipelineId = pipelineId;
    // A server's first task should not pay for compiling the scheduler (see warm-up.ts).
    warmUpScheduler();
    this.scheduler = new Scheduler(tasks, { markedSkipsPerAcquire: MARKED_SKIPS_PER_TURN, ...options, checks: 'external' });
    this.preChecks = new PreChecks(this.scheduler, () => this.afterChangeSoon());
    for (const task of this.scheduler.tasks) {
      this.taskById.set(task.taskId, task);
      this.parked.set(task.taskId, new Set());
      if (this.scheduler.isTracked(task.taskId)) this.trackedTaskIds.push(task.taskId);
    }
    this.leases = new Leases(this.taskById.keys(), (lease) => this.onLeaseExpired(lease));
    // Blocks marked done by an earlier run are skipped from the start, whether or not a worker asks yet.
    this.skipMarkedSoon();
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

  /** The most recent failed attempts (at most RECENT_FAILURES), oldest first. */
  get failures(): FailureRecord[] {
    return this.failureHistory.recent();
  }

  /**
   * The attempt with which a block failed for good. Undefined when it failed
   * without running (its task was abandoned), or when more blocks failed than
   * the history keeps (`failureRecordsDropped`).
   */
  permanentFailure(taskId: string, blockId: number): FailureRecord | undefined {
    return this.failureHistory.permanentFailure(taskId, blockId);
  }

  /** Blocks failed for good whose failure record was not kept. */
  get failureRecordsDropped(): number {
    return this.failureHistory.droppedPermanent;
  }

  get finished(): boolean {
    for (const state of this.scheduler.taskStates.values()) if (!state.isDone()) return false;
    return true;
  }

  /**
   * Registers a worker process a pool is about to start for `taskId` under
   * `workerId`, with the secret it passes in the worker's DAISY_CONTEXT. From
   * now until `forgetWorker`, a Hello claiming this id must present the
   * secret or its stream ends with PERMISSION_DENIED; streams that did are
   * the only ones whose releases reach `workerRelease`.
   */
  expectWorker(taskId: string, workerId: string, secret: string): void {
    if (!this.taskById.has(taskId)) throw new Error(this.unknownTaskMessage(taskId));
    this.workerSecrets.register(taskId, workerId, secret);
  }

  /** The worker is gone (it exited): its id is free for any stream again, as an unbound one. */
  forgetWorker(taskId: string, workerId: string): void {
    this.workerSecrets.forget(taskId, workerId);
  }

  /** How many pool workers are registered (`expectWorker`) and not forgotten. */
  get expectedWorkerCount(): number {
    return this.workerSecrets.size;
  }

  /**
   * A pool is about to stop one of its workers (it failed too many blocks in
   * a row): its streams get Shutdown and no block more, not even the one the
   * Releases being read asks for — a block handed to a worker that is being
   * stopped would be lost with it and spend an attempt it never had.
   */
  retireWorker(taskId: string, workerId: string, reason: string): void {
    for (const session of this.sessions) {
      if (session.poolWorker && session.taskId === taskId && session.identity?.workerId === workerId) {
        session.retired = true;
        this.shutdown(session, reason);
      }
    }
  }

  /** Gives up on a task: its remaining blocks fail, its downstream is orphaned, its workers are shut down. */
  abandonTask(taskId: string, reason: string): void {
    this.abandonQuietly(taskId, null);
    for (const session of this.sessions) {
      if (session.taskId === taskId) this.shutdown(session, reason);
    }
    this.afterChange();
  }

  /** `reason`, when given, is what the task's streams are told from now on (instead of "was abandoned"). */
  private abandonQuietly(taskId: string, reason: string | null): void {
    if (reason !== null && !this.state(taskId).isOver()) this.overReasons.set(taskId, reason);
    this.scheduler.abandonTask(taskId);
    this.preChecks.abandon(taskId);
  }

  /**
   * Ends the whole run now (a cancelled pipeline): every task is abandoned,
   * which fails its remaining blocks and orphans its downstream; every held
   * block is taken back (its worker gets Revoked, and its release would be
   * refused as not held) and fails for good, as blocks of an abandoned task
   * do; every stream gets Shutdown with `reason`.
   */
  cancel(reason: string): void {
    for (const task of this.tasks) this.abandonQuietly(task.taskId, reason);
    for (const session of this.sessions) {
      for (const lease of this.leases.heldBy(session)) {
        session.send(revokedResponse(lease.block.blockId, reason));
        if (lease.started) {
          this.giveBack(lease, BlockStatus.FAILED, `cancelled: ${reason}`, '');
        } else {
          this.leases.end(lease);
          this.scheduler.returnBlock(lease.block);
        }
      }
      this.shutdown(session, reason);
    }
    this.afterChange();
  }

  // -- gRPC handlers ---------------------------------------------------------

  /** The Work handler when this service is the whole server; with several pipelines, src/pipelines routes streams to `adopt`. */
  readonly work = (stream: ServerDuplexStream<ServerWorkRequest | MalformedRequest, ServerWorkResponse>): void => {
    this.streams.accept(stream, (session, hello) => {
      if (hello.pipelineId === '' || hello.pipelineId === this.pipelineId) return this;
      const runs = this.pipelineId === '' ? 'runs one pipeline, whose workers send an empty pipeline_id' : `runs pipeline ${JSON.stringify(this.pipelineId)}`;
      session.fail(GrpcStatus.NOT_FOUND, `unknown pipeline id ${quotePeerText(hello.pipelineId)}; this server ${runs}`);
      return null;
    });
  };

  // -- WorkStreamOwner: the streams of this pipeline, their Hello read --------------

  adopt(session: WorkSession, hello: HelloFields): void {
    this.sessions.add(session);
    this.onHello(session, hello);
  }

  request(session: WorkSession, message: ServerWorkRequest): void {
    this.onRequest(session, message);
  }

  release(session: WorkSession, why: string): void {
    this.closeSession(session, why);
  }

  readonly getTaskStates = (
    call: ServerUnaryCall<GetTaskStatesRequest | MalformedRequest, GetTaskStatesResponse>,
    callback: sendUnaryData<GetTaskStatesResponse>,
  ): void => {
    if (isMalformed(call.request)) {
      callback({ code: GrpcStatus.INVALID_ARGUMENT, details: call.request.message });
      return;
    }
    const asked = readTaskStatesRequest(call.request);
    const unknown = asked.filter((id) => !this.taskById.has(id));
    if (unknown.length > 0) {
      callback({ code: GrpcStatus.NOT_FOUND, details: this.unknownTaskMessage(unknown[0]!) });
      return;
    }
    callback(null, taskStatesResponse(this.states(), asked.length > 0 ? asked : this.taskIds));
  };

  readonly watchProgress = (call: ServerWritableStream<WatchProgressRequest | MalformedRequest, WatchProgressResponse>): void => {
    if (isMalformed(call.request)) {
      call.emit('error', Object.assign(new Error(call.request.message), { code: GrpcStatus.INVALID_ARGUMENT, details: call.request.message }));
      return;
    }
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

  private onRequest(session: WorkSession, message: ServerWorkRequest): void {
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

  private readRequest(session: WorkSession, message: ServerWorkRequest): void {
    // No list longer than what a stream may be owed, or than what it holds, can be all valid.
    const request = readWorkRequest(message, Math.max(MAX_ACQUIRE, this.leases.countHeldBy(session)));
    if (request.kind === 'tooLong') {
      this.reject(
        session,
        GrpcStatus.INVALID_ARGUMENT,
        `${request.field} lists ${request.length} blocks, more than this stream could hold (${request.max}); nothing in the request was applied`,
      );
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
      // Ending the stream ends its session (WorkStreams).
      session.fail(GrpcStatus.NOT_FOUND, this.unknownTaskMessage(hello.taskId));
      return;
    }
    const check = this.workerSecrets.check(hello.taskId, hello.workerId, hello.workerSecret);
    if (check === 'missing' || check === 'wrong') {
      // Nothing was granted yet, so closing changes no count and no lease. The message names
      // the id (a pool's, not the peer's text) and never the secret.
      const how = check === 'missing' ? 'sent no Hello.worker_secret' : "sent a Hello.worker_secret that is not this worker's";
      session.fail(
        GrpcStatus.PERMISSION_DENIED,
        `worker id ${JSON.stringify(hello.workerId)} belongs to a worker this server started for task ${JSON.stringify(hello.taskId)}; ` +
          `this stream did not present its secret (it ${how}; a worker started by a pool finds it as worker_secret in DAISY_CONTEXT)`,
      );
      this.closeSession(session, 'it claimed a pool worker without its secret');
      return;
    }
    // Bound once, here: a stream that said Hello before a pool registered the same id stays unbound.
    session.poolWorker = check === 'verified';
    const workerId = hello.workerId === '' ? `stream-${session.id}` : hello.workerId;
    session.identity = { taskId: hello.taskId, workerId, language: hello.language, host: hello.host, pid: hello.pid };
    const timeout = this.taskById.get(hello.taskId)!.timeout;
    session.send(
      welcomeResponse({
        serverVersion: serverVersion(),
        taskId: hello.taskId,
        workerId,
        timeout,
        renewInterval: timeout === null ? null : timeout / 3,
        pipelineId: this.pipelineId,
      }),
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
    if (this.state(taskId).isOver() || session.retired) {
      // Every Acquire gets an answer: one that crossed the Shutdown gets it again.
      this.shutdown(session, session.retired ? 'its worker pool is stopping this worker' : this.overReason(taskId), true);
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
      if (block === null) {
        // The hand-out stopped at its bound of marked skips: the rest are skipped on later turns.
        if (this.trackedTaskIds.length > 0 && this.scheduler.hasMarkedAhead(taskId)) this.skipMarkedSoon();
        break;
      }
      const attempt = this.scheduler.attemptOf(block);
      // Blocks the worker waits for come first and start now; buffered ones start with their Start.
      const startsNow = session.wanted > session.wantedAhead;
      this.leases.grant(session, block, attempt, timeout, startsNow);
      blocks.push({ block, attempt });
      session.wanted--;
      if (!startsNow) session.wantedAhead--;
    }
    if (blocks.length > 0) {
      session.waitSent = false;
      session.send(encodeBlocksResponse(blocks));
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
      this.failureHistory.add(record);
      this.emit('failure', record);
      if (session.poolWorker) this.emit('workerRelease', record.workerId, block.taskId, false);
    } else if (session.poolWorker && session.identity !== null) {
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
    if (this.trackedTaskIds.length > 0 && this.hasMarkedAhead()) this.skipMarkedSoon();
    if (!this.finishedEmitted && this.finished) {
      this.finishedEmitted = true;
      for (const session of this.sessions) if (session.taskId !== null) this.shutdown(session, this.overReason(session.taskId));
      this.emit('finished');
    }
  }

  /**
   * Skips marked blocks in slices of MARKED_SKIPS_PER_TURN, one slice per
   * turn, serving parked streams after each slice that skipped any: they get
   * the first unmarked block as soon as it is ready.
   */
  private skipMarkedSoon(): void {
    if (this.skipScheduled || this.trackedTaskIds.length === 0) return;
    this.skipScheduled = true;
    setImmediate(() => {
      this.skipScheduled = false;
      let skipped = 0;
      for (const taskId of this.trackedTaskIds) {
        skipped += this.scheduler.skipMarked(taskId, MARKED_SKIPS_PER_TURN - skipped);
        if (skipped >= MARKED_SKIPS_PER_TURN) break;
      }
      // afterChange schedules the next slice while marked blocks are ahead.
      if (skipped > 0) this.afterChange();
    });
  }

  private hasMarkedAhead(): boolean {
    for (const taskId of this.trackedTaskIds) if (this.scheduler.hasMarkedAhead(taskId)) return true;
    return false;
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
    const early = this.overReasons.get(taskId);
    if (early !== undefined) return early;
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
