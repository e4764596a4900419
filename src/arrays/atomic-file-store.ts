import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import FileSystemStore from '@zarrita/storage/fs';

/**
 * A directory store whose writes replace each file in one rename: a worker
 * reading a chunk while another worker writes it sees the old or the new
 * chunk, never half of one, and a worker killed mid-write leaves no torn
 * chunk behind (only a temporary file that readers never look at).
 */
export class AtomicFileSystemStore extends FileSystemStore {
  constructor(readonly directory: string) {
    super(directory);
  }

  override async get(key: `/${string}`): Promise<Uint8Array | undefined> {
    return readChunkFile(path.join(this.directory, key.slice(1)));
  }

  override async set(key: `/${string}`, value: Uint8Array): Promise<void> {
    await writeFileAtomically(path.join(this.directory, key.slice(1)), value);
  }
}

/**
 * Synchronous, like the reads: a chunk is small and the page cache takes it at
 * once, while each asynchronous call (mkdir, open, write, close, rename)
 * would wait for a thread-pool round trip. The directory is made only when
 * the first write into it fails for want of it.
 */
export async function writeFileAtomically(file: string, value: Uint8Array): Promise<void> {
  writeFileAtomicallySync(file, value);
}

/** `writeFileAtomically` for callers that are synchronous themselves (src/tracking): errors are thrown, not rejected. */
export function writeFileAtomicallySync(file: string, value: Uint8Array): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.partial`;
  try {
    try {
      writeFileSync(temporary, value);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(temporary, value);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * A chunk file's bytes, or undefined where the chunk was never written.
 * Read synchronously: fs.promises.readFile costs four thread-pool round trips
 * (open, stat, read, close) and reads chunk files at a quarter of the speed
 * (bench:arrays), while a chunk is at most a few MiB from the page cache.
 */
export function readChunkFile(file: string): Uint8Array | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
