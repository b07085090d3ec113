// Writes that fail at the file-system boundary (a full or read-only disk), injected through Store.open's writer:
// every change is refused truthfully with the typed 503, the others are saved, memory and file agree afterwards, and
// the audit log shows exactly the changes that were stored. Also: temp files left by a crash are removed at start.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Bus } from '../../controller/bus.js';
import { AuditLog } from '../../controller/audit/audit-log.js';
import { Store, DATA_FILE } from '../../controller/store/store.js';
import { atomicWriter, prepareDataDir, StorageUnavailableError, type FileWriter } from '../../controller/store/durable.js';
import { AppError } from '../../controller/errors.js';
import { Data } from '../../controller/domain/model.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDirsPerTest, writeData } from '../helpers/env.js';

const dir = tempDirsPerTest();

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/**
 * A writer whose writes fail while `failing` says so; each write waits for the test to release it, so the test
 * decides how commits overlap.
 */
function controlledWriter() {
  const gates: (() => void)[] = [];
  let failNext: ((file: string) => boolean) | null = null;
  const writer: FileWriter = {
    async write(file, text, opts) {
      await new Promise<void>((resolve) => gates.push(resolve));
      if (failNext?.(file)) throw enospc();
      await atomicWriter.write(file, text, opts);
    },
  };
  return {
    writer,
    failWhen(pred: (file: string) => boolean) {
      failNext = pred;
    },
    /** lets the oldest waiting write go on (waits until one is waiting) */
    async release() {
      for (let i = 0; i < 400 && gates.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
      gates.shift()?.();
    },
  };
}

async function onDisk(d: string): Promise<Data> {
  return Data.parse(JSON.parse(await readFile(path.join(d, DATA_FILE), 'utf8')));
}

describe('a write that fails', () => {
  it('two concurrent edits, the first write fails: the first gets 503, the second is saved, memory equals file', async () => {
    const d = await dir();
    await writeData(d, smallBuilding());
    const w = controlledWriter();
    const clock = new FakeClock();
    const audit = new AuditLog(d, clock);
    const store = await Store.open(d, { bus: new Bus(), clock, seed: smallBuilding, audit, writer: w.writer });

    let calls = 0;
    w.failWhen(() => ++calls === 1); // only the first write fails
    const first = store.updateRoom('r-a', { hours: [{ day: 'mo', from: '07:00', to: '13:00' }] }, 1, 'anna');
    const second = store.updateRoom('r-b', { name: 'Bürgerbüro' }, 1, 'ben');
    const outcomes = Promise.allSettled([first, second]);
    await w.release(); // the first write (fails)
    await w.release(); // the second write
    const [a, b] = await outcomes;

    expect(a.status).toBe('rejected');
    const err = (a as PromiseRejectedResult).reason as AppError;
    expect(err).toBeInstanceOf(StorageUnavailableError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('storage_unavailable');
    expect(err.message).toMatch(/could not be saved.*nothing was changed/);
    expect(b.status).toBe('fulfilled');

    // Memory and file agree, and each says exactly what the callers were told.
    const file = await onDisk(d);
    expect(file).toEqual(store.data);
    expect(store.room('r-a').hours).toEqual([]);
    expect(store.room('r-a').version).toBe(1);
    expect(store.room('r-b').name).toBe('Bürgerbüro');
    expect(store.room('r-b').version).toBe(2);

    // The audit log shows the stored change only.
    const entries = await audit.query();
    expect(entries.map((e) => [e.user, e.entity, e.id])).toEqual([['ben', 'room', 'r-b']]);

    // The next edit of the refused room starts from the stored state, and nothing is lost on the way.
    await (async () => {
      const next = store.updateRoom('r-a', { name: 'Aufenthalt neu' }, 1, 'anna');
      await w.release();
      await next;
    })();
    expect(await onDisk(d)).toEqual(store.data);
    expect(store.room('r-b').name).toBe('Bürgerbüro');
  });

  it('a failed bulk notice and a failed removal leave memory as the file has it (no in-place change)', async () => {
    const d = await dir();
    await writeData(d, smallBuilding());
    const w = controlledWriter();
    const clock = new FakeClock();
    const store = await Store.open(d, { bus: new Bus(), clock, seed: smallBuilding, writer: w.writer });
    const notice = { id: 'bn-1', scope: { kind: 'building' as const }, text: 'Heute geschlossen', redirectRoomId: null, from: null, until: new Date(clock.now() + 3600_000).toISOString(), createdBy: 'x', createdAt: new Date(clock.now()).toISOString() };

    w.failWhen(() => true);
    const add = store.addBulkNotice(notice);
    await w.release();
    await expect(add).rejects.toMatchObject({ status: 503, code: 'storage_unavailable' });
    expect(store.bulkNotices()).toEqual([]);
    expect(await onDisk(d)).toEqual(store.data);

    w.failWhen(() => false);
    const ok = store.addBulkNotice(notice);
    await w.release();
    await ok;
    w.failWhen(() => true);
    const remove = store.removeBulkNotice('bn-1');
    await w.release();
    await expect(remove).rejects.toMatchObject({ status: 503 });
    expect(store.bulkNotices().map((n) => n.id)).toEqual(['bn-1']);
    expect(await onDisk(d)).toEqual(store.data);
  });

  it('version checks run in turn with the writes: two saves of the same version, one wins, one gets 409', async () => {
    const d = await dir();
    await writeData(d, smallBuilding());
    const w = controlledWriter();
    const store = await Store.open(d, { bus: new Bus(), clock: new FakeClock(), seed: smallBuilding, writer: w.writer });
    const a = store.updateRoom('r-a', { name: 'A' }, 1);
    const b = store.updateRoom('r-a', { officeHours: 'B' }, 1);
    const settled = Promise.allSettled([a, b]);
    await w.release();
    const [ra, rb] = await settled;
    expect(ra.status).toBe('fulfilled');
    expect(rb.status).toBe('rejected');
    expect(((rb as PromiseRejectedResult).reason as AppError).status).toBe(409);
    expect(await onDisk(d)).toEqual(store.data);
  });
});

describe('start-up', () => {
  it('removes temp files a crash left in the data directory and frames/, but not a live process\'s', async () => {
    const d = await dir();
    await mkdir(path.join(d, 'frames'));
    // A pid that is certainly dead: a child that has exited.
    const dead = await new Promise<number>((resolve) => {
      const c = spawn(process.execPath, ['-e', '0']);
      c.on('exit', () => resolve(c.pid as number));
    });
    const stale = [`wegweiser.json.${dead}.0a1b2c3d.tmp`, `users.json.${dead}.tmp`, '.delivery.json.tmp', `frames/${'ab'.repeat(32)}.wgf.${dead}.tmp`];
    const live = `secrets.json.${process.ppid}.99aa.tmp`; // the parent of this test process is alive
    for (const f of [...stale, live]) await writeFile(path.join(d, f), 'partial');
    await writeFile(path.join(d, 'notes.txt'), 'kept');

    const { removedTempFiles } = await prepareDataDir(d);
    expect(removedTempFiles.sort()).toEqual(stale.map((f) => f.replace('/', path.sep)).sort());
    expect((await readdir(d)).sort()).toEqual(['frames', live, 'notes.txt'].sort());
    expect(await readdir(path.join(d, 'frames'))).toEqual([]);
  });
});
