import type { DependencyGraph } from '../dependencies/dependency-graph.js';

/**
 * Tracks which blocks may run, holding only the frontier of the graph: the
 * *surface* (succeeded blocks with downstream blocks still to run) and the
 * *boundary* (failed blocks and the blocks cut off by them, while they still
 * touch the surface). Same rules as daisy's ready surface, so that ready
 * order and orphan counts agree with daisy; blocks are global keys of the
 * dependency graph.
 */
export class ReadySurface {
  readonly surface = new Set<number>();
  readonly boundary = new Set<number>();
  /**
   * Tasks cut off by an abandoned task (the abandoned one included): all
   * their pending blocks are already counted as orphaned, so their blocks are
   * never made ready, never walked as orphans, and count as settled. The
   * downstream tasks of a cut task are cut too, so the cut is closed below.
   */
  private readonly cut: boolean[] = [];
  private anyCut = false;

  constructor(private readonly graph: DependencyGraph) {}

  /**
   * Cuts off tasks (indices), and drops what the surface and boundary held
   * for them or held only because of them; costs what is held, not the
   * tasks' block counts.
   */
  cutTasks(taskIndices: readonly number[]): void {
    for (const index of taskIndices) this.cut[index] = true;
    this.anyCut = true;
    for (const key of this.surface) if (this.isCut(key)) this.surface.delete(key);
    for (const key of this.boundary) if (this.isCut(key)) this.boundary.delete(key);
    // Upstream blocks that waited only for cut blocks are settled now.
    this.pruneSurface([...this.surface]);
  }

  isCut(key: number): boolean {
    return this.anyCut && this.cut[this.graph.taskIndexOfKey(key)] === true;
  }

  isTaskCut(taskIndex: number): boolean {
    return this.cut[taskIndex] === true;
  }

  /**
   * Records a success; returns the blocks that became ready, ordered by block
   * id as daisy orders them.
   */
  markSuccess(node: number): number[] {
    const graph = this.graph;
    const upstream = graph.upstreamKeys(node);
    this.surface.add(node);
    let downstream = graph.downstreamKeys(node);
    // With an empty boundary the visiting order has no side effects, so only the
    // (short) list of ready blocks needs daisy's id order.
    if (this.boundary.size > 0) downstream = this.sortByBlockId(downstream);
    const ready: number[] = [];
    for (const down of downstream) {
      if (this.isCut(down)) continue;
      if (!this.addToBoundary(down) && this.allInSurface(graph.upstreamKeys(down))) ready.push(down);
    }
    this.pruneSurface(upstream);
    if (downstream.length === 0) this.surface.delete(node);
    return ready.length > 1 ? this.sortByBlockId(ready) : ready;
  }

  /** Records a permanent failure; returns every block newly cut off by it. */
  markFailure(node: number): number[] {
    const graph = this.graph;
    const upstream = graph.upstreamKeys(node);
    this.boundary.add(node);
    const orphans = new Set<number>();
    const pending = new Set(graph.downstreamKeys(node));
    for (const down of pending) {
      pending.delete(down);
      if (this.isCut(down)) continue;
      if (this.addToBoundary(down)) {
        orphans.add(down);
        for (const next of graph.downstreamKeys(down)) if (!orphans.has(next)) pending.add(next);
      }
    }
    this.pruneSurface(upstream);
    if (upstream.length === 0) this.boundary.delete(node);
    return [...orphans];
  }

  /** Drops upstream blocks whose downstream blocks are all settled, and boundary blocks that no longer touch the surface. */
  private pruneSurface(upstream: readonly number[]): void {
    const graph = this.graph;
    for (const up of upstream) {
      const downs = graph.downstreamKeys(up);
      let settled = true;
      for (const down of downs) {
        if (this.surface.has(down) === this.boundary.has(down) && !this.isCut(down)) {
          settled = false;
          break;
        }
      }
      if (!settled) continue;
      this.surface.delete(up);
      for (const down of downs) {
        if (this.boundary.has(down) && !this.surface.has(down)) this.removeFromBoundary(down);
      }
    }
  }

  private addToBoundary(node: number): boolean {
    if (this.boundary.size === 0 || this.boundary.has(node)) return false;
    for (const up of this.graph.upstreamKeys(node)) {
      if (this.boundary.has(up)) {
        this.boundary.add(node);
        return true;
      }
    }
    return false;
  }

  private removeFromBoundary(node: number): void {
    for (const up of this.graph.upstreamKeys(node)) if (this.surface.has(up)) return;
    this.boundary.delete(node);
  }

  private allInSurface(nodes: readonly number[]): boolean {
    for (const node of nodes) if (!this.surface.has(node)) return false;
    return true;
  }

  private sortByBlockId(nodes: number[]): number[] {
    if (nodes.length < 2) return nodes;
    const ids = nodes.map((n) => this.graph.blockId(n));
    const order = nodes.map((_, i) => i).sort((a, b) => ids[a]! - ids[b]! || a - b);
    return order.map((i) => nodes[i]!);
  }
}
