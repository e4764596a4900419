import type { SchedulerService } from '../server/scheduler-service.js';
import type { Task } from '../model/task.js';
import { runInProcessWorkers } from '../workers/in-process-workers.js';
import { type WorkerEvent, WorkerProcessPool } from '../workers/worker-process-pool.js';
import type { StartedWorkers } from './serve-until-done.js';
import { escapeForTerminal } from './terminal-text.js';

export interface TaskWorkerOptions {
  /** Where workers dial the server. */
  host: string;
  port: number;
  logDir: string;
  /** Blocks each in-process worker keeps requested ahead. */
  prefetch?: number;
  onWorkerEvent: (event: WorkerEvent) => void;
  /** Where an in-process worker's crash is reported. */
  out: { write(text: string): unknown };
}

/** Time worker processes get to exit on their own once every task finished, before they are killed. */
const DRAIN_MS = 5000;

/**
 * Starts each task's workers: `numWorkers` processes of its `workerCommand`,
 * or its `processFunction` in this process.
 */
export async function startTaskWorkers(tasks: Iterable<Task>, service: SchedulerService, options: TaskWorkerOptions): Promise<StartedWorkers> {
  const pools: WorkerProcessPool[] = [];
  const inProcess: Promise<void>[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(pools.map((pool) => pool.stop()));
  };
  try {
    for (const task of tasks) {
      if (task.workerCommand !== null) {
        const pool = new WorkerProcessPool(task, service, { host: options.host, port: options.port, logDir: options.logDir, onEvent: options.onWorkerEvent });
        pools.push(pool);
        pool.start();
      } else {
        inProcess.push(
          runInProcessWorkers(task, { host: options.host, port: options.port, prefetch: options.prefetch }).catch((error: unknown) => {
            // The error may carry text from the server (a status detail): escaped like any peer text.
            options.out.write(`in-process workers of ${task.taskId} stopped: ${escapeForTerminal(error instanceof Error ? error.message : String(error))}\n`);
          }),
        );
      }
    }
  } catch (error) {
    // The caller never sees these pools: end the ones already running.
    await stop();
    throw error;
  }
  return {
    stop,
    kill: () => {
      for (const pool of pools) pool.kill();
    },
    drain: async () => {
      // Workers were told to shut down; give them a moment to exit on their own.
      await Promise.all(pools.map((pool) => pool.drained(DRAIN_MS)));
      await Promise.all(inProcess);
    },
  };
}
