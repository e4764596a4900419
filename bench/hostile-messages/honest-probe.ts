/**
 * The honest worker of the hostile-messages benchmark, in a process of its
 * own so that its latencies are the server's and not those of the process
 * that floods it: a `Client` (DAISY_CONTEXT) that acquires a block, releases
 * it at once and waits 1 ms, for ever, and times each acquire (one round
 * trip: the release and the next request travel in one message).
 *
 * IPC: 'mark' starts a new window; 'report' answers with the round trips of
 * the window so far (count, largest, p99).
 */
import { Client } from '../../src/client/index.js';

export interface ProbeWindow {
  /** Why the probe stopped, if its stream failed (a server frozen past the keepalive timeout drops it). */
  failed: string | null;
  roundTrips: number;
  maxMs: number;
  p99Ms: number;
  /** Milliseconds since the window began when the largest round trip ended. */
  maxAtMs: number;
}

let window: number[] = [];
let windowStart = performance.now();
let windowMax = 0;
let maxAt = 0;
let failed: string | null = null;

process.on('message', (message: 'mark' | 'report') => {
  if (message === 'mark') {
    window = [];
    windowStart = performance.now();
    windowMax = 0;
    maxAt = 0;
    return;
  }
  const sorted = [...window].sort((a, b) => a - b);
  const report: ProbeWindow = {
    failed,
    roundTrips: window.length,
    maxMs: windowMax,
    p99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
    maxAtMs: maxAt,
  };
  process.send!(report);
});
// The orchestrator ends this process by closing the channel.
process.on('disconnect', () => process.exit(0));

const client = new Client(undefined, { language: 'typescript (bench probe)' });
for (;;) {
  const asked = performance.now();
  const block = await client.acquireBlock().catch((error: unknown) => {
    // Kept for the report; the probe then only answers until the orchestrator disconnects.
    failed = `${error instanceof Error ? error.message : String(error)} (after ${((performance.now() - asked) / 1000).toFixed(1)} s waiting)`;
    return null;
  });
  const done = performance.now();
  if (block === null) break;
  window.push(done - asked);
  if (done - asked > windowMax) {
    windowMax = done - asked;
    maxAt = done - windowStart;
  }
  client.releaseBlock(block);
  await new Promise((resolve) => setTimeout(resolve, 1));
}
if (failed === null) await client.close();
