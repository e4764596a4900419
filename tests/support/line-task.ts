import { Roi, Task, type TaskOptions } from '../../src/index.js';

/** A task of `blocks` blocks in a row, 10 units each, without read-write conflicts: block ids 0, 1, 2, ... */
export function lineTask(taskId: string, blocks: number, extra: Partial<TaskOptions> = {}): Task {
  const write = new Roi([0], [10]);
  return new Task({ taskId, totalRoi: new Roi([0], [10 * blocks]), readRoi: write, writeRoi: write, readWriteConflict: false, ...extra });
}
