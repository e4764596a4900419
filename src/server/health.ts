import type { Server } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';

/** What grpc-health-check registers its service on, and the handlers it registers. */
type HealthServer = Parameters<HealthImplementation['addToServer']>[0];
type HealthHandlers = Parameters<HealthServer['addService']>[1];
/** The part of a Watch call (a grpc-js server-writable stream) that is used here. */
interface WatchCall {
  on(event: 'cancelled', listener: () => void): unknown;
  end(): void;
}

/**
 * The standard `grpc.health.v1.Health` service (Check, Watch, List) of
 * grpc-health-check, for one server: every name in `serving` is SERVING
 * from the start ('' stands for the server as a whole), and `shutDown()`
 * turns them all NOT_SERVING.
 */
export class ServerHealth {
  private readonly health: HealthImplementation;
  private readonly watches = new Set<WatchCall>();

  constructor(
    server: Server,
    private readonly serving: readonly string[],
  ) {
    this.health = new HealthImplementation(Object.fromEntries(serving.map((name) => [name, 'SERVING'])));
    this.health.addToServer({
      addService: (definition, handlers) => server.addService(definition, this.trackWatches(handlers)),
    });
  }

  /**
   * Every served name becomes NOT_SERVING (each Watch hears it at once), and
   * then each open Watch ends with OK, which its client takes as "retry
   * later" (health.proto). Without that end a watcher, such as a load
   * balancer's, would hold the server's graceful shutdown open.
   */
  shutDown(): void {
    for (const name of this.serving) this.health.setStatus(name, 'NOT_SERVING');
    for (const call of this.watches) call.end();
    this.watches.clear();
  }

  /** The handlers with Watch wrapped to remember its open calls; grpc-health-check keeps them to itself. */
  private trackWatches(handlers: HealthHandlers): HealthHandlers {
    // grpc-health-check registers Watch as a server-streaming handler; its
    // types only say "some handler", hence the narrowing.
    const watch = handlers['watch'] as ((call: WatchCall) => void) | undefined;
    if (watch === undefined) throw new Error('grpc-health-check registered no Watch handler');
    return {
      ...handlers,
      watch: (call: WatchCall) => {
        this.watches.add(call);
        call.on('cancelled', () => this.watches.delete(call));
        watch(call);
      },
    };
  }
}
