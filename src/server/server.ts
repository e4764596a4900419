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
import { Authorizer, type CallScope, isRefusal, recordIdentity } from './authorization.js';
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

/** The server's TLS material, PEM: its certificate chain and key, and the CA client certificates must be signed by (mTLS). */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
  /** Set: every client must present a certificate signed by it, or the handshake fails. */
  clientCa?: Buffer | null;
}

/** How a server protects itself: TLS (none: plaintext HTTP/2) and the tokens calls must carry (none: every call passes). */
export interface ServerSecurity {
  tls?: ServerTls | null;
  authorizer?: Authorizer;
}

/**
 * How the server watches its connections. The defaults (wire/limits.ts) are
 * the protocol's: a ping after 30 s of silence, the connection dropped when
 * no answer comes within 20 s, which returns a silent worker's blocks within
 * 50 s. Shorter ones are for tests.
 */
export interface ServerConnectionOptions {
  keepaliveTimeMs?: number;
  keepaliveTimeoutMs?: number;
}

/** SchedulerService's methods: the work stream is a worker's; reading progress is an operator's. */
export const SCHEDULER_SCOPES: Record<string, CallScope> = { work: 'worker', getTaskStates: 'operator', watchProgress: 'operator' };

/**
 * Serves `service` over gRPC on `host:port` (port 0 picks a free port),
 * with the standard health service (`grpc.health.v1.Health`: the server, ''
 * and `daisychain.v1.SchedulerService` SERVING until `close()`) and server
 * reflection (`grpc.reflection.v1` and `v1alpha`), so that grpcurl, load
 * balancers and probes work with no .proto file.
 * Plain-text HTTP/2 unless `security.tls` is given: without it, run it on
 * loopback or inside a trusted network.
 */
export async function startServer(
  service: SchedulerService,
  host = '127.0.0.1',
  port = 0,
  security: ServerSecurity = {},
  connection: ServerConnectionOptions = {},
): Promise<RunningServer> {
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
    security,
    connection,
  );
}

/** The credentials the server listens with: TLS (and mTLS with a client CA) when given, plaintext otherwise. */
function serverCredentials(tls: ServerTls | null | undefined): ServerCredentials {
  if (tls === null || tls === undefined) return ServerCredentials.createInsecure();
  const clientCa = tls.clientCa ?? null;
  // The third argument makes grpc-js refuse, at the handshake, a client without a certificate signed by `clientCa`.
  return ServerCredentials.createSsl(clientCa, [{ cert_chain: tls.cert, private_key: tls.key }], clientCa !== null);
}

/**
 * Serves the given services on `host:port`, every call through
 * `security.authorizer` first, with the standard health service (the
 * server, '' and each service SERVING until `close()`) and server reflection.
 */
export async function startGrpcServer(
  services: readonly ServiceBinding[],
  host = '127.0.0.1',
  port = 0,
  security: ServerSecurity = {},
  connection: ServerConnectionOptions = {},
): Promise<RunningServer> {
  // Loaded on the first start, not with the package: grpc-health-check
  // parses its .proto when it is imported (about 50 ms), which a program that
  // imports daisychain without serving should not pay.
  const [{ ServerHealth }, { addReflection }] = await Promise.all([import('./health.js'), import('./reflection.js')]);
  const server = new Server({
    ...SERVER_CHANNEL_OPTIONS,
    ...(connection.keepaliveTimeMs === undefined ? {} : { 'grpc.keepalive_time_ms': connection.keepaliveTimeMs }),
    ...(connection.keepaliveTimeoutMs === undefined ? {} : { 'grpc.keepalive_timeout_ms': connection.keepaliveTimeoutMs }),
  });
  const authorizer = security.authorizer ?? new Authorizer();
  for (const binding of services) server.addService(binding.definition, guardHandlers(binding, authorizer));
  const health = new ServerHealth(server, ['', ...services.map((binding) => binding.name)]);
  addReflection(
    server,
    services.map((binding) => binding.name),
  );
  const credentials = serverCredentials(security.tls);
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatHostPort(host, port), credentials, (error, p) =>
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
function guardHandlers(binding: ServiceBinding, authorizer: Authorizer): UntypedServiceImplementation {
  const guarded: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(binding.handlers)) {
    const method = binding.definition[name];
    const scope = binding.scopes[name];
    if (method === undefined || scope === undefined) throw new Error(`no definition or scope for method ${name}`);
    const unary = !method.requestStream && !method.responseStream;
    const call = handler as (call: GuardedCall, callback?: (error: { code: number; details: string }) => void) => void;
    guarded[name] = ((request: GuardedCall, callback?: (error: { code: number; details: string }) => void) => {
      const refusal = authorizer.authorize(scope, request.metadata);
      if (!isRefusal(refusal)) {
        recordIdentity(request, refusal);
        call(request, callback);
        return;
      }
      if (unary) callback!(refusal);
      else request.emit('error', Object.assign(new Error(refusal.details), refusal));
    }) as UntypedHandleCall;
  }
  return guarded;
}
