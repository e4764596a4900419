import { readFileSync } from 'node:fs';
import { type ChannelCredentials, credentials, Metadata } from '@grpc/grpc-js';
import { ContextError, type WorkerContext } from './context.js';

/** What a client needs to reach a server that uses TLS (PEM): the CA to trust, and its own certificate and key under mTLS. */
export interface ClientTls {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** How a client reaches a protected server: TLS, and the bearer token its calls carry. */
export interface ClientSecurity {
  tls?: ClientTls | null;
  /** Sent as `authorization: Bearer <token>` on every call. A secret: never logged. */
  token?: string | null;
}

/** TLS channel credentials when `tls` is given, plaintext otherwise. */
export function channelCredentials(tls: ClientTls | null | undefined): ChannelCredentials {
  if (tls === null || tls === undefined) return credentials.createInsecure();
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new ContextError('a client certificate needs its key, and a key its certificate');
  return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
}

/**
 * The token as per-call metadata. Per call rather than as call credentials:
 * grpc-js refuses call credentials on a plaintext channel, and a token over
 * plaintext loopback is a supported set-up; one way for both keeps clients
 * in every language alike (proto/daisychain/v1/README.md).
 */
export function tokenMetadata(token: string | null | undefined): Metadata {
  const metadata = new Metadata();
  if (token !== null && token !== undefined && token !== '') metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ContextError(`cannot read the ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** PEM files by path, as the CLI flags and DAISY_CONTEXT name them; null without a CA. */
export function readClientTls(ca: string | undefined, cert: string | undefined, key: string | undefined): ClientTls | null {
  if (ca === undefined) {
    if (cert !== undefined || key !== undefined) throw new ContextError('a client certificate needs the CA of the server too (tls_ca, --tls-ca)');
    return null;
  }
  return {
    ca: readPem(ca, 'TLS CA file'),
    ...(cert === undefined ? {} : { cert: readPem(cert, 'TLS client certificate') }),
    ...(key === undefined ? {} : { key: readPem(key, 'TLS client key') }),
  };
}

/** A worker's security from its DAISY_CONTEXT: `tls_ca`, `tls_cert`, `tls_key` (paths) and `worker_token`. */
export function securityFromContext(context: WorkerContext): ClientSecurity {
  return { tls: readClientTls(context['tls_ca'], context['tls_cert'], context['tls_key']), token: context['worker_token'] ?? null };
}
