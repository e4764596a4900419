/**
 * Writes the pipeline file's JSON Schema to src/run/pipeline-file.schema.json
 * (part of `npm run generate`, after the build):
 *
 *   node dist/src/cli/write-pipeline-schema.js
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pipelineFileJsonSchemaText } from '../pipelines/json-schema.js';

// This file runs as dist/src/cli/write-pipeline-schema.js; the schema lives in the source tree.
const target = fileURLToPath(new URL('../../../src/run/pipeline-file.schema.json', import.meta.url));
writeFileSync(target, pipelineFileJsonSchemaText());
process.stderr.write(`wrote ${target}\n`);
