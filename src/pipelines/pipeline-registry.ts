import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { status as GrpcStatus, type ServerDuplexStream, type ServerUnaryCall, type ServerWritableStream, type sendUnaryData } from '@grpc/grpc-js';
import type { Task } from '../model/task.js';
import { taskToSpecData } from '../model/task-spec.js';
import { Authorizer, identityOf } from '../server/authorization.js';
import { quotePeerText } from '../server/peer-text.js';
import { type WorkStreamLimits, WorkStreams } from '../server/work-streams.js';
import type { GetTaskStatesRequest, GetTaskStatesResponse, WatchProgressRequest, WatchProgressResponse } from '../wire/progress-messages.js';
import { isMalformed, type MalformedRequest } from '../wire/service-definition.js';
import type { ServerWorkRequest, ServerWorkResponse } from '../wire/work-messages.js';
import { type DialEndpoint, Pipeline } from './pipeline.js';
import { newPipelineId, PIPELINE_ID_PATTERN } from './pipeline-ids.js';
import { readPipelineSpec } from './pipeline-spec.js';
import { closure } from './task-closure.js';
import { TRACKING_DIR } from './task-tracking.js';

/** The most pipelines a server holds, running or ended; the oldest ended ones are forgotten to make room. */
export const MAX_PIPELINES = 1000;
/** How many pipeline ids a refusal names at most. */
const NAMED_IN_MESSAGES = 10;

export interface PipelineRegistryOptions {
  /**
   * Where the worker logs of a pipeline go: `<logDir>/<taskId>/worker_<id>.*`
   * (default: `daisy_logs/<pipelineId>`, so that task ids of different
   * pipelines do not share a directory).
   */
  logDirOf?: (pipeline: { readonly id: string }) => string;
  /**
   * Where the tasks of a pipeline that name no `trackingPath` keep their
   * done markers: `<basedir>/<taskId>/` (default `<logDir>/tracking`, logDir
   * as `logDirOf` says); false: such tasks are not tracked.
   */
  trackingBasedirOf?: (pipeline: { readonly id: string }) => string | false;
  /** Default MAX_PIPELINES. */
  maxPipelines?: number;
  /** Server-wide limits of the work streams (time to say Hello, streams open at once). */
  streams?: WorkStreamLimits;
  /** The tokens calls must carry (default: none). With worker tokens, each pipeline gets its own at creation. */
  authorizer?: Authorizer;
}

export interface SubmitOptions {
  name?: string;
  /** A fixed id (tests, the conformance cases); the server makes one otherwise. */
  id?: string;
  /** The pipeline's worker token, when the server requires them and one was given (`serve FILE` with a token file); made otherwise. */
  workerToken?: string;
  /** The pipeline's budget of resources (a file's or a spec's `resources`, runBlockwise's option): what its tasks' `requires` draw from. */
  resources?: Readonly<Record<string, number>> | undefined;
  /** When it was first submitted (a pipeline a restarted server brings back keeps its time); default now. */
  submittedAt?: Date;
  /**
   * A pipeline a restarted server brings back: the failed attempts its done
   * markers counted spend its blocks' retries (SchedulerOptions.retriesFromMarks).
   */
  resumed?: boolean;
}

/** A pipeline id that names no pipeline, or an empty one where several are held: the status a call ends with. */
export class PipelineLookupError extends Error {
  override name = 'PipelineLookupError';
  constructor(
    readonly code: GrpcStatus.NOT_FOUND | GrpcStatus.FAILED_PRECONDITION,
    message: string,
  ) {
    super(message);
  }
}

/** The server holds as many pipelines as it may, none of them ended. */
export class RegistryFullError extends Error {
  override name = 'RegistryFullError';
}

export interface PipelineRegistryEvents {
  submitted: [pipeline: Pipeline];
  ended: [pipeline: Pipeline];
}

/**
 * Every pipeline of one server, by id, in the order they were submitted.
 * Each has its own scheduler, so task ids are scoped by pipeline: a work
 * stream is handed, once its Hello is read, to the pipeline the Hello names
 * (an empty name: the only pipeline), and from then on it can reach no other
 * pipeline's blocks. The limits on streams stay server-wide.
 */
export class PipelineRegistry extends EventEmitter<PipelineRegistryEvents> {
  private readonly pipelines = new Map<string, Pipeline>();
  private readonly streams: WorkStreams;
  private readonly logDirOf: (pipeline: { readonly id: string }) => string;
  private readonly trackingBasedirOf: (pipeline: { readonly id: string }) => string | false;
  private readonly maxPipelines: number;
  /** Checks every call of the server that serves this registry (pipeline-server.ts). */
  readonly authorizer: Authorizer;
  private endpoint: DialEndpoint | null = null;
  private closing = false;

  constructor(options: PipelineRegistryOptions = {}) {
    super();
    this.streams = new WorkStreams(options.streams);
    this.logDirOf = options.logDirOf ?? ((pipeline) => join('daisy_logs', pipeline.id));
    this.trackingBasedirOf = options.trackingBasedirOf ?? ((pipeline) => join(this.logDirOf(pipeline), TRACKING_DIR));
    this.maxPipelines = options.maxPipelines ?? MAX_PIPELINES;
    this.authorizer = options.authorizer ?? new Authorizer();
  }

  /** Where the server listens, for the workers it starts; set once it does, before anything is submitted. */
  listening(endpoint: DialEndpoint): void {
    this.endpoint = endpoint;
  }

  /**
   * The one way in for a pipeline, whatever declared it (a file, a
   * SubmitPipeline request, TypeScript code): its tasks' declared fields
   * pass the pipeline schema (as files and the wire do; for Tasks built in
   * code this holds the same limits, e.g. the number of tasks), then the
   * pipeline is created and its server-run workers start. Nothing is held
   * if anything fails.
   */
  submit(tasks: readonly Task[], options: SubmitOptions = {}): Pipeline {
    const pipeline = this.create(tasks, options);
    try {
      this.start(pipeline);
    } catch (error) {
      pipeline.service.cancel('its workers could not start');
      this.pipelines.delete(pipeline.id);
      throw error;
    }
    return pipeline;
  }

  /** Starts the workers the server runs for a created pipeline (its tasks with a worker command). */
  start(pipeline: Pipeline): void {
    if (this.endpoint === null) throw new Error('the registry was given no endpoint (listening) before its workers start');
    pipeline.startWorkers(this.endpoint, this.logDirOf(pipeline));
  }

  /** As submit, without starting any worker: for a caller that attaches a progress display first, then calls `start`. */
  create(tasks: readonly Task[], options: SubmitOptions = {}): Pipeline {
    if (this.closing) throw new RegistryFullError('the server is stopping');
    const name = options.name ?? '';
    // Tasks from code were checked by their constructor; the schema holds them to what a file or the wire may declare.
    const resources = options.resources === undefined ? undefined : { ...options.resources };
    readPipelineSpec({ name, tasks: closure(tasks).map(taskToSpecData), ...(resources === undefined ? {} : { resources }) }, { where: 'pipeline' });
    const id = options.id ?? newPipelineId();
    if (!PIPELINE_ID_PATTERN.test(id)) throw new Error(`pipeline id ${JSON.stringify(id)} must match ${String(PIPELINE_ID_PATTERN)}`);
    if (this.pipelines.has(id)) throw new Error(`pipeline id ${JSON.stringify(id)} is taken`);
    this.makeRoom();
    let workerToken = this.authorizer.issueWorkerToken(id);
    if (options.workerToken !== undefined && this.authorizer.workerTokensRequired) {
      this.authorizer.setWorkerToken(id, options.workerToken);
      workerToken = options.workerToken;
    }
    let pipeline: Pipeline;
    try {
      pipeline = new Pipeline(id, name, tasks, workerToken, resources ?? {}, this.trackingBasedirOf({ id }), options.submittedAt, options.resumed === true);
    } catch (error) {
      // Refused (a tracking group of another task): nothing of it may stay, its token neither.
      this.authorizer.revokeWorkerToken(id);
      throw error;
    }
    this.pipelines.set(id, pipeline);
    pipeline.once('ended', () => this.emit('ended', pipeline));
    this.emit('submitted', pipeline);
    return pipeline;
  }

  get(pipelineId: string): Pipeline | undefined {
    return this.pipelines.get(pipelineId);
  }

  /** Oldest first. */
  list(): Pipeline[] {
    return [...this.pipelines.values()];
  }

  /**
   * The pipeline an id names. An empty id names the only pipeline, so that
   * workers and tools of a single run need not know its id; with several,
   * it is refused (FAILED_PRECONDITION) naming them.
   */
  resolve(pipelineId: string): Pipeline {
    if (pipelineId !== '') {
      const pipeline = this.pipelines.get(pipelineId);
      if (pipeline !== undefined) return pipeline;
      throw new PipelineLookupError(GrpcStatus.NOT_FOUND, `unknown pipeline id ${quotePeerText(pipelineId)}; this server holds ${this.describeHeld()}`);
    }
    if (this.pipelines.size === 1) return this.pipelines.values().next().value!;
    if (this.pipelines.size === 0) throw new PipelineLookupError(GrpcStatus.NOT_FOUND, 'this server holds no pipeline');
    throw new PipelineLookupError(
      GrpcStatus.FAILED_PRECONDITION,
      `pipeline_id is empty, but this server holds ${this.describeHeld()}: name one (DAISY_CONTEXT's pipeline_id)`,
    );
  }

  /** Cancels every running pipeline and stops every worker the server runs: the server is stopping. */
  async close(reason = 'the server is stopping'): Promise<void> {
    this.closing = true;
    for (const pipeline of this.pipelines.values()) if (pipeline.status === 'running') pipeline.cancel(reason);
    await Promise.all([...this.pipelines.values()].map((pipeline) => pipeline.stopWorkers()));
  }

  /**
   * Stops every worker the server runs and takes no new pipeline, but
   * cancels nothing: a durable server is stopping to be started again
   * (src/state), and its pipelines are to resume then. Workers started
   * elsewhere see the server go and reconnect to the next one.
   */
  async suspend(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.pipelines.values()].map((pipeline) => pipeline.stopWorkers()));
  }

  /** SIGKILLs every worker the server runs, without waiting: the process is about to exit. */
  kill(): void {
    for (const pipeline of this.pipelines.values()) pipeline.killWorkers();
  }

  // -- SchedulerService, dispatched by pipeline ------------------------------------

  readonly work = (stream: ServerDuplexStream<ServerWorkRequest | MalformedRequest, ServerWorkResponse>): void => {
    // A worker token opens its own pipeline only: a Hello naming another is refused before it reaches any scheduler.
    const identity = identityOf(stream);
    this.streams.accept(stream, (session, hello) => {
      try {
        if (identity.kind === 'worker') {
          if (hello.pipelineId !== '' && hello.pipelineId !== identity.pipelineId) {
            session.fail(GrpcStatus.PERMISSION_DENIED, `the worker token is not one of pipeline ${quotePeerText(hello.pipelineId)}`);
            return null;
          }
          // The token says which pipeline: a Hello without pipeline_id reaches it even when the server holds several.
          return this.resolve(identity.pipelineId).service;
        }
        return this.resolve(hello.pipelineId).service;
      } catch (error) {
        if (!(error instanceof PipelineLookupError)) throw error;
        session.fail(error.code, error.message);
        return null;
      }
    });
  };

  readonly getTaskStates = (
    call: ServerUnaryCall<GetTaskStatesRequest | MalformedRequest, GetTaskStatesResponse>,
    callback: sendUnaryData<GetTaskStatesResponse>,
  ): void => {
    if (isMalformed(call.request)) {
      callback({ code: GrpcStatus.INVALID_ARGUMENT, details: call.request.message });
      return;
    }
    const pipeline = this.lookup(call.request.pipelineId, (code, details) => callback({ code, details }));
    pipeline?.service.getTaskStates(call, callback);
  };

  readonly watchProgress = (call: ServerWritableStream<WatchProgressRequest | MalformedRequest, WatchProgressResponse>): void => {
    if (isMalformed(call.request)) {
      call.emit('error', Object.assign(new Error(call.request.message), { code: GrpcStatus.INVALID_ARGUMENT, details: call.request.message }));
      return;
    }
    const pipeline = this.lookup(call.request.pipelineId, (code, details) => call.emit('error', Object.assign(new Error(details), { code, details })));
    pipeline?.service.watchProgress(call);
  };

  /** `resolve`, with a refusal handed to `refuse` (a gRPC status) instead of thrown. */
  lookup(pipelineId: string, refuse: (code: GrpcStatus, details: string) => void): Pipeline | null {
    try {
      return this.resolve(pipelineId);
    } catch (error) {
      if (!(error instanceof PipelineLookupError)) throw error;
      refuse(error.code, error.message);
      return null;
    }
  }

  private describeHeld(): string {
    const ids = [...this.pipelines.keys()];
    if (ids.length === 0) return 'no pipeline';
    const named = ids.slice(0, NAMED_IN_MESSAGES).map((id) => JSON.stringify(id));
    const more = ids.length > NAMED_IN_MESSAGES ? ` and ${ids.length - NAMED_IN_MESSAGES} more` : '';
    return `${ids.length} pipeline${ids.length === 1 ? '' : 's'}: ${named.join(', ')}${more}`;
  }

  /** Forgets the oldest ended pipelines while the registry is full; refuses when none has ended. */
  private makeRoom(): void {
    for (const [id, pipeline] of this.pipelines) {
      if (this.pipelines.size < this.maxPipelines) return;
      if (pipeline.ended) {
        this.pipelines.delete(id);
        this.authorizer.revokeWorkerToken(id);
      }
    }
    if (this.pipelines.size >= this.maxPipelines) {
      throw new RegistryFullError(`this server holds ${this.pipelines.size} running pipelines, its limit; cancel one or wait for one to end`);
    }
  }
}
