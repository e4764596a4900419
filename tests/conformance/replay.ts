/**
 * Replays a conformance case (tests/conformance/README.md) against a server
 * at an address: it opens the case's streams, sends its requests and checks
 * every reply and end it expects. The server must already run the case's
 * tasks; the replayer knows nothing of how it was started.
 */
import { create, fromJson, toBinary, type JsonObject } from '@bufbuild/protobuf';
import { BlockStatus, ReleaseSchema, WorkRequestSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import type { ConformanceCase, Step } from './case-format.js';
import { subsetMismatch } from './json-subset.js';
import { TaskStatesClient } from './task-states.js';
import { WorkStream, type StreamEvent } from './work-stream.js';

/** How long an `expect`, `expectEnd` or `expectStates` waits when the step sets no `within`. */
export const DEFAULT_WITHIN_MS = 3000;
/** How often `expectStates` asks again while the states do not match yet. */
const STATES_POLL_MS = 20;

export class ReplayError extends Error {
  override name = 'ReplayError';
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The one field a WorkResponse JSON object sets (`blocks`, `wait`, ...), if any. */
function replyKind(json: JsonObject): string | undefined {
  return Object.keys(json)[0];
}

function describe(event: StreamEvent): string {
  return event.kind === 'end' ? `the end of the stream (${event.code}: ${event.details})` : JSON.stringify(event.json);
}

/** A message as large as a case wants (to test the size limit): a Release of block 0, status FAILED, whose traceback is `length` letters x. */
function bigRelease(length: number): Buffer {
  const request = create(WorkRequestSchema, {
    message: { case: 'release', value: create(ReleaseSchema, { blockId: 0n, status: BlockStatus.FAILED, traceback: 'x'.repeat(length) }) },
  });
  return Buffer.from(toBinary(WorkRequestSchema, request));
}

class Replay {
  private readonly streams = new Map<string, WorkStream>();
  private readonly states: TaskStatesClient;

  constructor(
    private readonly testCase: ConformanceCase,
    private readonly address: string,
  ) {
    this.states = new TaskStatesClient(address);
  }

  /** A stream is opened by the first step that names it. */
  private stream(name: string): WorkStream {
    let stream = this.streams.get(name);
    if (stream === undefined) this.streams.set(name, (stream = new WorkStream(this.address)));
    return stream;
  }

  /** Wait and Welcome go unasserted unless the case is strict or the step asks for that kind. */
  private skippable(event: StreamEvent, wanted: string | undefined): boolean {
    if (this.testCase.strict || event.kind !== 'reply') return false;
    const kind = replyKind(event.json);
    return (kind === 'wait' || kind === 'welcome') && kind !== wanted;
  }

  async run(): Promise<void> {
    try {
      for (const [i, step] of this.testCase.steps.entries()) {
        try {
          await this.step(step);
        } catch (error) {
          const why = error instanceof Error ? error.message : String(error);
          throw new ReplayError(`${this.testCase.file}: case "${this.testCase.name}", steps[${i}] (${step.kind}${'stream' in step ? ` on ${step.stream}` : ''}): ${why}`);
        }
      }
    } finally {
      for (const stream of this.streams.values()) stream.close();
      this.states.close();
    }
  }

  private async step(step: Step): Promise<void> {
    switch (step.kind) {
      case 'send':
        this.stream(step.stream).write(Buffer.from(toBinary(WorkRequestSchema, fromJson(WorkRequestSchema, step.request))));
        return;
      case 'sendRaw':
        this.stream(step.stream).write(step.bytes);
        return;
      case 'sendBigRelease':
        this.stream(step.stream).write(bigRelease(step.tracebackLength));
        return;
      case 'halfClose':
        this.stream(step.stream).halfClose();
        return;
      case 'cancel':
        this.stream(step.stream).cancel();
        return;
      case 'sleep':
        await sleep(step.ms);
        return;
      case 'expect':
        return this.expect(this.stream(step.stream), step.response, step.within ?? DEFAULT_WITHIN_MS);
      case 'expectEnd':
        return this.expectEnd(this.stream(step.stream), step.code, step.detailsContain, step.within ?? DEFAULT_WITHIN_MS);
      case 'expectNothingFor':
        return this.expectNothing(this.stream(step.stream), step.ms);
      case 'expectStates':
        return this.expectStates(step.states, step.within ?? DEFAULT_WITHIN_MS);
    }
  }

  private async expect(stream: WorkStream, expected: JsonObject, within: number): Promise<void> {
    const deadline = Date.now() + within;
    for (;;) {
      const event = await stream.next(deadline - Date.now());
      if (event === null) throw new ReplayError(`no reply within ${within} ms, expected ${JSON.stringify(expected)}`);
      if (this.skippable(event, replyKind(expected))) continue;
      if (event.kind === 'end') throw new ReplayError(`expected ${JSON.stringify(expected)}, got ${describe(event)}`);
      const mismatch = subsetMismatch(expected, event.json);
      if (mismatch !== null) throw new ReplayError(`${mismatch}; the reply was ${JSON.stringify(event.json)}`);
      return;
    }
  }

  private async expectEnd(stream: WorkStream, code: string | null, detailsContain: string | null, within: number): Promise<void> {
    const deadline = Date.now() + within;
    for (;;) {
      const event = await stream.next(deadline - Date.now());
      if (event === null) throw new ReplayError(`the stream did not end within ${within} ms`);
      if (this.skippable(event, undefined)) continue;
      if (event.kind === 'reply') throw new ReplayError(`expected the stream to end, got ${describe(event)}`);
      if (code === null ? event.code === 'OK' : event.code !== code) {
        throw new ReplayError(`expected the stream to end with ${code ?? 'an error'}, it ended with ${event.code}: ${event.details}`);
      }
      if (detailsContain !== null && !event.details.includes(detailsContain)) {
        throw new ReplayError(`the stream ended with details ${JSON.stringify(event.details)}, which lack ${JSON.stringify(detailsContain)}`);
      }
      return;
    }
  }

  private async expectNothing(stream: WorkStream, ms: number): Promise<void> {
    await sleep(ms);
    const unexpected = stream.drain().filter((e) => !this.skippable(e, undefined));
    if (unexpected.length > 0) throw new ReplayError(`expected nothing for ${ms} ms, got ${unexpected.map(describe).join(', ')}`);
  }

  /** Polls: the requests a state depends on may travel on other streams than GetTaskStates. */
  private async expectStates(expected: Record<string, JsonObject>, within: number): Promise<void> {
    const deadline = Date.now() + within;
    for (;;) {
      const states = await this.states.fetch(Object.keys(expected));
      let mismatch: string | null = null;
      for (const [taskId, state] of Object.entries(expected)) {
        mismatch = subsetMismatch(state, states.get(taskId), taskId);
        if (mismatch !== null) break;
      }
      if (mismatch === null) return;
      if (Date.now() >= deadline) throw new ReplayError(`task states did not match within ${within} ms: ${mismatch}; the states were ${JSON.stringify(Object.fromEntries(states))}`);
      await sleep(STATES_POLL_MS);
    }
  }
}

/** Runs every step of `testCase` against the server at `address`; throws ReplayError at the first step that fails. */
export async function replayCase(testCase: ConformanceCase, address: string): Promise<void> {
  await new Replay(testCase, address).run();
}
