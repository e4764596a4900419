/**
 * daisy's worker context: `key=value` pairs joined by `:` in the environment
 * variable DAISY_CONTEXT (hostname, port, task_id, worker_id, logdir, and
 * pipeline_id on a server of several pipelines), so
 * that worker scripts written for daisy find a daisychain server unchanged.
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

/** The entries a client needs, checked. */
export function requireContextEntries(context: WorkerContext): { host: string; port: number; taskId: string; workerId: string; pipelineId: string } {
  const missing = ['hostname', 'port', 'task_id'].filter((key) => context[key] === undefined);
  if (missing.length > 0) throw new ContextError(`the worker context lacks ${missing.join(', ')}`);
  const port = Number(context['port']);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new ContextError(`bad port ${JSON.stringify(context['port'])} in the worker context`);
  return {
    host: context['hostname']!,
    port,
    taskId: context['task_id']!,
    workerId: context['worker_id'] ?? `${process.pid}`,
    // Task ids are scoped by pipeline; a context without one serves the server's only pipeline.
    pipelineId: context['pipeline_id'] ?? '',
  };
}
