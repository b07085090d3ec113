// A bulk notice: one action updates every sign on a floor; at its expiry each sign is back to what it was,
// including a room's own notice. Refusals name the field; editors are limited to their units.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Data } from '../../controller/domain/model.js';
import { DATA_FILE } from '../../controller/store/store.js';
import { composeDoorSign } from '../../controller/signs/compose.js';
import { renderSign, PANELS } from '../../renderer/index.js';
import { api } from '../helpers/env.js';
import { embeddedBroker, startFixture, type Fixture } from '../helpers/fixture.js';

describe('bulk notice', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture(embeddedBroker);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const frameAt = async (roomId: string, at: number) => {
    const data = Data.parse(JSON.parse(await readFile(path.join(f.dataDir, DATA_FILE), 'utf8')));
    return (await renderSign(composeDoorSign(data, roomId, at), PANELS['epd-7in5-bw'])).frame.hash;
  };
  const post = (body: unknown) => api(f.ctl, '/api/notices', { method: 'POST', body: JSON.stringify(body) });

  it('updates every sign on the floor at once and reverts each at expiry, own notices included', async () => {
    expect((await f.patch('r-a', { notice: { text: 'Eigener Hinweis von Raum 1.01', redirectRoomId: null } })).status).toBe(200);
    await f.ctl.signs.idle();
    await f.sim('ds-a').waitFor(await frameAt('r-a', Date.now()));
    const before = Object.fromEntries(['ds-a', 'ds-b', 'ds-c'].map((id) => [id, f.sim(id).device.framebuffer?.hash]));

    const until = new Date(Date.now() + 4000).toISOString();
    const res = await post({ scope: { kind: 'floor', id: 'f-1' }, text: 'Heute wegen Personalversammlung geschlossen', until });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { roomIds: string[] }).roomIds.sort()).toEqual(['r-a', 'r-b', 'r-c']);
    const now = Date.now();
    for (const [id, room] of [['ds-a', 'r-a'], ['ds-b', 'r-b'], ['ds-c', 'r-c']] as const) {
      await f.sim(id).waitFor(await frameAt(room, now));
      expect(f.sim(id).device.framebuffer?.hash).not.toBe(before[id]);
    }
    // At expiry: back to exactly what was shown before — room A with its own notice.
    for (const id of ['ds-a', 'ds-b', 'ds-c']) await f.sim(id).waitFor(before[id] as string, 10_000);
    expect(((await (await api(f.ctl, '/api/notices')).json()) as unknown[]).length).toBe(0);
  });

  it('refuses what it cannot do, naming the field', async () => {
    const until = new Date(Date.now() + 3600_000).toISOString();
    const stored = f.ctl.ctx.store.bulkNotices().length;
    const bad = async (body: unknown) => {
      const r = await post(body);
      return { status: r.status, fields: ((await r.json()) as { error?: { issues?: { field: string }[] } }).error?.issues?.map((i) => i.field) ?? [] };
    };
    expect(await bad({ scope: { kind: 'floor', id: 'f-9' }, text: 'x', until })).toEqual({ status: 400, fields: ['scope.id'] });
    expect(await bad({ scope: { kind: 'floor', id: 'f-1' }, text: 'x', until: '2020-01-01T00:00:00Z' })).toEqual({ status: 400, fields: ['until'] });
    expect(await bad({ scope: { kind: 'floor', id: 'f-1' }, text: 'x' })).toEqual({ status: 400, fields: ['until'] });
    expect(await bad({ scope: { kind: 'room', id: 'r-a' }, text: 'x', until })).toMatchObject({ status: 400 });
    expect(await bad({ scope: { kind: 'building' }, text: '', until })).toEqual({ status: 400, fields: ['text'] });
    expect(f.ctl.ctx.store.bulkNotices()).toHaveLength(stored); // nothing partial stored

    await f.ctl.users.add({ username: 'eve', role: 'editor', unitIds: ['u-1'], password: 'lang-genug-passwort-1', mustChangePassword: false });
    const eve = await f.ctl.users.createToken(f.ctl.users.list().find((u) => u.username === 'eve')?.id ?? '', 't');
    const asEve = (body: unknown) => fetch(`${f.ctl.httpUrl}/api/notices`, { method: 'POST', headers: { authorization: `Bearer ${eve}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await asEve({ scope: { kind: 'floor', id: 'f-1' }, text: 'x', until })).status).toBe(403);
    expect((await asEve({ scope: { kind: 'unit', id: 'u-2' }, text: 'x', until })).status).toBe(403);
    const ok = await asEve({ scope: { kind: 'unit', id: 'u-1' }, text: 'Team-Besprechung bis 11 Uhr', until });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { roomIds: string[] }).roomIds.sort()).toEqual(['r-a', 'r-b']);
  });
});
