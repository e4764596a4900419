/**
 * The journal of a tracking group (daisychain.journal): marks made by a
 * process that is then SIGKILLed, before any flush of the chunk, are found
 * by the next open; a torn last record is dropped; without the journal they
 * are lost (the interval's marks run again).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Roi } from '../../src/geometry/index.js';
import { BlockTracker, JOURNAL_FILE } from '../../src/tracking/index.js';

const marker = fileURLToPath(new URL('../fixtures/mark-and-wait.js', import.meta.url));
const task = { taskId: 'line', totalRoi: new Roi([0], [1000]), readRoi: new Roi([0], [10]), writeRoi: new Roi([0], [10]), fit: 'valid' as const };

/** Runs mark-and-wait until it printed `marked`, then SIGKILLs it. */
async function markThenKill(dir: string, count: number, journal: boolean): Promise<void> {
  const child = spawn(process.execPath, [marker, dir, String(count), journal ? 'journal' : 'no-journal'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('marked')) resolve();
    });
    void exited.then(() => reject(new Error('the marking process exited early')));
  });
  child.kill('SIGKILL');
  await exited;
}

const doneInChunk = (dir: string): number => [...readFileSync(path.join(dir, 'done', 'c', '0'))].filter((v) => v !== 0).length;

test('marks of a SIGKILLed process survive in the journal, and the next open writes them to the chunk', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'journal-'));
  try {
    const dir = path.join(root, 'line');
    await markThenKill(dir, 37, true);
    assert.equal(doneInChunk(dir), 0, 'the chunk was never flushed');
    assert.equal(readFileSync(path.join(dir, JOURNAL_FILE)).length, (37 + 2) * 8, 'one record per mark');

    const tracker = BlockTracker.open(dir, task);
    assert.equal(tracker.doneCount, 37);
    for (let i = 0; i < 100; i++) assert.equal(tracker.isDone({ writeRoi: new Roi([i * 10], [10]) }), i < 37, `block ${i}`);
    assert.equal(tracker.failures({ writeRoi: new Roi([990], [10]) }), 2, 'failure counts too');
    assert.equal(doneInChunk(dir), 37, 'replayed into the chunk at open');
    assert.ok(!existsSync(path.join(dir, JOURNAL_FILE)), 'and the journal removed');
    tracker.close();

    // Marks already done write no record; two more failed attempts do (counts 3 and 4).
    await markThenKill(dir, 3, true);
    const journal = readFileSync(path.join(dir, JOURNAL_FILE));
    assert.equal(journal.length, 2 * 8);
    const again = BlockTracker.open(dir, task);
    assert.equal(again.failures({ writeRoi: new Roi([990], [10]) }), 4);
    again.close();
    // Replayed twice (a crash between the flush and the removal), with a torn last record: nothing changes,
    // since a record carries the count itself, not an increment.
    writeFileSync(path.join(dir, JOURNAL_FILE), Buffer.concat([journal, Buffer.from([5, 0, 0])]));
    const twice = BlockTracker.open(dir, task);
    assert.equal(twice.doneCount, 37);
    assert.equal(twice.failures({ writeRoi: new Roi([990], [10]) }), 4);
    twice.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('without the journal, marks not yet flushed die with the process', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'journal-'));
  try {
    const dir = path.join(root, 'line');
    await markThenKill(dir, 12, false);
    assert.ok(!existsSync(path.join(dir, JOURNAL_FILE)));
    const tracker = BlockTracker.open(dir, task);
    assert.equal(tracker.doneCount, 0);
    tracker.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
