import { EventEmitter } from 'node:events';
import { create } from '@bufbuild/protobuf';
import { status as GrpcStatus, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import {
  BlockFailureSchema,
  BlockStatus as WireBlockStatus,
  BlocksSchema,
  GetTaskStatesResponseSchema,
  RejectedSchema,
  ShutdownSchema,
  WaitSchema,
  WatchProgressResponseSchema,
  WorkResponseSchema,
  type BlockFailure,
  type GetTaskStatesRequest,
  type GetTaskStatesResponse,
  type Hello,
  type Release,
  type WatchProgressRequest,
  type WatchProgressResponse,
  type WorkRequest,
  type WorkResponse,
} from '../gen/daisychain/v1/scheduler_pb.js';
import { type Block, BlockStatus } from '../model/block.js';
import { Scheduler, type SchedulerOptions } from '../scheduler/scheduler.js';
import type { Task } from '../model/task.js';
import type { TaskState } from '../model/task-state.js';
import { warmUpScheduler } from '../scheduler/warm-up.js';
import { blockToWire, taskStateToWire } from '../wire/convert.js';
import { WorkSession } from './work-session.js';

/** The most blocks one Acquire may ask for. */
export const MAX_ACQUIRE = 1024;

/** A failed attempt of a block, as the progress feed and the summary report it. */
export interface FailureRecord {
  taskId: string;
  blockId: number;
  workerId: string;
  error: string;
  traceback: string;
  attempt: number;
  /** True when no retry is left: the block failed for good. */
  permanent: boolean;
}

interface HeldBlock {
  readonly block: Block;
  readonly session: WorkSession;
  readonly attempt: number;
  timer: NodeJS.Timeout | undefined;
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
  readonly scheduler: Scheduler;
  private readonly tasks = new Map<string, Task>();
  /** taskId -> blockId -> the block and its holder. */
  private readonly held = new Map<string, Map<number, HeldBlock>>();
  /** taskId -> blockId -> attempts handed out so far, kept only while the block may run again. */
  private readonly attempts = new Map<string, Map<number, number>>();
  /** Tasks whose streams were told to shut down. */
  private readonly shutDownTasks = new Set<string>();
  /** Streams per task that asked for blocks and wait for them, oldest first. */
  private readonly parked = new Map<string, Set<WorkSession>>();
  private readonly sessions = new Set<WorkSession>();
  readonly failures: FailureRecord[] = [];
  private finishedEmitted = false;

  constructor(tasks: readonly Task[], options: SchedulerOptions = {}) {
    super();
    // A server's first task should not pay for compiling the scheduler (see warm-up.ts).
    warmUpScheduler();
    this.scheduler = new Scheduler(tasks, options);
    for (const task of this.scheduler.tasks) {
      this.tasks.set(task.taskId, task);
      this.held.set(task.taskId, new Map());
      this.attempts.set(task.taskId, new Map());
      this.parked.set(task.taskId, new Set());
    }
  }

  get taskIds(): string[] {
    return [...this.scheduler.taskStates.keys()];
  }

  states(): Map<string, TaskState> {
    return this.scheduler.taskStates;
  }

  get finished(): boolean {
    for (const state of this.scheduler.taskStates.values()) if (!state.isDone()) return false;
    return true;
  }

  /** Gives up on a task: its remaining blocks fail, its downstream is orphaned, its workers are shut down. */
  abandonTask(taskId: string, reason: string): void {
    this.scheduler.abandonTask(taskId);
    for (const session of this.sessions) {
      if (session.taskId === taskId) this.shutdown(session, reason);
    }
    this.afterChange();
  }

  // -- gRPC handlers ---------------------------------------------------------

  readonly work = (stream: ServerDuplexStream<WorkRequest, WorkResponse>): void => {
    const session = new WorkSession(stream);
    this.sessions.add(session);
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
    const unknown = call.request.taskIds.filter((id) => !this.tasks.has(id));
    if (unknown.length > 0) {
      callback({ code: GrpcStatus.NOT_FOUND, details: this.unknownTaskMessage(unknown[0]!) });
      return;
    }
    const ids = call.request.taskIds.length > 0 ? call.request.taskIds : this.taskIds;
    callback(null, create(GetTaskStatesResponseSchema, { states: ids.map((id) => this.stateMessage(id)) }));
  };

  readonly watchProgress = (call: ServerWritableStream<WatchProgressRequest, WatchProgressResponse>): void => {
    let pending: NodeJS.Timeout | undefined;
    const send = (failure?: BlockFailure): void => {
      call.write(
        create(WatchProgressResponseSchema, {
          states: this.taskIds.map((id) => this.stateMessage(id)),
          failure,
          finished: this.finished,
        }),
      );
    };
    // Changes are many (one per block); a watcher gets at most one update per 100 ms.
    const onChange = (): void => {
      pending ??= setTimeout(() => {
        pending = undefined;
        send();
        if (this.finished) call.end();
      }, 100);
    };
    const onFailure = (f: FailureRecord): void => {
      send(
        create(BlockFailureSchema, {
          taskId: f.taskId,
          blockId: BigInt(f.blockId),
          workerId: f.workerId,
          error: f.error,
          traceback: f.traceback,
          attempt: f.attempt,
        }),
      );
    };
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

  private onRequest(session: WorkSession, request: WorkRequest): void {
    if (session.closed) return;
    const message = request.message;
    if (message.case === undefined) {
      this.reject(session, GrpcStatus.INVALID_ARGUMENT, 'empty WorkRequest: set hello, acquire, release, releases or skip');
      return;
    }
    if (message.case === 'hello') {
      this.onHello(session, message.value);
      return;
    }
    if (session.identity === null) {
      session.fail(GrpcStatus.FAILED_PRECONDITION, `a work stream must start with Hello, got ${message.case}`);
      this.closeSession(session, 'it broke the protocol');
      return;
    }
    switch (message.case) {
      case 'acquire':
        this.onAcquire(session, message.value.count);
        break;
      case 'release':
        this.onRelease(session, message.value);
        break;
      case 'releases':
        for (const release of message.value.releases) this.onRelease(session, release);
        break;
      case 'skip':
        this.onSkip(session, Number(message.value.blockId));
        break;
    }
  }

  private onHello(session: WorkSession, hello: Hello): void {
    if (session.identity !== null) {
      this.reject(session, GrpcStatus.FAILED_PRECONDITION, `this stream already said Hello for task ${JSON.stringify(session.identity.taskId)}`);
      return;
    }
    if (!this.tasks.has(hello.taskId)) {
      session.fail(GrpcStatus.NOT_FOUND, this.unknownTaskMessage(hello.taskId));
      this.closeSession(session, 'it named an unknown task');
      return;
    }
    session.identity = {
      taskId: hello.taskId,
      workerId: hello.workerId === '' ? `stream-${session.id}` : hello.workerId,
      language: hello.language,
      host: hello.host,
      pid: hello.pid,
    };
    if (this.isOver(hello.taskId)) this.shutdown(session, this.overReason(hello.taskId));
  }

  private onAcquire(session: WorkSession, count: number): void {
    if (count < 1 || count > MAX_ACQUIRE) {
      this.reject(session, GrpcStatus.INVALID_ARGUMENT, `Acquire.count must be between 1 and ${MAX_ACQUIRE}, got ${count}`);
      return;
    }
    const taskId = session.taskId!;
    if (this.isOver(taskId)) {
      this.shutdown(session, this.overReason(taskId));
      return;
    }
    session.wanted = Math.min(MAX_ACQUIRE, session.wanted + count);
    this.serve(session);
    if (session.wanted > 0) {
      this.parked.get(taskId)!.add(session);
      if (!session.waitSent) {
        session.waitSent = true;
        session.send(create(WorkResponseSchema, { message: { case: 'wait', value: create(WaitSchema) } }));
      }
    }
  }

  private onRelease(session: WorkSession, release: Release): void {
    const taskId = session.taskId!;
    const blockId = Number(release.blockId);
    const holder = this.holderOf(session, taskId, blockId);
    if (holder === null) return;
    let status: BlockStatus;
    if (release.status === WireBlockStatus.SUCCESS) status = BlockStatus.SUCCESS;
    else if (release.status === WireBlockStatus.FAILED) status = BlockStatus.FAILED;
    else {
      this.reject(
        session,
        GrpcStatus.INVALID_ARGUMENT,
        `block ${blockId} of task ${JSON.stringify(taskId)} released with status ${WireBlockStatus[release.status] ?? release.status}; expected SUCCESS or FAILED`,
        blockId,
      );
      return;
    }
    this.giveBack(holder, status, release.error, release.traceback);
  }

  private onSkip(session: WorkSession, blockId: number): void {
    const holder = this.holderOf(session, session.taskId!, blockId);
    if (holder === null) return;
    this.forget(holder);
    this.scheduler.releaseSkipped(holder.block);
    this.attempts.get(holder.block.taskId)!.delete(blockId);
    this.afterChange();
  }

  /** The held block `blockId` if `session` holds it; otherwise says why not and returns null. */
  private holderOf(session: WorkSession, taskId: string, blockId: number): HeldBlock | null {
    const holder = this.held.get(taskId)!.get(blockId);
    if (holder !== undefined && holder.session === session) return holder;
    const what = `block ${blockId} of task ${JSON.stringify(taskId)}`;
    if (session.reclaimed.has(blockId)) {
      this.reject(session, GrpcStatus.FAILED_PRECONDITION, `${what} was taken back from this worker after its timeout; the late release is ignored`, blockId);
    } else if (holder !== undefined) {
      this.reject(session, GrpcStatus.PERMISSION_DENIED, `${what} is held by another worker, not by this stream`, blockId);
    } else {
      this.reject(session, GrpcStatus.FAILED_PRECONDITION, `${what} is not held by this stream: released twice, or never acquired`, blockId);
    }
    return null;
  }

  // -- handing out and taking back ----------------------------------------------

  /** Sends `session` as many ready blocks as it wants and the task has. */
  private serve(session: WorkSession): void {
    const taskId = session.taskId!;
    const blocks = [];
    while (session.wanted > 0) {
      const block = this.scheduler.acquireBlock(taskId);
      if (block === null) break;
      blocks.push(blockToWire(block, this.handOut(session, block)));
      session.wanted--;
    }
    if (blocks.length > 0) {
      session.waitSent = false;
      session.send(create(WorkResponseSchema, { message: { case: 'blocks', value: create(BlocksSchema, { blocks }) } }));
      this.emit('change');
    }
    if (session.wanted === 0) this.parked.get(taskId)!.delete(session);
  }

  private handOut(session: WorkSession, block: Block): number {
    const attempts = this.attempts.get(block.taskId)!;
    const attempt = attempts.get(block.blockId) ?? 0;
    attempts.set(block.blockId, attempt + 1);
    const holder: HeldBlock = { block, session, attempt, timer: undefined };
    const timeout = this.tasks.get(block.taskId)!.timeout;
    if (timeout !== null) {
      holder.timer = setTimeout(() => this.reclaim(holder), timeout * 1000);
      holder.timer.unref();
    }
    this.held.get(block.taskId)!.set(block.blockId, holder);
    session.held.add(block.blockId);
    return attempt;
  }

  private forget(holder: HeldBlock): void {
    if (holder.timer !== undefined) clearTimeout(holder.timer);
    this.held.get(holder.block.taskId)!.delete(holder.block.blockId);
    holder.session.held.delete(holder.block.blockId);
  }

  private giveBack(holder: HeldBlock, status: BlockStatus, error: string, traceback: string): void {
    this.forget(holder);
    const { block } = holder;
    block.status = status;
    // Whether the block will not run again (it succeeded, or failed for good).
    let settled = true;
    if (status === BlockStatus.FAILED) {
      const before = this.scheduler.failedBlockIds(block.taskId).length;
      this.scheduler.releaseBlock(block);
      settled = this.scheduler.failedBlockIds(block.taskId).length > before;
      const record: FailureRecord = {
        taskId: block.taskId,
        blockId: block.blockId,
        workerId: holder.session.identity?.workerId ?? holder.session.label,
        error: error === '' ? 'failed (no error message)' : error,
        traceback,
        attempt: holder.attempt,
        permanent: settled,
      };
      this.failures.push(record);
      this.emit('failure', record);
      this.emit('workerRelease', record.workerId, block.taskId, false);
    } else {
      this.scheduler.releaseBlock(block);
      if (holder.session.identity !== null) this.emit('workerRelease', holder.session.identity.workerId, block.taskId, true);
    }
    // A settled block needs no attempt count: memory stays bounded by the
    // blocks in flight, not by the blocks done.
    if (settled) this.attempts.get(block.taskId)!.delete(block.blockId);
    this.afterChange();
  }

  /** The task's timeout passed: the block returns as a failed attempt. */
  private reclaim(holder: HeldBlock): void {
    if (this.held.get(holder.block.taskId)!.get(holder.block.blockId) !== holder) return;
    holder.session.reclaimed.add(holder.block.blockId);
    const timeout = this.tasks.get(holder.block.taskId)!.timeout;
    this.giveBack(holder, BlockStatus.FAILED, `timed out: held for more than ${timeout} s by ${holder.session.label}`, '');
  }

  private closeSession(session: WorkSession, why: string): void {
    if (!this.sessions.delete(session)) return;
    session.closed = true;
    if (session.taskId !== null) this.parked.get(session.taskId)!.delete(session);
    const taskId = session.taskId;
    if (taskId === null) return;
    for (const blockId of [...session.held]) {
      const holder = this.held.get(taskId)!.get(blockId)!;
      this.giveBack(holder, BlockStatus.FAILED, `lost: ${session.label} left while holding it (${why})`, '');
    }
  }

  /** Serves parked streams after a change, and shuts down streams of tasks that are over. */
  private afterChange(): void {
    for (const [taskId, waiting] of this.parked) {
      if (this.isOver(taskId)) {
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
        if (this.scheduler.taskStates.get(taskId)!.readyCount === 0) break;
      }
    }
    this.emit('change');
    if (!this.finishedEmitted && this.finished) {
      this.finishedEmitted = true;
      for (const session of this.sessions) if (session.taskId !== null) this.shutdown(session, this.overReason(session.taskId));
      this.emit('finished');
    }
  }

  private isOver(taskId: string): boolean {
    return this.scheduler.taskStates.get(taskId)!.isDone() || this.scheduler.isAbandoned(taskId);
  }

  private overReason(taskId: string): string {
    return this.scheduler.isAbandoned(taskId) ? `task ${JSON.stringify(taskId)} was abandoned` : `task ${JSON.stringify(taskId)} is done`;
  }

  private shutdown(session: WorkSession, reason: string): void {
    session.wanted = 0;
    if (session.shutdownSent) return;
    session.shutdownSent = true;
    session.send(create(WorkResponseSchema, { message: { case: 'shutdown', value: create(ShutdownSchema, { reason }) } }));
  }

  private reject(session: WorkSession, code: GrpcStatus, message: string, blockId = 0): void {
    session.send(
      create(WorkResponseSchema, {
        message: { case: 'rejected', value: create(RejectedSchema, { code, message, blockId: BigInt(blockId) }) },
      }),
    );
  }

  private stateMessage(taskId: string) {
    return taskStateToWire(taskId, this.scheduler.taskStates.get(taskId)!, this.scheduler.isAbandoned(taskId));
  }

  private unknownTaskMessage(taskId: string): string {
    return `unknown task id ${JSON.stringify(taskId)}; this server runs ${this.taskIds.map((t) => JSON.stringify(t)).join(', ')}`;
  }
}
