import {
  Server,
  ServerCredentials,
  type Metadata,
  type ServiceDefinition,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { formatHostPort, SERVER_CHANNEL_OPTIONS } from '../wire/limits.js';
import { SCHEDULER_SERVICE_NAME, schedulerServiceDefinition } from '../wire/service-definition.js';
import { authorizeCall, type CallScope } from './authorization.js';
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

/** One gRPC service as a server offers it: its methods' handlers, and who may call each. */
export interface ServiceBinding {
  /** Its full name, as health checks know it (`daisychain.v1.SchedulerService`). */
  name: string;
  definition: ServiceDefinition;
  handlers: UntypedServiceImplementation;
  /** The scope of each method, by its local name ('work', 'submitPipeline', ...). */
  scopes: Record<string, CallScope>;
}

/** SchedulerService's methods: the work stream is a worker's; reading progress is an operator's. */
export const SCHEDULER_SCOPES: Record<string, CallScope> = { work: 'worker', getTaskStates: 'operator', watchProgress: 'operator' };

/**
 * Serves `service` over gRPC on `host:port` (port 0 picks a free port),
 * with the standard health service (`grpc.health.v1.Health`: the server, ''
 * and `daisychain.v1.SchedulerService` SERVING until `close()`) and server
 * reflection (`grpc.reflection.v1` and `v1alpha`), so that grpcurl, load
 * balancers and probes work with no .proto file.
 * Plain-text HTTP/2: run it on loopback or inside a trusted network.
 */
export async function startServer(service: SchedulerService, host = '127.0.0.1', port = 0): Promise<RunningServer> {
  return startGrpcServer(
    [
      {
        name: SCHEDULER_SERVICE_NAME,
        definition: schedulerServiceDefinition,
        handlers: { work: service.work, getTaskStates: service.getTaskStates, watchProgress: service.watchProgress },
        scopes: SCHEDULER_SCOPES,
      },
    ],
    host,
    port,
  );
}

/**
 * Serves the given services on `host:port`, every call through
 * `authorizeCall` first, with the standard health service (the server, ''
 * and each service SERVING until `close()`) and server reflection.
 */
export async function startGrpcServer(services: readonly ServiceBinding[], host = '127.0.0.1', port = 0): Promise<RunningServer> {
  // Loaded on the first start, not with the package: grpc-health-check
  // parses its .proto when it is imported (about 50 ms), which a program that
  // imports daisychain without serving should not pay.
  const [{ ServerHealth }, { addReflection }] = await Promise.all([import('./health.js'), import('./reflection.js')]);
  const server = new Server(SERVER_CHANNEL_OPTIONS);
  for (const binding of services) server.addService(binding.definition, guardHandlers(binding));
  const health = new ServerHealth(server, ['', ...services.map((binding) => binding.name)]);
  addReflection(
    server,
    services.map((binding) => binding.name),
  );
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

interface GuardedCall {
  metadata: Metadata;
  emit(event: 'error', error: Error): boolean;
}

/** Each handler behind the authorization check: a refused call ends with its status and never reaches the handler. */
function guardHandlers(binding: ServiceBinding): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(binding.handlers)) {
    const method = binding.definition[name];
    const scope = binding.scopes[name];
    if (method === undefined || scope === undefined) throw new Error(`no definition or scope for method ${name}`);
    const unary = !method.requestStream && !method.responseStream;
    const call = handler as (call: GuardedCall, callback?: (error: { code: number; details: string }) => void) => void;
    guarded[name] = ((request: GuardedCall, callback?: (error: { code: number; details: string }) => void) => {
      const refusal = authorizeCall(scope, method.path, request.metadata);
      if (refusal === null) {
        call(request, callback);
        return;
      }
      if (unary) callback!(refusal);
      else request.emit('error', Object.assign(new Error(refusal.details), refusal));
    }) as UntypedHandleCall;
  }
  return guarded;
}
