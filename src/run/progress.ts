import type { FailureRecord } from '../model/failure-record.js';
import type { TaskCounters } from '../model/pipeline-view.js';
import type { WorkerEvent } from '../workers/worker-process-pool.js';
import { countsOf, settledCount as settled } from './task-counts.js';
import { jsonForTerminal, escapeForTerminal as safe } from './terminal-text.js';

/**
 * How runBlockwise shows progress: `bars` redraws one bar per task (for a
 * terminal), `lines` prints a line per task every 10 % and per event (logs,
 * CI), `json` prints one JSON object per line (for machines), `none` is
 * silent; `auto` picks bars on a terminal and lines otherwise.
 */
export type ProgressMode = 'auto' | 'bars' | 'lines' | 'json' | 'none';
export const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'bars', 'lines', 'json', 'none'];

export function assertProgressMode(mode: string): asserts mode is ProgressMode {
  if (!(PROGRESS_MODES as readonly string[]).includes(mode)) {
    throw new TypeError(`progress must be one of ${PROGRESS_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
}

/**
 * What a progress display reads: a pipeline's SchedulerService in this
 * process, or a remote pipeline's watch (remote-progress.ts). `change` after
 * any change (coalesced by the display), `failure` for each failed attempt.
 */
export interface ProgressSource {
  readonly taskIds: readonly string[];
  states(): ReadonlyMap<string, TaskCounters>;
  on(event: 'change', listener: () => void): unknown;
  on(event: 'failure', listener: (failure: FailureRecord) => void): unknown;
  off(event: 'change', listener: () => void): unknown;
  off(event: 'failure', listener: (failure: FailureRecord) => void): unknown;
}

export interface ProgressReporter {
  workerEvent(event: WorkerEvent): void;
  /** Final redraw; called once before the summary. */
  close(): void;
}

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function createProgress(mode: ProgressMode, service: ProgressSource, out: Output): ProgressReporter {
  const resolved = mode === 'auto' ? (out.isTTY === true ? 'bars' : 'lines') : mode;
  switch (resolved) {
    case 'bars':
      return new BarProgress(service, out);
    case 'lines':
      return new LineProgress(service, out);
    case 'json':
      return new JsonProgress(service, out);
    default:
      return { workerEvent: () => {}, close: () => {} };
  }
}

/** A failed attempt as bars and lines print it; the error and worker id come from the worker, so they are escaped. */
function failureLine(f: FailureRecord): string {
  return `${f.permanent ? 'failed' : 'retrying'} ${safe(f.taskId)}/${f.blockId} (attempt ${f.attempt + 1}, worker ${safe(f.workerId)}): ${safe(f.error)}`;
}

/** A worker event as bars and lines print it; its detail may hold a spawn error or the command line. */
function workerEventLine(event: WorkerEvent): string {
  return `worker ${safe(event.workerId)} of ${safe(event.taskId)} ${event.kind}: ${safe(event.detail)}`;
}

class BarProgress implements ProgressReporter {
  private readonly timer: NodeJS.Timeout;
  private drawnLines = 0;
  private readonly started = Date.now();

  constructor(
    private readonly service: ProgressSource,
    private readonly out: Output,
  ) {
    this.timer = setInterval(() => this.draw(), 200);
    service.on('failure', this.onFailure);
    this.draw();
  }

  private readonly onFailure = (f: FailureRecord): void => {
    this.print(failureLine(f));
  };

  workerEvent(event: WorkerEvent): void {
    const routine = event.kind === 'started' || (event.kind === 'exited' && event.detail === 'exited with status 0');
    if (!routine) this.print(workerEventLine(event));
  }

  /** Prints a message above the bars. */
  private print(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.draw();
  }

  private clear(): void {
    if (this.drawnLines > 0) this.out.write(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    this.clear();
    const seconds = (Date.now() - this.started) / 1000;
    const lines: string[] = [];
    // Task ids are validated to plain names; escaping them too keeps every printed string on one rule.
    const width = Math.max(...this.service.taskIds.map((t) => safe(t).length));
    for (const [taskId, s] of this.service.states()) {
      const done = settled(s);
      const fraction = s.totalBlockCount === 0 ? 1 : done / s.totalBlockCount;
      const bar = '█'.repeat(Math.round(fraction * 30)).padEnd(30, '░');
      const rate = seconds > 0 ? ` ${(s.completedCount / seconds).toFixed(0)} blocks/s` : '';
      const marks = `✔ ${s.completedCount}${s.skippedCount > 0 ? ` (${s.skippedCount} skipped)` : ''}  ✘ ${s.failedCount}  ⊘ ${s.orphanedCount}  ▶ ${s.processingCount}`;
      lines.push(`${safe(taskId).padEnd(width)} ${bar} ${(fraction * 100).toFixed(0).padStart(3)}% ${done}/${s.totalBlockCount}  ${marks}${rate}`);
    }
    this.out.write(`${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  close(): void {
    clearInterval(this.timer);
    this.service.off('failure', this.onFailure);
    this.draw();
  }
}

class LineProgress implements ProgressReporter {
  private readonly shown = new Map<string, number>();

  constructor(
    private readonly service: ProgressSource,
    private readonly out: Output,
  ) {
    service.on('change', this.onChange);
    service.on('failure', this.onFailure);
    this.onChange();
  }

  private readonly onChange = (): void => {
    for (const [taskId, s] of this.service.states()) {
      const done = settled(s);
      const step = s.totalBlockCount === 0 ? 100 : Math.floor((10 * done) / s.totalBlockCount) * 10;
      if (step <= (this.shown.get(taskId) ?? -1)) continue;
      this.shown.set(taskId, step);
      const c = countsOf(taskId, s);
      this.out.write(
        `${safe(taskId)}: ${step}% (${done}/${s.totalBlockCount} blocks: ${c.completed} completed, ${c.skipped} skipped, ${c.failed} failed, ${c.orphaned} orphaned)\n`,
      );
    }
  };

  private readonly onFailure = (f: FailureRecord): void => {
    this.out.write(`${failureLine(f)}\n`);
  };

  workerEvent(event: WorkerEvent): void {
    this.out.write(`${workerEventLine(event)}\n`);
  }

  close(): void {
    this.service.off('change', this.onChange);
    this.service.off('failure', this.onFailure);
  }
}

class JsonProgress implements ProgressReporter {
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly service: ProgressSource,
    private readonly out: Output,
  ) {
    service.on('change', this.onChange);
    service.on('failure', this.onFailure);
    this.emitStates();
  }

  private emit(record: Record<string, unknown>): void {
    this.out.write(`${jsonForTerminal(JSON.stringify({ time: new Date().toISOString(), ...record }))}\n`);
  }

  private emitStates(): void {
    for (const [taskId, s] of this.service.states()) this.emit({ event: 'progress', ...countsOf(taskId, s) });
  }

  private readonly onChange = (): void => {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.emitStates();
    }, 250);
  };

  private readonly onFailure = (f: FailureRecord): void => this.emit({ event: 'failure', ...f });

  workerEvent(event: WorkerEvent): void {
    this.emit({ event: 'worker', ...event });
  }

  close(): void {
    if (this.pending !== undefined) clearTimeout(this.pending);
    this.service.off('change', this.onChange);
    this.service.off('failure', this.onFailure);
    this.emitStates();
  }
}
