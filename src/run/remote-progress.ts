import { EventEmitter } from 'node:events';
import type { PipelineClient } from '../client/pipeline-client.js';
import type { FailureRecord } from '../model/failure-record.js';
import type { PipelineEvent, TaskCounters, TaskStateSnapshot } from '../model/pipeline-view.js';
import { assertProgressMode, createProgress, type ProgressMode, type ProgressSource } from './progress.js';
import { printSummary, type RunSummary } from './summary.js';
import { countsOf } from './task-counts.js';

/** A pipeline on another server as a progress display sees it: the states of its last watched event. */
class WatchedPipeline extends EventEmitter<{ change: []; failure: [FailureRecord] }> implements ProgressSource {
  private current = new Map<string, TaskCounters>();
  /** Blocks failed for good, as the watch reported them (those before the watch began are not known). */
  readonly failedForGood: FailureRecord[] = [];

  constructor(first: PipelineEvent) {
    super();
    this.take(first);
  }

  get taskIds(): readonly string[] {
    return [...this.current.keys()];
  }

  states(): ReadonlyMap<string, TaskCounters> {
    return this.current;
  }

  take(event: PipelineEvent): void {
    this.current = new Map(event.states.map((s: TaskStateSnapshot) => [s.taskId, s]));
    if (event.failure !== null) {
      if (event.failure.permanent) this.failedForGood.push(event.failure);
      this.emit('failure', event.failure);
    }
    this.emit('change');
  }
}

export interface WatchProgressOptions {
  progress: ProgressMode;
  out: { write(text: string): unknown; isTTY?: boolean };
  /** Aborting it stops watching (the pipeline goes on). */
  signal?: AbortSignal;
}

/**
 * Shows a remote pipeline's progress with the display of `run` until it
 * ends (or the watch is stopped), then its summary; returns its last event.
 */
export async function showRemoteProgress(control: PipelineClient, pipelineId: string, options: WatchProgressOptions): Promise<PipelineEvent> {
  assertProgressMode(options.progress);
  const started = Date.now();
  const events = control.watch(pipelineId);
  const first = await events.next();
  if (first.done === true) throw new Error(`the server sent nothing for pipeline ${pipelineId}`);
  let last = first.value;
  const watched = new WatchedPipeline(last);
  const progress = createProgress(options.progress, watched, options.out);
  const stop = (): void => void events.return();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const event of { [Symbol.asyncIterator]: () => events }) {
      last = event;
      watched.take(event);
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    progress.close();
  }
  printSummary(remoteSummary(watched, last, (Date.now() - started) / 1000), options.progress === 'auto' ? 'lines' : options.progress, options.out);
  return last;
}

function remoteSummary(watched: WatchedPipeline, last: PipelineEvent, seconds: number): RunSummary {
  return {
    succeeded: last.finished && last.status === 'succeeded',
    // Not finished: the watch was stopped, or the server went away.
    interrupted: !last.finished,
    seconds,
    tasks: last.states.map((s) => ({ ...countsOf(s.taskId, s), abandoned: s.abandoned })),
    failedBlocks: watched.failedForGood,
  };
}
