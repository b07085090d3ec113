// The audit log: who changed what and when, old → new. Append-only JSON lines in DATA_DIR/audit.jsonl, written
// before the change is reported as saved; read back newest first, filtered.
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../clock.js';

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

export const AUDIT_FILE = 'audit.jsonl';

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

  constructor(
    dataDir: string,
    private readonly clock: Clock,
  ) {
    this.file = path.join(dataDir, AUDIT_FILE);
  }

  async record(e: Omit<AuditEntry, 'at'>): Promise<AuditEntry> {
    const entry: AuditEntry = { at: new Date(this.clock.now()).toISOString(), ...e };
    await appendFile(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    return entry;
  }

  /** Newest first. Reads the whole file: fine for an office's years of edits; a database can follow. */
  async query(f: { entity?: string; id?: string; user?: string; since?: string; limit?: number } = {}): Promise<AuditEntry[]> {
    const raw = await readFile(this.file, 'utf8').catch(() => '');
    const out: AuditEntry[] = [];
    const lines = raw.split('\n');
    for (let i = lines.length - 1; i >= 0 && out.length < (f.limit ?? 200); i--) {
      const line = lines[i];
      if (!line) continue;
      let e: AuditEntry;
      try {
        e = JSON.parse(line) as AuditEntry;
      } catch {
        continue; // a torn last line after a crash is skipped, not fatal
      }
      if (f.entity && e.entity !== f.entity) continue;
      if (f.id && e.id !== f.id) continue;
      if (f.user && e.user !== f.user) continue;
      if (f.since && e.at < f.since) continue;
      out.push(e);
    }
    return out;
  }
}
