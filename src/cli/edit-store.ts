/**
 * The routes file behind `af-routes edit`: read with a version (an ETag: the SHA-256 of the
 * file's bytes, so an edit made by anyone, another tab or a text editor, changes it), and
 * written only over the version the writer read (compare-and-swap), atomically: the new table
 * goes to a temporary file in the same directory, is flushed to disk, the current file is
 * copied to `<file>.bak`, and only then does a rename replace the file. A failure at any step
 * before the rename leaves the file as it was and removes the temporary file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The ETag of a file that does not exist yet (the first save creates it). */
export const ABSENT_ETAG = '"absent"';

export function etagOf(bytes: Buffer | null): string {
  return bytes === null ? ABSENT_ETAG : `"${createHash('sha256').update(bytes).digest('base64url')}"`;
}

export interface StoredRoutes {
  /** The file's text, or null when it does not exist. */
  text: string | null;
  etag: string;
}

export type WriteResult = { ok: true; etag: string } | { ok: false; reason: 'stale'; etag: string };

export class RoutesFileStore {
  /** Saves run one at a time, so two saves of one version cannot both pass the check. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  get backupFile(): string {
    return `${this.file}.bak`;
  }

  async read(): Promise<StoredRoutes> {
    let bytes: Buffer | null;
    try {
      bytes = await readFile(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      bytes = null;
    }
    return { text: bytes === null ? null : bytes.toString('utf8'), etag: etagOf(bytes) };
  }

  /** Writes `text` if the file is still at version `ifMatch`; otherwise reports the current version. */
  write(text: string, ifMatch: string): Promise<WriteResult> {
    const run = this.queue.then(async (): Promise<WriteResult> => {
      const current = await this.read();
      if (current.etag !== ifMatch) return { ok: false, reason: 'stale', etag: current.etag };
      const bytes = Buffer.from(text, 'utf8');
      await writeAtomically(this.file, bytes, current.text !== null ? this.backupFile : null);
      return { ok: true, etag: etagOf(bytes) };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/**
 * temp file (same directory, so the rename stays on one file system) → fsync → backup copy →
 * rename over the file → fsync the directory. The rename is the only step that changes the file.
 */
export async function writeAtomically(file: string, bytes: Buffer, backup: string | null): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = (await stat(file)).mode & 0o777;
  } catch {
    // A new file: default permissions.
  }
  try {
    const handle = await open(tmp, 'wx', mode ?? 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (backup !== null) await copyFile(file, backup);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  // Make the rename itself durable; some file systems do not allow syncing a directory.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // Best effort.
  }
}
