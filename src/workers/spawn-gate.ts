/**
 * A token bucket for process starts: `burst` may start at once, then
 * `perSecond`. Starting thousands of processes in one go starves the
 * server (and every other program on the machine) of CPU and can exhaust
 * the process table; a bounded rate keeps the machine responsive while a
 * large pool comes up, and slows down a crash loop.
 */
export class SpawnGate {
  private tokens: number;
  private refilledAt = performance.now();
  private readonly waiting: (() => boolean)[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }

  /**
   * Calls `start` now if the rate allows, or later, in order, once it does.
   * `start` returns whether it started a process: one that no longer wants
   * to (its pool stopped meanwhile) costs no token.
   */
  run(start: () => boolean): void {
    this.waiting.push(start);
    this.release();
  }

  /** Starts still waiting (for tests and messages). */
  get pending(): number {
    return this.waiting.length - this.head;
  }

  private release(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    try {
      while (this.head < this.waiting.length && this.tokens >= 1) {
        const start = this.waiting[this.head]!;
        this.waiting[this.head++] = noop; // let the closure go
        if (start()) this.tokens--;
      }
    } finally {
      // Also after a start threw: the ones behind it still get their turn.
      this.scheduleRest();
    }
  }

  private scheduleRest(): void {
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
      return;
    }
    if (this.timer === undefined) {
      const waitMs = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.release();
      }, waitMs);
    }
  }
}

function noop(): boolean {
  return false;
}
