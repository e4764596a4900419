import { accessSync, constants, mkdirSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/** The log directory cannot take worker logs: it is not writable, or a path built from input would leave it. */
export class LogDirError extends Error {
  override name = 'LogDirError';
}

/**
 * `<logDir>/<taskId>`, daisy's per-task log directory. Task validation
 * already refuses ids that are not plain file names; this check is the last
 * line, so that no caller of the pool can write outside `logDir`.
 */
export function taskLogDir(logDir: string, taskId: string): string {
  const root = resolve(logDir);
  const dir = resolve(root, taskId);
  const inside = relative(root, dir);
  // One component below the root: not the root itself, not its parent, nothing deeper.
  if (inside === '' || inside === '..' || isAbsolute(inside) || /[\\/]/.test(inside)) {
    throw new LogDirError(`task id ${JSON.stringify(taskId)} would put worker logs outside the log directory ${root}`);
  }
  return dir;
}

/** `<logDir>/<taskId>/worker_<id>`, to which `.out` and `.err` are appended. */
export function workerLogBase(logDir: string, taskId: string, workerId: string): string {
  if (!/^[0-9]+$/.test(workerId)) throw new LogDirError(`worker id ${JSON.stringify(workerId)} is not a number`);
  return resolve(taskLogDir(logDir, taskId), `worker_${workerId}`);
}

/**
 * Creates each task's log directory and checks that it is writable, so that
 * a log directory that cannot be used is reported before a server or a
 * worker starts, not as a crash once they run.
 */
export function prepareTaskLogDirs(logDir: string, taskIds: Iterable<string>): void {
  for (const taskId of taskIds) {
    const dir = taskLogDir(logDir, taskId);
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
    } catch (error) {
      throw new LogDirError(`cannot write worker logs to ${dir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
}
