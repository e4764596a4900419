import type { Task } from '../model/task.js';
import type { Pipeline } from '../pipelines/pipeline.js';
import type { PipelineRegistry } from '../pipelines/pipeline-registry.js';
import { readPipelineSpec, SpecError } from '../pipelines/pipeline-spec.js';
import { type PipelineRecord, PIPELINE_RECORD_FORMAT, readPipelineRecord, writePipelineRecord } from './pipeline-record.js';
import { type StateDir, StateDirError } from './state-dir.js';
import { stopLeftoverWorkers, WorkerRecords } from './worker-records.js';

/** What a restart found in the state directory. */
export interface Restored {
  /** Pipelines served again: running ones resume, cancelled ones are held (cancelled) for Get and List. */
  pipelines: Pipeline[];
  /** Pipelines that had ended (succeeded or failed) before the crash: their records stay, they are not served. */
  ended: PipelineRecord[];
  /** Worker processes of the crashed server that were stopped. */
  stoppedWorkers: number;
}

/**
 * Keeps a server's pipelines in a state directory and brings them back
 * after a crash. Every submission is recorded before the submitter hears
 * of it, every end and cancellation when it happens, and every worker
 * process the pools start; on restart, `restore` stops the processes the
 * crashed server left, and recreates each running pipeline under its id,
 * with its token, so that workers started elsewhere reconnect to it.
 */
export class DurablePipelines {
  constructor(
    private readonly state: StateDir,
    private readonly registry: PipelineRegistry,
  ) {
    registry.on('submitted', this.onSubmitted);
    registry.on('ended', this.onEnded);
  }

  /**
   * Before the server listens: recreates the pipelines of the state
   * directory in the registry (not their pools: `startRestored` does,
   * once there is an address to give them). Throws a StateDirError naming
   * the file of a record that cannot be read back.
   */
  async restore(): Promise<Restored> {
    const restored: Restored = { pipelines: [], ended: [], stoppedWorkers: 0 };
    const records = this.state
      .pipelineIds()
      .map((id) => readPipelineRecord(this.state, id))
      .filter((record): record is PipelineRecord => record !== null)
      .sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
    for (const record of records) {
      restored.stoppedWorkers += await stopLeftoverWorkers(this.state, record.id);
      if (record.status === 'succeeded' || record.status === 'failed') {
        restored.ended.push(record);
        continue;
      }
      let tasks: Task[];
      try {
        ({ tasks } = readPipelineSpec(record.spec, { where: `pipeline ${record.id}` }));
      } catch (error) {
        if (error instanceof SpecError) throw new StateDirError(`the record of ${error.message} (in ${this.state.pipelineDir(record.id)})`);
        throw error;
      }
      const pipeline = this.registry.create(tasks, {
        id: record.id,
        name: record.name,
        submittedAt: new Date(record.submittedAt),
        resumed: true,
        ...(record.workerToken === '' ? {} : { workerToken: record.workerToken }),
        ...(record.spec.resources === undefined ? {} : { resources: record.spec.resources }),
      });
      if (record.status === 'cancelled') pipeline.cancel(record.cancelReason);
      restored.pipelines.push(pipeline);
    }
    return restored;
  }

  /** Once the server listens: starts the pools of the restored pipelines that still run. */
  startRestored(restored: Restored): void {
    for (const pipeline of restored.pipelines) if (pipeline.status === 'running') this.registry.start(pipeline);
  }

  /** The server stops for good (not a crash): lets go of the registry and the directory's lock. */
  close(): void {
    this.registry.off('submitted', this.onSubmitted);
    this.registry.off('ended', this.onEnded);
    this.state.release();
  }

  private readonly onSubmitted = (pipeline: Pipeline): void => {
    writePipelineRecord(this.state, this.recordOf(pipeline));
    const records = new WorkerRecords(this.state, pipeline.id);
    pipeline.on('workerEvent', (event) => {
      if (event.pid === undefined) return;
      if (event.kind === 'started') records.started(event.pid);
      else if (event.kind === 'exited') records.exited(event.pid);
    });
  };

  private readonly onEnded = (pipeline: Pipeline): void => {
    writePipelineRecord(this.state, this.recordOf(pipeline));
  };

  private recordOf(pipeline: Pipeline): PipelineRecord {
    const view = pipeline.view();
    return {
      format: PIPELINE_RECORD_FORMAT,
      id: pipeline.id,
      name: pipeline.name,
      spec: view.spec,
      workerToken: pipeline.workerToken,
      submittedAt: pipeline.submittedAt.toISOString(),
      status: pipeline.status,
      cancelReason: pipeline.cancelReason,
      finishedAt: pipeline.finishedAt?.toISOString() ?? null,
    };
  }
}
