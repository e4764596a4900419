import { z } from 'zod';
import { pipelineSpecSchema } from './spec-schema.js';

/**
 * The JSON Schema (draft 2020-12) of a pipeline file, made from the one
 * pipeline schema, for editors (YAML and JSON language servers) and other
 * tools. Published as src/run/pipeline-file.schema.json (`npm run generate`;
 * tests/pipelines/json-schema.test.ts checks it is current). It states the
 * types, required fields, limits and patterns; the checks that span fields
 * (ROIs that fit, upstream ids declared) are the server's.
 */
export function pipelineFileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(pipelineSpecSchema, { io: 'input' }),
    title: 'daisychain pipeline file',
  };
}

/** The schema file's text, as committed. */
export function pipelineFileJsonSchemaText(): string {
  return `${JSON.stringify(pipelineFileJsonSchema(), null, 2)}\n`;
}
