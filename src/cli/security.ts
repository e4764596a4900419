/** The security flags of the CLI turned into what the server and the clients take: PEM files read, tokens read, the loopback rule applied. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ClientSecurity, readClientTls } from '../client/credentials.js';
import type { TokenPolicy } from '../server/authorization.js';
import type { ServerTls } from '../server/server.js';
import type { ClientSecurityFlags, ServerSecurityFlags } from './arguments.js';
import { isLoopback, type ListenAddress } from './listen-address.js';

export const OPERATOR_TOKEN_VARIABLE = 'DAISYCHAIN_OPERATOR_TOKEN';
export const WORKER_TOKEN_VARIABLE = 'DAISYCHAIN_WORKER_TOKEN';

/** A security file that cannot be read, or a server that would listen unprotected beyond loopback. */
export class SecurityError extends Error {
  override name = 'SecurityError';
}

function readFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new SecurityError(`cannot read the ${what} ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A token from its file (trailing whitespace dropped: files end in a newline) or the environment; the file wins. */
function readToken(file: string | undefined, variable: string, env: NodeJS.ProcessEnv): string | null {
  const text = file !== undefined ? readFile(file, 'token file').toString('utf8').trim() : env[variable]?.trim();
  if (text === undefined || text === '') {
    if (file !== undefined) throw new SecurityError(`the token file ${file} is empty`);
    return null;
  }
  return text;
}

export interface ServerSecuritySettings {
  tls: ServerTls | null;
  /** DAISY_CONTEXT entries of the workers the server starts (paths, absolute: workers run elsewhere in the tree). */
  workerContext: Record<string, string>;
  tokens: TokenPolicy & { workerToken?: string };
}

/**
 * What `run` and `serve` listen with. An operator token turns tokens on for
 * both scopes: every pipeline then gets a worker token. Listening beyond
 * loopback with neither TLS nor a token is refused unless --insecure.
 */
export function serverSecurity(flags: ServerSecurityFlags, listen: ListenAddress, env: NodeJS.ProcessEnv = process.env, warn: (text: string) => void = (t) => process.stderr.write(t)): ServerSecuritySettings {
  const operatorToken = readToken(flags.operatorTokenFile, OPERATOR_TOKEN_VARIABLE, env);
  const workerToken = readToken(flags.workerTokenFile, WORKER_TOKEN_VARIABLE, env);
  const tls =
    flags.tlsCert === undefined || flags.tlsKey === undefined
      ? null
      : {
          cert: readFile(flags.tlsCert, 'TLS certificate'),
          key: readFile(flags.tlsKey, 'TLS key'),
          clientCa: flags.tlsClientCa === undefined ? null : readFile(flags.tlsClientCa, 'TLS client CA'),
        };
  const tokensOn = operatorToken !== null || workerToken !== null;
  if (!isLoopback(listen.host) && tls === null && !tokensOn) {
    if (!flags.insecure) {
      throw new SecurityError(
        `refusing to listen on ${listen.host} without TLS or a token: give --tls-cert FILE --tls-key FILE [--tls-client-ca FILE] and/or --operator-token-file FILE (or ${OPERATOR_TOKEN_VARIABLE}), or --insecure to listen unprotected anyway`,
      );
    }
    warn(`daisychain: warning: listening on ${listen.host} without TLS or tokens (--insecure): anyone who reaches the port can submit, cancel and run work\n`);
  }
  const workerContext: Record<string, string> = {};
  if (tls !== null) workerContext['tls_ca'] = resolve(flags.tlsCa ?? flags.tlsCert!);
  if (flags.workerTlsCert !== undefined) workerContext['tls_cert'] = resolve(flags.workerTlsCert);
  if (flags.workerTlsKey !== undefined) workerContext['tls_key'] = resolve(flags.workerTlsKey);
  return {
    tls,
    workerContext,
    tokens: { operatorToken, workerTokens: tokensOn, ...(workerToken === null ? {} : { workerToken }) },
  };
}

/** What the operator commands dial with: the server's CA (and a client certificate under mTLS), and the operator token. */
export function clientSecurity(flags: ClientSecurityFlags, env: NodeJS.ProcessEnv = process.env): ClientSecurity {
  return { tls: readClientTls(flags.tlsCa, flags.tlsCert, flags.tlsKey), token: readToken(flags.operatorTokenFile, OPERATOR_TOKEN_VARIABLE, env) };
}
