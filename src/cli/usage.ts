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

const PIPELINE_FILE = `pipeline file (JSON, or YAML when it ends in .yaml/.yml; its JSON Schema is
pipeline-file.schema.json in the package, for editors):
  name: my pipeline
  tasks:
    - taskId: smooth
      totalRoi: {offset: [0, 0, 0], shape: [96, 96, 96]}
      readRoi:  {offset: [-1, -1, -1], shape: [18, 18, 18]}
      writeRoi: {offset: [0, 0, 0], shape: [16, 16, 16]}
      numWorkers: 2
      workerCommand: [python, worker.py]
      workerEnv: {OMP_NUM_THREADS: "1"}
      upstreamTasks: [other-task-id]
      requires: {gpu: 1}        # what one of its workers holds of resources
  resources: {gpu: 2, cpu: 8}   # the budget: live workers never hold more
  taskId and the three ROIs are required (and workerCommand for run); also
  optional: readWriteConflict, fit, maxRetries, timeout, maxWorkerRestarts,
  requires. A task requiring more than resources has is refused (exit 2);
  a task without requires is not bounded by the budget.
  A task with a workerCommand has its workers started by the server; the
  others wait for workers started elsewhere.
  A taskId is letters, digits, inner spaces, '.', '_' and '-' (it names a log
  directory); numWorkers is at most ${TASK_LIMITS.maxWorkers}, maxRetries ${TASK_LIMITS.maxRetries}, maxWorkerRestarts ${TASK_LIMITS.maxWorkerRestarts},
  timeout ${TASK_LIMITS.maxTimeoutSeconds} s (or null).`;

const PROGRESS_OPTION = `  --progress MODE      ${PROGRESS_MODES.join('|')} (default: auto, bars on a terminal
                       and lines otherwise)`;
const HELP_OPTION = '  -h, --help           show this help';

export const MAIN_USAGE = `usage: daisychain <command> [options]

Block-wise task scheduling for huge n-dimensional volumes, served over gRPC.

commands:
  run PIPELINE     serve the tasks of PIPELINE and start their worker processes
  serve [PIPELINE] a server of pipelines: without PIPELINE, long-running, for
                   pipelines submitted to it; with one, serves it until done
                   (workers it starts, or started elsewhere: SLURM, by hand)
  submit PIPELINE  submit a pipeline file to a server (--server HOST:PORT)
  status [ID]      the pipelines of a server, or one of them
  watch ID         the progress of a pipeline until it ends
  cancel ID        cancel a pipeline: its workers stop, its blocks go back
  help [COMMAND]   show this help, or the help of COMMAND

options:
${HELP_OPTION}
  --version            print the version

"daisychain <command> --help" shows the options of a command.

${EXIT_STATUS}
`;

const SERVER_SECURITY_OPTIONS = `security (required to listen beyond loopback, unless --insecure):
  --tls-cert FILE      serve TLS with this certificate (PEM) ...
  --tls-key FILE       ... and its private key
  --tls-client-ca FILE mTLS: refuse clients without a certificate signed by it
  --tls-ca FILE        the CA the server's own workers trust (default: the
                       server certificate)
  --worker-tls-cert FILE, --worker-tls-key FILE
                       the client certificate the server's own workers present
                       under mTLS
  --operator-token-file FILE
                       the control plane and progress calls need this bearer
                       token (or DAISYCHAIN_OPERATOR_TOKEN); turns tokens on:
                       work streams then need their pipeline's worker token
  --worker-token-file FILE
                       the worker token of the pipeline of PIPELINE (or
                       DAISYCHAIN_WORKER_TOKEN; also turns tokens on; default
                       with tokens on: one made per pipeline)
  --insecure           listen beyond loopback without TLS or tokens (warned)`;

const CLIENT_SECURITY_OPTIONS = `  --tls-ca FILE        talk TLS, trusting this CA (PEM)
  --tls-cert FILE, --tls-key FILE
                       the client certificate to present under mTLS
  --operator-token-file FILE
                       the operator token (or DAISYCHAIN_OPERATOR_TOKEN)`;

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

${SERVER_SECURITY_OPTIONS}

${PIPELINE_FILE}

${EXIT_STATUS}
`;

const SERVE_USAGE = `usage: daisychain serve [PIPELINE] [options]

Without PIPELINE: a long-running server of pipelines, submitted to it with
"daisychain submit" (or PipelineService from any language), each with its
own tasks, workers and progress. It stops on Ctrl-C (SIGINT) or SIGTERM:
running pipelines are cancelled, their blocks taken back and the workers it
started stopped; exit status 0.

With PIPELINE: submits it to itself and serves it until every task is done:
starts the workers of tasks with a workerCommand, prints the DAISY_CONTEXT
the workers of the other tasks need (their worker_id is yours to choose),
shows progress and prints a summary; --keep-running then goes on serving
until it is stopped.

options:
  --listen HOST:PORT   where the server listens (default: 127.0.0.1:50051);
                       0.0.0.0:PORT or [::]:PORT listen on every interface
${PROGRESS_OPTION}
  --log-dir DIR        output of the workers the server starts goes to
                       DIR/<pipeline id>/<task>/worker_<id>.{out,err}
                       (default: daisy_logs)
  --keep-running       with PIPELINE: go on serving once it is done
  --address-file FILE  once listening, write HOST:PORT to FILE (for a program
                       that started the server on a free port)
  --flat-log-dir       worker output in DIR/<task>/ as daisy lays it out, not
                       DIR/<pipeline id>/<task>/ (for one pipeline at a time)
  --exit-with-stdin    stop, as on SIGTERM, once stdin ends (for a server that a
                       program starts and holds a pipe to: it never outlives it)
  --state-dir DIR      keep every pipeline in DIR; started again on DIR after a
                       crash (even SIGKILL) or a stop, the server resumes the
                       pipelines that were running: done blocks do not run
                       again, blocks held at the crash do, and the workers
                       the old server started are stopped and replaced. With
                       PIPELINE, a running pipeline of DIR with the same
                       declaration is resumed rather than submitted again. A
                       stop (SIGINT, SIGTERM) leaves them to resume too.
${HELP_OPTION}

${SERVER_SECURITY_OPTIONS}

${PIPELINE_FILE}

${EXIT_STATUS}
`;

const SERVER_OPTION = `  --server HOST:PORT   the daisychain serve to talk to (required); an IPv6
                       host in brackets, as in [::1]:50051
${CLIENT_SECURITY_OPTIONS}`;

const OPERATOR_EXIT_STATUS = `exit status:
  0  done (submit --wait, watch: the pipeline succeeded)
  1  the pipeline failed or was cancelled (submit --wait, watch)
  2  wrong usage or input: unknown option, bad value, bad pipeline file, a
     spec or id the server refused, no server at --server`;

const SUBMIT_USAGE = `usage: daisychain submit PIPELINE --server HOST:PORT [options]

Checks the pipeline file (as the server will), submits it, and prints the
new pipeline's id on stdout. The server runs the workers of tasks with a
workerCommand, in its own working directory; workers of the other tasks
connect with DAISY_CONTEXT naming the pipeline (pipeline_id=ID).

options:
${SERVER_OPTION}
  --wait               then show its progress until it ends, as watch does
  --worker-token-out FILE
                       write the pipeline's worker token to FILE (mode 0600)
                       for workers started elsewhere (DAISY_CONTEXT worker_token)
${PROGRESS_OPTION}
${HELP_OPTION}

${PIPELINE_FILE}

${OPERATOR_EXIT_STATUS}
`;

const STATUS_USAGE = `usage: daisychain status [PIPELINE_ID] --server HOST:PORT

Without an id: one line per pipeline of the server (id, status, blocks
completed, name). With one: its status (and cancel reason), when it was
submitted and ended, and each task's counts.

options:
${SERVER_OPTION}
${HELP_OPTION}

${OPERATOR_EXIT_STATUS}
`;

const WATCH_USAGE = `usage: daisychain watch PIPELINE_ID --server HOST:PORT [options]

Shows a pipeline's progress with the display of "daisychain run" until it
ends, then its summary. Ctrl-C stops watching; the pipeline goes on.

options:
${SERVER_OPTION}
${PROGRESS_OPTION}
${HELP_OPTION}

${OPERATOR_EXIT_STATUS}
`;

const CANCEL_USAGE = `usage: daisychain cancel PIPELINE_ID --server HOST:PORT [--reason TEXT]

Cancels a running pipeline: its workers are told to stop (the server's own
are stopped), the blocks they hold are taken back, every block left fails
or is orphaned, and the reason is recorded (status, watch and the workers'
Shutdown show it).

options:
${SERVER_OPTION}
  --reason TEXT        why (default: "cancelled"); at most 1000 characters
${HELP_OPTION}

${OPERATOR_EXIT_STATUS}
`;

export function usageOf(command: CommandName | undefined): string {
  switch (command) {
    case 'run':
      return RUN_USAGE;
    case 'serve':
      return SERVE_USAGE;
    case 'submit':
      return SUBMIT_USAGE;
    case 'status':
      return STATUS_USAGE;
    case 'watch':
      return WATCH_USAGE;
    case 'cancel':
      return CANCEL_USAGE;
    default:
      return MAIN_USAGE;
  }
}
