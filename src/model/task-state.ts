/**
 * Block counters of one task, with daisy's definitions of pending and done.
 * The counters change only through the named transitions below, each of
 * which moves one block from one count to another, so that
 * `ready + processing + completed + failed + orphaned <= total` holds after
 * every step and `pending` is what remains.
 */
export class TaskState {
  private hasStarted = false;
  private total = 0;
  private ready = 0;
  private processing = 0;
  private completed = 0;
  private skipped = 0;
  private failed = 0;
  private orphaned = 0;
  private gaveUp = false;
  private workerFailures = 0;
  private workerRestarts = 0;

  constructor(totalBlockCount = 0) {
    this.total = totalBlockCount;
  }

  get started(): boolean {
    return this.hasStarted;
  }
  get totalBlockCount(): number {
    return this.total;
  }
  get readyCount(): number {
    return this.ready;
  }
  get processingCount(): number {
    return this.processing;
  }
  /** Blocks that succeeded, counting those skipped as already done. */
  get completedCount(): number {
    return this.completed;
  }
  /** Blocks found already done (a subset of the completed ones). */
  get skippedCount(): number {
    return this.skipped;
  }
  get failedCount(): number {
    return this.failed;
  }
  get orphanedCount(): number {
    return this.orphaned;
  }
  /** Set when the task was given up on: whatever would still run fails instead. */
  get abandoned(): boolean {
    return this.gaveUp;
  }

  /** Worker processes of the task's pool that crashed or were stopped for failing (daisy 2.0's count). */
  get workerFailureCount(): number {
    return this.workerFailures;
  }
  /** Worker processes the pool started to replace one that exited. */
  get workerRestartCount(): number {
    return this.workerRestarts;
  }
  countWorkerFailure(): void {
    this.workerFailures++;
  }
  countWorkerRestart(): void {
    this.workerRestarts++;
  }

  /** Blocks not yet reached; with `countAllOrphans` off it also holds uncounted orphans. */
  get pendingCount(): number {
    return this.total - (this.ready + this.completed + this.failed + this.orphaned + this.processing);
  }

  // -- transitions ----------------------------------------------------------

  /** `count` pending blocks became ready (roots at the start, or freed by upstream successes). */
  becameReady(count = 1): void {
    this.ready += count;
  }

  /** A ready block was taken to be checked or run. */
  handedOut(): void {
    this.ready--;
    this.processing++;
  }

  /** A block handed out is now run by a worker (not skipped by the check). */
  markStarted(): void {
    this.hasStarted = true;
  }

  /** A block handed out succeeded; `skipped` when it was found already done instead of run. */
  succeeded(skipped: boolean): void {
    this.processing--;
    this.completed++;
    if (skipped) this.skipped++;
  }

  /** A block handed out came back unstarted (no attempt spent): it is ready again. */
  handedBack(): void {
    this.processing--;
    this.ready++;
  }

  /** A block handed out failed and is ready again for another attempt. */
  retried(): void {
    this.processing--;
    this.ready++;
  }

  /** A block failed for good: it was handed out, ready (abandoned task), or still pending (freed into an abandoned task). */
  failedForGood(from: 'processing' | 'ready' | 'pending'): void {
    if (from === 'processing') this.processing--;
    else if (from === 'ready') this.ready--;
    this.failed++;
  }

  /** A pending block was cut off by a permanent failure upstream. */
  orphanedOne(): void {
    this.orphaned++;
  }

  abandon(): void {
    this.gaveUp = true;
  }

  /**
   * The task is given up on, all at once: every ready block fails for good
   * and every pending block is orphaned (nothing will make it ready any
   * more). Blocks being processed keep running. Arithmetic, so that
   * abandoning a task of 10^12 blocks costs no more than a small one.
   */
  abandonRest(): void {
    this.gaveUp = true;
    this.orphanRest();
    this.failed += this.ready;
    this.ready = 0;
  }

  /**
   * Every pending block is orphaned at once: the task lies downstream of an
   * abandoned one, so no pending block can become ready. Ready and
   * processing blocks still run.
   */
  orphanRest(): void {
    this.orphaned += this.pendingCount;
  }

  // -- questions ------------------------------------------------------------

  /** daisy's definition: every block succeeded, failed or was orphaned. */
  isDone(): boolean {
    return this.total - this.completed - this.failed - this.orphaned === 0;
  }

  /** Nothing more of this task will run: it is done, or it was abandoned. */
  isOver(): boolean {
    return this.gaveUp || this.isDone();
  }

  /** Every block succeeded (daisy's success of a run). */
  succeededEntirely(): boolean {
    return this.completed === this.total;
  }

  toJSON(): Record<string, number | boolean> {
    return {
      started: this.started,
      totalBlockCount: this.totalBlockCount,
      readyCount: this.readyCount,
      processingCount: this.processingCount,
      pendingCount: this.pendingCount,
      completedCount: this.completedCount,
      skippedCount: this.skippedCount,
      failedCount: this.failedCount,
      orphanedCount: this.orphanedCount,
      isDone: this.isDone(),
    };
  }

  toString(): string {
    return [
      `Started: ${this.started}`,
      `Total Blocks: ${this.totalBlockCount}`,
      `Ready: ${this.readyCount}`,
      `Processing: ${this.processingCount}`,
      `Pending: ${this.pendingCount}`,
      `Completed: ${this.completedCount}`,
      `Skipped: ${this.skippedCount}`,
      `Failed: ${this.failedCount}`,
      `Orphaned: ${this.orphanedCount}`,
    ].join('\n');
  }
}
