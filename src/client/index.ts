/**
 * What a worker script needs, `import { Client } from 'daisychain/client'`:
 * the client, its context helpers, blocks and geometry. It loads grpc-js and
 * the protobuf runtime but not the scheduler, arrays or spatial graphs (nor
 * their mongodb, zarrita, h5wasm, graphology, sqlite), so that every worker
 * process starts fast; tests/client/worker-imports.test.ts holds it to that.
 */
export { Client, type ClientOptions, type Rejection } from './client.js';
export { ClientError, HelloRefusedError, ServerLostError, workerExitCode } from './errors.js';
export {
  DEFAULT_RECONNECT_GRACE_SECONDS,
  HELLO_REFUSED_EXIT_CODE,
  RECONNECT_GRACE_ENTRY,
  RECONNECT_GRACE_VARIABLE,
  SERVER_LOST_EXIT_CODE,
} from './reconnect.js';
export {
  CONTEXT_VARIABLE,
  ContextError,
  contextFromEnv,
  formatContext,
  parseContext,
  type WorkerContext,
} from './context.js';
export { type ClientSecurity, type ClientTls, readClientTls } from './credentials.js';
export { Block, BlockStatus } from '../model/block.js';
export { MAX_ACQUIRE, MAX_MESSAGE_BYTES } from '../wire/limits.js';
export * from '../geometry/index.js';
