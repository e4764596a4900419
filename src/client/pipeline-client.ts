import { Client as GrpcClient, type ClientReadableStream, type Metadata, type ServiceError } from '@grpc/grpc-js';
import type { PipelineEvent, PipelineView } from '../model/pipeline-view.js';
import type { PipelineSpecData } from '../model/task-spec.js';
import { CLIENT_CHANNEL_OPTIONS } from '../wire/limits.js';
import {
  cancelPipelineRequest,
  getPipelineRequest,
  listPipelinesRequest,
  pipelineEventFromWire,
  pipelineFromWire,
  submitPipelineRequest,
  watchPipelineRequest,
  type CancelPipelineResponse,
  type GetPipelineResponse,
  type ListPipelinesResponse,
  type SubmitPipelineResponse,
  type WatchPipelineResponse,
} from '../wire/pipeline-messages.js';
import { pipelineServiceDefinition } from '../wire/pipeline-service-definition.js';
import { channelCredentials, type ClientSecurity, tokenMetadata } from './credentials.js';

/** A control-plane call the server refused or could not answer: `code` is the gRPC status (3 INVALID_ARGUMENT, 5 NOT_FOUND, 14 UNAVAILABLE, ...). */
export class ControlError extends Error {
  override name = 'ControlError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

const method = (name: string) => pipelineServiceDefinition[name]!;

/**
 * The control plane of a daisychain server (PipelineService), typed:
 * submit a pipeline (the pipeline file's fields, as plain data), list and
 * get pipelines, watch one (an async iterator of its events, ending with
 * the one whose `finished` is set), cancel one.
 *
 *   const control = new PipelineClient('127.0.0.1:50051');
 *   const { pipelineId } = await control.submit({ name: 'seg', tasks: [...] });
 *   for await (const event of control.watch(pipelineId)) ...
 */
export class PipelineClient {
  private readonly grpc: GrpcClient;
  private readonly token: string | null;
  /** The worker token of the last pipeline `submit` sent, '' when the server requires none: for workers started elsewhere. */
  lastWorkerToken = '';

  /** `address` is `host:port`, an IPv6 host in brackets; `security`: the server's CA (TLS) and the operator token. */
  constructor(
    readonly address: string,
    security: ClientSecurity = {},
  ) {
    this.grpc = new GrpcClient(address, channelCredentials(security.tls), CLIENT_CHANNEL_OPTIONS);
    this.token = security.token ?? null;
  }

  async submit(spec: PipelineSpecData): Promise<PipelineView> {
    return (await this.submitWithToken(spec)).pipeline;
  }

  /** As `submit`, with the pipeline's worker token ('' when the server requires none). */
  async submitWithToken(spec: PipelineSpecData): Promise<{ pipeline: PipelineView; workerToken: string }> {
    const response = await this.unary<SubmitPipelineResponse>('submitPipeline', submitPipelineRequest(spec));
    this.lastWorkerToken = response.workerToken;
    return { pipeline: pipelineFromWire(response.pipeline), workerToken: response.workerToken };
  }

  async get(pipelineId: string): Promise<PipelineView> {
    const response = await this.unary<GetPipelineResponse>('getPipeline', getPipelineRequest(pipelineId));
    return pipelineFromWire(response.pipeline);
  }

  /** Every pipeline the server holds, oldest first (all pages). */
  async list(): Promise<PipelineView[]> {
    const all: PipelineView[] = [];
    let token = '';
    do {
      const page = await this.unary<ListPipelinesResponse>('listPipelines', listPipelinesRequest(0, token));
      all.push(...page.pipelines.map(pipelineFromWire));
      token = page.nextPageToken;
    } while (token !== '');
    return all;
  }

  async cancel(pipelineId: string, reason = ''): Promise<PipelineView> {
    const response = await this.unary<CancelPipelineResponse>('cancelPipeline', cancelPipelineRequest(pipelineId, reason));
    return pipelineFromWire(response.pipeline);
  }

  /** The pipeline's events: its state now, then after changes and failed attempts, the last with `finished` set. Breaking out of the loop ends the call. */
  async *watch(pipelineId: string): AsyncGenerator<PipelineEvent, void, undefined> {
    const m = method('watchPipeline');
    const call: ClientReadableStream<WatchPipelineResponse> = this.grpc.makeServerStreamRequest(
      m.path,
      m.requestSerialize,
      m.responseDeserialize as (bytes: Buffer) => WatchPipelineResponse,
      watchPipelineRequest(pipelineId),
      this.metadata(),
    );
    try {
      for await (const response of call as AsyncIterable<WatchPipelineResponse>) yield pipelineEventFromWire(response);
    } catch (error) {
      throw controlError(error);
    } finally {
      call.cancel();
    }
  }

  close(): void {
    this.grpc.close();
  }

  /** Fresh per call: grpc-js may add entries to the Metadata it is given. */
  private metadata(): Metadata {
    return tokenMetadata(this.token);
  }

  private unary<Res>(name: string, request: unknown): Promise<Res> {
    const m = method(name);
    return new Promise((resolve, reject) => {
      this.grpc.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize as (bytes: Buffer) => Res, request, this.metadata(), (error, response) => {
        if (error !== null) reject(controlError(error));
        else resolve(response!);
      });
    });
  }
}

function controlError(error: unknown): unknown {
  const e = error as Partial<ServiceError>;
  if (typeof e.code === 'number') return new ControlError(e.code, e.details || e.message || 'the call failed');
  return error;
}
