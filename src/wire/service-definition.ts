import { fromBinary, toBinary, type DescMessage, type DescService, type MessageShape } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { SchedulerService as SchedulerServiceDescriptor, WorkResponseSchema } from '../gen/daisychain/v1/scheduler_pb.js';
import { decodeHotWorkRequest } from './work-codec.js';
import { EncodedBlocksResponse } from './work-messages.js';

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
      requestDeserialize: requestDeserializer(method.input),
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
 * A request the server could not decode. grpc-js answers a deserializer that
 * throws with INTERNAL, which blames the server; handing this to the handler
 * instead lets it answer INVALID_ARGUMENT, which blames the sender.
 */
export class MalformedRequest {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}

  get message(): string {
    return `malformed ${this.typeName} message: ${this.reason}`;
  }
}

export function isMalformed(request: unknown): request is MalformedRequest {
  return request instanceof MalformedRequest;
}

function requestDeserializer<Desc extends DescMessage>(schema: Desc): (bytes: Buffer) => MessageShape<Desc> | MalformedRequest {
  return (bytes) => {
    try {
      return fromBinary(schema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (error) {
      // The decoder's words are short and name no payload, but a bound costs nothing.
      return new MalformedRequest(schema.typeName, (error instanceof Error ? error.message : String(error)).slice(0, 200));
    }
  };
}

/** `daisychain.v1.SchedulerService`: the name health checks and reflection know the service by. */
export const SCHEDULER_SERVICE_NAME = SchedulerServiceDescriptor.typeName;

/**
 * daisychain.v1.SchedulerService, for the server and the clients. The Work
 * stream's round-trip messages are read and written by hand on the server's
 * side (work-codec.ts): a request of the plain shape arrives as a
 * `PreReadWorkRequest`, and an `EncodedBlocksResponse` goes out as its bytes.
 */
export const schedulerServiceDefinition = withHotWorkCodec(grpcServiceDefinition(SchedulerServiceDescriptor));

function withHotWorkCodec(definition: ServiceDefinition): ServiceDefinition {
  const work = definition['work']!;
  const readCold = work.requestDeserialize;
  const writeCold = serializer(WorkResponseSchema);
  return {
    ...definition,
    work: {
      ...work,
      requestDeserialize: (bytes: Buffer) => decodeHotWorkRequest(bytes) ?? readCold(bytes),
      responseSerialize: (message: unknown) =>
        message instanceof EncodedBlocksResponse ? Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength) : writeCold(message),
    },
  };
}

/** The Work stream's method, as a client opens it. */
export const workMethod = schedulerServiceDefinition['work']!;
