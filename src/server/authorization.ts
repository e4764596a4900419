import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';

/** Who may make a call: a worker (the work stream) or an operator (the control plane, progress). */
export type CallScope = 'worker' | 'operator';

/** Why a call may not proceed: the status it ends with. */
export interface CallRefusal {
  code: GrpcStatus;
  details: string;
}

/**
 * The one place where a call's right to proceed is decided, before its
 * handler sees it: every method of every service is bound through
 * `guardHandlers` (server.ts), which asks this. Today every call passes;
 * TLS client certificates and bearer tokens (a worker scope, an operator
 * scope) are checked here when they come. A refused call reaches no handler,
 * so it changes nothing.
 */
export function authorizeCall(scope: CallScope, method: string, metadata: Metadata): CallRefusal | null {
  void scope;
  void method;
  void metadata;
  return null;
}
