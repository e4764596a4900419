/**
 * The in-process core's API: geometry, the block-wise dependency graph and
 * the scheduler, without the gRPC server, client and worker pools (and
 * without loading grpc-js). Importing it runs nothing, so that the package
 * root can re-export it without the warm-up that core.ts runs at load.
 */
export { Coordinate, type CoordinateLike } from './geometry/coordinate.js';
export { Roi } from './geometry/roi.js';
export { cantorNumber } from './dependencies/cantor.js';
export {
  BlockwiseDependencyGraph,
  type BlockwiseDependencyGraphOptions,
  type Box,
} from './dependencies/blockwise-dependency-graph.js';
export { DependencyGraph } from './dependencies/dependency-graph.js';
export { Block, BlockStatus } from './model/block.js';
export {
  Task,
  TaskValidationError,
  TASK_LIMITS,
  FITS,
  type Fit,
  type TaskOptions,
  type ProcessFunction,
  type CheckFunction,
  type InitCallback,
} from './model/task.js';
export { TaskState } from './model/task-state.js';
export { Scheduler, SchedulerError, type ReleaseOutcome, type SchedulerOptions } from './scheduler/scheduler.js';
export { warmUpScheduler } from './scheduler/warm-up.js';
