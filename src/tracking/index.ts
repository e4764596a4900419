export { taskHash, describeTask, TASK_HASH_VERSION, type TrackedTask } from './task-hash.js';
export {
  BlockTracker,
  TrackingGroupError,
  HASH_ATTRIBUTE,
  JOURNAL_FILE,
  trackingGridShape,
  type BlockTrackerOptions,
} from './block-tracker.js';
