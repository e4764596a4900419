import type { FailureRecord } from '../model/failure-record.js';

/** Failed attempts kept for people to read, newest last. */
export const RECENT_FAILURES = 100;
/** Blocks failed for good whose last attempt is kept for the summary, over all tasks. */
export const KEPT_PERMANENT_FAILURES = 1000;

/**
 * What the server remembers of failed attempts. Each record's text is
 * bounded already (failure-text.ts); this bounds their number, so that a
 * run whose every block fails keeps at most
 * (RECENT_FAILURES + KEPT_PERMANENT_FAILURES) × 68 KiB (about 75 MB), and
 * usually far less, however long it runs. The progress feed gets every
 * record as it happens; only what is kept afterwards is bounded.
 */
export class FailureHistory {
  private readonly ring: (FailureRecord | undefined)[] = new Array<FailureRecord | undefined>(RECENT_FAILURES);
  private next = 0;
  /** Every failed attempt recorded, kept or not. */
  count = 0;
  private readonly permanent = new Map<string, Map<number, FailureRecord>>();
  private keptPermanent = 0;
  /** Blocks failed for good whose record was not kept (beyond KEPT_PERMANENT_FAILURES). */
  droppedPermanent = 0;

  add(record: FailureRecord): void {
    this.ring[this.next] = record;
    this.next = (this.next + 1) % RECENT_FAILURES;
    this.count++;
    if (!record.permanent) return;
    if (this.keptPermanent >= KEPT_PERMANENT_FAILURES) {
      this.droppedPermanent++;
      return;
    }
    let ofTask = this.permanent.get(record.taskId);
    if (ofTask === undefined) this.permanent.set(record.taskId, (ofTask = new Map()));
    ofTask.set(record.blockId, record);
    this.keptPermanent++;
  }

  /** The last RECENT_FAILURES failed attempts, oldest first. */
  recent(): FailureRecord[] {
    const kept: FailureRecord[] = [];
    for (let i = 0; i < RECENT_FAILURES; i++) {
      const record = this.ring[(this.next + i) % RECENT_FAILURES];
      if (record !== undefined) kept.push(record);
    }
    return kept;
  }

  /** The attempt with which a block failed for good, if it ran and its record was kept. */
  permanentFailure(taskId: string, blockId: number): FailureRecord | undefined {
    return this.permanent.get(taskId)?.get(blockId);
  }
}
