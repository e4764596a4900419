/** The most characters of a peer's text that an error message echoes. */
export const MAX_ECHOED_CHARS = 200;

/**
 * Text that came from a peer, for an error message: quoted and escaped
 * (JSON string syntax, so no control character reaches a terminal), and
 * cut to MAX_ECHOED_CHARS so that a 100 KB task id is not sent back whole.
 */
export function quotePeerText(text: string): string {
  if (text.length <= MAX_ECHOED_CHARS) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, MAX_ECHOED_CHARS))}… (${text.length} characters)`;
}
