// A JSON file that more than one process writes: the running server and `wegweiser` CLI commands (users.json,
// secrets.json). One rule for every writer: take the file's lock, re-read the file if another process replaced it,
// apply the change to that fresh content, write atomically (audited, when an audit log is given), release. Readers
// notice a replaced file before they use the content (a stat per use: inode, size and mtime), so an account or token
// the CLI creates works at once and one it removes is gone at once; a directory watch reports such changes promptly.
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { AuditDraft, AuditLog } from '../audit/audit-log.js';
import { atomicWriter, persist, SerialQueue, sha256, type FileWriter } from './durable.js';
import { withFileLock, type LockOptions } from './file-lock.js';
import { DataFileError } from './json-file.js';

export interface SharedJsonFileOptions<T> {
  /** the content from the file's text; throws an Error that names the problem, never quoting the content */
  parse(raw: string, file: string): T;
  /** the content while the file does not exist */
  empty(): T;
  writer?: FileWriter;
  audit?: AuditLog | null;
  lock?: LockOptions;
  /** a replaced file that cannot be read: the last good content stays in use (give a logger here) */
  onReloadError?: (err: Error) => void;
}

/** What identifies one version of the file on disk: an atomic write makes a new inode. */
function stampOf(st: { ino: bigint; size: bigint; mtimeNs: bigint } | undefined): string | null {
  return st ? `${st.ino}:${st.size}:${st.mtimeNs}` : null;
}

const MISSING_HASH = sha256('');

export class SharedJsonFile<T> {
  private readonly queue = new SerialQueue();
  private readonly listeners = new Set<() => void>();
  private watcher: FSWatcher | null = null;
  /**
   * True while this process holds the lock and writes: the file then changes under our own hands, so a refresh (a
   * request, the directory watcher) must not mistake our write for another process's and report it as external.
   */
  private writingOwn = false;

  private constructor(
    readonly file: string,
    private readonly opts: SharedJsonFileOptions<T>,
    private value: T,
    private stamp: string | null,
    /** true while the file does not exist (the content is `empty()`, not yet written) */
    private missing: boolean,
  ) {}

  /** Reads the file (a missing one is `empty()`, not created); an unreadable or invalid one is refused. */
  static async open<T>(file: string, opts: SharedJsonFileOptions<T>): Promise<SharedJsonFile<T>> {
    const fresh = await SharedJsonFile.readFresh(file, opts);
    return new SharedJsonFile(file, opts, fresh.value, fresh.stamp, fresh.raw === null);
  }

  private static async readFresh<T>(file: string, opts: SharedJsonFileOptions<T>): Promise<{ value: T; raw: string | null; stamp: string | null }> {
    // stat before read: if the file is replaced in between, the stamp is older than the content and the next use
    // simply reads it again.
    const st = await stat(file, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new DataFileError(file, `cannot read (${err.code ?? err.message})`);
    });
    let raw: string | null = null;
    if (st) {
      raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return null;
        throw new DataFileError(file, `cannot read (${err.code ?? err.message})`);
      });
    }
    return { value: raw === null ? opts.empty() : opts.parse(raw, file), raw, stamp: raw === null ? null : stampOf(st) };
  }

  /** Whether the file did not exist when last read. */
  get isMissing(): boolean {
    this.refresh();
    return this.missing;
  }

  /** The content, re-read first if another process replaced the file. Treat as read-only. */
  get(): Readonly<T> {
    this.refresh();
    return this.value;
  }

  private refresh(): void {
    if (this.writingOwn) return; // nobody else can write while we hold the lock
    let stamp: string | null;
    try {
      stamp = stampOf(statSync(this.file, { bigint: true, throwIfNoEntry: false }));
    } catch {
      return; // cannot even stat: keep what we have
    }
    if (stamp === this.stamp) return;
    try {
      if (stamp === null) {
        // Removed from outside: keep the content in memory (the next write recreates the file); nothing to reload.
        this.stamp = null;
        return;
      }
      const raw = readFileSync(this.file, 'utf8');
      this.value = this.opts.parse(raw, this.file);
      this.missing = false;
      this.stamp = stamp;
    } catch (err) {
      this.stamp = stamp; // report a damaged file once, not on every request
      this.opts.onReloadError?.(err as Error);
      return;
    }
    for (const fn of this.listeners) fn();
  }

  /**
   * Changes the file: under its lock, `change` gets the file's current content (re-read if another process wrote it)
   * and edits it in place; the result is written atomically — audited first when `audit` drafts are returned — and
   * becomes the content in memory. A refused change (`change` throws) or a failed write leaves file and memory as
   * they were; a failed write is a StorageUnavailableError (503).
   */
  update<R>(by: string, change: (draft: T) => { result: R; audit?: AuditDraft[] }): Promise<R> {
    return this.queue.run(() =>
      withFileLock(
        this.file,
        async () => {
          this.writingOwn = true;
          try {
            return await this.changeLocked(by, change);
          } finally {
            this.writingOwn = false;
          }
        },
        this.opts.lock,
      ),
    );
  }

  private async changeLocked<R>(by: string, change: (draft: T) => { result: R; audit?: AuditDraft[] }): Promise<R> {
    const fresh = await SharedJsonFile.readFresh(this.file, this.opts);
    if (fresh.stamp !== this.stamp) {
      // Another process wrote since we last looked: that content is current now, whatever this change does.
      this.value = fresh.value;
      this.missing = fresh.raw === null;
      this.stamp = fresh.stamp;
      for (const fn of this.listeners) fn();
    }
    const prev = fresh.raw === null ? MISSING_HASH : sha256(fresh.raw);
    // A writer that died between its audit entry and its write (kill -9) is settled here, under the lock.
    if (this.opts.audit) await this.opts.audit.reconcile(path.basename(this.file), prev);
    const draft = structuredClone(fresh.value);
    const { result, audit } = change(draft);
    const text = `${JSON.stringify(draft, null, 2)}\n`;
    const write = () => persist(this.opts.writer ?? atomicWriter, this.file, text, 0o600);
    if (this.opts.audit && audit?.length) {
      await this.opts.audit.recordChange(by, audit, { file: path.basename(this.file), prev, next: sha256(text) }, write);
    } else await write();
    this.value = draft;
    this.missing = false;
    this.stamp = stampOf(await stat(this.file, { bigint: true }).catch(() => undefined));
    return result;
  }

  /** Calls `fn` whenever a change by another process has been loaded. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Watches the directory so changes from other processes are loaded (and reported) without waiting for a use. */
  watch(): void {
    if (this.watcher) return;
    const name = path.basename(this.file);
    try {
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, filename) => {
        if (filename === null || filename === name) this.refresh();
      });
      this.watcher.on('error', () => this.close());
    } catch {
      this.watcher = null; // no watch support (some network file systems): the per-use check still holds
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
  }
}
