/** The command line of `daisychain`, parsed and checked; nothing here runs anything. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PROGRESS_MODES, type ProgressMode } from '../run/progress.js';
import { ListenAddressError, parseListenAddress, parseServerAddress, type ListenAddress } from './listen-address.js';

export type CommandName = 'run' | 'serve' | 'submit' | 'status' | 'watch' | 'cancel';
const COMMANDS: readonly CommandName[] = ['run', 'serve', 'submit', 'status', 'watch', 'cancel'];

/** The security flags of `run` and `serve`: file paths as given; read by commands.ts. */
export interface ServerSecurityFlags {
  tlsCert?: string;
  tlsKey?: string;
  /** mTLS: clients need a certificate signed by this CA. */
  tlsClientCa?: string;
  /** The CA the server's own workers trust (default: tlsCert, right for a self-signed one). */
  tlsCa?: string;
  /** The client certificate and key the server's own workers present under mTLS. */
  workerTlsCert?: string;
  workerTlsKey?: string;
  operatorTokenFile?: string;
  workerTokenFile?: string;
  insecure: boolean;
}

/** The security flags of the operator commands. */
export interface ClientSecurityFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  operatorTokenFile?: string;
}

export interface RunInvocation {
  kind: 'run';
  security: ServerSecurityFlags;
  pipeline: string;
  progress: ProgressMode;
  logDir: string;
  listen: ListenAddress;
}

export interface ServeInvocation {
  kind: 'serve';
  security: ServerSecurityFlags;
  /** null: a long-running service, until SIGINT or SIGTERM. */
  pipeline: string | null;
  progress: ProgressMode;
  listen: ListenAddress;
  logDir: string;
  keepRunning: boolean;
  /** Where to write `host:port` once listening, for the program that started the server; null: nowhere. */
  addressFile: string | null;
  /** Worker logs in `logDir/<task>/` (daisy's layout) rather than `logDir/<pipeline id>/<task>/`. */
  flatLogDir: boolean;
  /** Stop, as on SIGTERM, once stdin ends: the program that owns the server died or let it go. */
  exitWithStdin: boolean;
  /** Keep the pipelines here and resume them when started again after a crash; null: in memory only. */
  stateDir: string | null;
}

/** The operator commands: a server's control plane at `server` (`host:port`). */
export interface SubmitInvocation {
  kind: 'submit';
  security: ClientSecurityFlags;
  pipeline: string;
  server: string;
  wait: boolean;
  progress: ProgressMode;
  /** Where the pipeline's worker token goes (mode 0600), for workers started elsewhere; null: not kept. */
  workerTokenOut: string | null;
}

export interface StatusInvocation {
  kind: 'status';
  security: ClientSecurityFlags;
  /** null: every pipeline. */
  pipelineId: string | null;
  server: string;
}

export interface WatchInvocation {
  kind: 'watch';
  security: ClientSecurityFlags;
  pipelineId: string;
  server: string;
  progress: ProgressMode;
}

export interface CancelInvocation {
  kind: 'cancel';
  security: ClientSecurityFlags;
  pipelineId: string;
  server: string;
  reason: string;
}

export type OperatorInvocation = SubmitInvocation | StatusInvocation | WatchInvocation | CancelInvocation;

export type Invocation =
  | RunInvocation
  | ServeInvocation
  | OperatorInvocation
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
const CLIENT_SECURITY: OptionSpecs = {
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'operator-token-file': { type: 'string' },
};
const SERVER: OptionSpecs = { server: { type: 'string' }, ...CLIENT_SECURITY };
const SERVER_SECURITY: OptionSpecs = {
  ...CLIENT_SECURITY,
  'tls-client-ca': { type: 'string' },
  'worker-tls-cert': { type: 'string' },
  'worker-tls-key': { type: 'string' },
  'worker-token-file': { type: 'string' },
  insecure: { type: 'boolean' },
};
const OPTIONS: Record<CommandName, OptionSpecs> = {
  run: { ...HELP, ...SERVER_SECURITY, progress: { type: 'string' }, 'log-dir': { type: 'string' }, listen: { type: 'string' } },
  serve: { ...HELP, ...SERVER_SECURITY, progress: { type: 'string' }, listen: { type: 'string' }, 'log-dir': { type: 'string' }, 'keep-running': { type: 'boolean' }, 'address-file': { type: 'string' }, 'flat-log-dir': { type: 'boolean' }, 'exit-with-stdin': { type: 'boolean' }, 'state-dir': { type: 'string' } },
  submit: { ...HELP, ...SERVER, wait: { type: 'boolean' }, progress: { type: 'string' }, 'worker-token-out': { type: 'string' } },
  status: { ...HELP, ...SERVER },
  watch: { ...HELP, ...SERVER, progress: { type: 'string' } },
  cancel: { ...HELP, ...SERVER, reason: { type: 'string' } },
};

/** Options as given, keyed by their flag names; only those present. */
function pick<K extends string>(options: ReadonlyMap<string, string>, names: Record<K, string>): Partial<Record<K, string>> {
  const picked: Partial<Record<K, string>> = {};
  for (const [key, flag] of Object.entries(names) as [K, string][]) {
    const value = options.get(flag);
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

function clientSecurity(options: ReadonlyMap<string, string>): ClientSecurityFlags {
  return pick(options, { tlsCa: 'tls-ca', tlsCert: 'tls-cert', tlsKey: 'tls-key', operatorTokenFile: 'operator-token-file' });
}

function serverSecurity(options: ReadonlyMap<string, string>, command: CommandName): ServerSecurityFlags {
  const flags: ServerSecurityFlags = {
    ...pick(options, {
      tlsCert: 'tls-cert',
      tlsKey: 'tls-key',
      tlsClientCa: 'tls-client-ca',
      tlsCa: 'tls-ca',
      workerTlsCert: 'worker-tls-cert',
      workerTlsKey: 'worker-tls-key',
      operatorTokenFile: 'operator-token-file',
      workerTokenFile: 'worker-token-file',
    }),
    insecure: options.has('insecure'),
  };
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together', command);
  if (flags.tlsCert === undefined && (flags.tlsClientCa !== undefined || flags.tlsCa !== undefined)) throw new UsageError('--tls-client-ca and --tls-ca need --tls-cert and --tls-key', command);
  if ((flags.workerTlsCert === undefined) !== (flags.workerTlsKey === undefined)) throw new UsageError('--worker-tls-cert and --worker-tls-key go together', command);
  return flags;
}
const DEFAULT_LISTEN: Record<'run' | 'serve', ListenAddress> = {
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
  const progress = progressMode(options.get('progress'), command);
  const logDir = options.get('log-dir') ?? 'daisy_logs';
  switch (command) {
    case 'run':
      return { kind: 'run', security: serverSecurity(options, command), pipeline: onePositional(positionals, command, 'pipeline file', true)!, progress, listen: listenAddress(options.get('listen'), command), logDir };
    case 'serve': {
      const pipeline = onePositional(positionals, command, 'pipeline file', false);
      const keepRunning = options.has('keep-running');
      if (keepRunning && pipeline === null) throw new UsageError('--keep-running needs a pipeline file: without one, serve runs until it is stopped anyway', command);
      return { kind: 'serve', security: serverSecurity(options, command), pipeline, progress, listen: listenAddress(options.get('listen'), command), logDir, keepRunning, addressFile: options.get('address-file') ?? null, flatLogDir: options.has('flat-log-dir'), exitWithStdin: options.has('exit-with-stdin'), stateDir: nonEmpty(options.get('state-dir'), '--state-dir', command) };
    }
    case 'submit':
      return { kind: 'submit', security: clientSecurity(options), pipeline: onePositional(positionals, command, 'pipeline file', true)!, server: serverAddress(options, command), wait: options.has('wait'), progress, workerTokenOut: options.get('worker-token-out') ?? null };
    case 'status':
      return { kind: 'status', security: clientSecurity(options), pipelineId: onePositional(positionals, command, 'pipeline id', false), server: serverAddress(options, command) };
    case 'watch':
      return { kind: 'watch', security: clientSecurity(options), pipelineId: onePositional(positionals, command, 'pipeline id', true)!, server: serverAddress(options, command), progress };
    case 'cancel':
      return { kind: 'cancel', security: clientSecurity(options), pipelineId: onePositional(positionals, command, 'pipeline id', true)!, server: serverAddress(options, command), reason: options.get('reason') ?? '' };
  }
}

/** The one positional argument of a command (a file, an id), or null where it is optional and absent. */
function onePositional(positionals: readonly string[], command: CommandName, what: string, required: boolean): string | null {
  const [value, ...extra] = positionals;
  if (value === undefined) {
    if (required) throw new UsageError(`no ${what} given`, command);
    return null;
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} (one ${what})`, command);
  return value;
}

function serverAddress(options: ReadonlyMap<string, string>, command: CommandName): string {
  const value = options.get('server');
  if (value === undefined) throw new UsageError('--server HOST:PORT is required: the address of a daisychain serve', command);
  try {
    return parseServerAddress(value);
  } catch (error) {
    if (error instanceof ListenAddressError) throw new UsageError(error.message, command);
    throw error;
  }
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
    const spec = specs[token.name];
    if (spec === undefined) throw new UsageError(`unknown option ${JSON.stringify(token.rawName)} for ${command}`, command);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value`, command);
      options.set(token.name, 'true');
      continue;
    }
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

function listenAddress(value: string | undefined, command: 'run' | 'serve'): ListenAddress {
  if (value === undefined) return DEFAULT_LISTEN[command];
  try {
    return parseListenAddress(value);
  } catch (error) {
    if (error instanceof ListenAddressError) throw new UsageError(error.message, command);
    throw error;
  }
}

/** An optional path flag: absent is null, an empty value is refused (it would silently mean the working directory). */
function nonEmpty(value: string | undefined, flag: string, command: CommandName): string | null {
  if (value === undefined) return null;
  if (value.trim() === '') throw new UsageError(`${flag} needs a directory, got an empty value`, command);
  return value;
}
