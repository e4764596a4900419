/**
 * The soak of a durable server at a small size (the benchmark runs it at
 * 10^5 blocks: bench/server-restarts): SIGKILLed three times at random
 * moments and started again on the same address, the server finishes the
 * run; no block is lost, and what ran twice is at most what the workers held
 * at the kills.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runRestartSoak } from '../support/restart-soak.js';

test('three SIGKILLs of the server at random moments: the run finishes, nothing is lost, at most the held blocks run twice', { timeout: 180_000 }, async (t) => {
  const result = await runRestartSoak({
    dir: mkdtempSync(join(tmpdir(), 'daisychain-restart-soak-')),
    blocks: 600,
    workers: 4,
    kills: 3,
    blockDelayMs: 5,
    seed: Number(process.env['SOAK_SEED'] ?? 17),
    log: (line) => t.diagnostic(line),
  });
  t.diagnostic(JSON.stringify(result));
  assert.equal(result.kills, 3);
  assert.equal(result.exitCode, 0);
  assert.equal(result.lost, 0);
  assert.ok(result.ranTwice <= result.heldBound, `${result.ranTwice} runs beyond the first, more than the ${result.heldBound} blocks held at the kills`);
});
