// Files in the data directory are the controller's alone (mode 0600, directories 0700): staff names and absences,
// delivery state, the audit trail. PrivateJsonFile is lowdb's JSON file adapter on our one atomic writer
// (store/durable.ts) with that mode; like steno, writes arriving while one is under way coalesce into the latest.
import { readFile } from 'node:fs/promises';
import type { Adapter } from 'lowdb';
import { atomicWriter, PRIVATE_FILE_MODE } from './durable.js';

export { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './durable.js';

export class PrivateJsonFile<T> implements Adapter<T> {
  private busy = false;
  private pending: { text: string; waiters: { resolve(): void; reject(err: unknown): void }[] } | null = null;

  constructor(readonly file: string) {}

  /** The stores read and validate the file themselves before handing lowdb the data; this is the plain read. */
  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  write(data: T): Promise<void> {
    const text = JSON.stringify(data, null, 2);
    return new Promise<void>((resolve, reject) => {
      if (this.pending) {
        this.pending.text = text;
        this.pending.waiters.push({ resolve, reject });
      } else this.pending = { text, waiters: [{ resolve, reject }] };
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.pending) {
        const job = this.pending;
        this.pending = null;
        try {
          await atomicWriter.write(this.file, job.text, { mode: PRIVATE_FILE_MODE });
          for (const w of job.waiters) w.resolve();
        } catch (err) {
          for (const w of job.waiters) w.reject(err);
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
