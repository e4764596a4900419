/**
 * The protocol's limits and connection settings, in one place for the
 * server and every TypeScript client; scheduler.proto states the same
 * numbers for clients in other languages.
 */

/** The most blocks one Acquire may ask for, and the most a stream may be owed. */
export const MAX_ACQUIRE = 1024;

/** Largest message either side accepts; a release with a long traceback fits easily. */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * The server pings a silent connection every 30 s and drops it when no
 * answer comes within 20 s, so that a worker cut off by the network loses
 * its blocks within a minute; clients may ping as often as every 10 s.
 */
export const SERVER_CHANNEL_OPTIONS = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 20_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
} as const;

/** Workers ping the server on the same schedule, so they notice a dead server as fast. */
export const CLIENT_CHANNEL_OPTIONS = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 20_000,
} as const;

/** `host:port` as gRPC targets want it: an IPv6 address in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
