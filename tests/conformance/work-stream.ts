import { fromBinary, toJson, type JsonObject } from '@bufbuild/protobuf';
import { Client as GrpcClient, credentials, status as GrpcStatus, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import { WorkResponseSchema } from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { workMethod } from '../../src/wire/service-definition.js';

/** What a work stream delivered: a reply in canonical proto3 JSON, or its end with a gRPC status. */
export type StreamEvent = { kind: 'reply'; json: JsonObject } | { kind: 'end'; code: string; details: string };

/** The name of a gRPC status code, as case files spell it. */
export function statusName(code: number): string {
  return GrpcStatus[code] ?? `code ${code}`;
}

/**
 * One Work stream of a replay. It carries bytes, not messages, so that a
 * case can send bytes no WorkRequest encodes to; replies are kept in
 * arrival order, each as the JSON a case compares with.
 */
export class WorkStream {
  private readonly grpc: GrpcClient;
  private readonly call: ClientDuplexStream<Buffer, Buffer>;
  private readonly events: StreamEvent[] = [];
  private wake: (() => void) | null = null;

  constructor(address: string) {
    this.grpc = new GrpcClient(address, credentials.createInsecure());
    this.call = this.grpc.makeBidiStreamRequest(
      workMethod.path,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
    );
    this.call.on('data', (bytes: Buffer) => {
      const response = fromBinary(WorkResponseSchema, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      // Default values are emitted too, so that a case may expect `"attempt": 0`; unset optional fields stay absent.
      this.push({ kind: 'reply', json: toJson(WorkResponseSchema, response, { alwaysEmitImplicit: true }) as JsonObject });
    });
    // 'error' repeats what 'status' says; it needs a listener so that grpc-js does not throw it.
    this.call.on('error', () => {});
    // The status may be reported before the last replies are read out: the end is queued after them.
    this.call.on('status', (s: StatusObject) => setImmediate(() => this.push({ kind: 'end', code: statusName(s.code), details: s.details })));
  }

  private push(event: StreamEvent): void {
    this.events.push(event);
    this.wake?.();
  }

  write(bytes: Buffer): void {
    this.call.write(bytes);
  }

  halfClose(): void {
    this.call.end();
  }

  /** The next event, or null if none came within `ms`. */
  async next(ms: number): Promise<StreamEvent | null> {
    const deadline = Date.now() + ms;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    return this.events.shift()!;
  }

  /** Everything received and not read yet, which is then read. */
  drain(): StreamEvent[] {
    return this.events.splice(0);
  }

  /** Ends the call from this side, as a worker that vanished. */
  cancel(): void {
    this.call.cancel();
  }

  /** Ends the call if it still runs and frees the connection. */
  close(): void {
    this.call.cancel();
    this.grpc.close();
  }
}
