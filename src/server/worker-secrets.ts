import { timingSafeEqual } from 'node:crypto';

/** What a Hello's worker id and secret are worth: see `WorkerSecrets.check`. */
export type SecretCheck = 'unregistered' | 'verified' | 'missing' | 'wrong';

/**
 * The secrets of the worker processes this server's pools started, by task
 * and worker id. A stream whose Hello claims one of these ids must present
 * its secret: otherwise any peer could speak for a pool's worker and get it
 * killed by failing blocks in its name (the pool restarts a worker after 3
 * failures in a row). Secrets are kept as bytes and only ever compared;
 * nothing here logs or returns them.
 */
export class WorkerSecrets {
  private readonly byTask = new Map<string, Map<string, Buffer>>();

  register(taskId: string, workerId: string, secret: string): void {
    // An empty id is never claimed by a Hello (the server names such streams
    // `stream-<n>`), and an empty secret is what every client without one sends.
    if (workerId === '') throw new Error('a pool worker needs a worker id');
    if (secret === '') throw new Error(`worker ${JSON.stringify(workerId)} of task ${JSON.stringify(taskId)} needs a non-empty secret`);
    let workers = this.byTask.get(taskId);
    if (workers === undefined) this.byTask.set(taskId, (workers = new Map()));
    workers.set(workerId, Buffer.from(secret, 'utf8'));
  }

  forget(taskId: string, workerId: string): void {
    const workers = this.byTask.get(taskId);
    if (workers === undefined) return;
    workers.delete(workerId);
    if (workers.size === 0) this.byTask.delete(taskId);
  }

  /** How many workers are registered now (for tests: a pool forgets its workers as they exit). */
  get size(): number {
    let n = 0;
    for (const workers of this.byTask.values()) n += workers.size;
    return n;
  }

  /**
   * `unregistered` when no pool started `workerId` for `taskId` (a worker
   * started by hand: any secret is ignored); otherwise `verified` when
   * `presented` is its secret, `missing` when it is empty, `wrong` else.
   */
  check(taskId: string, workerId: string, presented: string): SecretCheck {
    const expected = this.byTask.get(taskId)?.get(workerId);
    if (expected === undefined) return 'unregistered';
    if (presented === '') return 'missing';
    // timingSafeEqual needs equal lengths; the length of a secret is no secret (the pool's are
    // all 64 hex digits), so only equal-length candidates are compared, in constant time.
    // The string's length bounds its UTF-8 length from below: a longer one is not even encoded.
    if (presented.length > expected.length) return 'wrong';
    const given = Buffer.from(presented, 'utf8');
    return given.length === expected.length && timingSafeEqual(given, expected) ? 'verified' : 'wrong';
  }
}
