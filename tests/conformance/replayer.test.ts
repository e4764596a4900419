/**
 * The replayer itself: a case that expects the wrong thing must fail, so
 * that a passing case means the server did what it says. Each wrong case is
 * a correct one with one step changed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { pipelineFromData } from '../../src/run/pipeline-file.js';
import { SchedulerService } from '../../src/server/scheduler-service.js';
import { startServer } from '../../src/server/server.js';
import { CaseFormatError, loadCaseFile, type ConformanceCase } from './case-format.js';
import { ReplayError, replayCase } from './replay.js';

const task = { taskId: 't', totalRoi: { offset: [0], shape: [20] }, readRoi: { offset: [0], shape: [10] }, writeRoi: { offset: [0], shape: [10] } };
const hello = { stream: 'a', send: { hello: { taskId: 't', workerId: 'w' } } };

/** Reads cases through the real loader, so that they are checked as case files are. */
function cases(...raw: JsonObject[]): ConformanceCase[] {
  const path = `${mkdtempSync(`${tmpdir()}/conformance-`)}/cases.json`;
  writeFileSync(path, JSON.stringify(raw.map((c, i) => ({ name: `c${i}`, description: 'd', tasks: [task], ...c }))));
  return loadCaseFile(path);
}

async function replay(testCase: ConformanceCase): Promise<void> {
  const server = await startServer(new SchedulerService(pipelineFromData({ tasks: testCase.tasks })));
  try {
    await replayCase(testCase, server.address);
  } finally {
    await server.close();
  }
}

const wrong: [string, JsonValue[], RegExp][] = [
  ['a field of another value', [hello, { stream: 'a', expect: { welcome: { workerId: 'x' } } }], /welcome\.workerId: expected "x", got "w"/],
  ['a list of another length', [hello, { stream: 'a', send: { acquire: { count: 2 } } }, { stream: 'a', expect: { blocks: { blocks: [{}] } } }], /expected 1 entries, got 2/],
  ['a field expected absent', [hello, { stream: 'a', send: {} }, { stream: 'a', expect: { rejected: { code: null } } }], /expected absent/],
  ['another reply kind', [hello, { stream: 'a', send: { acquire: { count: 1 } } }, { stream: 'a', expect: { rejected: {} } }], /missing/],
  ['a reply where nothing was expected', [hello, { stream: 'a', send: {} }, { stream: 'a', expectNothingFor: 100 }], /expected nothing for 100 ms, got \{"rejected"/],
  ['an end with another code', [{ stream: 'a', send: { acquire: { count: 1 } } }, { stream: 'a', expectEnd: { code: 'NOT_FOUND' } }], /ended with FAILED_PRECONDITION/],
  ['an end that does not come', [hello, { stream: 'a', expectEnd: {}, within: 100 }], /did not end within 100 ms/],
  ['a reply that does not come', [hello, { stream: 'a', send: { acquire: { count: 1 } } }, { stream: 'a', expect: { blocks: {} } }, { stream: 'a', expect: { blocks: {} }, within: 100 }], /no reply within 100 ms/],
  ['states that differ', [{ expectStates: { t: { readyCount: '1' } }, within: 100 }], /t\.readyCount: expected "1", got "2"/],
];

for (const [what, steps, message] of wrong) {
  test(`the replayer fails a case that expects ${what}`, async () => {
    await assert.rejects(replay(cases({ steps })[0]!), (e: unknown) => e instanceof ReplayError && message.test(e.message));
  });
}

test('a strict case sees every Wait and Welcome; a lax one passes over those it does not ask for', async () => {
  const steps: JsonValue[] = [hello, { stream: 'a', send: { acquire: { count: 3 } } }, { stream: 'a', expect: { blocks: {} } }, { stream: 'a', expectNothingFor: 100 }];
  const [strict, lax] = cases({ strict: true, steps }, { steps });
  await assert.rejects(replay(strict!), (e: unknown) => e instanceof ReplayError && /\$\.blocks: missing.*the reply was \{"welcome"/.test(e.message));
  await replay(lax!);
});

test('the case loader refuses steps it does not know', () => {
  assert.throws(() => cases({ steps: [{ stream: 'a', sned: {} }] }), CaseFormatError);
  assert.throws(() => cases({ steps: [{ stream: 'a', send: {}, expect: {} }] }), /exactly one action/);
  assert.throws(() => cases({ steps: [{ sleep: 10, stream: 'a' }] }), /concerns no stream/);
  assert.throws(() => cases({ steps: [{ sleep: 10, within: 5 }] }), /"within" applies to/);
});
