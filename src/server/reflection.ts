import type { Server } from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { servedFiles } from '../wire/descriptors.js';

/** The @grpc/proto-loader package definition that @grpc/reflection describes. */
type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/** The descriptors never change: one index per set of served services serves every server of the process. */
const reflections = new Map<string, ReflectionService>();

/** The standard services every server offers beside its own. */
const STANDARD_SERVICES = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

/**
 * Adds the standard server reflection service (`grpc.reflection.v1` and
 * `v1alpha`, from @grpc/reflection) to `server`, describing every served
 * service (`served`: daisychain.v1.SchedulerService, and PipelineService on
 * a server of pipelines), grpc.health.v1.Health and reflection itself, with every message they use, so that grpcurl and its
 * kind call them with no .proto file at hand.
 */
export function addReflection(server: Server, served: readonly string[]): void {
  const services = [...served, ...STANDARD_SERVICES];
  const key = services.join(' ');
  let reflection = reflections.get(key);
  // Only the services this server serves are listed (a SchedulerService alone does not offer PipelineService).
  if (reflection === undefined) reflections.set(key, (reflection = new ReflectionService(packageDefinition(), { services })));
  reflection.addToServer(server);
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
