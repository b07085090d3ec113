// The file-system boundary of everything the controller stores: atomic writes, the one mapping of a failed write to
// the typed 503 (storage_unavailable), one queue per file so changes never overlap, and the start-up checks of the
// data directory (writable at all? temp files left by a crash?).
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';

/** Writes a whole file so that readers see either the old or the new content, and it is on disk when it resolves. */
export interface FileWriter {
  /** `durable: false` skips the fsyncs (for what can be re-made, like content-addressed frames) */
  write(file: string, content: string | Uint8Array, opts?: { mode?: number; durable?: boolean }): Promise<void>;
}

/** Everything in the data directory is the controller's alone: staff names, delivery state, secrets, the audit trail. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

const TMP_SUFFIX = '.tmp';

/** The temp name our writers use next to `file`; it carries the writer's pid so start-up can tell leftovers apart. */
export function tempName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`;
}

/** Temp file + fsync + rename + fsync of the directory: after a crash the file is either old or new, never torn. */
export const atomicWriter: FileWriter = {
  async write(file, content, opts = {}) {
    const tmp = tempName(file);
    let renamed = false;
    try {
      const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, opts.mode ?? PRIVATE_FILE_MODE);
      try {
        await fh.writeFile(content);
        if (opts.durable !== false) await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
      renamed = true;
    } finally {
      if (!renamed) await unlink(tmp).catch(() => undefined);
    }
    // After the rename readers already see the new file, so memory must follow it: a failed directory fsync only
    // weakens durability against a power cut and is not reported as "not saved".
    if (opts.durable !== false) await syncDir(path.dirname(file)).catch(() => undefined);
  },
};

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'no permission to write',
  EPERM: 'no permission to write',
  EIO: 'an input/output error',
};

/** The error a client sees when a write did not happen: 503, nothing changed. Names no path and no content. */
export class StorageUnavailableError extends AppError {
  constructor(readonly errno: string | undefined, cause: unknown) {
    const reason = (errno && REASONS[errno]) ?? 'the storage failed';
    super(503, 'storage_unavailable', `the data could not be saved (${reason}${errno ? `, ${errno}` : ''}); nothing was changed — try again when the storage is back`);
    this.cause = cause;
  }
}

/** The one place a failed write becomes the typed 503. */
export function toStorageError(err: unknown): StorageUnavailableError {
  if (err instanceof StorageUnavailableError) return err;
  return new StorageUnavailableError((err as NodeJS.ErrnoException | null)?.code, err);
}

/** Writes through `writer`; any failure is a StorageUnavailableError (the file is unchanged: the writer is atomic). */
export async function persist(writer: FileWriter, file: string, text: string, mode = PRIVATE_FILE_MODE): Promise<void> {
  try {
    await writer.write(file, text, { mode });
  } catch (err) {
    throw toStorageError(err);
  }
}

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Runs tasks one after another: every change to a file goes through one queue, so a change starts from the state the
 * previous one left (committed or rolled back), never from a state still being written.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** Whether a process with this pid is alive (EPERM: alive, but not ours to signal). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Our temp names end in `.<pid>.<hex>.tmp` (or the older `.<pid>.tmp`); steno's are `.<name>.tmp`. */
const OWN_TMP = /\.(\d+)(?:\.[0-9a-f]+)?\.tmp$/;

/**
 * Removes temp files a crashed writer left in `dir` — except those of a live other process (a CLI command writing
 * right now). Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.endsWith(TMP_SUFFIX)) continue;
    const pid = Number(OWN_TMP.exec(name)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) continue;
    try {
      await unlink(path.join(dir, name));
      removed.push(name);
    } catch {
      /* a directory or already gone: not ours to worry about */
    }
  }
  return removed;
}

/**
 * Before anything else at start-up: the data directory exists and takes a write (a read-only or full disk refuses
 * start-up with a message naming the directory, instead of answering 500s later), and temp files left by a crash
 * are removed (the data dir, frames/, mosquitto/ and sim-state/).
 */
export async function prepareDataDir(dataDir: string): Promise<{ removedTempFiles: string[] }> {
  try {
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (err) {
    throw new DataDirError(`data directory ${dataDir} cannot be created: ${(err as Error).message}`);
  }
  const probe = path.join(dataDir, `.write-probe.${process.pid}${TMP_SUFFIX}`);
  try {
    const fh = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    try {
      await fh.writeFile('probe');
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    const e = toStorageError(err);
    await unlink(probe).catch(() => undefined);
    throw new DataDirError(`data directory ${dataDir} is not writable (${(e.errno && REASONS[e.errno]) ?? (err as Error).message}${e.errno ? `, ${e.errno}` : ''}): Wegweiser needs to save edits there`);
  }
  await unlink(probe).catch(() => undefined);
  const removed = await removeStaleTempFiles(dataDir);
  for (const sub of ['frames', 'mosquitto', 'sim-state']) for (const f of await removeStaleTempFiles(path.join(dataDir, sub))) removed.push(path.join(sub, f));
  return { removedTempFiles: removed };
}
