/** The most of a failure's error text kept per failure, in bytes of UTF-8. */
export const MAX_ERROR_BYTES = 4 * 1024;
/** The most of a failure's traceback kept per failure, in bytes of UTF-8. */
export const MAX_TRACEBACK_BYTES = 64 * 1024;

/**
 * `text` cut to at most `max` bytes of UTF-8 (plus a marker saying how much
 * was dropped): failures are kept and forwarded to every watcher, so a
 * worker's 4 MiB traceback must not be kept as is for each of its blocks.
 */
export function boundText(text: string, max: number): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= max) return text;
  const buffer = Buffer.from(text, 'utf8');
  let end = max;
  // Do not cut a character in two: back up to the start of a UTF-8 sequence.
  while (end > 0 && (buffer[end]! & 0xc0) === 0x80) end--;
  return `${buffer.subarray(0, end).toString('utf8')}… [truncated ${bytes - end} bytes]`;
}
