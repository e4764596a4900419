import { create, toJson, type JsonObject } from '@bufbuild/protobuf';
import { Client as GrpcClient, credentials } from '@grpc/grpc-js';
import {
  GetTaskStatesRequestSchema,
  SchedulerService as SchedulerServiceDescriptor,
  TaskStateSchema,
  type GetTaskStatesResponse,
} from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { grpcServiceDefinition } from '../../src/wire/service-definition.js';
import { statusName } from './work-stream.js';

const getTaskStates = grpcServiceDefinition(SchedulerServiceDescriptor)['getTaskStates']!;

/** Asks a server for task states over GetTaskStates, as a replayer in any language can. */
export class TaskStatesClient {
  private readonly grpc: GrpcClient;

  constructor(address: string) {
    this.grpc = new GrpcClient(address, credentials.createInsecure());
  }

  /** The states of `taskIds` by task id, each in canonical proto3 JSON with default values emitted. */
  fetch(taskIds: readonly string[]): Promise<Map<string, JsonObject>> {
    const request = create(GetTaskStatesRequestSchema, { taskIds: [...taskIds] });
    return new Promise((resolve, reject) => {
      this.grpc.makeUnaryRequest(getTaskStates.path, getTaskStates.requestSerialize, getTaskStates.responseDeserialize, request, (error, response) => {
        if (error !== null) {
          reject(new Error(`GetTaskStates failed with ${statusName(error.code)}: ${error.details}`));
          return;
        }
        const states = (response as GetTaskStatesResponse).states;
        resolve(new Map(states.map((s) => [s.taskId, toJson(TaskStateSchema, s, { alwaysEmitImplicit: true }) as JsonObject])));
      });
    });
  }

  close(): void {
    this.grpc.close();
  }
}
