/**
 * A pipeline submitted from TypeScript through the control plane, served by
 * Python workers that the server starts (its WorkerLaunch), each finding its
 * pipeline through DAISY_CONTEXT's pipeline_id. (The reverse, submitted from
 * Python and served by TypeScript workers, is clients/python/tests/test_control.py.)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lineSpec, startTestPipelineServer } from '../support/pipeline-server.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const python = join(root, '.cache', 'venv-client', 'bin', 'python');
const pythonWorker = join(root, 'clients', 'python', 'tests', 'record_worker.py');

test('a pipeline submitted from TypeScript is served by Python workers the server runs', { skip: existsSync(python) ? false : `${python} is missing (make-venv.sh client)` }, async () => {
  const h = await startTestPipelineServer();
  const records = join(mkdtempSync(join(tmpdir(), 'daisychain-cross-')), 'records.txt');
  try {
    // Two pipelines with the same task id: each worker must serve its own.
    const other = await h.control.submit({ tasks: [lineSpec('py', 5)] });
    const p = await h.control.submit({
      name: 'python served',
      tasks: [lineSpec('py', 30, { numWorkers: 2, workerCommand: [python, pythonWorker], workerEnv: { RECORD_FILE: records, BLOCK_DELAY_S: '0.01' } })],
    });
    const ended = await h.registry.get(p.pipelineId)!.whenEnded();
    assert.equal(ended, 'succeeded');
    const rows = readFileSync(records, 'utf8').trim().split('\n').map((line) => line.split(' '));
    assert.deepEqual(new Set(rows.map((r) => r[1])).size, 30, 'every block once');
    assert.ok(rows.every((r) => r[0] === 'py' && r[4] === 'python'));
    assert.equal((await h.control.get(other.pipelineId)).states[0]!.completedCount, 0, 'the other pipeline was not touched');
  } finally {
    await h.close();
  }
});
