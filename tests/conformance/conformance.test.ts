/**
 * The protocol conformance cases (tests/conformance/cases) replayed against
 * the real server on loopback: one test per case, each with a server of its
 * own running the case's tasks as its one pipeline, so that no case sees
 * another's state.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { PipelineRegistry } from '../../src/pipelines/pipeline-registry.js';
import { startPipelineServer } from '../../src/pipelines/pipeline-server.js';
import { pipelineFromData } from '../../src/run/pipeline-file.js';
import { loadCases, type ConformanceCase } from './case-format.js';
import { replayCase } from './replay.js';

/** The compiled test runs from dist/tests/conformance; the cases stay in the source tree. */
const CASES_DIR = fileURLToPath(new URL('../../../tests/conformance/cases', import.meta.url));
const KNOWN_FAILING_FILE = 'known-failing.json';
/** Generous: the slowest case sleeps about 2 s, and the machine may be busy. */
const CASE_TIMEOUT_MS = 30_000;

/**
 * A server of pipelines holding one, the case's tasks (under the case's
 * pipelineId when it names one): every case also goes through the dispatch
 * of work streams by Hello.pipeline_id, where an empty id names the only
 * pipeline.
 */
async function runCase(testCase: ConformanceCase): Promise<void> {
  const registry = new PipelineRegistry();
  const pipeline = registry.create(pipelineFromData({ tasks: testCase.tasks }, testCase.name), testCase.pipelineId === null ? {} : { id: testCase.pipelineId });
  // As a worker pool of this server would, before starting the processes.
  for (const w of testCase.poolWorkers) pipeline.service.expectWorker(w.taskId, w.workerId, w.secret);
  const server = await startPipelineServer(registry);
  try {
    await replayCase(testCase, server.address);
  } finally {
    await server.close();
  }
}

const cases = loadCases(CASES_DIR);

test('conformance cases: names are unique and known failures say why', () => {
  assert.ok(cases.length > 0, `no cases in ${CASES_DIR}`);
  for (const c of cases) {
    assert.equal(c.file === KNOWN_FAILING_FILE, c.knownFailing !== null, `${c.file}: case "${c.name}": knownFailing belongs in ${KNOWN_FAILING_FILE}, and only there`);
  }
});

for (const testCase of cases) {
  test(`conformance: ${testCase.name}`, { timeout: CASE_TIMEOUT_MS, skip: testCase.knownFailing ?? false }, () => runCase(testCase));
}
