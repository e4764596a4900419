import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Block } from '../model/block.js';
import type { WorkSession } from './work-session.js';

/** A block handed to a work stream and not yet given back. */
export interface Lease {
  readonly block: Block;
  readonly session: WorkSession;
  /** 0 the first time the block is handed out. */
  readonly attempt: number;
  /** The task's timeout in seconds, null for none. */
  readonly timeout: number | null;
  /** The worker runs the block: its timeout runs (a worker that never sends Start starts every block at hand-out). */
  started: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** Why a stream may not release a block: a gRPC status code and a readable reason. */
export interface LeaseRefusal {
  code: GrpcStatus;
  message: string;
}

/**
 * The one record of who holds which block: each lease by block and by
 * stream, with its timeout timer, and the last RECLAIMED_REMEMBERED blocks
 * taken back from a stream on timeout (so that a late release is refused
 * with the right reason).
 */
export class Leases {
  /** taskId -> blockId -> lease. */
  private readonly byBlock = new Map<string, Map<number, Lease>>();
  private readonly bySession = new Map<WorkSession, Map<number, Lease>>();
  private readonly reclaimed = new Map<WorkSession, Set<number>>();

  /** `onExpire` is called when a lease outlives its timeout; the lease is already ended then. */
  constructor(
    taskIds: Iterable<string>,
    private readonly onExpire: (lease: Lease) => void,
  ) {
    for (const taskId of taskIds) this.byBlock.set(taskId, new Map());
  }

  /**
   * Records that `session` holds `block`. A started lease's timeout (seconds)
   * runs from now; an unstarted one's from its `start`.
   */
  grant(session: WorkSession, block: Block, attempt: number, timeout: number | null, started: boolean): Lease {
    const lease: Lease = { block, session, attempt, timeout, started: false, timer: undefined };
    // A block taken back from this stream may come back to it: it is held again, not "taken back".
    this.reclaimed.get(session)?.delete(block.blockId);
    if (started) this.start(lease);
    this.byBlock.get(block.taskId)!.set(block.blockId, lease);
    let held = this.bySession.get(session);
    if (held === undefined) this.bySession.set(session, (held = new Map()));
    held.set(block.blockId, lease);
    return lease;
  }

  /** The lease of `blockId` if `session` holds it, or why the stream may not release it. */
  find(session: WorkSession, taskId: string, blockId: number): Lease | LeaseRefusal {
    const lease = this.byBlock.get(taskId)!.get(blockId);
    if (lease !== undefined && lease.session === session) return lease;
    const what = `block ${blockId} of task ${JSON.stringify(taskId)}`;
    if (this.reclaimed.get(session)?.has(blockId) === true) {
      return { code: GrpcStatus.FAILED_PRECONDITION, message: `${what} was taken back from this worker after its timeout; the late release is ignored` };
    }
    if (lease !== undefined) return { code: GrpcStatus.PERMISSION_DENIED, message: `${what} is held by another worker, not by this stream` };
    return { code: GrpcStatus.FAILED_PRECONDITION, message: `${what} is not held by this stream: released twice, or never acquired` };
  }

  /** The worker starts the block: its timeout runs from now. Starting a started lease changes nothing. */
  start(lease: Lease): void {
    if (lease.started) return;
    lease.started = true;
    this.arm(lease);
  }

  /** The worker still runs the block: its timeout runs again from now. */
  renew(lease: Lease): void {
    if (lease.timer !== undefined) clearTimeout(lease.timer);
    this.arm(lease);
  }

  private arm(lease: Lease): void {
    if (lease.timeout === null) return;
    lease.timer = setTimeout(() => this.expire(lease), lease.timeout * 1000);
    // A pending timeout must not keep a finished process alive.
    lease.timer.unref();
  }

  /** Ends a lease: the block was given back (or is about to be, as lost). */
  end(lease: Lease): void {
    if (lease.timer !== undefined) clearTimeout(lease.timer);
    this.byBlock.get(lease.block.taskId)!.delete(lease.block.blockId);
    this.bySession.get(lease.session)?.delete(lease.block.blockId);
  }

  /** The leases a stream holds now. */
  heldBy(session: WorkSession): Lease[] {
    return [...(this.bySession.get(session)?.values() ?? [])];
  }

  /** How many blocks a stream holds now. */
  countHeldBy(session: WorkSession): number {
    return this.bySession.get(session)?.size ?? 0;
  }

  /** Forgets a closed stream once its leases are ended. */
  dropSession(session: WorkSession): void {
    this.bySession.delete(session);
    this.reclaimed.delete(session);
  }

  private expire(lease: Lease): void {
    if (this.byBlock.get(lease.block.taskId)!.get(lease.block.blockId) !== lease) return;
    let taken = this.reclaimed.get(lease.session);
    if (taken === undefined) this.reclaimed.set(lease.session, (taken = new Set()));
    taken.add(lease.block.blockId);
    // A Set iterates in insertion order: its first entry is the oldest.
    if (taken.size > RECLAIMED_REMEMBERED) taken.delete(taken.values().next().value!);
    this.end(lease);
    this.onExpire(lease);
  }
}

/**
 * Blocks taken back on timeout remembered per stream, newest kept: only for
 * the wording of a late release's refusal, so a stream whose blocks keep
 * timing out must not grow it for ever.
 */
export const RECLAIMED_REMEMBERED = 1024;

export function isRefusal(found: Lease | LeaseRefusal): found is LeaseRefusal {
  return 'code' in found;
}
