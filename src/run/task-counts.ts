import type { TaskCounters } from '../model/pipeline-view.js';

/** One task's counters as progress lines, JSON progress and the summary show them. */
export interface TaskCounts {
  task: string;
  total: number;
  completed: number;
  skipped: number;
  processing: number;
  ready: number;
  pending: number;
  failed: number;
  orphaned: number;
}

export function countsOf(taskId: string, s: TaskCounters): TaskCounts {
  return {
    task: taskId,
    total: s.totalBlockCount,
    completed: s.completedCount,
    skipped: s.skippedCount,
    processing: s.processingCount,
    ready: s.readyCount,
    pending: Math.max(0, s.pendingCount),
    failed: s.failedCount,
    orphaned: s.orphanedCount,
  };
}

/** Blocks that will not run again: succeeded (or skipped), failed for good, or orphaned. */
export const settledCount = (s: TaskCounters): number => s.completedCount + s.failedCount + s.orphanedCount;
