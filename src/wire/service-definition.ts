import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { SchedulerService as SchedulerServiceDescriptor, type WorkRequest } from '../gen/daisychain/v1/scheduler_pb.js';
import { malformedWorkRequest } from './work-messages.js';

/**
 * A grpc-js service definition built from a protobuf-es service descriptor:
 * the generated schemas encode and decode the messages, so grpc-js needs no
 * code generator of its own.
 */
export function grpcServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const streamsIn = method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming';
    const streamsOut = method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming';
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: streamsIn,
      responseStream: streamsOut,
      requestSerialize: serializer(method.input),
      requestDeserialize: deserializer(method.input),
      responseSerialize: serializer(method.output),
      responseDeserialize: deserializer(method.output),
    };
  }
  return definition;
}

function serializer<Desc extends DescMessage>(schema: Desc): (message: unknown) => Buffer {
  return (message) => {
    const bytes = toBinary(schema, message as MessageShape<Desc>);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer<Desc extends DescMessage>(schema: Desc): (bytes: Buffer) => MessageShape<Desc> {
  return (bytes) => {
    try {
      return fromBinary(schema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      throw new Error(`malformed ${schema.typeName} message: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}

/**
 * daisychain.v1.SchedulerService, for the server and the clients. The
 * server reads Work requests it cannot parse as a stand-in
 * (`malformedWorkRequest`) and ends the stream itself, after the requests
 * before it: left to grpc-js, the call would end at once, ahead of requests
 * still queued before the bad one, and the server's replies to those,
 * written after that end, left the call without a status for ever (the
 * worker hung; tests/server/protocol-regressions.test.ts).
 */
export const schedulerServiceDefinition = withLenientWorkRequests(grpcServiceDefinition(SchedulerServiceDescriptor));

function withLenientWorkRequests(definition: ServiceDefinition): ServiceDefinition {
  const work = definition['work']!;
  const strict = work.requestDeserialize as (bytes: Buffer) => WorkRequest;
  const requestDeserialize = (bytes: Buffer): WorkRequest => {
    try {
      return strict(bytes);
    } catch (error) {
      return malformedWorkRequest(error instanceof Error ? error.message : String(error));
    }
  };
  return { ...definition, work: { ...work, requestDeserialize } };
}

/** The Work stream's method, as a client opens it. */
export const workMethod = schedulerServiceDefinition['work']!;
