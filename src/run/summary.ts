import type { FailureRecord } from '../model/failure-record.js';
import { KEPT_PERMANENT_FAILURES } from '../server/failure-history.js';
import type { SchedulerService } from '../server/scheduler-service.js';
import type { ProgressMode } from './progress.js';
import { countsOf, type TaskCounts } from './task-counts.js';
import { escapeLines, jsonForTerminal, escapeForTerminal as safe } from './terminal-text.js';

/** One task's line of the summary. */
export interface TaskSummary extends TaskCounts {
  abandoned: boolean;
}

/** The outcome of a run, as runBlockwise reports it. */
export interface RunSummary {
  succeeded: boolean;
  interrupted: boolean;
  seconds: number;
  tasks: TaskSummary[];
  /** Blocks that failed for good, each with its last failed attempt. */
  failedBlocks: FailureRecord[];
}

export function summarize(service: SchedulerService, seconds: number, interrupted: boolean): RunSummary {
  const unkept =
    service.failureRecordsDropped > 0 ? `failed (its error was not kept: the server keeps those of the first ${KEPT_PERMANENT_FAILURES} blocks that failed for good)` : null;
  const failedBlocks: FailureRecord[] = [];
  const tasks: TaskSummary[] = [];
  let succeeded = !interrupted;
  for (const [taskId, state] of service.states()) {
    if (!state.succeededEntirely()) succeeded = false;
    tasks.push({ ...countsOf(taskId, state), abandoned: state.abandoned });
    for (const blockId of service.failedBlockIds(taskId)) {
      const failure = service.permanentFailure(taskId, blockId);
      failedBlocks.push(
        failure ?? { taskId, blockId, workerId: '-', error: unkept ?? 'failed without running (task abandoned)', traceback: '', attempt: 0, permanent: true },
      );
    }
  }
  return { succeeded, interrupted, seconds, tasks, failedBlocks };
}

/** Writes the summary for people (or as one JSON line in json mode). */
export function printSummary(summary: RunSummary, mode: ProgressMode, out: { write(text: string): unknown }): void {
  if (mode === 'none') return;
  if (mode === 'json') {
    out.write(`${jsonForTerminal(JSON.stringify({ event: 'summary', ...summary }))}\n`);
    return;
  }
  const lines = [`Summary (${summary.seconds.toFixed(1)} s${summary.interrupted ? ', interrupted' : ''}):`];
  for (const t of summary.tasks) {
    lines.push(
      `  ${safe(t.task)}: ${t.total} blocks, ${t.completed} completed (${t.skipped} skipped), ${t.failed} failed, ${t.orphaned} orphaned, ${t.pending} pending${t.abandoned ? ' — abandoned' : ''}`,
    );
  }
  if (summary.failedBlocks.length > 0) {
    lines.push(`Failed blocks (${summary.failedBlocks.length}):`);
    for (const f of summary.failedBlocks.slice(0, 20)) {
      // Error, worker id and traceback come from the worker: escaped, and the traceback's own lines stay indented below.
      lines.push(`  ${safe(f.taskId)}/${f.blockId} on worker ${safe(f.workerId)} (attempt ${f.attempt + 1}): ${safe(f.error)}`);
      const trace = f.traceback.trim();
      if (trace !== '') lines.push(...escapeLines(trace).slice(-6).map((l) => `      ${l}`));
    }
    if (summary.failedBlocks.length > 20) lines.push(`  ... and ${summary.failedBlocks.length - 20} more`);
  }
  lines.push(summary.succeeded ? 'All blocks succeeded.' : 'Not every block succeeded.');
  out.write(`${lines.join('\n')}\n`);
}
