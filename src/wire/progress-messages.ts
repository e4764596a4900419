import { create } from '@bufbuild/protobuf';
import {
  BlockFailureSchema,
  GetTaskStatesResponseSchema,
  WatchProgressResponseSchema,
  type GetTaskStatesRequest,
  type GetTaskStatesResponse,
  type TaskState as TaskStateMessage,
  type WatchProgressRequest,
  type WatchProgressResponse,
} from '../gen/daisychain/v1/scheduler_pb.js';
import type { FailureRecord } from '../model/failure-record.js';
import type { TaskState } from '../model/task-state.js';
import { taskStateToWire } from './convert.js';

/** The messages of GetTaskStates and WatchProgress. */

export type { GetTaskStatesRequest, GetTaskStatesResponse, WatchProgressRequest, WatchProgressResponse };

/** The task ids a GetTaskStates request names (empty for every task). */
export function readTaskStatesRequest(request: GetTaskStatesRequest): readonly string[] {
  return request.taskIds;
}

const statesToWire = (states: ReadonlyMap<string, TaskState>, ids: Iterable<string>): TaskStateMessage[] =>
  [...ids].map((id) => taskStateToWire(id, states.get(id)!));

export function taskStatesResponse(states: ReadonlyMap<string, TaskState>, ids: Iterable<string> = states.keys()): GetTaskStatesResponse {
  return create(GetTaskStatesResponseSchema, { states: statesToWire(states, ids) });
}

/** Every task's state after an event; with the failed attempt when the event was one. */
export function watchProgressResponse(
  states: ReadonlyMap<string, TaskState>,
  finished: boolean,
  failure?: FailureRecord,
): WatchProgressResponse {
  return create(WatchProgressResponseSchema, {
    states: statesToWire(states, states.keys()),
    failure: failure === undefined ? undefined : create(BlockFailureSchema, { ...failure, blockId: BigInt(failure.blockId) }),
    finished,
  });
}
