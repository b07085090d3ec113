// An exclusive lock between processes (the running server and `wegweiser` CLI commands) for one file in the data
// directory: `<file>.lock`, created with O_EXCL, holding the owner's pid. A lock whose owner is dead — or which is
// older than any write takes (a pid reused after a reboot, a container's pid 1) — is taken over; waiting is bounded.
// A lock's age is its mtime against the file system's own "now" (the mtime of a file written a moment ago), never
// against this process's clock: the two can disagree (a process under libfaketime, a clock that jumped), and the
// injected clock says nothing about the file system at all. Waiting is bounded on the monotonic clock.
import { constants } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { AppError } from '../errors.js';
import { pidAlive, toStorageError } from './durable.js';

export interface LockOptions {
  /** how long to wait for another process's lock before giving up (default 5 s) */
  timeoutMs?: number;
  /** a lock older than this is stale whoever holds it: no write takes that long (default 30 s) */
  staleMs?: number;
}

/** Locks this process holds (a lock file with our own pid that we do not hold is a leftover of a former process). */
const held = new Set<string>();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tryCreate(lockFile: string, content: string): Promise<boolean> {
  try {
    const fh = await open(lockFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The file system's current time, as the mtime it gives a file written now (next to the lock). */
async function fileSystemNow(lockFile: string): Promise<number> {
  const probe = `${lockFile}.${process.pid}.now.tmp`; // a crash leftover is cleaned at start like any temp file
  const fh = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await fh.writeFile(String(process.pid));
    return (await fh.stat()).mtimeMs;
  } finally {
    await fh.close();
    await unlink(probe).catch(() => undefined);
  }
}

async function isStale(lockFile: string, staleMs: number): Promise<{ stale: boolean; content: string | null }> {
  let content: string;
  let mtimeMs: number;
  try {
    [content, { mtimeMs }] = await Promise.all([readFile(lockFile, 'utf8'), stat(lockFile)]);
  } catch {
    return { stale: false, content: null }; // gone (or just being created): simply try again
  }
  const pid = Number(/^(\d+)/.exec(content)?.[1] ?? NaN);
  // An empty file is a lock whose owner has not written its pid yet — unless it stays empty past staleMs.
  const ownerDead = Number.isInteger(pid) && (pid === process.pid ? !held.has(lockFile) : !pidAlive(pid));
  if (ownerDead) return { stale: true, content };
  const now = await fileSystemNow(lockFile).catch(() => null);
  return { stale: now !== null && now - mtimeMs > staleMs, content };
}

/**
 * Removes a stale lock. Two processes may find the same stale lock; a short second lock (`.takeover`, itself stale
 * after staleMs) makes sure only one removes it, and only if it is still the very lock judged stale — never a lock
 * another process has just taken.
 */
async function takeOver(lockFile: string, staleContent: string, staleMs: number): Promise<boolean> {
  const guard = `${lockFile}.takeover`;
  if (!(await tryCreate(guard, String(process.pid)))) {
    const g = await stat(guard).catch(() => null);
    if (g && (await fileSystemNow(lockFile).catch(() => g.mtimeMs)) - g.mtimeMs > staleMs) await unlink(guard).catch(() => undefined);
    return false;
  }
  try {
    const now = await readFile(lockFile, 'utf8').catch(() => null);
    if (now !== staleContent) return false;
    await unlink(lockFile);
    return true;
  } catch {
    return false;
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** Runs `task` holding the lock on `file`; the lock is released however `task` ends. */
export async function withFileLock<T>(file: string, task: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const lockFile = `${file}.lock`;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const staleMs = opts.staleMs ?? 30_000;
  const content = `${process.pid}\n${new Date().toISOString()}\n`;
  const deadline = performance.now() + timeoutMs;
  for (let delay = 5; ; ) {
    let created: boolean;
    try {
      created = await tryCreate(lockFile, content);
    } catch (err) {
      throw toStorageError(err); // cannot even create the lock file: read-only or full
    }
    if (created) break;
    const s = await isStale(lockFile, staleMs);
    if (s.stale && s.content !== null && (await takeOver(lockFile, s.content, staleMs))) continue;
    if (performance.now() > deadline) {
      throw new AppError(503, 'storage_busy', `${file} is locked by another process (${lockFile}); nothing was changed — try again`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
  held.add(lockFile);
  try {
    return await task();
  } finally {
    held.delete(lockFile);
    await unlink(lockFile).catch(() => undefined);
  }
}
