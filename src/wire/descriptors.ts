import { toBinary, type DescFile } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema, file_google_protobuf_timestamp, type DescriptorProto } from '@bufbuild/protobuf/wkt';
import { file_daisychain_v1_geometry } from '../gen/daisychain/v1/geometry_pb.js';
import { file_daisychain_v1_pipeline } from '../gen/daisychain/v1/pipeline_pb.js';
import { file_daisychain_v1_scheduler } from '../gen/daisychain/v1/scheduler_pb.js';
import { file_grpc_reflection_v1_reflection } from '../gen/grpc/reflection/v1/reflection_pb.js';
import { file_grpc_reflection_v1alpha_reflection } from '../gen/grpc/reflection/v1alpha/reflection_pb.js';
import { file_health_v1_health } from '../gen/health/v1/health_pb.js';

/**
 * Every .proto file whose services the server serves, dependencies before
 * the files that import them: daisychain.v1's, and those of the standard
 * health and reflection services (buf.gen.yaml generates code for those
 * from the .proto files in their npm packages, only for these descriptors).
 */
const SERVED_FILES: readonly DescFile[] = [
  file_daisychain_v1_geometry,
  file_daisychain_v1_scheduler,
  file_google_protobuf_timestamp,
  file_daisychain_v1_pipeline,
  file_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
];

export interface ServedFile {
  /** The file's path as buf compiled it, e.g. `daisychain/v1/scheduler.proto`. */
  readonly name: string;
  /** Its top-level messages, full name and descriptor. */
  readonly messages: readonly { readonly typeName: string; readonly proto: DescriptorProto }[];
  /** The serialized `google.protobuf.FileDescriptorProto`. */
  readonly bytes: Uint8Array;
}

/**
 * The served files' descriptors, as buf compiled them: the ones protoc-gen-es
 * embeds in src/gen (options, json names and proto3 `optional` kept; comments
 * dropped, which protoc-gen-es does not embed). Taken from the generated code
 * rather than from .proto files, so the server needs no .proto file at run
 * time and can never describe a protocol other than the one it speaks.
 *
 * Only the reflection service, loaded on a server's first start, imports
 * this module: the well-known types it needs cost about 20 ms to load,
 * which `import 'daisychain'` should not pay.
 */
export function servedFiles(): ServedFile[] {
  return SERVED_FILES.map((file) => ({
    name: file.proto.name,
    messages: file.messages.map((message) => ({ typeName: message.typeName, proto: message.proto })),
    bytes: toBinary(FileDescriptorProtoSchema, file.proto),
  }));
}
