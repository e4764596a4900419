/**
 * The control plane's client, `import { PipelineClient } from
 * 'daisychain/control'`: submit, list, get, watch and cancel pipelines on a
 * daisychain server. Apart from 'daisychain/client' so that a worker does
 * not load it (nor pipeline.proto's code).
 */
export { ControlError, PipelineClient } from './pipeline-client.js';
export { type ClientSecurity, type ClientTls, readClientTls } from './credentials.js';
export type { PipelineEvent, PipelineStatus, PipelineView, TaskStateSnapshot } from '../model/pipeline-view.js';
export type { PipelineSpecData, RoiData, TaskSpecData } from '../model/task-spec.js';
export type { FailureRecord } from '../model/failure-record.js';
