/**
 * What the pools ask of their workers' scheduling (DAISYCHAIN_WORKER_SCHEDULING).
 * A real pool and Python worker under SCHED_BATCH, and told `normal`:
 * clients/python/tests/test_scheduling.py.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WORKER_SCHEDULING_VARIABLE, workerScheduling } from '../../src/workers/worker-process-pool.js';

test('pools ask for batch scheduling unless the environment says normal', () => {
  assert.equal(workerScheduling({}), 'batch');
  assert.equal(workerScheduling({ [WORKER_SCHEDULING_VARIABLE]: '' }), 'batch');
  assert.equal(workerScheduling({ [WORKER_SCHEDULING_VARIABLE]: 'batch' }), 'batch');
  assert.equal(workerScheduling({ [WORKER_SCHEDULING_VARIABLE]: 'normal' }), 'normal');
});

test('a scheduling the pools do not know is refused, naming the variable and the value', () => {
  assert.throws(() => workerScheduling({ [WORKER_SCHEDULING_VARIABLE]: 'FIFO' }), {
    message: 'DAISYCHAIN_WORKER_SCHEDULING must be batch or normal, got "FIFO"',
  });
});
