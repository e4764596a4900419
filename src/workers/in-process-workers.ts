import { Client } from '../client/client.js';
import type { Task } from '../model/task.js';

export interface InProcessWorkerOptions {
  host: string;
  port: number;
  /** Blocks each worker keeps requested ahead (default 1). */
  prefetch?: number;
  /** The pipeline the task belongs to (default '': the server's only one). */
  pipelineId?: string;
  /** More DAISY_CONTEXT entries, as the server's own worker processes get them: `worker_token`, `tls_ca`, `tls_cert`, `tls_key`. */
  context?: Readonly<Record<string, string>>;
}

/**
 * Runs a task's `processFunction` in this process as `numWorkers` workers,
 * each with its own work stream to the server, so that they follow exactly
 * the protocol of remote workers. Suited to asynchronous (I/O-bound)
 * functions; CPU-bound work belongs in worker processes (`workerCommand`).
 * Resolves when every worker was told to shut down.
 */
export async function runInProcessWorkers(task: Task, options: InProcessWorkerOptions): Promise<void> {
  const processFunction = task.processFunction;
  if (processFunction === null) throw new Error(`task ${JSON.stringify(task.taskId)} has no processFunction`);
  const workers = Array.from({ length: task.numWorkers }, async (_, i) => {
    const client = new Client(
      {
        hostname: options.host,
        port: String(options.port),
        task_id: task.taskId,
        worker_id: `${task.taskId}-inprocess-${i}`,
        ...(options.pipelineId ? { pipeline_id: options.pipelineId } : {}),
        ...options.context,
      },
      // They share this process with their server: a server that went away is not coming back to it, and the
      // process is not theirs to end.
      { prefetch: options.prefetch ?? 1, reconnectGrace: 0, exitOnServerLoss: false },
    );
    try {
      while (
        // The post-check, if any, runs in the server on the release, as for every other worker.
        await client.acquire((block) => processFunction(block))
      ) {
        // each iteration processed one block
      }
    } finally {
      await client.close();
    }
  });
  await Promise.all(workers);
}
