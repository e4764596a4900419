import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identifyProcess, isSameProcess, type ProcessIdentity } from './process-identity.js';
import type { StateDir } from './state-dir.js';

export const WORKERS_FILE = 'workers.json';
/** How long a restarted server waits for the workers it stopped to be gone before it starts their replacements. */
const STOP_WAIT_MS = 5000;

/**
 * The worker processes a pipeline's pools run, as `workers.json` beside its
 * record: rewritten at each start and exit (rare events), so that a server
 * restarted after a crash knows which processes its predecessor left
 * behind. It stops them before starting pools of its own: a pool is never
 * run twice over, and nothing the crashed server started outlives it.
 */
export class WorkerRecords {
  private readonly live = new Map<number, ProcessIdentity>();
  private readonly file: string;

  constructor(
    private readonly state: StateDir,
    pipelineId: string,
  ) {
    this.file = join(state.pipelineDir(pipelineId), WORKERS_FILE);
  }

  started(pid: number): void {
    this.live.set(pid, identifyProcess(pid));
    this.write();
  }

  exited(pid: number): void {
    if (this.live.delete(pid)) this.write();
  }

  private write(): void {
    this.state.writeJson(this.file, [...this.live.values()]);
  }
}

/**
 * SIGKILLs the processes a crashed server recorded for a pipeline that are
 * still the same processes (pid and start time), waits until they are gone,
 * and returns how many there were. Their blocks run again (at least once).
 */
export async function stopLeftoverWorkers(state: StateDir, pipelineId: string): Promise<number> {
  const leftovers = readIdentities(join(state.pipelineDir(pipelineId), WORKERS_FILE)).filter(isSameProcess);
  for (const identity of leftovers) {
    try {
      process.kill(identity.pid, 'SIGKILL');
    } catch {
      // Gone in the meantime.
    }
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  while (leftovers.some(isSameProcess) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  state.writeJson(join(state.pipelineDir(pipelineId), WORKERS_FILE), []);
  return leftovers.length;
}

function readIdentities(file: string): ProcessIdentity[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // None recorded (no pool ran), or a file cut short by the crash it is meant to survive: nothing to stop.
    return [];
  }
  if (!Array.isArray(data)) return [];
  return data.filter(
    (item): item is ProcessIdentity =>
      typeof item === 'object' && item !== null && Number.isInteger(item.pid) && item.pid > 1 && (typeof item.startTime === 'string' || item.startTime === null),
  );
}
