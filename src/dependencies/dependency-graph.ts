import type { Block } from '../model/block.js';
import type { Task } from '../model/task.js';
import { BlockwiseDependencyGraph } from './blockwise-dependency-graph.js';

/**
 * Dependencies between the blocks of several tasks. A block is named by a
 * *global key*, `localKey * numTasks + taskIndex`, so that keys of all tasks
 * share one number space and the hot paths never allocate objects for them.
 *
 * Across tasks, a block waits for every block of each upstream task whose
 * write ROI its read ROI intersects.
 */
export class DependencyGraph {
  /** Tasks in daisy's order: each given task, then (recursively) the tasks it requires. */
  readonly tasks: readonly Task[];
  readonly graphs: readonly BlockwiseDependencyGraph[];
  private readonly indexOfTask = new Map<string, number>();
  private readonly upstreamTasks: number[][];
  private readonly downstreamTasks: number[][];
  private readonly numTasks: number;

  constructor(tasks: readonly Task[]) {
    const ordered: Task[] = [];
    const upstream: Set<number>[] = [];
    const visit = (task: Task): number => {
      const known = this.indexOfTask.get(task.taskId);
      if (known !== undefined) {
        if (ordered[known] !== task) {
          throw new Error(`two different tasks share the task id ${JSON.stringify(task.taskId)}`);
        }
        return known;
      }
      const index = ordered.length;
      ordered.push(task);
      upstream.push(new Set());
      this.indexOfTask.set(task.taskId, index);
      for (const up of task.requires()) upstream[index]!.add(visit(up));
      return index;
    };
    for (const task of tasks) visit(task);
    this.tasks = ordered;
    this.numTasks = ordered.length;
    this.upstreamTasks = upstream.map((s) => [...s]);
    this.downstreamTasks = ordered.map(() => []);
    this.upstreamTasks.forEach((ups, index) => ups.forEach((up) => this.downstreamTasks[up]!.push(index)));
    this.assertAcyclic();
    this.graphs = ordered.map((task) => BlockwiseDependencyGraph.fromTask(task));
  }

  private assertAcyclic(): void {
    const state = new Uint8Array(this.numTasks);
    const visit = (index: number, path: string[]): void => {
      if (state[index] === 2) return;
      if (state[index] === 1) {
        throw new Error(`tasks depend on each other in a cycle: ${[...path, this.tasks[index]!.taskId].join(' -> ')}`);
      }
      state[index] = 1;
      for (const up of this.upstreamTasks[index]!) visit(up, [...path, this.tasks[index]!.taskId]);
      state[index] = 2;
    };
    for (let i = 0; i < this.numTasks; i++) visit(i, []);
  }

  get taskIds(): string[] {
    return this.tasks.map((t) => t.taskId);
  }

  taskIndex(taskId: string): number {
    const index = this.indexOfTask.get(taskId);
    if (index === undefined) throw new Error(`unknown task id ${JSON.stringify(taskId)}`);
    return index;
  }

  graph(taskId: string): BlockwiseDependencyGraph {
    return this.graphs[this.taskIndex(taskId)]!;
  }

  numBlocks(taskId: string): number {
    return this.graph(taskId).numBlocks;
  }

  /** Indices of the tasks that require no other task. */
  rootTaskIndices(): number[] {
    return this.upstreamTasks.flatMap((ups, index) => (ups.length === 0 ? [index] : []));
  }

  /**
   * Blocks of a task with upstream tasks that nonetheless depend on no block
   * at all: their read ROI misses everything the upstream tasks write (a
   * border the upstream tasks do not cover). daisy never starts them; here
   * they are ready from the start, as roots are. Global keys, row-major.
   */
  *detachedKeys(taskIndex: number): Generator<number> {
    const ups = this.upstreamTasks[taskIndex]!;
    if (ups.length === 0) return;
    const graph = this.graphs[taskIndex]!;
    const none = (): [number, number][] => graph.gridShape.map((): [number, number] => [0, 0]);
    const excluded = ups.map((up) => {
      const covered = this.graphs[up]!.coveredBox();
      return covered === null ? none() : graph.readerRanges(covered);
    });
    for (const local of graph.keysOutside(excluded)) yield this.globalKey(taskIndex, local);
  }

  taskIndexOfKey(key: number): number {
    return key % this.numTasks;
  }

  localKey(key: number): number {
    return (key - (key % this.numTasks)) / this.numTasks;
  }

  globalKey(taskIndex: number, localKey: number): number {
    return localKey * this.numTasks + taskIndex;
  }

  upstreamKeys(key: number, out: number[] = []): number[] {
    const t = key % this.numTasks;
    const local = (key - t) / this.numTasks;
    const graph = this.graphs[t]!;
    const start = out.length;
    graph.upstreamKeys(local, out);
    this.globalise(out, start, t);
    const ups = this.upstreamTasks[t]!;
    if (ups.length > 0) {
      const { read } = graph.boxes(local);
      for (const up of ups) {
        const from = out.length;
        this.graphs[up]!.subgraphKeys(read, out);
        this.globalise(out, from, up);
      }
    }
    return out;
  }

  downstreamKeys(key: number, out: number[] = []): number[] {
    const t = key % this.numTasks;
    const local = (key - t) / this.numTasks;
    const graph = this.graphs[t]!;
    const start = out.length;
    graph.downstreamKeys(local, out);
    this.globalise(out, start, t);
    const downs = this.downstreamTasks[t]!;
    if (downs.length > 0) {
      const write = graph.clippedWriteBox(local);
      for (const down of downs) {
        const from = out.length;
        this.graphs[down]!.readerKeys(write, out);
        this.globalise(out, from, down);
      }
    }
    return out;
  }

  private globalise(keys: number[], from: number, taskIndex: number): void {
    if (this.numTasks === 1) return;
    for (let i = from; i < keys.length; i++) keys[i] = keys[i]! * this.numTasks + taskIndex;
  }

  blockId(key: number): number {
    const t = key % this.numTasks;
    return this.graphs[t]!.blockId((key - t) / this.numTasks);
  }

  block(key: number): Block {
    const t = key % this.numTasks;
    return this.graphs[t]!.block((key - t) / this.numTasks);
  }

  keyOfBlock(block: Block): number {
    const t = this.taskIndex(block.taskId);
    return this.globalKey(t, this.graphs[t]!.keyOfBlock(block));
  }

  // daisy-shaped API on Block objects, sorted by block id as daisy sorts them.

  upstream(block: Block): Block[] {
    return this.sortedBlocks(this.upstreamKeys(this.keyOfBlock(block)));
  }

  downstream(block: Block): Block[] {
    return this.sortedBlocks(this.downstreamKeys(this.keyOfBlock(block)));
  }

  private sortedBlocks(keys: number[]): Block[] {
    return keys.map((k) => this.block(k)).sort((a, b) => a.blockId - b.blockId);
  }

  /** For each root task: how many roots it has and a generator of them. */
  roots(): Map<string, { numRoots: number; blocks: Generator<Block> }> {
    const roots = new Map<string, { numRoots: number; blocks: Generator<Block> }>();
    for (const index of this.rootTaskIndices()) {
      const graph = this.graphs[index]!;
      roots.set(graph.taskId, { numRoots: graph.numRoots(), blocks: graph.rootGen() });
    }
    return roots;
  }

  /** Every block of every task with its upstream blocks. Materialises everything: for small graphs. */
  *enumerateAllDependencies(): Generator<[Block, Block[]]> {
    for (let t = 0; t < this.numTasks; t++) {
      const graph = this.graphs[t]!;
      for (let level = 0; level < graph.numLevels; level++) {
        for (const local of graph.levelKeys(level)) {
          const key = this.globalKey(t, local);
          yield [this.block(key), this.sortedBlocks(this.upstreamKeys(key))];
        }
      }
    }
  }
}
