import { Server, ServerCredentials } from '@grpc/grpc-js';
import { SchedulerService as SchedulerServiceDescriptor } from '../gen/daisychain/v1/scheduler_pb.js';
import { grpcServiceDefinition } from '../wire/service-definition.js';
import type { SchedulerService } from './scheduler-service.js';

/** Largest message the server accepts; a worker's release with a long traceback fits easily. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for clients. */
  readonly address: string;
  /** Stops accepting calls and ends open ones. */
  close(): Promise<void>;
}

/**
 * Serves `service` over gRPC on `host:port` (port 0 picks a free port).
 * Plain-text HTTP/2: run it on loopback or inside a trusted network.
 */
export async function startServer(service: SchedulerService, host = '127.0.0.1', port = 0): Promise<RunningServer> {
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    // Notice dead workers on a silent connection (network cut) within a minute.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  });
  server.addService(grpcServiceDefinition(SchedulerServiceDescriptor), {
    work: service.work,
    getTaskStates: service.getTaskStates,
    watchProgress: service.watchProgress,
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host.includes(':') ? `[${host}]` : host}:${port}`, ServerCredentials.createInsecure(), (error, p) =>
      error === null ? resolve(p) : reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`)),
    );
  });
  return {
    host,
    port: bound,
    address: `${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams of workers that never hang up must not keep the server alive.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
