#!/usr/bin/env node
/**
 * The `daisychain` command: `daisychain run PIPELINE`, `daisychain serve
 * [PIPELINE]`, the operator commands `submit`, `status`, `watch` and
 * `cancel`, `daisychain --help` (src/cli/README.md). Exit status 0 when every
 * block succeeded, 1 when blocks failed or the run was interrupted, 2 for
 * wrong usage or input, reported in one line without a stack trace; a
 * second SIGINT or SIGTERM exits at once with 130 or 143 (serve-until-done.ts).
 */
import { ContextError } from '../client/context.js';
import { ControlError } from '../client/pipeline-client.js';
import { TaskValidationError } from '../model/task.js';
import { TokenError } from '../server/authorization.js';
import { serverVersion } from '../server/version.js';
import { SpecError } from '../pipelines/pipeline-spec.js';
import { PipelineError } from '../run/pipeline-file.js';
import { ListenError } from '../run/serve-until-done.js';
import { escapeForTerminal } from '../run/terminal-text.js';
import { StateDirError } from '../state/state-dir.js';
import { LogDirError } from '../workers/log-paths.js';
import { type CommandName, type Invocation, parseCommandLine, UsageError } from './arguments.js';
import { runCommand, serveCommand } from './commands.js';
import { operatorCommand } from './control-commands.js';
import { SecurityError } from './security.js';
import { MAIN_USAGE, usageOf } from './usage.js';

const EXIT_SUCCEEDED = 0;
const EXIT_BLOCKS_FAILED = 1;
const EXIT_WRONG_INPUT = 2;

/** Errors that mean the input was wrong, not the program: reported in one line. */
const WRONG_INPUT_ERRORS = [UsageError, PipelineError, TaskValidationError, ListenError, ContextError, LogDirError, ControlError, SpecError, SecurityError, TokenError, StateDirError];

async function main(argv: readonly string[]): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseCommandLine(argv);
  } catch (error) {
    return reportWrongInput(error, error instanceof UsageError ? error.command : undefined);
  }
  switch (invocation.kind) {
    case 'usage':
      process.stderr.write(MAIN_USAGE);
      return EXIT_WRONG_INPUT;
    case 'help':
      process.stdout.write(usageOf(invocation.command));
      return EXIT_SUCCEEDED;
    case 'version':
      process.stdout.write(`daisychain ${serverVersion()}\n`);
      return EXIT_SUCCEEDED;
    default:
      try {
        const succeeded =
          invocation.kind === 'run' ? await runCommand(invocation) : invocation.kind === 'serve' ? await serveCommand(invocation) : await operatorCommand(invocation);
        return succeeded ? EXIT_SUCCEEDED : EXIT_BLOCKS_FAILED;
      } catch (error) {
        return reportWrongInput(error, invocation.kind);
      }
  }
}

function isWrongInput(error: unknown): error is Error {
  return WRONG_INPUT_ERRORS.some((kind) => error instanceof kind);
}

/** Writes `daisychain: <message>` and returns exit status 2; anything else is a bug and keeps its stack trace. */
function reportWrongInput(error: unknown, command: CommandName | undefined): number {
  if (!isWrongInput(error)) throw error;
  const help = command === undefined ? 'daisychain --help' : `daisychain ${command} --help`;
  process.stderr.write(`daisychain: ${oneLine(error.message)} (see ${help})\n`);
  return EXIT_WRONG_INPUT;
}

/** Whitespace runs become one space and other control characters are escaped, so a message cannot break the line or drive the terminal. */
function oneLine(message: string): string {
  return escapeForTerminal(message.trim().replace(/\s+/g, ' '));
}

process.exitCode = await main(process.argv.slice(2));
