import { readFileSync } from 'node:fs';

/**
 * A process named by pid and by when it started, so that a pid recorded by
 * a server that died is not mistaken for an unrelated process that reused
 * the number since. The start time is the kernel's (Linux: field 22 of
 * /proc/PID/stat, in clock ticks since boot); where /proc is not there it is
 * null, and such a record is never acted on.
 */
export interface ProcessIdentity {
  pid: number;
  startTime: string | null;
}

export function identifyProcess(pid: number): ProcessIdentity {
  return { pid, startTime: startTimeOf(pid) };
}

/** True when the recorded process still runs: same pid, same start time. */
export function isSameProcess(identity: ProcessIdentity): boolean {
  if (identity.startTime === null) return false;
  return startTimeOf(identity.pid) === identity.startTime;
}

/** True while the process runs: a zombie (killed, not yet reaped by whoever adopted it) is dead for this purpose. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, and belongs to someone else.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const fields = statFields(pid);
  return fields === null || !isDead(fields);
}

function startTimeOf(pid: number): string | null {
  const fields = statFields(pid);
  if (fields === null || isDead(fields)) return null;
  return fields[19] ?? null;
}

/** /proc/PID/stat from field 3 (the state) on, or null where there is none. */
function statFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')': count from the last one.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

const isDead = (fields: readonly string[]): boolean => fields[0] === 'Z' || fields[0] === 'X';
