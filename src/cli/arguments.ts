/** The command line of `daisychain`, parsed and checked; nothing here runs anything. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PROGRESS_MODES, type ProgressMode } from '../run/progress.js';
import { ListenAddressError, parseListenAddress, type ListenAddress } from './listen-address.js';

export type CommandName = 'run' | 'serve';
const COMMANDS: readonly CommandName[] = ['run', 'serve'];

export interface RunInvocation {
  kind: 'run';
  pipeline: string;
  progress: ProgressMode;
  logDir: string;
  listen: ListenAddress;
}

export interface ServeInvocation {
  kind: 'serve';
  pipeline: string;
  progress: ProgressMode;
  listen: ListenAddress;
}

export type Invocation =
  | RunInvocation
  | ServeInvocation
  /** Help that was asked for (stdout, exit 0). */
  | { kind: 'help'; command: CommandName | undefined }
  /** Nothing asked at all: the usage, as an error (stderr, exit 2). */
  | { kind: 'usage' }
  | { kind: 'version' };

/** Wrong usage; `command` names the command whose --help would have helped. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: CommandName,
  ) {
    super(message);
  }
}

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

const HELP: OptionSpecs = { help: { type: 'boolean', short: 'h' } };
const OPTIONS: Record<CommandName, OptionSpecs> = {
  run: { ...HELP, progress: { type: 'string' }, 'log-dir': { type: 'string' }, listen: { type: 'string' } },
  serve: { ...HELP, progress: { type: 'string' }, listen: { type: 'string' } },
};
const DEFAULT_LISTEN: Record<CommandName, ListenAddress> = {
  run: { host: '127.0.0.1', port: 0 },
  serve: { host: '127.0.0.1', port: 50051 },
};

export function parseCommandLine(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) return { kind: 'usage' };
  if (first === '--help' || first === '-h') return { kind: 'help', command: undefined };
  if (first === '--version') return { kind: 'version' };
  if (first === 'help') {
    const [topic, ...extra] = rest;
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (topic === undefined) return { kind: 'help', command: undefined };
    return { kind: 'help', command: commandNamed(topic) };
  }
  if (first.startsWith('-')) throw new UsageError(`unknown option ${JSON.stringify(first)}`);
  const command = commandNamed(first);
  const tokens = lex(command, rest);
  // --help wins over any mistake next to it: whoever typed it wants the help.
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return { kind: 'help', command };
  const { options, positionals } = readOptions(command, tokens);
  const [pipeline, ...extra] = positionals;
  if (pipeline === undefined) throw new UsageError('no pipeline file given', command);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} (one pipeline file)`, command);
  const progress = progressMode(options.get('progress'), command);
  const listen = listenAddress(options.get('listen'), command);
  if (command === 'serve') return { kind: 'serve', pipeline, progress, listen };
  return { kind: 'run', pipeline, progress, listen, logDir: options.get('log-dir') ?? 'daisy_logs' };
}

function commandNamed(name: string): CommandName {
  const command = COMMANDS.find((c) => c === name);
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
  return command;
}

/**
 * The words after the command, split by parseArgs (--flag=value, -h, --).
 * Not strict: readOptions makes the checks, so that every message names the
 * flag as it was typed.
 */
function lex(command: CommandName, args: string[]) {
  return parseArgs({ args, options: OPTIONS[command], allowPositionals: true, strict: false, tokens: true }).tokens;
}
type Token = ReturnType<typeof lex>[number];

/** The values of the options, and the positionals, of a command. */
function readOptions(command: CommandName, tokens: readonly Token[]): { options: Map<string, string>; positionals: string[] } {
  const specs = OPTIONS[command];
  const options = new Map<string, string>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    if (specs[token.name] === undefined) throw new UsageError(`unknown option ${JSON.stringify(token.rawName)} for ${command}`, command);
    // Without `=`, a value that looks like a flag is a forgotten value: `--progress --listen ...`.
    if (token.value === undefined || token.value === '' || (!token.inlineValue && token.value.startsWith('-'))) {
      throw new UsageError(`${token.rawName} needs a value`, command);
    }
    options.set(token.name, token.value);
  }
  return { options, positionals };
}

function progressMode(value: string | undefined, command: CommandName): ProgressMode {
  if (value === undefined) return 'auto';
  const mode = PROGRESS_MODES.find((m) => m === value);
  if (mode === undefined) throw new UsageError(`--progress must be one of ${PROGRESS_MODES.join(', ')}, got ${JSON.stringify(value)}`, command);
  return mode;
}

function listenAddress(value: string | undefined, command: CommandName): ListenAddress {
  if (value === undefined) return DEFAULT_LISTEN[command];
  try {
    return parseListenAddress(value);
  } catch (error) {
    if (error instanceof ListenAddressError) throw new UsageError(error.message, command);
    throw error;
  }
}
