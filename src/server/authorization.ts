import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';

/** Who may make a call: a worker (the work stream) or an operator (the control plane, progress). */
export type CallScope = 'worker' | 'operator';

/** Why a call may not proceed: the status it ends with. */
export interface CallRefusal {
  code: GrpcStatus;
  details: string;
}

/**
 * Who a call that passed is from: `open` when its scope needs no token,
 * `operator`, or `worker` with the pipeline its token belongs to (the work
 * stream then reaches that pipeline only: PipelineRegistry.work).
 */
export type CallIdentity = { kind: 'open' } | { kind: 'operator' } | { kind: 'worker'; pipelineId: string };

export interface TokenPolicy {
  /** The operator token (control plane, progress calls); null: those calls need none. */
  operatorToken?: string | null;
  /** Work streams need a worker token (one per pipeline, made by `issueWorkerToken`). */
  workerTokens?: boolean;
}

/** Shortest operator token accepted: a guessable one would defeat the point. */
export const MIN_TOKEN_LENGTH = 16;

const BEARER = /^Bearer ([^\s]+)$/;

/** SHA-256: every token compared as a 32-byte digest, so timingSafeEqual always sees equal lengths. */
const digestOf = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/**
 * The one place where a call's right to proceed is decided, before its
 * handler sees it: every method of every service is bound through
 * `guardHandlers` (server.ts), which asks `authorize`. A refused call
 * reaches no handler, so it changes nothing.
 *
 * Tokens come in the `authorization: Bearer <token>` metadata entry. Only
 * their SHA-256 digests are kept, and they are compared with
 * `timingSafeEqual` against every digest held (not looked up in a map), so
 * the time a comparison takes says nothing about the token. No token, and
 * no part of one, ever goes into a status detail or a log line.
 */
export class Authorizer {
  private readonly operatorDigest: Buffer | null;
  readonly workerTokensRequired: boolean;
  /** Worker token digests, by pipeline id. */
  private readonly workerDigests = new Map<string, Buffer>();

  constructor(policy: TokenPolicy = {}) {
    const operatorToken = policy.operatorToken ?? null;
    if (operatorToken !== null && (operatorToken.length < MIN_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(operatorToken))) {
      throw new TokenError(`the operator token must be at least ${MIN_TOKEN_LENGTH} printable characters without spaces`);
    }
    this.operatorDigest = operatorToken === null ? null : digestOf(operatorToken);
    this.workerTokensRequired = policy.workerTokens ?? false;
  }

  /** True when some call needs a token. */
  get enabled(): boolean {
    return this.operatorDigest !== null || this.workerTokensRequired;
  }

  /**
   * Makes the worker token of a pipeline (256 random bits, base64url: no
   * ':' or '=', so it fits a DAISY_CONTEXT entry) when worker tokens are
   * required; '' otherwise.
   */
  issueWorkerToken(pipelineId: string): string {
    if (!this.workerTokensRequired) return '';
    const token = randomBytes(32).toString('base64url');
    this.workerDigests.set(pipelineId, digestOf(token));
    return token;
  }

  /** Accepts a given token as the pipeline's worker token (`serve FILE` with a token from a file or the environment). */
  setWorkerToken(pipelineId: string, token: string): void {
    this.workerDigests.set(pipelineId, digestOf(token));
  }

  /** The pipeline is forgotten: its token opens nothing any more. */
  revokeWorkerToken(pipelineId: string): void {
    this.workerDigests.delete(pipelineId);
  }

  authorize(scope: CallScope, metadata: Metadata): CallRefusal | CallIdentity {
    const required = scope === 'operator' ? this.operatorDigest !== null : this.workerTokensRequired;
    if (!required) return { kind: 'open' };
    const values = metadata.get('authorization');
    if (values.length === 0) return refusal(GrpcStatus.UNAUTHENTICATED, `this server requires a ${scope} token: send the metadata entry "authorization: Bearer <token>"`);
    const match = values.length === 1 && typeof values[0] === 'string' ? BEARER.exec(values[0]) : null;
    if (match === null) return refusal(GrpcStatus.UNAUTHENTICATED, 'the authorization metadata must be one entry "Bearer <token>"');
    const digest = digestOf(match[1]!);
    const isOperator = this.operatorDigest !== null && timingSafeEqual(digest, this.operatorDigest);
    let workerOf: string | null = null;
    // Every digest compared, none skipped once one matched: the time taken does not depend on which matched.
    for (const [pipelineId, held] of this.workerDigests) if (timingSafeEqual(digest, held)) workerOf = pipelineId;
    if (scope === 'operator') {
      if (isOperator) return { kind: 'operator' };
      if (workerOf !== null) return refusal(GrpcStatus.PERMISSION_DENIED, 'a worker token opens work streams only; this call needs the operator token');
      return refusal(GrpcStatus.UNAUTHENTICATED, 'the token is not valid on this server');
    }
    if (workerOf !== null) return { kind: 'worker', pipelineId: workerOf };
    if (isOperator) return refusal(GrpcStatus.PERMISSION_DENIED, 'the operator token does not open work streams; a worker uses its pipeline\'s worker token (DAISY_CONTEXT\'s worker_token)');
    return refusal(GrpcStatus.UNAUTHENTICATED, 'the token is not valid on this server');
  }
}

export class TokenError extends Error {
  override name = 'TokenError';
}

export function isRefusal(result: CallRefusal | CallIdentity): result is CallRefusal {
  return 'code' in result;
}

function refusal(code: GrpcStatus, details: string): CallRefusal {
  return { code, details };
}

/** The identity of each call that passed, for handlers that narrow what it may reach (the work stream's pipeline). */
const identities = new WeakMap<object, CallIdentity>();

export function recordIdentity(call: object, identity: CallIdentity): void {
  identities.set(call, identity);
}

/** The identity `guardHandlers` recorded for a call; `open` for calls made without the guard (tests calling handlers directly). */
export function identityOf(call: object): CallIdentity {
  return identities.get(call) ?? { kind: 'open' };
}
