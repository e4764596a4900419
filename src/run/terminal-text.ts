/**
 * Text that came from a peer (a worker's error message, traceback or id)
 * made safe to print on the operator's terminal: a control character could
 * otherwise move the cursor, recolour or clear the screen, rewrite the
 * window title, or forge a line of progress or of the summary. JSON output
 * keeps its values exact: JSON.stringify escapes C0 controls itself, and
 * `jsonForTerminal` escapes the rest of them as `\uXXXX`.
 */

/**
 * C0 and C1 controls and DEL, which terminals act on, and the Unicode
 * format characters that reorder or break what is shown (bidi overrides
 * and isolates, line and paragraph separators).
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return SHORT[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}

/** One line: every unsafe character, newlines included, becomes a visible escape (`\x1b`, `\n`). */
export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Several lines (a traceback): its own line breaks are kept, everything else unsafe within a line is escaped. */
export function escapeLines(text: string): string[] {
  return text.split(/\r?\n/).map(escapeForTerminal);
}

/**
 * A JSON text with the characters JSON.stringify leaves as they are (DEL,
 * C1 controls such as the 8-bit CSI U+009B, bidi and line separators)
 * written as `\uXXXX` escapes: the same JSON value, safe on a terminal.
 */
export function jsonForTerminal(json: string): string {
  return json.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
