import { PipelineService as PipelineServiceDescriptor } from '../gen/daisychain/v1/pipeline_pb.js';
import { grpcServiceDefinition } from './service-definition.js';

/**
 * daisychain.v1.PipelineService, for the server and the control-plane
 * clients; apart from service-definition.ts so that a worker, which needs
 * only SchedulerService, does not load pipeline.proto's code.
 */
export const pipelineServiceDefinition = grpcServiceDefinition(PipelineServiceDescriptor);

/** Its full name, as health checks and reflection know it. */
export const PIPELINE_SERVICE_NAME = PipelineServiceDescriptor.typeName;
