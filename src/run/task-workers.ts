import type { Task } from '../model/task.js';
import { runInProcessWorkers } from '../workers/in-process-workers.js';
import type { StartedWorkers } from './serve-until-done.js';
import { escapeForTerminal } from './terminal-text.js';

export interface InProcessTaskOptions {
  /** Where workers dial the server. */
  host: string;
  port: number;
  /** The pipeline the tasks belong to, named in each worker's Hello. */
  pipelineId: string;
  /** More DAISY_CONTEXT entries for the workers (token, TLS files). */
  context?: Readonly<Record<string, string>>;
  /** Blocks each in-process worker keeps requested ahead. */
  prefetch?: number;
  /** Where an in-process worker's crash is reported. */
  out: { write(text: string): unknown };
}

/**
 * Runs the `processFunction` of each task that has no `workerCommand` in
 * this process (the others' worker processes are their pipeline's pools).
 */
export function startInProcessTaskWorkers(tasks: Iterable<Task>, options: InProcessTaskOptions): StartedWorkers {
  const running: Promise<void>[] = [];
  for (const task of tasks) {
    if (task.workerCommand !== null || task.processFunction === null) continue;
    running.push(
      runInProcessWorkers(task, { host: options.host, port: options.port, prefetch: options.prefetch, pipelineId: options.pipelineId, context: options.context }).catch((error: unknown) => {
        // The error may carry text from the server (a status detail): escaped like any peer text.
        options.out.write(`in-process workers of ${task.taskId} stopped: ${escapeForTerminal(error instanceof Error ? error.message : String(error))}\n`);
      }),
    );
  }
  return {
    // They end with their streams, which the server's close ends.
    stop: async () => {},
    drain: async () => {
      await Promise.all(running);
    },
  };
}
