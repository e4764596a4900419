/**
 * The daisychain worker of the end-to-end benchmark: a process started by the
 * worker pool with DAISY_CONTEXT that acquires and releases blocks doing
 * nothing, keeping PREFETCH blocks requested ahead (default 8).
 */
import { Client } from '../../src/client/index.js';

const client = new Client(undefined, { prefetch: Number(process.env['PREFETCH'] ?? '8') });
while (await client.acquire(() => {})) {
  // no-op block
}
await client.close();
