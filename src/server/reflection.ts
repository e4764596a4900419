import {
  status as grpcStatus,
  type handleBidiStreamingCall,
  type MethodDefinition,
  type Server,
  type ServerDuplexStream,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { ReflectionService } from '@grpc/reflection';
import { servedFiles } from '../wire/descriptors.js';

/** The @grpc/proto-loader package definition that @grpc/reflection describes. */
type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/**
 * @grpc/reflection, once imported. Importing it loads reflection's .proto
 * files with protobufjs (about 30 ms, before a run's server could listen), so
 * that happens on the first reflection call.
 */
let reflectionPackage: typeof import('@grpc/reflection') | undefined;
let reflectionPackageLoading: Promise<unknown> | undefined;
function loadReflectionPackage(): Promise<unknown> {
  reflectionPackageLoading ??= import('@grpc/reflection').then((loaded) => (reflectionPackage = loaded));
  return reflectionPackageLoading;
}

/** A request that came before @grpc/reflection was there to decode it. */
class UndecodedRequest {
  constructor(readonly bytes: Buffer) {}
}

/** The descriptors never change: one index per set of served services serves every server of the process. */
const reflections = new Map<string, Map<string, ReflectionMethod>>();

/** Reflection's one method, ServerReflectionInfo, is a bidirectional stream. */
type ReflectionHandler = handleBidiStreamingCall<unknown, unknown>;
interface ReflectionMethod {
  method: MethodDefinition<unknown, unknown>;
  handler: ReflectionHandler;
}

const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];
/** The standard services every server offers beside its own. */
const STANDARD_SERVICES = ['grpc.health.v1.Health', ...REFLECTION_SERVICES];

/**
 * Adds the standard server reflection service (`grpc.reflection.v1` and
 * `v1alpha`, from @grpc/reflection) to `server`, describing every served
 * service (`served`: daisychain.v1.SchedulerService, and PipelineService on
 * a server of pipelines), grpc.health.v1.Health and reflection itself, with every message they use, so that grpcurl and its
 * kind call them with no .proto file at hand.
 */
export function addReflection(server: Server, served: readonly string[]): void {
  const services = [...served, ...STANDARD_SERVICES];
  // Indexing the descriptors and loading reflection's own .proto files (protobufjs, for v1 and v1alpha)
  // cost about 200 ms, a third of a server's start: paid on the first reflection call, not by every run.
  let loaded: Map<string, ReflectionMethod> | undefined;
  // Only once the package is imported.
  const load = (path: string): ReflectionMethod => {
    loaded ??= reflectionMethods(services);
    return loaded.get(path)!;
  };
  for (const service of REFLECTION_SERVICES) {
    const path = `/${service}/ServerReflectionInfo`;
    const method: MethodDefinition<unknown, unknown> = {
      path,
      requestStream: true,
      responseStream: true,
      requestSerialize: (value) => load(path).method.requestSerialize(value),
      requestDeserialize: (bytes) => (reflectionPackage === undefined ? new UndecodedRequest(bytes) : load(path).method.requestDeserialize(bytes)),
      responseSerialize: (value) => load(path).method.responseSerialize(value),
      responseDeserialize: (bytes) => load(path).method.responseDeserialize(bytes),
    };
    const handler: ReflectionHandler = (call) => {
      loadReflectionPackage().then(
        () => {
          const decode = (message: unknown): unknown => (message instanceof UndecodedRequest ? load(path).method.requestDeserialize(message.bytes) : message);
          load(path).handler(decodingRequests(call, decode));
        },
        (error: unknown) => {
          const details = `server reflection could not load: ${error instanceof Error ? error.message : String(error)}`;
          call.emit('error', Object.assign(new Error(details), { code: grpcStatus.INTERNAL, details }));
        },
      );
    };
    server.addService({ ServerReflectionInfo: method }, { ServerReflectionInfo: handler });
  }
}

/**
 * `call` as @grpc/reflection's handler uses it (on 'data' and 'end', write,
 * end), with each request decoded by `decode` as it is read: requests that
 * came while the package loaded are still bytes.
 */
function decodingRequests(call: ServerDuplexStream<unknown, unknown>, decode: (message: unknown) => unknown): ServerDuplexStream<unknown, unknown> {
  const adapter = {
    on(event: string, listener: (...args: unknown[]) => void) {
      if (event === 'data') call.on('data', (message: unknown) => listener(decode(message)));
      else call.on(event, listener);
      return adapter;
    },
    write: (message: unknown) => call.write(message),
    end: () => call.end(),
  };
  // The handler touches nothing else of the call (reflection-v1.js and reflection-v1alpha.js of @grpc/reflection 1.x).
  return adapter as unknown as ServerDuplexStream<unknown, unknown>;
}

/** @grpc/reflection's methods for `services`, by path, as its `addToServer` would add them. */
function reflectionMethods(services: string[]): Map<string, ReflectionMethod> {
  const key = services.join(' ');
  const known = reflections.get(key);
  if (known !== undefined) return known;
  // Only the services this server serves are listed (a SchedulerService alone does not offer PipelineService).
  const reflection = new reflectionPackage!.ReflectionService(packageDefinition(), { services });
  const methods = new Map<string, ReflectionMethod>();
  const recorder = {
    addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation): void {
      for (const [name, method] of Object.entries(definition)) methods.set(method.path, { method, handler: implementation[name] as ReflectionHandler });
    },
  };
  reflection.addToServer(recorder as unknown as Server);
  reflections.set(key, methods);
  return methods;
}

/**
 * @grpc/reflection reads a proto-loader package definition, of which it uses
 * only `fileDescriptorProtos`: the serialized files behind each entry. The
 * entries are built here from the descriptors buf compiled (wire/descriptors.ts)
 * rather than with proto-loader's loadFileDescriptorSetFromBuffer, which
 * round-trips them through protobufjs and comes back with the files of a
 * package merged into one, relative type names and no json names. Each
 * top-level message gets an entry, in the shape proto-loader gives it, and
 * every entry carries all the files, as proto-loader's do.
 */
function packageDefinition(): PackageDefinition {
  const files = servedFiles();
  const fileDescriptorProtos = files.map(({ bytes }) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const definition: PackageDefinition = {};
  for (const file of files) {
    for (const message of file.messages) {
      definition[message.typeName] = { format: 'Protocol Buffer 3 DescriptorProto', type: message.proto, fileDescriptorProtos };
    }
  }
  return definition;
}
