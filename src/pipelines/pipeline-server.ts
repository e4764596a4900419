import { type RunningServer, SCHEDULER_SCOPES, type ServerTls, startGrpcServer } from '../server/server.js';
import { SCHEDULER_SERVICE_NAME, schedulerServiceDefinition } from '../wire/service-definition.js';
import type { PipelineRegistry } from './pipeline-registry.js';

/** Every PipelineService method is an operator's. */
const PIPELINE_SCOPES = {
  submitPipeline: 'operator',
  listPipelines: 'operator',
  getPipeline: 'operator',
  watchPipeline: 'operator',
  cancelPipeline: 'operator',
} as const;

export interface PipelineServerSecurity {
  /** TLS (mTLS with a client CA); none: plaintext. The tokens calls must carry are the registry's `authorizer`. */
  tls?: ServerTls | null;
  /** DAISY_CONTEXT entries for the workers the server starts, as they reach it: `tls_ca` (and `tls_cert`/`tls_key` under mTLS). */
  workerContext?: Readonly<Record<string, string>>;
}

/**
 * Serves a registry's pipelines on `host:port`: SchedulerService (work
 * streams dispatched to the pipeline their Hello names; task states and
 * progress of a named pipeline) and PipelineService (the control plane).
 * Once it listens, the registry is told where workers dial it: `dialHost`
 * (default: `host`).
 */
export async function startPipelineServer(
  registry: PipelineRegistry,
  host = '127.0.0.1',
  port = 0,
  dialHost = host,
  security: PipelineServerSecurity = {},
): Promise<RunningServer> {
  // Loaded on the first start, not with the package: pipeline.proto's code brings the
  // well-known types (google.protobuf.Timestamp, about 20 ms), which `import 'daisychain'` need not pay.
  const [{ PipelineServiceHandlers }, { PIPELINE_SERVICE_NAME, pipelineServiceDefinition }] = await Promise.all([
    import('./pipeline-service.js'),
    import('../wire/pipeline-service-definition.js'),
  ]);
  const control = new PipelineServiceHandlers(registry);
  const server = await startGrpcServer(
    [
      {
        name: SCHEDULER_SERVICE_NAME,
        definition: schedulerServiceDefinition,
        handlers: { work: registry.work, getTaskStates: registry.getTaskStates, watchProgress: registry.watchProgress },
        scopes: SCHEDULER_SCOPES,
      },
      {
        name: PIPELINE_SERVICE_NAME,
        definition: pipelineServiceDefinition,
        handlers: {
          submitPipeline: control.submitPipeline,
          listPipelines: control.listPipelines,
          getPipeline: control.getPipeline,
          watchPipeline: control.watchPipeline,
          cancelPipeline: control.cancelPipeline,
        },
        scopes: PIPELINE_SCOPES,
      },
    ],
    host,
    port,
    { tls: security.tls ?? null, authorizer: registry.authorizer },
  );
  registry.listening({ host: dialHost, port: server.port, context: security.workerContext ?? {} });
  return server;
}
