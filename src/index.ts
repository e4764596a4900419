export * from './core.js';
export { Client, ClientError, type ClientOptions, type Rejection } from './client/client.js';
export { MAX_ACQUIRE, MAX_MESSAGE_BYTES } from './wire/limits.js';
export {
  CONTEXT_VARIABLE,
  ContextError,
  contextFromEnv,
  formatContext,
  parseContext,
  type WorkerContext,
} from './client/context.js';
export { SchedulerService, type FailureRecord } from './server/scheduler-service.js';
export { startServer, type RunningServer } from './server/server.js';
export { WorkerProcessPool, type WorkerEvent, type WorkerPoolOptions } from './workers/worker-process-pool.js';
export { runInProcessWorkers } from './workers/in-process-workers.js';
export { runBlockwise, type RunBlockwiseOptions } from './run/run-blockwise.js';
export { type ProgressMode, PROGRESS_MODES } from './run/progress.js';
export { type RunSummary } from './run/summary.js';
export * from './arrays/index.js';
// graphs
export * from './spatial-graphs/index.js';
