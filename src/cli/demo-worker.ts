/**
 * A TypeScript worker of the demo's "smooth" task, started by the worker
 * pool with DAISY_CONTEXT: it box-filters its blocks of DEMO_VOLUME/raw into
 * DEMO_VOLUME/smoothed (blocks write whole, disjoint chunks, so the workers
 * share the Zarr datasets safely).
 *
 *   node dist/src/cli/demo-worker.js        (DEMO_VOLUME=.cache/demo/volume.zarr)
 */
import { openDs } from '../arrays/open-ds.js';
import { Client } from '../client/client.js';
import { workerExitCode } from '../client/errors.js';
import { smoothBlock } from './demo-ops.js';

const volume = process.env['DEMO_VOLUME'];
if (volume === undefined) throw new Error('DEMO_VOLUME must be set (the demo sets it)');
const input = await openDs(volume, 'raw', 'r');
const smoothed = await openDs(volume, 'smoothed', 'r+');

const client = new Client(undefined, { prefetch: 2 });
try {
  while (await client.acquire((block) => smoothBlock(block, input, smoothed))) {
    // one block per iteration
  }
  await client.close();
} catch (error) {
  // The protocol note's exit statuses: 75 when the server was lost for good, 77 when it refused the Hello.
  process.stderr.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exitCode = workerExitCode(error);
}
