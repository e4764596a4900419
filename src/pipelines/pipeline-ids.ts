import { randomBytes } from 'node:crypto';

/** A server-made pipeline id: letters and digits only, so that it travels in DAISY_CONTEXT and names a log directory. */
export const PIPELINE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * A new pipeline id: the time in base 36 (so that ids sort roughly by
 * submission) and 8 random base-32 characters (so that they cannot be
 * guessed from one another, nor collide), e.g. `mi7x3k2a-q4z8d1mf`.
 */
export function newPipelineId(now = Date.now()): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuv';
  const random = [...randomBytes(8)].map((byte) => alphabet[byte % 32]).join('');
  return `${now.toString(36)}-${random}`;
}
