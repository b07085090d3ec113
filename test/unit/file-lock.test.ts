// The lock between the server and CLI commands: one holder at a time, a bounded wait, a dead owner's lock taken over.
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileLock } from '../../controller/store/file-lock.js';
import { AppError } from '../../controller/errors.js';
import { tempDirsPerTest } from '../helpers/env.js';

const dir = tempDirsPerTest();
const file = async () => path.join(await dir(), 'users.json');

describe('file lock', () => {
  it('lets one holder in at a time; the next waits for the release', async () => {
    const f = await file();
    const events: string[] = [];
    const first = withFileLock(f, async () => {
      events.push('first in');
      expect((await readFile(`${f}.lock`, 'utf8')).split('\n')[0]).toBe(String(process.pid));
      await new Promise((r) => setTimeout(r, 200));
      events.push('first out');
    });
    await new Promise((r) => setTimeout(r, 20));
    const second = withFileLock(f, async () => void events.push('second in'));
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
    expect(existsSync(`${f}.lock`)).toBe(false);
  });

  it('gives up after the bounded wait with a 503 naming the lock, when a live process holds it', async () => {
    const f = await file();
    await writeFile(`${f}.lock`, `${process.ppid}\n`); // the parent of this process: alive
    const err = (await withFileLock(f, async () => 'ran', { timeoutMs: 150 }).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect([err.status, err.code]).toEqual([503, 'storage_busy']);
    expect(err.message).toContain(`${f}.lock`);
  });

  it('takes over the lock of a dead process, of a former life of this pid, and one older than any write', async () => {
    const f = await file();
    await writeFile(`${f}.lock`, '4194305\n'); // above any pid Linux hands out: dead
    expect(await withFileLock(f, async () => 'ran', { timeoutMs: 150 })).toBe('ran');
    await writeFile(`${f}.lock`, `${process.pid}\n`); // our pid, but we do not hold it: left by an earlier process
    expect(await withFileLock(f, async () => 'ran', { timeoutMs: 150 })).toBe('ran');
    await writeFile(`${f}.lock`, `${process.ppid}\n`); // alive, but the lock is older than staleMs
    await new Promise((r) => setTimeout(r, 60));
    expect(await withFileLock(f, async () => 'ran', { timeoutMs: 150, staleMs: 50 })).toBe('ran');
  });
});
