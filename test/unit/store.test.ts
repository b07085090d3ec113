import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Bus } from '../../controller/bus.js';
import { systemClock } from '../../controller/clock.js';
import { Store, StoreLoadError, DATA_FILE } from '../../controller/store/store.js';
import { demoData } from '../../controller/store/demo.js';
import { Data } from '../../controller/domain/model.js';
import { AppError } from '../../controller/errors.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { tempDirsPerTest, writeData } from '../helpers/env.js';

const dir = tempDirsPerTest();

const open = (d: string, seed = smallBuilding) => Store.open(d, { bus: new Bus(), clock: systemClock, seed });

describe('store', () => {
  it('seeds a missing file and reads it back', async () => {
    const d = await dir();
    const s = await open(d, demoData);
    expect(s.rooms().length).toBeGreaterThanOrEqual(28);
    const onDisk = Data.parse(JSON.parse(await readFile(path.join(d, DATA_FILE), 'utf8')));
    expect(onDisk.rooms.length).toBe(s.rooms().length);
  });

  it('the demo building is realistic in size and passes its own validation', () => {
    const d = Data.parse(demoData());
    expect(d.floors).toHaveLength(3);
    expect(d.rooms.length).toBeGreaterThanOrEqual(28);
    expect(d.people.length).toBeGreaterThanOrEqual(25);
    expect(d.services.length).toBeGreaterThanOrEqual(15);
    expect(d.displays.filter((x) => x.roomId).length).toBe(d.rooms.length);
    for (const s of d.services) expect(s.nameEn.length).toBeGreaterThan(0);
  });

  it('refuses malformed JSON, names the file, and never overwrites it', async () => {
    const d = await dir();
    const file = path.join(d, DATA_FILE);
    await writeFile(file, '{"schemaVersion": 1, "rooms": [');
    await expect(open(d)).rejects.toThrow(StoreLoadError);
    await expect(open(d)).rejects.toThrow(file);
    expect(await readFile(file, 'utf8')).toBe('{"schemaVersion": 1, "rooms": [');
  });

  it('refuses an invalid record and names it', async () => {
    const d = await dir();
    const data = smallBuilding();
    data.rooms[1] = { ...data.rooms[1]!, occupantIds: ['p-ghost'] };
    await writeData(d, data);
    const before = await readFile(path.join(d, DATA_FILE), 'utf8');
    await expect(open(d)).rejects.toThrow(/rooms\[1\] \(id "r-b"\)\.occupantIds\.0: unknown person "p-ghost"/);
    expect(await readFile(path.join(d, DATA_FILE), 'utf8')).toBe(before);
  });

  it('refuses a record with a wrong type or unknown field', async () => {
    const d = await dir();
    const data = smallBuilding() as unknown as { rooms: Record<string, unknown>[] };
    data.rooms[0]!.version = 'one';
    data.rooms[2]!.colour = 'red';
    await writeFile(path.join(d, DATA_FILE), JSON.stringify(data));
    await expect(open(d)).rejects.toThrow(/rooms\[0\] \(id "r-a"\)\.version/);
  });

  it('writes edits atomically to disk before resolving, bumping the version', async () => {
    const d = await dir();
    const s = await open(d);
    const r = await s.updateRoom('r-a', { officeHours: 'Di 9–11 Uhr' }, 1);
    expect(r.version).toBe(2);
    const onDisk = Data.parse(JSON.parse(await readFile(path.join(d, DATA_FILE), 'utf8')));
    expect(onDisk.rooms.find((x) => x.id === 'r-a')?.officeHours).toBe('Di 9–11 Uhr');
  });

  it('refuses a stale version with 409 and changes nothing', async () => {
    const d = await dir();
    const s = await open(d);
    await s.updateRoom('r-a', { name: 'Neu' }, 1);
    const err = await s.updateRoom('r-a', { name: 'Älter' }, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(409);
    expect(s.room('r-a').name).toBe('Neu');
  });

  it('refuses unknown references with the field at fault', async () => {
    const s = await open(await dir());
    const err = (await s.updateRoom('r-a', { occupantIds: ['p-1', 'p-nobody'], notice: { text: 'x', redirectRoomId: 'r-a', from: null, until: null } }).catch((e: unknown) => e)) as AppError;
    expect(err.status).toBe(400);
    expect(err.issues.map((i) => i.field)).toEqual(['occupantIds.1', 'notice.redirectRoomId']);
    expect(s.room('r-a').occupantIds).toEqual(['p-1']);
  });
});
