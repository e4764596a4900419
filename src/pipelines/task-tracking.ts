import { join, resolve } from 'node:path';
import type { Task } from '../model/task.js';
import type { DoneMarks } from '../scheduler/done-marks.js';
import { BlockTracker, TrackingGroupError, trackingGridShape } from '../tracking/index.js';
import { LogDirError } from '../workers/log-paths.js';
import { SpecError } from './pipeline-spec.js';

/** The directory under a run's log directory where its tasks are tracked by default: `<logDir>/tracking/<taskId>/`. */
export const TRACKING_DIR = 'tracking';

/**
 * Tasks of more blocks than this are tracked only when they name a
 * `trackingPath`: the tracker holds 5 bytes per block in memory (done and
 * failures), so a default must not cost a 10^9-block task 5 GB.
 */
export const MAX_DEFAULT_TRACKED_BLOCKS = 2 ** 26;

/**
 * Where a task's tracking group lives: its `trackingPath`, else
 * `<basedir>/<taskId>`; null when the task is not tracked (`trackingPath:
 * false`, or no basedir for the tasks that name none).
 */
export function trackingGroupOf(task: Task, basedir: string | false): string | null {
  if (task.trackingPath === false) return null;
  if (task.trackingPath !== null) return resolve(task.trackingPath);
  if (basedir === false) return null;
  const blocks = trackingGridShape(task).reduce((a, b) => a * b, 1);
  return blocks > MAX_DEFAULT_TRACKED_BLOCKS ? null : resolve(join(basedir, task.taskId));
}

/**
 * The done markers of a pipeline's tasks, opened (or created) before its
 * scheduler starts, so that a group of another task refuses the submission
 * before anything runs; closed (flushed, journal removed) when the pipeline
 * ends.
 */
export class TaskTracking {
  private constructor(private readonly trackers: ReadonlyMap<string, BlockTracker>) {}

  /**
   * Opens the groups of `tasks`. A group that belongs to another task (its
   * hash), or is not daisy 2.0.0's layout, refuses the whole submission with
   * a SpecError naming the task, the path and what differs; a group that
   * cannot be read or written, with a LogDirError. The groups opened before
   * are closed untouched.
   */
  static open(tasks: readonly Task[], basedir: string | false): TaskTracking {
    const trackers = new Map<string, BlockTracker>();
    const groups = new Map<string, string>();
    try {
      for (const task of tasks) {
        const dir = trackingGroupOf(task, basedir);
        if (dir === null) continue;
        const other = groups.get(dir);
        if (other !== undefined) {
          throw new SpecError(`task ${JSON.stringify(task.taskId)}: tracking group ${dir} is also task ${JSON.stringify(other)}'s: give each task its own trackingPath`);
        }
        groups.set(dir, task.taskId);
        trackers.set(task.taskId, BlockTracker.open(dir, task));
      }
    } catch (error) {
      for (const tracker of trackers.values()) tracker.close();
      if (error instanceof TrackingGroupError) throw new SpecError(error.message);
      if (error instanceof SpecError || error instanceof RangeError) throw new SpecError(error.message);
      throw new LogDirError(`cannot keep done markers: ${error instanceof Error ? error.message : String(error)}`);
    }
    return new TaskTracking(trackers);
  }

  /** The scheduler's view (SchedulerOptions.doneMarks). */
  get doneMarks(): ReadonlyMap<string, DoneMarks> {
    return this.trackers;
  }

  /** The group of a tracked task. */
  pathOf(taskId: string): string | undefined {
    return this.trackers.get(taskId)?.path;
  }

  /** Writes every mark to its chunk and removes the journals. */
  close(): void {
    for (const tracker of this.trackers.values()) tracker.close();
  }
}
