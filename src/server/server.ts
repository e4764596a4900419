import { Server, ServerCredentials } from '@grpc/grpc-js';
import { formatHostPort, SERVER_CHANNEL_OPTIONS } from '../wire/limits.js';
import { SCHEDULER_SERVICE_NAME, schedulerServiceDefinition } from '../wire/service-definition.js';
import type { SchedulerService } from './scheduler-service.js';

export { MAX_MESSAGE_BYTES } from '../wire/limits.js';

export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** `host:port`, for clients. */
  readonly address: string;
  /** Reports NOT_SERVING to health checks, then stops accepting calls and ends open ones. */
  close(): Promise<void>;
}

/**
 * Serves `service` over gRPC on `host:port` (port 0 picks a free port),
 * with the standard health service (`grpc.health.v1.Health`: the server, ''
 * and `daisychain.v1.SchedulerService` SERVING until `close()`) and server
 * reflection (`grpc.reflection.v1` and `v1alpha`), so that grpcurl, load
 * balancers and probes work with no .proto file.
 * Plain-text HTTP/2: run it on loopback or inside a trusted network.
 */
export async function startServer(service: SchedulerService, host = '127.0.0.1', port = 0): Promise<RunningServer> {
  // Loaded on the first start, not with the package: grpc-health-check
  // parses its .proto when it is imported (about 50 ms), which a program that
  // imports daisychain without serving should not pay.
  const [{ ServerHealth }, { addReflection }] = await Promise.all([import('./health.js'), import('./reflection.js')]);
  const server = new Server(SERVER_CHANNEL_OPTIONS);
  server.addService(schedulerServiceDefinition, {
    work: service.work,
    getTaskStates: service.getTaskStates,
    watchProgress: service.watchProgress,
  });
  const health = new ServerHealth(server, ['', SCHEDULER_SERVICE_NAME]);
  addReflection(server);
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
        // NOT_SERVING first, so that a watcher hears it before the connection goes.
        health.shutDown();
        server.tryShutdown(() => resolve());
        // Streams of workers that never hang up must not keep the server alive.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
