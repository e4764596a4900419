import { create } from '@bufbuild/protobuf';
import { Client as GrpcClient, credentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  SchedulerService as SchedulerServiceDescriptor,
  WorkRequestSchema,
  type WorkRequest,
  type WorkResponse,
} from '../../src/gen/daisychain/v1/scheduler_pb.js';
import { grpcServiceDefinition } from '../../src/wire/service-definition.js';

type ResponseCase = NonNullable<WorkResponse['message']['case']>;
type ResponseValue<K extends ResponseCase> = Extract<WorkResponse['message'], { case: K }> extends { value: infer V } ? V : never;

const work = grpcServiceDefinition(SchedulerServiceDescriptor)['work']!;

/**
 * A work stream driven message by message, to test the protocol itself
 * (including requests a well-behaved Client never sends).
 */
export class RawStream {
  readonly grpc: GrpcClient;
  readonly call: ClientDuplexStream<WorkRequest, WorkResponse>;
  private readonly received: WorkResponse[] = [];
  private readonly waiting: ((r: WorkResponse | null) => void)[] = [];
  error: ServiceError | null = null;
  ended = false;
  /** The server's Welcome, kept aside so that tests read the replies to their requests in order. */
  welcome: ResponseValue<'welcome'> | null = null;

  constructor(address: string, serialize: (message: WorkRequest) => Buffer = work.requestSerialize) {
    this.grpc = new GrpcClient(address, credentials.createInsecure());
    this.call = this.grpc.makeBidiStreamRequest(work.path, serialize, work.responseDeserialize) as ClientDuplexStream<WorkRequest, WorkResponse>;
    this.call.on('data', (r: WorkResponse) => {
      if (r.message.case === 'welcome') {
        this.welcome = r.message.value;
        return;
      }
      const waiter = this.waiting.shift();
      if (waiter !== undefined) waiter(r);
      else this.received.push(r);
    });
    const finish = (): void => {
      this.ended = true;
      for (const w of this.waiting.splice(0)) w(null);
    };
    this.call.on('error', (e: ServiceError) => {
      this.error = e;
      finish();
    });
    this.call.on('end', finish);
  }

  send(message: WorkRequest['message']): void {
    this.call.write(create(WorkRequestSchema, { message }));
  }

  /** The next response, or null when the stream ended; fails after `ms`. */
  next(ms = 5000): Promise<WorkResponse | null> {
    const r = this.received.shift();
    if (r !== undefined) return Promise.resolve(r);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no response within ${ms} ms`)), ms);
      this.waiting.push((value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
  }

  /** The next response of the given kind, skipping `wait`s. */
  async nextOf<K extends ResponseCase>(kind: K, ms = 5000): Promise<ResponseValue<K>> {
    for (;;) {
      const r = await this.next(ms);
      if (r === null) throw new Error(`stream ended (${this.error?.details ?? 'no error'}) while waiting for ${kind}`);
      if (r.message.case === 'wait' && kind !== 'wait') continue;
      if (r.message.case !== kind) throw new Error(`expected ${kind}, got ${r.message.case}: ${JSON.stringify(r.message.value, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`);
      const value: unknown = r.message.value;
      return value as ResponseValue<K>;
    }
  }

  close(): void {
    this.call.end();
    this.grpc.close();
  }
}
