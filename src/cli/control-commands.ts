/** What the operator commands `submit`, `status`, `watch` and `cancel` do, against a server's control plane. */
import { writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ControlError, PipelineClient } from '../client/pipeline-client.js';
import type { PipelineView } from '../model/pipeline-view.js';
import { loadPipelineSpec } from '../run/pipeline-file.js';
import { showRemoteProgress } from '../run/remote-progress.js';
import { countsOf } from '../run/task-counts.js';
import { escapeForTerminal as safe } from '../run/terminal-text.js';
import { clientSecurity } from './security.js';
import type { CancelInvocation, OperatorInvocation, StatusInvocation, SubmitInvocation, WatchInvocation } from './arguments.js';

/** Runs an operator command; true for exit status 0. A refusal of the server is a ControlError (exit status 2). */
export async function operatorCommand(invocation: OperatorInvocation): Promise<boolean> {
  const control = new PipelineClient(invocation.server, clientSecurity(invocation.security));
  try {
    switch (invocation.kind) {
      case 'submit':
        return await submit(control, invocation);
      case 'status':
        return await showStatus(control, invocation);
      case 'watch':
        return await watch(control, invocation);
      case 'cancel':
        return await cancel(control, invocation);
    }
  } catch (error) {
    if (error instanceof ControlError && error.code === GrpcStatus.UNAVAILABLE) {
      throw new ControlError(error.code, `no daisychain server answers at ${invocation.server} (${error.message})`);
    }
    throw error;
  } finally {
    control.close();
  }
}

/** The file is checked here first, by the same schema the server applies, so that a mistake is reported before anything is sent. */
async function submit(control: PipelineClient, invocation: SubmitInvocation): Promise<boolean> {
  const { spec } = loadPipelineSpec(invocation.pipeline);
  const { pipeline: submitted, workerToken } = await control.submitWithToken({ ...spec, name: spec.name ?? defaultName(invocation.pipeline) });
  if (invocation.workerTokenOut !== null) {
    // A file only its owner reads, never the terminal: workers started elsewhere read it into DAISY_CONTEXT's worker_token.
    if (workerToken === '') process.stderr.write('daisychain: --worker-token-out: this server runs without tokens; its workers need none, nothing written\n');
    else writeFileSync(invocation.workerTokenOut, `${workerToken}\n`, { mode: 0o600 });
  }
  // The id alone on stdout, for scripts: `id=$(daisychain submit p.yaml --server ...)`.
  process.stdout.write(`${safe(submitted.pipelineId)}\n`);
  process.stderr.write(`submitted pipeline ${safe(submitted.pipelineId)} (${safe(submitted.spec.name ?? '')}): ${submitted.spec.tasks.length} tasks\n`);
  if (!invocation.wait) return true;
  return watch(control, { kind: 'watch', security: invocation.security, pipelineId: submitted.pipelineId, server: invocation.server, progress: invocation.progress });
}

/** A file's name as a pipeline name: its base name, without the extension, in the characters names allow. */
function defaultName(path: string): string {
  return basename(path, extname(path)).replace(/[^A-Za-z0-9._ -]/g, '_').slice(0, 255);
}

async function showStatus(control: PipelineClient, invocation: StatusInvocation): Promise<boolean> {
  if (invocation.pipelineId !== null) {
    process.stdout.write(describe(await control.get(invocation.pipelineId)));
    return true;
  }
  const pipelines = await control.list();
  if (pipelines.length === 0) process.stdout.write('no pipelines\n');
  for (const p of pipelines) {
    const total = p.states.reduce((n, s) => n + s.totalBlockCount, 0);
    const completed = p.states.reduce((n, s) => n + s.completedCount, 0);
    process.stdout.write(`${safe(p.pipelineId)}  ${p.status.padEnd(9)}  ${completed}/${total} blocks  ${safe(p.spec.name ?? '')}\n`);
  }
  return true;
}

/** A pipeline for people: its status, when, and each task's counts. */
function describe(p: PipelineView): string {
  const lines = [`pipeline ${safe(p.pipelineId)}${p.spec.name ? ` (${safe(p.spec.name)})` : ''}: ${p.status}${p.cancelReason ? `: ${safe(p.cancelReason)}` : ''}`];
  lines.push(`  submitted ${p.submittedAt.toISOString()}${p.finishedAt === null ? '' : `, ended ${p.finishedAt.toISOString()}`}`);
  for (const s of p.states) {
    const c = countsOf(s.taskId, s);
    lines.push(
      `  ${safe(c.task)}: ${c.total} blocks, ${c.completed} completed (${c.skipped} skipped), ${c.failed} failed, ${c.orphaned} orphaned, ${c.processing} processing, ${c.ready} ready, ${c.pending} pending${s.abandoned ? ' — abandoned' : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The progress display of `run` until the pipeline ends; true only if it succeeded. Ctrl-C stops watching, not the pipeline. */
async function watch(control: PipelineClient, invocation: WatchInvocation): Promise<boolean> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const last = await showRemoteProgress(control, invocation.pipelineId, { progress: invocation.progress, out: process.stderr, signal: stop.signal });
    if (last.finished) process.stderr.write(`pipeline ${safe(invocation.pipelineId)} ${last.status}${last.cancelReason ? `: ${safe(last.cancelReason)}` : ''}\n`);
    return last.finished && last.status === 'succeeded';
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function cancel(control: PipelineClient, invocation: CancelInvocation): Promise<boolean> {
  const cancelled = await control.cancel(invocation.pipelineId, invocation.reason);
  process.stdout.write(describe(cancelled));
  return true;
}
