/** What `daisychain run` and `daisychain serve` do, once their arguments are checked. */
import { renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatContext } from '../client/context.js';
import type { Task } from '../model/task.js';
import { taskToSpecData } from '../model/task-spec.js';
import type { Pipeline } from '../pipelines/pipeline.js';
import { PipelineRegistry } from '../pipelines/pipeline-registry.js';
import { loadPipelineSpec } from '../run/pipeline-file.js';
import { runBlockwise } from '../run/run-blockwise.js';
import { type Endpoint, serveForever, serveUntilDone } from '../run/serve-until-done.js';
import { Authorizer } from '../server/authorization.js';
import { DurablePipelines, type Restored } from '../state/durable-pipelines.js';
import { StateDir } from '../state/state-dir.js';
import type { RunInvocation, ServeInvocation } from './arguments.js';
import { serverSecurity } from './security.js';

/** Runs the pipeline with its worker commands; true only if every block succeeded. */
export async function runCommand(invocation: RunInvocation): Promise<boolean> {
  const security = serverSecurity(invocation.security, invocation.listen);
  const { spec, tasks } = loadPipelineSpec(invocation.pipeline);
  return runBlockwise(tasks, {
    resources: spec.resources,
    progress: invocation.progress,
    logDir: resolve(invocation.logDir),
    host: invocation.listen.host,
    port: invocation.listen.port,
    tls: security.tls,
    workerContext: security.workerContext,
    tokens: security.tokens,
  });
}

/**
 * Without a pipeline file: serves pipelines submitted through the control
 * plane until SIGINT or SIGTERM (true). With one: submits it to itself, as
 * `daisychain submit` would, and serves it until it is done (true only if
 * every block succeeded), then goes on with `--keep-running`.
 */
export async function serveCommand(invocation: ServeInvocation): Promise<boolean> {
  const owner = invocation.exitWithStdin ? stdinEnded() : null;
  try {
    return await serve(invocation, owner?.signal);
  } finally {
    owner?.release();
  }
}

async function serve(invocation: ServeInvocation, ownerGone: AbortSignal | undefined): Promise<boolean> {
  const logRoot = resolve(invocation.logDir);
  const security = serverSecurity(invocation.security, invocation.listen);
  const logDirOf = invocation.flatLogDir ? () => logRoot : (pipeline: { readonly id: string }) => join(logRoot, pipeline.id);
  // Read before anything listens: a file that would be refused is refused before a restart touches the state directory.
  const declared = invocation.pipeline === null ? null : loadPipelineSpec(invocation.pipeline);
  const state = invocation.stateDir === null ? null : StateDir.open(invocation.stateDir);
  const registry = new PipelineRegistry({
    logDirOf,
    authorizer: new Authorizer(security.tokens),
    // A durable server keeps the done markers with the pipeline's record, so a restart finds them whatever its --log-dir.
    ...(state === null ? {} : { trackingBasedirOf: (pipeline: { readonly id: string }) => join(state.pipelineDir(pipeline.id), 'tracking') }),
  });
  const durable = state === null ? null : await resumeFrom(state, registry);
  const listen = {
    ...(ownerGone === undefined ? {} : { signal: ownerGone }),
    host: invocation.listen.host,
    port: invocation.listen.port,
    progress: invocation.progress,
    security: { tls: security.tls, workerContext: security.workerContext },
    // A stop is not an end: what it does to the pipelines must not reach their records, so that they resume.
    ...(durable === null ? {} : { onStopping: () => durable.pipelines.close(), stopKeepsPipelines: true }),
  };
  const listening = (endpoint: Endpoint, pipeline: Pipeline | null): void => {
    announce(endpoint, pipeline);
    if (invocation.addressFile !== null) writeAddressFile(invocation.addressFile, endpoint.address);
    if (durable !== null) durable.pipelines.startRestored(durable.restored);
  };
  try {
    if (declared === null) {
      await serveForever(registry, { ...listen, announce: (endpoint) => listening(endpoint, null) });
      return true;
    }
    const { spec, tasks } = declared;
    const pipeline =
      (durable === null ? undefined : sameDeclaration(durable.restored.pipelines, tasks, spec.name ?? '', spec.resources)) ??
      registry.create(tasks, { name: spec.name ?? '', resources: spec.resources, ...(security.tokens.workerToken === undefined ? {} : { workerToken: security.tokens.workerToken }) });
    const summary = await serveUntilDone(registry, pipeline, {
      ...listen,
      keepRunning: invocation.keepRunning,
      announce: (endpoint) => listening(endpoint, pipeline),
    });
    return summary.succeeded;
  } finally {
    durable?.pipelines.close();
  }
}

/** Opens the state directory, stops what a crashed server left running, and brings its pipelines back into the registry. */
async function resumeFrom(state: StateDir, registry: PipelineRegistry): Promise<{ pipelines: DurablePipelines; restored: Restored }> {
  const pipelines = new DurablePipelines(state, registry);
  const started = performance.now();
  let restored: Restored;
  try {
    restored = await pipelines.restore();
  } catch (error) {
    pipelines.close();
    throw error;
  }
  const running = restored.pipelines.filter((pipeline) => pipeline.status === 'running').length;
  if (restored.pipelines.length + restored.ended.length > 0) {
    const stopped = restored.stoppedWorkers === 0 ? '' : `; stopped ${restored.stoppedWorkers} worker processes of the previous server`;
    process.stderr.write(`daisychain: state directory ${state.path}: resuming ${running} running pipelines, ${restored.pipelines.length - running} cancelled, ${restored.ended.length} ended before${stopped} (${Math.round(performance.now() - started)} ms)\n`);
  }
  return { pipelines, restored };
}

/** The running restored pipeline that a pipeline file declares again, if any: serving the file resumes it rather than starting over. */
function sameDeclaration(restored: readonly Pipeline[], tasks: readonly Task[], name: string, resources: Readonly<Record<string, number>> | undefined): Pipeline | undefined {
  const declared = JSON.stringify({ name, tasks: tasks.map(taskToSpecData), resources: resources ?? {} });
  return restored.find((pipeline) => {
    const view = pipeline.view();
    return pipeline.status === 'running' && JSON.stringify({ name: view.spec.name, tasks: view.spec.tasks, resources: view.spec.resources ?? {} }) === declared;
  });
}

/**
 * Aborts once stdin ends. The program that started the server holds the
 * other end of the pipe; when it exits, even by SIGKILL, the kernel closes
 * it, so the server (and the workers it started) never outlive their owner.
 */
function stdinEnded(): { signal: AbortSignal; release(): void } {
  const ended = new AbortController();
  const abort = (): void => ended.abort();
  process.stdin.once('end', abort);
  process.stdin.once('close', abort);
  process.stdin.once('error', abort);
  process.stdin.resume();
  // A reading stdin keeps the process alive: let go of it once the server stopped.
  return { signal: ended.signal, release: () => process.stdin.destroy() };
}

/**
 * Writes the address whole or not at all (a temporary file renamed over it),
 * so that a program polling for the file never reads half of it.
 */
function writeAddressFile(path: string, address: string): void {
  const partial = `${path}.${process.pid}.partial`;
  writeFileSync(partial, `${address}\n`, { mode: 0o600 });
  renameSync(partial, path);
}

/** Where the server listens, and the DAISY_CONTEXT of each task's workers started elsewhere. */
function announce(endpoint: Endpoint, pipeline: Pipeline | null): void {
  // On every interface, 127.0.0.1 would only reach workers on this machine: let the reader fill in the name.
  const hostname = endpoint.allInterfaces ? '<this host>' : endpoint.dialHost;
  if (pipeline === null) {
    process.stderr.write(`daisychain server listening on ${endpoint.address}; submit pipelines with daisychain submit FILE --server ${endpoint.address}\n`);
    return;
  }
  const external = pipeline.service.tasks.filter((task) => task.workerCommand === null); // the server runs the others' workers
  const how = external.length === 0 ? 'the server starts every task\'s workers' : 'workers connect with';
  process.stderr.write(`daisychain server listening on ${endpoint.address}, pipeline ${pipeline.id}; ${how}\n`);
  for (const task of external) {
    // The worker token is printed here on purpose: it is how workers started by hand get it (it opens this pipeline's work streams only).
    const context = formatContext({
      hostname,
      port: String(endpoint.port),
      task_id: task.taskId,
      worker_id: '<id>',
      pipeline_id: pipeline.id,
      ...endpoint.workerContext,
      ...(pipeline.workerToken === '' ? {} : { worker_token: pipeline.workerToken }),
    });
    process.stderr.write(`  DAISY_CONTEXT=${context}\n`);
  }
}
