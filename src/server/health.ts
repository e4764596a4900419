import { status as grpcStatus, type MethodDefinition, type Server, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';

/** What grpc-health-check registers its service on, and the handlers it registers. */
type HealthServer = Parameters<HealthImplementation['addToServer']>[0];
type HealthDefinition = Parameters<HealthServer['addService']>[0];
type HealthHandlers = Parameters<HealthServer['addService']>[1];
type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** The part of a health call (a grpc-js server call) that is used here. */
interface HealthCall {
  request: unknown;
  on(event: 'cancelled', listener: () => void): unknown;
  end?(): void;
}
type Reply = (error: Partial<ServiceError> | null, value?: unknown) => void;
/** grpc-js calls a unary handler with a callback, a server-streaming one without. */
type HealthHandler = (call: HealthCall, reply?: Reply) => void;

/** grpc-health-check's service, loaded: its .proto is parsed when the package is imported. */
interface LoadedHealth {
  readonly implementation: HealthImplementation;
  readonly definition: HealthDefinition;
  readonly handlers: Record<string, HealthHandler>;
}

/** The methods of grpc.health.v1.Health, by grpc-health-check's handler name. */
const METHODS = [
  { name: 'Check', handler: 'check', responseStream: false },
  { name: 'Watch', handler: 'watch', responseStream: true },
  { name: 'List', handler: 'list', responseStream: false },
] as const;

/**
 * The standard `grpc.health.v1.Health` service (Check, Watch, List) of
 * grpc-health-check, for one server: every name in `serving` is SERVING
 * from the start ('' stands for the server as a whole), and `shutDown()`
 * turns them all NOT_SERVING.
 *
 * grpc-health-check parses health.proto with protobufjs when it is imported
 * (about 40 ms of a run's start, before the server can listen and its
 * workers be spawned), so it is imported on the first health call. Until
 * then the methods are registered with their paths only: a request stays
 * bytes until the package is there to decode it.
 */
export class ServerHealth {
  private readonly statuses: Map<string, ServingStatus>;
  private readonly watches = new Set<HealthCall>();
  private loaded: LoadedHealth | undefined;
  private loading: Promise<LoadedHealth> | undefined;

  constructor(server: Server, serving: readonly string[]) {
    this.statuses = new Map(serving.map((name) => [name, 'SERVING']));
    const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
    const implementation: UntypedServiceImplementation = {};
    for (const method of METHODS) {
      definition[method.name] = {
        path: `/grpc.health.v1.Health/${method.name}`,
        requestStream: false,
        responseStream: method.responseStream,
        requestSerialize: (value) => value as Buffer,
        requestDeserialize: (bytes) => bytes,
        // A response is only ever written by a loaded handler.
        responseSerialize: (value) => this.loaded!.definition[method.name]!.responseSerialize(value as object),
        responseDeserialize: (bytes) => bytes,
      };
      implementation[method.name] = ((call: HealthCall, reply?: Reply) =>
        this.handle(method.name, method.handler, call, reply)) as UntypedServiceImplementation[string];
    }
    server.addService(definition, implementation);
  }

  /**
   * Every served name becomes NOT_SERVING (each Watch hears it at once), and
   * then each open Watch ends with OK, which its client takes as "retry
   * later" (health.proto). Without that end a watcher, such as a load
   * balancer's, would hold the server's graceful shutdown open.
   */
  shutDown(): void {
    for (const name of this.statuses.keys()) {
      this.statuses.set(name, 'NOT_SERVING');
      this.loaded?.implementation.setStatus(name, 'NOT_SERVING');
    }
    for (const call of this.watches) call.end?.();
    this.watches.clear();
  }

  private handle(name: string, handler: string, call: HealthCall, reply: Reply | undefined): void {
    if (name === 'Watch') {
      // Remembered at once: a shutdown before the package loads still ends it.
      this.watches.add(call);
      call.on('cancelled', () => this.watches.delete(call));
    }
    this.load().then(
      (health) => {
        call.request = health.definition[name]!.requestDeserialize(call.request as Buffer);
        if (name === 'Watch' && !this.watches.has(call)) return; // ended or cancelled while loading
        health.handlers[handler]!(call, reply);
      },
      (error: unknown) => {
        const details = `the health service could not load: ${error instanceof Error ? error.message : String(error)}`;
        if (reply !== undefined) reply({ code: grpcStatus.INTERNAL, details });
        else call.end?.();
      },
    );
  }

  private load(): Promise<LoadedHealth> {
    this.loading ??= import('grpc-health-check').then(({ HealthImplementation }) => {
      const implementation = new HealthImplementation(Object.fromEntries(this.statuses));
      let registered: { definition: HealthDefinition; handlers: HealthHandlers } | undefined;
      implementation.addToServer({ addService: (definition, handlers) => void (registered = { definition, handlers }) });
      if (registered === undefined) throw new Error('grpc-health-check registered no service');
      // Its handlers are grpc-js handlers of the kinds above; its types only say "some handler".
      this.loaded = { implementation, definition: registered.definition, handlers: registered.handlers as Record<string, HealthHandler> };
      return this.loaded;
    });
    return this.loading;
  }
}
