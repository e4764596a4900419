/**
 * The published JSON Schema of pipeline files is the one the pipeline schema
 * makes now (`npm run generate` writes it), and it says what the schema
 * enforces: required fields, limits, no unknown task fields.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { pipelineFileJsonSchemaText } from '../../src/pipelines/json-schema.js';

const committed = new URL('../../../src/run/pipeline-file.schema.json', import.meta.url);

test('src/run/pipeline-file.schema.json is current (npm run generate)', () => {
  assert.equal(readFileSync(committed, 'utf8'), pipelineFileJsonSchemaText(), 'stale: run `npm run generate` and commit the result');
});

test('the JSON Schema states the required fields, the limits and the closed set of task fields', () => {
  const schema = JSON.parse(pipelineFileJsonSchemaText()) as {
    required: string[];
    properties: { tasks: { maxItems: number; items: { required: string[]; additionalProperties: boolean; properties: Record<string, { maximum?: number; anyOf?: unknown[] }> } } };
  };
  assert.deepEqual(schema.required, ['tasks']);
  const task = schema.properties.tasks.items;
  assert.deepEqual(task.required, ['taskId', 'totalRoi', 'readRoi', 'writeRoi']);
  assert.equal(task.additionalProperties, false);
  assert.equal(task.properties['numWorkers']!.maximum, 10_000);
  assert.deepEqual(
    Object.keys(task.properties).sort(),
    ['fit', 'maxRetries', 'maxWorkerRestarts', 'numWorkers', 'readRoi', 'readWriteConflict', 'requires', 'taskId', 'timeout', 'totalRoi', 'trackingPath', 'upstreamTasks', 'workerCommand', 'workerEnv', 'writeRoi'],
  );
});
