/** The help texts of `daisychain` and its commands. */
import { TASK_LIMITS } from '../model/task.js';
import { PROGRESS_MODES } from '../run/progress.js';
import type { CommandName } from './arguments.js';

const EXIT_STATUS = `exit status:
  0  every block succeeded
  1  some blocks failed, or the run was interrupted (Ctrl-C or SIGTERM)
  2  wrong usage or input: unknown command or option, bad value, bad pipeline
     file, a log directory that cannot be written
  130, 143  a second Ctrl-C (SIGINT) or SIGTERM: exited at once, no summary`;

const PIPELINE_FILE = `pipeline file (JSON, or YAML when it ends in .yaml/.yml):
  tasks:
    - taskId: smooth
      totalRoi: {offset: [0, 0, 0], shape: [96, 96, 96]}
      readRoi:  {offset: [-1, -1, -1], shape: [18, 18, 18]}
      writeRoi: {offset: [0, 0, 0], shape: [16, 16, 16]}
      numWorkers: 2
      workerCommand: [python, worker.py]
      upstreamTasks: [other-task-id]
  taskId and the three ROIs are required (and workerCommand for run); also
  optional: readWriteConflict, fit, maxRetries, timeout, maxWorkerRestarts.
  A taskId is letters, digits, '.', '_' and '-' (it names a log directory);
  numWorkers is at most ${TASK_LIMITS.maxWorkers}, maxRetries ${TASK_LIMITS.maxRetries}, maxWorkerRestarts ${TASK_LIMITS.maxWorkerRestarts},
  timeout ${TASK_LIMITS.maxTimeoutSeconds} s (or null).`;

const PROGRESS_OPTION = `  --progress MODE      ${PROGRESS_MODES.join('|')} (default: auto, bars on a terminal
                       and lines otherwise)`;
const HELP_OPTION = '  -h, --help           show this help';

export const MAIN_USAGE = `usage: daisychain <command> [options]

Block-wise task scheduling for huge n-dimensional volumes, served over gRPC.

commands:
  run PIPELINE     serve the tasks of PIPELINE and start their worker processes
  serve PIPELINE   serve the tasks to workers started elsewhere (SLURM,
                   Kubernetes, by hand)
  help [COMMAND]   show this help, or the help of COMMAND

options:
${HELP_OPTION}
  --version            print the version

"daisychain <command> --help" shows the options of a command.

${EXIT_STATUS}
`;

const RUN_USAGE = `usage: daisychain run PIPELINE [options]

Serves the tasks of PIPELINE, starts each task's workerCommand numWorkers
times, shows progress and prints a summary when every task is done.

options:
${PROGRESS_OPTION}
  --log-dir DIR        worker output goes to DIR/<task>/worker_<id>.{out,err}
                       (default: daisy_logs)
  --listen HOST:PORT   where the server listens (default: 127.0.0.1:0, a free
                       port); 0.0.0.0:PORT or [::]:PORT listen on every interface
${HELP_OPTION}

${PIPELINE_FILE}

${EXIT_STATUS}
`;

const SERVE_USAGE = `usage: daisychain serve PIPELINE [options]

Serves the tasks of PIPELINE until every task is done, to workers started
elsewhere; prints the DAISY_CONTEXT each worker needs (its worker_id is yours
to choose), shows progress and prints a summary.

options:
  --listen HOST:PORT   where the server listens (default: 127.0.0.1:50051);
                       0.0.0.0:PORT or [::]:PORT listen on every interface
${PROGRESS_OPTION}
${HELP_OPTION}

${PIPELINE_FILE}

${EXIT_STATUS}
`;

export function usageOf(command: CommandName | undefined): string {
  switch (command) {
    case 'run':
      return RUN_USAGE;
    case 'serve':
      return SERVE_USAGE;
    default:
      return MAIN_USAGE;
  }
}
