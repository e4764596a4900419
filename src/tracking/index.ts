export { taskHash, describeTask, TASK_HASH_VERSION, type TrackedTask } from './task-hash.js';
export {
  BlockTracker,
  TrackingGroupError,
  HASH_ATTRIBUTE,
  trackingGridShape,
  type BlockTrackerOptions,
} from './block-tracker.js';
