export { type AttrValue, type Attributes, type AttrFilter, type NodeId } from './attributes.js';
export { Graph, type GraphOptions, type Edge } from './graph.js';
export { type PositionAttribute } from './position.js';
export {
  GraphMetaMismatchError,
  GraphWriteError,
  PROVIDER_MODES,
  type EdgeDoc,
  type GetGraphOptions,
  type GraphProvider,
  type NodeDoc,
  type ProviderMode,
  type ProviderOptions,
  type ReadEdgesOptions,
  type ReadNodesOptions,
  type UpdateOptions,
  type WriteGraphOptions,
  type WriteOptions,
} from './provider.js';
export { MongoDbGraphProvider, type MongoDbGraphProviderOptions, type ManyIdQueries } from './mongodb/mongodb-graph-provider.js';
export { SqliteGraphProvider, type SqliteGraphProviderOptions } from './sqlite/sqlite-graph-provider.js';
export { type AttrType, type AttrTypes, type ScalarType } from './sqlite/schema.js';
