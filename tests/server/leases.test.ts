/** The lease ledger on its own: what it remembers of blocks taken back stays bounded. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Block } from '../../src/model/block.js';
import { Roi } from '../../src/geometry/roi.js';
import { isRefusal, type Lease, Leases, RECLAIMED_REMEMBERED } from '../../src/server/leases.js';
import type { WorkSession } from '../../src/server/work-session.js';

test('a stream whose blocks keep timing out is remembered for its last RECLAIMED_REMEMBERED blocks only', async () => {
  const expired: Lease[] = [];
  const leases = new Leases(['t'], (lease) => expired.push(lease));
  // The ledger only keys by the session; it never calls it.
  const session = {} as WorkSession;
  const count = RECLAIMED_REMEMBERED + 10;
  const roi = new Roi([0], [1]);
  for (let id = 0; id < count; id++) leases.grant(session, new Block(roi, roi, roi, id, 't'), 0, 0.001, true);
  while (expired.length < count) await new Promise((r) => setTimeout(r, 5));
  assert.equal(leases.countHeldBy(session), 0);

  const oldest = leases.find(session, 't', 0);
  const newest = leases.find(session, 't', count - 1);
  const firstKept = leases.find(session, 't', count - RECLAIMED_REMEMBERED);
  const lastForgotten = leases.find(session, 't', count - RECLAIMED_REMEMBERED - 1);
  assert.ok(isRefusal(oldest) && isRefusal(newest) && isRefusal(firstKept) && isRefusal(lastForgotten));
  assert.match(newest.message, /taken back from this worker after its timeout/);
  assert.match(firstKept.message, /taken back from this worker after its timeout/);
  // Forgotten: still refused, only with the general reason.
  assert.match(oldest.message, /not held by this stream/);
  assert.match(lastForgotten.message, /not held by this stream/);
});
