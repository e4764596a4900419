/**
 * Ready blocks of one task: the not yet generated roots first, then a FIFO of
 * blocks made ready by releases (and retries), as daisy hands them out.
 */
export class ProcessingQueue {
  private queue: number[] = [];
  private head = 0;
  /** Blocks put back by a refused acquisition: they go out first again. */
  private readonly front: number[] = [];

  constructor(
    private readyRoots: number,
    private roots: Iterator<number> | null,
  ) {}

  get size(): number {
    return this.front.length + this.readyRoots + this.queue.length - this.head;
  }

  /** Puts a key just taken back at the head (an acquisition undone, a block handed back unstarted). */
  unshift(key: number): void {
    this.front.push(key);
  }

  push(key: number): void {
    this.queue.push(key);
  }

  next(): number | undefined {
    if (this.front.length > 0) return this.front.pop();
    if (this.readyRoots > 0) {
      this.readyRoots--;
      const root = this.roots!.next();
      if (root.done === true) throw new Error('root generator ended early: the root count is wrong');
      return root.value;
    }
    if (this.head === this.queue.length) return undefined;
    const key = this.queue[this.head++]!;
    // Compact now and then so the consumed prefix does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return key;
  }

  /**
   * Empties the queue at once (its task was abandoned) and drops the root
   * generator. Returns the keys it held, plus at most `rootLimit` of the
   * roots not yet generated, so that the caller can name them; the other
   * roots are only counted in `unlisted`, since there may be 10^12 of them.
   */
  clear(rootLimit: number): { listed: number[]; unlisted: number } {
    const listed = [...this.front].reverse(); // front goes out last-in first
    const named = Math.min(rootLimit, this.readyRoots);
    for (let i = 0; i < named; i++) {
      const root = this.roots!.next();
      if (root.done === true) throw new Error('root generator ended early: the root count is wrong');
      listed.push(root.value);
    }
    const unlisted = this.readyRoots - named;
    for (let i = this.head; i < this.queue.length; i++) listed.push(this.queue[i]!);
    this.front.length = 0;
    this.readyRoots = 0;
    this.roots = null;
    this.queue = [];
    this.head = 0;
    return { listed, unlisted };
  }
}
