/**
 * The one schema of a pipeline's fields (zod), for every way in: pipeline
 * files (src/run/pipeline-file.ts), SubmitPipeline requests (converted to
 * the same plain data by src/wire/pipeline-messages.ts) and, through
 * TaskSpecData's compile-time tie to TaskOptions, TypeScript code. The
 * limits and the words of each rule are the model's (TASK_LIMITS,
 * TASK_RULE_TEXT), so that the Task constructor and this schema refuse the
 * same values with the same message; the schema comes first so that its
 * messages name the field's path. The JSON Schema for editors is made from it
 * (json-schema.ts).
 */
import { z } from 'zod';
import { FITS, isTrackingPath, isWorkerEnv, RESOURCE_LIMITS, RESOURCE_NAME_PATTERN, TASK_ID_PATTERN, TASK_LIMITS, TASK_RULE_TEXT } from '../model/task.js';
import type { PipelineSpecData, TaskSpecData } from '../model/task-spec.js';

/** The most tasks in one pipeline: a Get or List reply must stay well inside one 4 MiB message. */
export const MAX_PIPELINE_TASKS = 1000;
/** A pipeline's name is for people; it is shown in terminals (escaped) and lists. */
export const MAX_PIPELINE_NAME_LENGTH = 255;
const PIPELINE_NAME_PATTERN = /^[A-Za-z0-9._ -]*$/;

const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value));
const required = (what: string) => (issue: { input: unknown }) => (issue.input === undefined ? 'is required' : `${what}, got ${show(issue.input)}`);

/** An integer count within [min, max], in the Task constructor's words. */
const count = (min: number, max: number) =>
  z
    .number({ error: (issue) => TASK_RULE_TEXT.count(min, show(issue.input)) })
    .int({ error: (issue) => TASK_RULE_TEXT.count(min, show(issue.input)), abort: true })
    .min(min, { error: (issue) => TASK_RULE_TEXT.count(min, show(issue.input)), abort: true })
    .max(max, { error: (issue) => TASK_RULE_TEXT.atMost(max, show(issue.input)) });

const coordinateList = z
  .array(z.number({ error: (issue) => `must be an integer, got ${show(issue.input)}` }).int({ error: (issue) => `must be an integer within ±2^53, got ${show(issue.input)}` }), {
    error: required('must be a non-empty list of integers'),
  })
  .min(1, { error: (issue) => `must be a non-empty list of integers, got ${show(issue.input)}` });

const roi = z
  .strictObject({ offset: coordinateList, shape: coordinateList }, { error: required('must be {offset: [...], shape: [...]}') })
  .refine((r) => r.offset.length === r.shape.length, {
    error: (issue) => {
      const r = issue.input as { offset: number[]; shape: number[] };
      return `has an offset of ${r.offset.length} dimensions and a shape of ${r.shape.length}`;
    },
  });

const taskId = z
  .string({ error: (issue) => TASK_RULE_TEXT.taskIdType(issue.input) })
  .min(1, { error: (issue) => TASK_RULE_TEXT.taskIdType(issue.input), abort: true })
  .max(TASK_LIMITS.maxTaskIdLength, { error: (issue) => TASK_RULE_TEXT.taskIdLength(String(issue.input).length), abort: true })
  .regex(TASK_ID_PATTERN, { error: (issue) => TASK_RULE_TEXT.taskIdCharacters(String(issue.input)) });

/** A map of resource names to amounts: a pipeline's budget (`resources`) or what one worker of a task holds (`requires`). */
const resourceMap = z
  .record(
    z.string(),
    z
      .number({ error: (issue) => TASK_RULE_TEXT.resourceAmount(issue.input) })
      .int({ error: (issue) => TASK_RULE_TEXT.resourceAmount(issue.input), abort: true })
      .min(0, { error: (issue) => TASK_RULE_TEXT.resourceAmount(issue.input), abort: true })
      .max(RESOURCE_LIMITS.maxAmount, { error: (issue) => TASK_RULE_TEXT.resourceAmount(issue.input) }),
    { error: (issue) => TASK_RULE_TEXT.resourceMap(issue.input) },
  )
  .superRefine((map, ctx) => {
    const names = Object.keys(map);
    if (names.length > RESOURCE_LIMITS.maxNames) ctx.addIssue({ code: 'custom', message: TASK_RULE_TEXT.resourceCount(names.length) });
    const bad = names.find((name) => name.length > RESOURCE_LIMITS.maxNameLength || !RESOURCE_NAME_PATTERN.test(name));
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: TASK_RULE_TEXT.resourceName(bad) });
  });

const taskIdList = z.array(z.string({ error: (issue) => `must be a task id, got ${show(issue.input)}` }), {
  error: (issue) => `must be a list of task ids, got ${show(issue.input)}`,
});

export const taskSpecSchema = z
  .strictObject(
    {
      taskId: taskId.describe('Letters, digits, spaces (not at either end), ".", "_" and "-"; names the log directory and travels in DAISY_CONTEXT'),
      totalRoi: roi.describe('The region the blocks tile, in world units'),
      readRoi: roi.describe("The first block's read region (its write region grown by the context)"),
      writeRoi: roi.describe("The first block's write region, inside readRoi"),
      readWriteConflict: z
        .boolean({ error: (issue) => `must be true or false, got ${show(issue.input)}` })
        .optional()
        .describe('No block runs while a neighbour whose write region its read region overlaps runs (default true)'),
      fit: z
        .enum(FITS as ['valid', 'overhang', 'shrink'], { error: (issue) => TASK_RULE_TEXT.fit(issue.input) })
        .optional()
        .describe('How blocks at the border are laid (default valid)'),
      numWorkers: count(1, TASK_LIMITS.maxWorkers).optional().describe('Worker processes of workerCommand (default 1)'),
      maxRetries: count(0, TASK_LIMITS.maxRetries).optional().describe('Retries of a failed block (default 2)'),
      timeout: z
        .number({ error: (issue) => TASK_RULE_TEXT.timeout(show(issue.input)) })
        .positive({ error: (issue) => TASK_RULE_TEXT.timeout(show(issue.input)), abort: true })
        .max(TASK_LIMITS.maxTimeoutSeconds, { error: (issue) => TASK_RULE_TEXT.timeoutAtMost(show(issue.input)) })
        .nullable()
        .optional()
        .describe('Seconds a started block may run before it is taken back; null for no limit (the default)'),
      maxWorkerRestarts: count(0, TASK_LIMITS.maxWorkerRestarts)
        .optional()
        .describe('Worker crashes in a row, with no block succeeding, before the task is abandoned (default 10)'),
      upstreamTasks: taskIdList.optional().describe('Task ids of this pipeline that this task reads from'),
      workerCommand: z
        .array(z.string({ error: TASK_RULE_TEXT.workerCommand }), { error: TASK_RULE_TEXT.workerCommand })
        .min(1, { error: TASK_RULE_TEXT.workerCommand })
        .optional()
        .describe('The program and arguments the server runs numWorkers times (no shell); absent: workers are started elsewhere'),
      workerEnv: z
        .record(z.string(), z.string(), { error: TASK_RULE_TEXT.workerEnv })
        .refine(isWorkerEnv, { error: TASK_RULE_TEXT.workerEnv })
        .optional()
        .describe('Variables added to the environment of each worker process'),
      requires: resourceMap
        .optional()
        .describe("What one worker process of this task holds of the pipeline's resources while it is alive, e.g. {gpu: 1}; 0 requires nothing; absent: not bounded by the budget"),
      trackingPath: z
        .union([z.string(), z.literal(false)], { error: (issue) => TASK_RULE_TEXT.trackingPath(issue.input) })
        .refine((value) => isTrackingPath(value), { error: (issue) => TASK_RULE_TEXT.trackingPath(issue.input) })
        .optional()
        .describe(
          "The task's done markers (daisy 2.0.0's tracking group; relative to the server's working directory); false: not tracked; absent: <the run's log directory>/tracking/<taskId>",
        ),
    },
    { error: (issue) => `must be an object (a task), got ${show(issue.input)}` },
  )
  .describe('One task') satisfies z.ZodType<TaskSpecData>;

export const pipelineSpecSchema = z
  .object(
    {
      name: z
        .string({ error: (issue) => `must be a string, got ${show(issue.input)}` })
        .max(MAX_PIPELINE_NAME_LENGTH, { error: () => `must be at most ${MAX_PIPELINE_NAME_LENGTH} characters`, abort: true })
        .regex(PIPELINE_NAME_PATTERN, { error: (issue) => `must consist of letters, digits, '.', '_', '-' and spaces, got ${show(issue.input)}` })
        .optional()
        .describe('For people: shown by status and list'),
      tasks: z
        .array(taskSpecSchema, { error: () => 'must be a non-empty list of tasks' })
        .min(1, { error: () => 'must be a non-empty list of tasks' })
        .max(MAX_PIPELINE_TASKS, { error: () => `must list at most ${MAX_PIPELINE_TASKS} tasks` })
        .describe("The pipeline's tasks, each with the tasks it requires"),
      resources: resourceMap
        .optional()
        .describe("The pipeline's budget, e.g. {gpu: 2, cpu: 8}: the sum of requires over its live worker processes never exceeds it"),
    },
    { error: () => 'expected an object with a non-empty "tasks" list' },
  )
  .superRefine((spec, ctx) => {
    // daisy 2.0 refuses at start a task one worker of which could never fit the budget, rather than never starting it.
    spec.tasks.forEach((task, i) => {
      for (const [name, amount] of Object.entries(task.requires ?? {})) {
        const budget = spec.resources?.[name];
        if (amount > (budget ?? 0)) {
          const has = budget !== undefined ? `the budget has only ${budget}` : spec.resources === undefined ? 'the pipeline declares no resources' : `the budget has no ${JSON.stringify(name)}`;
          ctx.addIssue({
            code: 'custom',
            path: ['tasks', i, 'requires', name],
            message: `is ${amount}, more than the pipeline's resources.${name} (${has}): no worker of task ${JSON.stringify(task.taskId)} could ever start`,
          });
          return;
        }
      }
    });
  })
  .describe('A daisychain pipeline: tasks (JSON, or YAML for files ending in .yaml/.yml)') satisfies z.ZodType<PipelineSpecData>;

/** A path into the spec as a message shows it: `tasks[0].numWorkers`. */
export type FieldNamer = (path: readonly PropertyKey[]) => string;

export const fileFieldPath: FieldNamer = (path) =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');

/** The first problem of a failed parse, as one line naming its field. */
export function firstIssue(error: z.ZodError, name: FieldNamer): string {
  const issue = error.issues[0]!;
  const field = name(issue.path);
  if (issue.code === 'unrecognized_keys') return `${field === '' ? '' : `${field}: `}unknown field ${JSON.stringify(issue.keys[0])}`;
  return field === '' ? issue.message : `${field} ${issue.message}`;
}
