/**
 * daisy's worker context: `key=value` pairs joined by `:` in the environment
 * variable DAISY_CONTEXT (hostname, port, task_id, worker_id, logdir, and
 * pipeline_id on a server of several pipelines), so
 * that worker scripts written for daisy find a daisychain server unchanged.
 * A daisychain worker pool adds worker_secret, which the client sends in its
 * Hello to prove that it is the process the pool started under worker_id.
 */
export const CONTEXT_VARIABLE = 'DAISY_CONTEXT';

export type WorkerContext = Readonly<Record<string, string>>;

export class ContextError extends Error {
  override name = 'ContextError';
}

/**
 * Like daisy 2.0.0, `%`, `:` and `=` in keys and values are written as
 * `%25`, `%3A` and `%3D`, so any text survives the `:`/`=` splitting; other
 * characters are written as they are, so that daisy 1.x workers read
 * everything daisy 1.x could carry unchanged.
 */
export function formatContext(context: WorkerContext): string {
  return Object.entries(context)
    .map(([key, value]) => {
      if (key === '') throw new ContextError(`context keys must not be empty, got ${JSON.stringify(`=${value}`)}`);
      return `${encodeEntry(key)}=${encodeEntry(value)}`;
    })
    .join(':');
}

export function parseContext(text: string): WorkerContext {
  const context: Record<string, string> = {};
  for (const token of text.split(':')) {
    if (token === '') continue;
    const parts = token.split('=');
    if (parts.length !== 2 || parts[0] === '') {
      throw new ContextError(`malformed ${CONTEXT_VARIABLE} entry ${JSON.stringify(token)}: expected key=value`);
    }
    context[decodeEntry(parts[0]!)] = decodeEntry(parts[1]!);
  }
  return context;
}

const ENCODED: Readonly<Record<string, string>> = { '%': '%25', ':': '%3A', '=': '%3D' };
const DECODED: Readonly<Record<string, string>> = { '%25': '%', '%3A': ':', '%3D': '=' };

function encodeEntry(text: string): string {
  return text.replace(/[%:=]/g, (c) => ENCODED[c]!);
}

/** One pass, as daisy 2.0.0 reads it: `%253A` is `%3A`, and other `%` sequences stay as they are. */
function decodeEntry(text: string): string {
  return text.replace(/%(25|3[AaDd])/g, (sequence) => DECODED[sequence.toUpperCase()]!);
}

/** The context of this process, from DAISY_CONTEXT. */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): WorkerContext {
  const text = env[CONTEXT_VARIABLE];
  if (text === undefined) {
    throw new ContextError(`${CONTEXT_VARIABLE} is not set: start this worker from a daisychain worker pool, or pass a context`);
  }
  return parseContext(text);
}

/** The context entry a worker pool puts its per-process secret in. */
export const WORKER_SECRET_ENTRY = 'worker_secret';

/**
 * The context entry in which a worker pool asks its workers to run under
 * Linux's SCHED_BATCH (`scheduling=batch`): a client that can, does so once
 * when it starts (protocol note, "Scheduling").
 */
export const SCHEDULING_ENTRY = 'scheduling';

/** The entries a client needs, checked. `workerSecret` is '' for a worker started by hand (no pool gave it one). */
export function requireContextEntries(context: WorkerContext): {
  host: string;
  port: number;
  taskId: string;
  workerId: string;
  workerSecret: string;
  pipelineId: string;
} {
  const missing = ['hostname', 'port', 'task_id'].filter((key) => context[key] === undefined);
  if (missing.length > 0) throw new ContextError(`the worker context lacks ${missing.join(', ')}`);
  const port = Number(context['port']);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ContextError(`bad port ${JSON.stringify(context['port'])} in the worker context`);
  return {
    host: context['hostname']!,
    port,
    taskId: context['task_id']!,
    workerId: context['worker_id'] ?? `${process.pid}`,
    workerSecret: context[WORKER_SECRET_ENTRY] ?? '',
    // Task ids are scoped by pipeline; a context without one serves the server's only pipeline.
    pipelineId: context['pipeline_id'] ?? '',
  };
}
