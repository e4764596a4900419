/**
 * daisy's worker context: `key=value` pairs joined by `:` in the environment
 * variable DAISY_CONTEXT (hostname, port, task_id, worker_id, logdir), so
 * that worker scripts written for daisy find a daisychain server unchanged.
 * A daisychain worker pool adds worker_secret, which the client sends in its
 * Hello to prove that it is the process the pool started under worker_id.
 */
export const CONTEXT_VARIABLE = 'DAISY_CONTEXT';

export type WorkerContext = Readonly<Record<string, string>>;

export class ContextError extends Error {
  override name = 'ContextError';
}

export function formatContext(context: WorkerContext): string {
  return Object.entries(context)
    .map(([key, value]) => {
      for (const part of [key, value]) {
        if (part.includes('=') || part.includes(':')) {
          throw new ContextError(`context entries must not contain '=' or ':', got ${JSON.stringify(`${key}=${value}`)}`);
        }
      }
      return `${key}=${value}`;
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
    context[parts[0]!] = parts[1]!;
  }
  return context;
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

/** The entries a client needs, checked. `workerSecret` is '' for a worker started by hand (no pool gave it one). */
export function requireContextEntries(context: WorkerContext): { host: string; port: number; taskId: string; workerId: string; workerSecret: string } {
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
  };
}
