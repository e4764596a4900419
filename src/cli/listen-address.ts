/** The `--listen HOST:PORT` value of `daisychain run` and `daisychain serve`, and the `--server HOST:PORT` of the operator commands. */

export interface ListenAddress {
  host: string;
  port: number;
}

/** A `--listen` value that is not a usable address; the message says why. */
export class ListenAddressError extends Error {
  override name = 'ListenAddressError';
}

const WILDCARD_V6 = '::';

/** True for an address only this machine reaches: there, a server may run without TLS or tokens. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Parses `HOST:PORT`, or `[IPv6]:PORT`, into the host the server binds and its port. */
export function parseListenAddress(value: string): ListenAddress {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]+)):(\d+)$/.exec(value);
  if (match === null) {
    const hint = !value.startsWith('[') && value.split(':').length > 2 ? ' (an IPv6 address goes in brackets, as in [::]:50051)' : '';
    throw new ListenAddressError(`--listen must be HOST:PORT, got ${JSON.stringify(value)}${hint}`);
  }
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (host === '') throw new ListenAddressError(`--listen needs a host before the port, got ${JSON.stringify(value)}`);
  if (port > 65535) throw new ListenAddressError(`--listen port must be at most 65535, got ${match[3]}`);
  // Workers find the server through DAISY_CONTEXT, whose entries are separated by ':':
  // an IPv6 address cannot be written there. Listening on every interface is fine,
  // since workers then dial a host name or 127.0.0.1.
  if (host.includes(':') && host !== WILDCARD_V6) {
    throw new ListenAddressError(`--listen ${value}: workers cannot be told an IPv6 address (DAISY_CONTEXT separates its entries with ':'); listen on [::]:${port} or use a host name`);
  }
  return { host, port };
}

/**
 * The `--server HOST:PORT` of the operator commands: where a daisychain
 * server listens, as a gRPC target (`[::1]:50051` for IPv6). Returned as
 * given once checked.
 */
export function parseServerAddress(value: string): string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(value);
  if (match === null) {
    const hint = !value.startsWith('[') && value.split(':').length > 2 ? ' (an IPv6 address goes in brackets, as in [::1]:50051)' : '';
    throw new ListenAddressError(`--server must be HOST:PORT, got ${JSON.stringify(value)}${hint}`);
  }
  const port = Number(match[3]);
  if (port < 1 || port > 65535) throw new ListenAddressError(`--server port must be from 1 to 65535, got ${match[3]}`);
  return value;
}
