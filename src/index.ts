/**
 * Everything, `import ... from 'daisychain'`. Importing it runs nothing (no
 * scheduler warm-up): a SchedulerService warms up when it is constructed, and
 * an in-process scheduler user imports 'daisychain/core' or calls
 * warmUpScheduler(). Workers import 'daisychain/client', which loads less.
 */
export * from './core-api.js';
export * from './client/index.js';
export { SchedulerService, type FailureRecord } from './server/scheduler-service.js';
export { startServer, type RunningServer, type ServerConnectionOptions } from './server/server.js';
export { WorkerProcessPool, type WorkerEvent, type WorkerPoolOptions } from './workers/worker-process-pool.js';
export { runInProcessWorkers } from './workers/in-process-workers.js';
export { LogDirError } from './workers/log-paths.js';
// The control plane's client is 'daisychain/control' (it loads pipeline.proto's code).
export type { PipelineEvent, PipelineStatus, PipelineView, TaskStateSnapshot } from './model/pipeline-view.js';
export type { PipelineSpecData, RoiData, TaskSpecData } from './model/task-spec.js';
export { Pipeline, PipelineEndedError } from './pipelines/pipeline.js';
export { PipelineRegistry, type PipelineRegistryOptions, type SubmitOptions } from './pipelines/pipeline-registry.js';
export { startPipelineServer } from './pipelines/pipeline-server.js';
export { readPipelineSpec, SpecError } from './pipelines/pipeline-spec.js';
export { runBlockwise, type RunBlockwiseOptions } from './run/run-blockwise.js';
export { type ProgressMode, PROGRESS_MODES } from './run/progress.js';
export { type RunSummary } from './run/summary.js';
export * from './arrays/index.js';
export * from './spatial-graphs/index.js';
export * from './tracking/index.js';
