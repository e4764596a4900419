/** What `daisychain run` and `daisychain serve` do, once their arguments are checked. */
import { resolve } from 'node:path';
import { formatContext } from '../client/context.js';
import { SchedulerService } from '../server/scheduler-service.js';
import { loadPipeline } from '../run/pipeline-file.js';
import { runBlockwise } from '../run/run-blockwise.js';
import { serveUntilDone } from '../run/serve-until-done.js';
import type { RunInvocation, ServeInvocation } from './arguments.js';

/** Runs the pipeline with its worker commands; true only if every block succeeded. */
export async function runCommand(invocation: RunInvocation): Promise<boolean> {
  const tasks = loadPipeline(invocation.pipeline);
  return runBlockwise(tasks, { progress: invocation.progress, logDir: resolve(invocation.logDir), host: invocation.listen.host, port: invocation.listen.port });
}

/** Serves the pipeline to workers started elsewhere until it is done; true only if every block succeeded. */
export async function serveCommand(invocation: ServeInvocation): Promise<boolean> {
  const service = new SchedulerService(loadPipeline(invocation.pipeline));
  const summary = await serveUntilDone(service, {
    host: invocation.listen.host,
    port: invocation.listen.port,
    progress: invocation.progress,
    announce: (endpoint) => {
      // On every interface, 127.0.0.1 would only reach workers on this machine: let the reader fill in the name.
      const hostname = endpoint.allInterfaces ? '<this host>' : endpoint.dialHost;
      process.stderr.write(`daisychain server listening on ${endpoint.address}; workers connect with\n`);
      for (const taskId of service.taskIds) {
        process.stderr.write(`  DAISY_CONTEXT=${formatContext({ hostname, port: String(endpoint.port), task_id: taskId, worker_id: '<id>' })}\n`);
      }
    },
  });
  return summary.succeeded;
}
