import { Server, ServerCredentials } from '@grpc/grpc-js';
import { formatHostPort, SERVER_CHANNEL_OPTIONS } from '../wire/limits.js';
import { schedulerServiceDefinition } from '../wire/service-definition.js';
import type { SchedulerService } from './scheduler-service.js';

export { MAX_MESSAGE_BYTES } from '../wire/limits.js';

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
  const server = new Server(SERVER_CHANNEL_OPTIONS);
  server.addService(schedulerServiceDefinition, {
    work: service.work,
    getTaskStates: service.getTaskStates,
    watchProgress: service.watchProgress,
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatHostPort(host, port), ServerCredentials.createInsecure(), (error, p) =>
      error === null ? resolve(p) : reject(new Error(`cannot listen on ${host}:${port}: ${error.message}`)),
    );
  });
  return {
    host,
    port: bound,
    address: formatHostPort(host, bound),
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        // Streams of workers that never hang up must not keep the server alive.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
