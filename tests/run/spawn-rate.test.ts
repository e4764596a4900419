/**
 * Worker processes start at a bounded rate: a pool of 200 starts 50 at
 * once and the rest gradually, every one of them, with real processes
 * (`sleep`, which never dials the server: only starting is measured).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SchedulerService, type WorkerEvent, WorkerProcessPool } from '../../src/index.js';
import { SpawnGate } from '../../src/workers/spawn-gate.js';
import { lineTask } from '../support/line-task.js';

test('a pool of 200 workers starts 50 at once, then the rest gradually, without failing', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'daisychain-spawn-'));
  const task = lineTask('many', 4, { numWorkers: 200, workerCommand: ['sleep', '30'] });
  const service = new SchedulerService([task]);
  const events: (WorkerEvent & { at: number })[] = [];
  const pool = new WorkerProcessPool(task, service, { host: '127.0.0.1', port: 1, logDir, onEvent: (e) => events.push({ ...e, at: Date.now() }) });
  const began = Date.now();
  try {
    pool.start();
    // 50 at once, and the few that the rate allows while those 50 are spawned.
    const atOnce = events.filter((e) => e.kind === 'started').length;
    const allowed = 50 + Math.ceil(((Date.now() - began) / 1000) * 100);
    assert.ok(atOnce >= 50 && atOnce <= allowed, `${atOnce} started at once, ${allowed} allowed`);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const midway = events.filter((e) => e.kind === 'started').length;
    assert.ok(midway > 50 && midway < 200, `some more started, not all: ${midway}`);
    while (events.filter((e) => e.kind === 'started').length < 200 && Date.now() - began < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const started = events.filter((e) => e.kind === 'started');
    assert.equal(started.length, 200);
    assert.equal(new Set(started.map((e) => e.workerId)).size, 200);
    // At most 150 after the burst at 100 a second: about 1.5 s, never at once.
    const spread = started[199]!.at - began;
    assert.ok(spread >= 1000 && spread < 5000, `the last started after ${spread} ms`);
    assert.deepEqual(events.filter((e) => e.kind !== 'started'), [], 'no worker exited or was restarted');
    assert.equal(readdirSync(join(logDir, 'many')).length, 400);
  } finally {
    await pool.stop(500);
  }
  assert.equal(events.filter((e) => e.kind === 'exited').length, 200);
});

test('a pool stopped while workers wait for their turn starts no more of them', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'daisychain-spawn-'));
  // A fresh second: the tokens of the test above have refilled.
  await new Promise((resolve) => setTimeout(resolve, 600));
  const task = lineTask('stopped', 4, { numWorkers: 400, workerCommand: ['sleep', '30'] });
  const service = new SchedulerService([task]);
  let started = 0;
  const pool = new WorkerProcessPool(task, service, { host: '127.0.0.1', port: 1, logDir, onEvent: (e) => (started += e.kind === 'started' ? 1 : 0) });
  const began = Date.now();
  pool.start();
  // Spawning 50 processes takes a while on a loaded machine, and the bucket refills meanwhile: allow its rate over that time.
  const allowed = 50 + Math.ceil((100 * (Date.now() - began)) / 1000) + 1;
  assert.ok(started >= 50 && started <= allowed && started < 400, `${started} started at once (allowed ${allowed})`);
  const before = started;
  await pool.stop(500);
  assert.ok(Date.now() - began < 1200, 'stopped before every worker had its turn');
  await new Promise((resolve) => setTimeout(resolve, 900));
  assert.equal(started, before);
});

test('a start that no longer wants to happen costs no token', () => {
  const gate = new SpawnGate(2, 1);
  const ran: string[] = [];
  for (let i = 0; i < 5; i++) gate.run(() => false);
  gate.run(() => ran.push('b') > 0);
  gate.run(() => ran.push('c') > 0);
  gate.run(() => ran.push('d') > 0);
  assert.deepEqual(ran, ['b', 'c'], 'the burst of 2 went to the two that started');
  assert.equal(gate.pending, 1);
});
