/** Block counters of one task, with daisy's definitions of pending and done. */
export class TaskState {
  started = false;
  totalBlockCount = 0;
  readyCount = 0;
  processingCount = 0;
  completedCount = 0;
  skippedCount = 0;
  failedCount = 0;
  orphanedCount = 0;

  /** Blocks not yet reached; with `countAllOrphans` off it also holds uncounted orphans. */
  get pendingCount(): number {
    return (
      this.totalBlockCount -
      (this.readyCount + this.completedCount + this.failedCount + this.orphanedCount + this.processingCount)
    );
  }

  isDone(): boolean {
    return this.totalBlockCount - this.completedCount - this.failedCount - this.orphanedCount === 0;
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
