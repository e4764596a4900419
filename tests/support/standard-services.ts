import { create } from '@bufbuild/protobuf';
import { type ChannelCredentials, Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { ServerReflection, ServerReflectionRequestSchema, type ServerReflectionRequest, type ServerReflectionResponse } from '../../src/gen/grpc/reflection/v1/reflection_pb.js';
import { Health, HealthCheckRequestSchema, HealthCheckResponse_ServingStatus, type HealthCheckRequest, type HealthCheckResponse } from '../../src/gen/health/v1/health_pb.js';
import { grpcServiceDefinition } from '../../src/wire/service-definition.js';

const check = grpcServiceDefinition(Health)['check']!;
const reflectionInfo = grpcServiceDefinition(ServerReflection)['serverReflectionInfo']!;

/** `grpc.health.v1.Health/Check` of `service` at `address`: the status's name, e.g. 'SERVING'. */
export function healthCheck(address: string, service: string, channel: ChannelCredentials = credentials.createInsecure()): Promise<string> {
  const client = new Client(address, channel);
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest(
      check.path,
      check.requestSerialize as (request: HealthCheckRequest) => Buffer,
      check.responseDeserialize as (bytes: Buffer) => HealthCheckResponse,
      create(HealthCheckRequestSchema, { service }),
      { deadline: Date.now() + 5000 },
      (error: ServiceError | null, response?: HealthCheckResponse) => {
        client.close();
        if (error !== null || response === undefined) reject(error ?? new Error('no response'));
        else resolve(HealthCheckResponse_ServingStatus[response.status]);
      },
    );
  });
}

/** The services that `grpc.reflection.v1.ServerReflection` at `address` lists. */
export function reflectedServices(address: string, channel: ChannelCredentials = credentials.createInsecure()): Promise<string[]> {
  const client = new Client(address, channel);
  const call = client.makeBidiStreamRequest(
    reflectionInfo.path,
    reflectionInfo.requestSerialize as (request: ServerReflectionRequest) => Buffer,
    reflectionInfo.responseDeserialize as (bytes: Buffer) => ServerReflectionResponse,
    { deadline: Date.now() + 5000 },
  );
  return new Promise<string[]>((resolve, reject) => {
    call.on('data', (response: ServerReflectionResponse) => {
      call.end();
      client.close();
      if (response.messageResponse.case === 'listServicesResponse') resolve(response.messageResponse.value.service.map((s) => s.name));
      else reject(new Error(`unexpected reflection reply ${String(response.messageResponse.case)}`));
    });
    call.on('error', (error: ServiceError) => {
      client.close();
      reject(error);
    });
    call.write(create(ServerReflectionRequestSchema, { messageRequest: { case: 'listServices', value: '*' } }));
  });
}
