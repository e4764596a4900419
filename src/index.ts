export { Coordinate, type CoordinateLike } from './geometry/coordinate.js';
export { Roi } from './geometry/roi.js';
export { cantorNumber } from './graph/cantor.js';
export {
  BlockwiseDependencyGraph,
  type BlockwiseDependencyGraphOptions,
  type Box,
} from './graph/blockwise-dependency-graph.js';
export { DependencyGraph } from './graph/dependency-graph.js';
export { Block, BlockStatus } from './scheduler/block.js';
export {
  Task,
  TaskValidationError,
  FITS,
  type Fit,
  type TaskOptions,
  type ProcessFunction,
  type CheckFunction,
  type InitCallback,
} from './scheduler/task.js';
export { TaskState } from './scheduler/task-state.js';
export { Scheduler, SchedulerError, type SchedulerOptions } from './scheduler/scheduler.js';
export { Client, ClientError, type ClientOptions, type Rejection } from './client/client.js';
export {
  CONTEXT_VARIABLE,
  ContextError,
  contextFromEnv,
  formatContext,
  parseContext,
  type WorkerContext,
} from './client/context.js';
export { SchedulerService, MAX_ACQUIRE, type FailureRecord } from './server/scheduler-service.js';
export { startServer, MAX_MESSAGE_BYTES, type RunningServer } from './server/server.js';
export { WorkerProcessPool, type WorkerEvent, type WorkerPoolOptions } from './workers/worker-process-pool.js';
export { runInProcessWorkers } from './workers/in-process-workers.js';
export { runBlockwise, type RunBlockwiseOptions } from './run/run-blockwise.js';
export { type ProgressMode, PROGRESS_MODES } from './run/progress.js';
export { type RunSummary } from './run/summary.js';
