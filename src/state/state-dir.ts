import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomicallySync } from '../arrays/atomic-file-store.js';
import { processIsAlive } from './process-identity.js';

/** A state directory that cannot be used: in use by another server, unreadable, or holding a record that is not one. */
export class StateDirError extends Error {
  override name = 'StateDirError';
}

const LOCK_FILE = 'server.lock';
const PIPELINES = 'pipelines';

/**
 * The directory a server keeps what it needs to resume after a crash
 * (`serve --state-dir DIR`): `DIR/pipelines/<id>/` per pipeline. One server
 * owns it at a time: `server.lock` holds its pid, and a second server on the
 * same directory is refused while that pid lives (a lock left by a crashed
 * server is taken over, which is the point of the directory).
 */
export class StateDir {
  private constructor(
    readonly path: string,
    private readonly lockPath: string,
  ) {}

  static open(path: string): StateDir {
    const root = resolve(path);
    try {
      // Records hold worker tokens: the directory is its owner's alone.
      mkdirSync(join(root, PIPELINES), { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new StateDirError(`state directory ${root} cannot be used: ${messageOf(error)}`);
    }
    const lockPath = join(root, LOCK_FILE);
    takeLock(lockPath, root);
    return new StateDir(root, lockPath);
  }

  /** The directory of one pipeline's records (made on first use). */
  pipelineDir(pipelineId: string): string {
    return join(this.path, PIPELINES, pipelineId);
  }

  /** The ids of every pipeline with a directory here, in no particular order. */
  pipelineIds(): string[] {
    return readdirSync(join(this.path, PIPELINES), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  }

  /** Writes `value` as JSON to `file` in one rename: a crash leaves the old record or the new, never half of one. */
  writeJson(file: string, value: unknown): void {
    writeFileAtomicallySync(file, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
  }

  /** The server stops for good: the next one need not wonder whether this one still lives. */
  release(): void {
    rmSync(this.lockPath, { force: true });
  }
}

function takeLock(lockPath: string, root: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(lockPath, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StateDirError(`state directory ${root} cannot be locked: ${messageOf(error)}`);
      const holder = Number.parseInt(readText(lockPath), 10);
      if (Number.isInteger(holder) && holder !== process.pid && processIsAlive(holder)) {
        throw new StateDirError(`state directory ${root} is in use by another server (pid ${holder}); stop it first, or use another directory`);
      }
      // Left by a server that died: it is ours now.
      rmSync(lockPath, { force: true });
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return;
  }
  throw new StateDirError(`state directory ${root}: another server took its lock at the same moment`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
