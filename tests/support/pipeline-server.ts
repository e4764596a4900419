import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PipelineClient } from '../../src/client/pipeline-client.js';
import type { TaskSpecData } from '../../src/model/task-spec.js';
import { PipelineRegistry, type PipelineRegistryOptions } from '../../src/pipelines/pipeline-registry.js';
import { startPipelineServer } from '../../src/pipelines/pipeline-server.js';
import type { RunningServer } from '../../src/server/server.js';

/** A server of many pipelines on loopback, its control-plane client, and a log directory of its own. */
export interface PipelineServerHandle {
  registry: PipelineRegistry;
  server: RunningServer;
  control: PipelineClient;
  logDir: string;
  close(): Promise<void>;
}

export async function startTestPipelineServer(options: PipelineRegistryOptions = {}): Promise<PipelineServerHandle> {
  const logDir = mkdtempSync(join(tmpdir(), 'daisychain-pipelines-'));
  const registry = new PipelineRegistry({ logDirOf: (pipeline) => join(logDir, pipeline.id), ...options });
  const server = await startPipelineServer(registry);
  const control = new PipelineClient(server.address);
  return {
    registry,
    server,
    control,
    logDir,
    close: async () => {
      control.close();
      await registry.close();
      await server.close();
    },
  };
}

/** A line of `blocks` blocks, 10 units each, without conflicts (ids 0, 1, 2, ...), as pipeline data. */
export function lineSpec(taskId: string, blocks: number, extra: Partial<TaskSpecData> = {}): TaskSpecData {
  return {
    taskId,
    totalRoi: { offset: [0], shape: [10 * blocks] },
    readRoi: { offset: [0], shape: [10] },
    writeRoi: { offset: [0], shape: [10] },
    readWriteConflict: false,
    ...extra,
  };
}
