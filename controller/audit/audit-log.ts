// The audit log: who changed what and when, old → new. Append-only JSON lines in DATA_DIR/audit.jsonl.
//
// Crash safety: an entry is appended and fsynced *before* the change it describes is written (never after, where a
// kill -9 between the two lost the entry). A change whose write then fails gets a compensating "aborted" record and
// the query hides it. Each entry also carries the hash of the data file before and after the change, so a crash
// between the entry and the write is settled later: if the file still has the "before" hash, the entry is aborted
// (`reconcile`, run at start-up and under the file's lock).
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';
import { SerialQueue, toStorageError } from '../store/durable.js';

export interface AuditEntry {
  at: string;
  user: string;
  action: string;
  entity: string;
  id: string;
  /** changed fields only: their values before and after */
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

/** What a change says about itself; the committer adds who and when. */
export type AuditDraft = Omit<AuditEntry, 'at' | 'user'>;

/** The file an audited change writes: its name in the data directory and its content hash before and after. */
export interface FileChange {
  file: string;
  prev: string;
  next: string;
}

/** A line as stored: an entry of a transaction, or the record that aborts one. */
type StoredLine = (AuditEntry & { txn?: string; file?: string; prev?: string; next?: string }) | { at: string; txn: string; aborted: true };

export const AUDIT_FILE = 'audit.jsonl';

/** How much of the log's end `reconcile` reads: the change in doubt is always among the last entries. */
const TAIL_BYTES = 1 << 20;

/** The fields that differ between two records, each side. */
export function diff(before: Record<string, unknown> | null, after: Record<string, unknown> | null): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  for (const k of keys) {
    if (k === 'version' || k === 'updatedAt') continue;
    const x = before?.[k];
    const y = after?.[k];
    if (JSON.stringify(x) !== JSON.stringify(y)) {
      b[k] = x ?? null;
      a[k] = y ?? null;
    }
  }
  return { before: b, after: a };
}

export class AuditLog {
  readonly file: string;
  private readonly queue = new SerialQueue();
  /** aborts that could not be appended (a full disk): written before the next line, or settled by `reconcile` */
  private pendingAborts: string[] = [];

  constructor(
    dataDir: string,
    private readonly clock: Clock,
  ) {
    this.file = path.join(dataDir, AUDIT_FILE);
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /**
   * Appends lines and fsyncs. A torn last line (a crash in the middle of an append) is closed with a newline first,
   * so it never swallows the next entry. A failure is a StorageUnavailableError.
   */
  private append(lines: StoredLine[], durable = true): Promise<void> {
    return this.queue.run(async () => {
      const aborts: StoredLine[] = this.pendingAborts.map((txn) => ({ at: this.now(), txn, aborted: true }));
      const text = [...aborts, ...lines].map((l) => `${JSON.stringify(l)}\n`).join('');
      try {
        const fh = await open(this.file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
        try {
          const { size } = await fh.stat();
          let prefix = '';
          if (size > 0) {
            const last = Buffer.alloc(1);
            await fh.read(last, 0, 1, size - 1);
            if (last[0] !== 0x0a) prefix = '\n';
          }
          await fh.write(prefix + text);
          if (durable) await fh.sync();
        } finally {
          await fh.close();
        }
      } catch (err) {
        throw toStorageError(err);
      }
      this.pendingAborts = [];
    });
  }

  /**
   * An event that changes no stored data (a login): appended on its own, without waiting for the disk — nothing
   * depends on its order with a data write, and a login should not wait for an fsync.
   */
  async record(e: Omit<AuditEntry, 'at'>): Promise<AuditEntry> {
    const entry: AuditEntry = { at: this.now(), ...e };
    await this.append([entry], false);
    return entry;
  }

  /**
   * The one way an audited change is written: its entries are on disk before `write` runs; if `write` fails they are
   * marked aborted. Either the entries are written and then the change, or nothing is (the caller gets the error).
   */
  async recordChange<T>(user: string, drafts: readonly AuditDraft[], change: FileChange, write: () => Promise<T>): Promise<T> {
    if (!drafts.length) return write();
    const txn = randomBytes(6).toString('hex');
    const at = this.now();
    await this.append(drafts.map((d) => ({ at, user, ...d, txn, ...change })));
    try {
      return await write();
    } catch (err) {
      await this.append([{ at: this.now(), txn, aborted: true }]).catch(() => {
        this.pendingAborts.push(txn); // the disk is full: the next append writes it; reconcile settles a restart
      });
      throw err;
    }
  }

  /** The last lines of the log (a partial first line is skipped by the parser). */
  private async tail(): Promise<string> {
    let fh;
    try {
      fh = await open(this.file, 'r');
    } catch {
      return '';
    }
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      return buf.toString('utf8');
    } finally {
      await fh.close();
    }
  }

  /**
   * Settles the last audited change of `file` (a name in the data directory) against the file's content hash now: if
   * the file still has the hash from before that change, the change never reached it (a crash, or a failed write
   * whose abort record could not be appended), and its entries are marked aborted. Call it where no change of that
   * file can be in flight: at start-up, or under the file's lock. Returns whether it aborted one.
   */
  async reconcile(file: string, currentHash: string): Promise<boolean> {
    const lines = (await this.tail()).split('\n');
    const aborted = new Set<string>(this.pendingAborts);
    for (let i = lines.length - 1; i >= 0; i--) {
      const l = parseLine(lines[i]);
      if (!l?.txn) continue;
      if ('aborted' in l) {
        aborted.add(l.txn);
        continue;
      }
      if (l.file !== file || aborted.has(l.txn)) continue;
      if (l.next === currentHash || l.prev !== currentHash) return false;
      await this.append([{ at: this.now(), txn: l.txn, aborted: true }]);
      return true;
    }
    return false;
  }

  /** Newest first, without aborted changes. Reads the whole file: fine for an office's years of edits; a database can follow. */
  async query(f: { entity?: string; id?: string; user?: string; since?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    let raw = '';
    try {
      const fh = await open(this.file, 'r');
      try {
        raw = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch {
      /* no log yet */
    }
    const out: AuditEntry[] = [];
    const lines = raw.split('\n');
    const aborted = new Set<string>(this.pendingAborts); // aborts the full disk has not taken yet count too
    for (let i = lines.length - 1; i >= 0 && out.length < (f.limit ?? 200); i--) {
      const l = parseLine(lines[i]);
      if (!l) continue; // a torn line after a crash is skipped, not fatal
      if ('aborted' in l) {
        aborted.add(l.txn);
        continue;
      }
      if (l.txn && aborted.has(l.txn)) continue;
      const e: AuditEntry = { at: l.at, user: l.user, action: l.action, entity: l.entity, id: l.id, before: l.before, after: l.after };
      if (f.entity && e.entity !== f.entity) continue;
      if (f.id && e.id !== f.id) continue;
      if (f.user && e.user !== f.user) continue;
      if (f.since && e.at < f.since) continue;
      out.push(e);
    }
    return out;
  }
}

function parseLine(line: string | undefined): StoredLine | null {
  if (!line) return null;
  try {
    const v = JSON.parse(line) as unknown;
    return v && typeof v === 'object' && typeof (v as { at?: unknown }).at === 'string' ? (v as StoredLine) : null;
  } catch {
    return null;
  }
}
