/** Shared by the sporadic-kill test (tests/run) and the full-size soak (bench/soak). */

/** The pool's `started`/`exited` events, read from JSON progress: the pids of live workers. */
export function workerTracker(): { out: { write(text: string): boolean }; live: Map<string, number> } {
  const live = new Map<string, number>();
  let partial = '';
  const out = {
    write(text: string): boolean {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line) as { event: string; kind?: string; workerId?: string; detail?: string };
        if (event.event !== 'worker') continue;
        const pid = /^pid (\d+):/.exec(event.detail ?? '');
        if (event.kind === 'started' && pid !== null) live.set(event.workerId!, Number(pid[1]));
        if (event.kind === 'exited') live.delete(event.workerId!);
      }
      return true;
    },
  };
  return { out, live };
}
