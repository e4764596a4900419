#!/usr/bin/env node
/**
 * The `daisychain` command.
 *
 *   daisychain run PIPELINE [--progress MODE] [--log-dir DIR] [--listen HOST:PORT]
 *       serves the tasks of PIPELINE (JSON or YAML), starts each task's
 *       workerCommand numWorkers times, shows progress; exit status 0 only if
 *       every block succeeded.
 *   daisychain serve PIPELINE [--listen HOST:PORT] [--progress MODE]
 *       serves the tasks for workers started elsewhere (SLURM, Kubernetes, by
 *       hand) until every task is done; prints the DAISY_CONTEXT they need.
 */
import { resolve } from 'node:path';
import { formatContext } from '../client/context.js';
import { SchedulerService } from '../server/scheduler-service.js';
import { startServer } from '../server/server.js';
import { loadPipeline, PipelineError } from '../run/pipeline-file.js';
import { createProgress, PROGRESS_MODES, type ProgressMode } from '../run/progress.js';
import { runBlockwise } from '../run/run-blockwise.js';
import { printSummary, summarize } from '../run/summary.js';
import { TaskValidationError } from '../model/task.js';

const USAGE = `usage:
  daisychain run PIPELINE [--progress auto|bars|lines|json|none] [--log-dir DIR] [--listen HOST:PORT]
  daisychain serve PIPELINE [--listen HOST:PORT] [--progress auto|bars|lines|json|none]`;

class UsageError extends Error {}

interface Options {
  command: 'run' | 'serve';
  pipeline: string;
  progress: ProgressMode;
  logDir: string;
  host: string;
  port: number;
}

function parseArgs(argv: readonly string[]): Options {
  const [command, pipeline, ...rest] = argv;
  if (command !== 'run' && command !== 'serve') throw new UsageError(command === undefined ? 'no command given' : `unknown command "${command}"`);
  if (pipeline === undefined || pipeline.startsWith('--')) throw new UsageError('no pipeline file given');
  const options: Options = { command, pipeline, progress: 'auto', logDir: 'daisy_logs', host: '127.0.0.1', port: 0 };
  if (command === 'serve') options.port = 50051;
  for (let i = 0; i < rest.length; i += 2) {
    const flag = rest[i]!;
    const value = rest[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    switch (flag) {
      case '--progress':
        if (!(PROGRESS_MODES as readonly string[]).includes(value)) throw new UsageError(`--progress must be one of ${PROGRESS_MODES.join(', ')}`);
        options.progress = value as ProgressMode;
        break;
      case '--log-dir':
        options.logDir = value;
        break;
      case '--listen': {
        const match = /^(.+):(\d+)$/.exec(value);
        if (match === null || Number(match[2]) > 65535) throw new UsageError(`--listen must be HOST:PORT, got "${value}"`);
        options.host = match[1]!.replace(/^\[(.*)\]$/, '$1');
        options.port = Number(match[2]);
        break;
      }
      default:
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  return options;
}

async function serve(options: Options): Promise<boolean> {
  const service = new SchedulerService(loadPipeline(options.pipeline));
  const server = await startServer(service, options.host, options.port);
  const started = Date.now();
  const dialHost = options.host === '0.0.0.0' || options.host === '::' ? '<this host>' : options.host;
  process.stderr.write(`daisychain server listening on ${server.address}; workers connect with\n`);
  for (const taskId of service.taskIds) {
    process.stderr.write(`  DAISY_CONTEXT=${formatContext({ hostname: dialHost, port: String(server.port), task_id: taskId, worker_id: '<id>' })}\n`);
  }
  const progress = createProgress(options.progress, service, process.stderr);
  let interrupted = false;
  await new Promise<void>((done) => {
    if (service.finished) done();
    service.once('finished', () => done());
    process.once('SIGINT', () => {
      interrupted = true;
      done();
    });
  });
  progress.close();
  await server.close();
  const summary = summarize(service, (Date.now() - started) / 1000, interrupted);
  printSummary(summary, options.progress === 'auto' ? 'lines' : options.progress, process.stderr);
  return summary.succeeded;
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`daisychain: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  try {
    if (options.command === 'serve') return (await serve(options)) ? 0 : 1;
    const tasks = loadPipeline(options.pipeline);
    const ok = await runBlockwise(tasks, { progress: options.progress, logDir: resolve(options.logDir), host: options.host, port: options.port });
    return ok ? 0 : 1;
  } catch (error) {
    if (error instanceof PipelineError || error instanceof TaskValidationError) {
      process.stderr.write(`daisychain: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main();
