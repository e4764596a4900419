/**
 * The durable server's soak at size (issue 17): 10^5 blocks, 4 pool
 * workers, the server SIGKILLed 3 times at random moments and restarted on
 * the same address and state directory. Prints one JSON line: blocks run
 * twice against the blocks held at the kills, blocks lost, and each
 * restart's time to listen and to have a block run again. Exits 1 when the
 * run fails or loses a block. Environment: BLOCKS, WORKERS, KILLS,
 * BLOCK_DELAY_MS, SEED.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runRestartSoak } from '../../tests/support/restart-soak.js';

const env = process.env;
const result = await runRestartSoak({
  dir: mkdtempSync(join(tmpdir(), 'daisychain-server-restarts-')),
  blocks: Number(env['BLOCKS'] ?? 100_000),
  workers: Number(env['WORKERS'] ?? 4),
  kills: Number(env['KILLS'] ?? 3),
  blockDelayMs: Number(env['BLOCK_DELAY_MS'] ?? 0),
  seed: Number(env['SEED'] ?? Date.now() % 100_000),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify({ loadavg: (await import('node:os')).loadavg(), ...result })}\n`);
if (result.exitCode !== 0 || result.lost > 0) process.exitCode = 1;
