// Files in the data directory are the controller's alone (mode 0600): staff names and absences, delivery state,
// the audit trail. This is lowdb's JSON file adapter with that mode — like steno (which lowdb uses), an atomic write
// (temp file + rename) that coalesces writes arriving while one is under way into the latest.
import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Writes `text` to `file` atomically, readable and writable by the owner only. */
export async function writePrivateFile(file: string, text: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  const fh = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    await fh.chmod(PRIVATE_FILE_MODE); // a temp file left by a crash keeps its old mode otherwise
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

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
          await writePrivateFile(this.file, job.text);
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
