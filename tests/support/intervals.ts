/**
 * The lifetimes that tests/fixtures/interval-worker.ts records (`start|end
 * <task> <worker> <ms>`), and what overlapped: the budget tests assert on
 * these intervals, never on durations.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface WorkerInterval {
  taskId: string;
  workerId: string;
  /** The pipeline_id of its DAISY_CONTEXT ('-' without one). */
  pipelineId: string;
  start: number;
  end: number;
}

export function readIntervals(...files: string[]): WorkerInterval[] {
  const byWorker = new Map<string, Partial<WorkerInterval>>();
  for (const file of files) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      const [kind, taskId, workerId, ms, pipelineId] = line.split(' ');
      const key = `${taskId} ${workerId}`;
      const entry = byWorker.get(key) ?? { taskId: taskId!, workerId: workerId!, pipelineId: pipelineId ?? '-' };
      if (kind === 'start') entry.start = Number(ms);
      else entry.end = Number(ms);
      byWorker.set(key, entry);
    }
  }
  return [...byWorker.values()].map((entry) => {
    if (entry.start === undefined || entry.end === undefined) throw new Error(`worker ${entry.taskId} ${entry.workerId} has no ${entry.start === undefined ? 'start' : 'end'} line`);
    return entry as WorkerInterval;
  });
}

/**
 * The largest sum of `weight` over intervals alive at one moment. At equal
 * times an end counts before a start: a worker's end line is written before
 * it exits, and the next one's start line after it was spawned.
 */
export function peak(intervals: readonly WorkerInterval[], weight: (interval: WorkerInterval) => number = () => 1): number {
  const events = intervals.flatMap((i) => [
    { at: i.start, delta: weight(i) },
    { at: i.end, delta: -weight(i) },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const event of events) {
    now += event.delta;
    most = Math.max(most, now);
  }
  return most;
}
