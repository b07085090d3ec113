// A planned move: at its moment both signs change (the old room loses the person, the new one gains them) and the
// stored rooms follow, with an audit entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeDoorSign } from '../../controller/signs/compose.js';
import { renderSign, PANELS } from '../../renderer/index.js';
import { api, waitUntil } from '../helpers/env.js';
import { embeddedBroker, startFixture, type Fixture } from '../helpers/fixture.js';

describe('planned move', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture(embeddedBroker);
  });
  afterAll(async () => {
    await f?.stop();
  });
  const post = (body: unknown) => api(f.ctl, '/api/moves', { method: 'POST', body: JSON.stringify(body) });

  it('takes effect on both signs at its moment, then in the stored rooms', async () => {
    const at = Date.now() + 3000;
    const res = await post({ personId: 'p-1', fromRoomId: 'r-a', toRoomId: 'r-b', effectiveAt: new Date(at).toISOString() });
    expect(res.status).toBe(201);
    const later = async (roomId: string) => (await renderSign(composeDoorSign(f.ctl.ctx.store.data, roomId, at + 1), PANELS['epd-7in5-bw'])).frame.hash;
    const [a, b] = [await later('r-a'), await later('r-b')];
    expect(f.sim('ds-a').device.framebuffer?.hash).not.toBe(a); // not yet
    await Promise.all([f.sim('ds-a').waitFor(a, 10_000), f.sim('ds-b').waitFor(b, 10_000)]);
    await waitUntil(() => f.ctl.ctx.store.moves().length === 0, 'the move to be written into the rooms');
    expect(f.ctl.ctx.store.room('r-a').occupantIds).toEqual([]);
    expect(f.ctl.ctx.store.room('r-b').occupantIds).toEqual(['p-2', 'p-1']);
    const audit = (await (await api(f.ctl, '/api/audit?entity=person&id=p-1')).json()) as { user: string; action: string }[];
    expect(audit.map((e) => `${e.user}:${e.action}`)).toEqual(['system:move', 'admin:plan-move']);
  });

  it('refuses moves into the past, to unknown places, or outside an editor\'s units', async () => {
    const soon = new Date(Date.now() + 3600_000).toISOString();
    const fields = async (body: unknown) => ((await (await post(body)).json()) as { error?: { issues?: { field: string }[] } }).error?.issues?.map((i) => i.field);
    expect(await fields({ personId: 'p-2', toRoomId: 'r-c', effectiveAt: '2020-01-01T00:00:00Z' })).toEqual(['effectiveAt']);
    expect(await fields({ personId: 'p-ghost', toRoomId: 'r-ghost', effectiveAt: soon })).toEqual(['personId', 'toRoomId']);
    expect(await fields({ personId: 'p-2', fromRoomId: 'r-b', toRoomId: 'r-b', effectiveAt: soon })).toEqual(['toRoomId']);
    await f.ctl.users.add({ username: 'eve', role: 'editor', unitIds: ['u-1'], password: 'lang-genug-passwort-1', mustChangePassword: false });
    const token = await f.ctl.users.createToken(f.ctl.users.list().find((u) => u.username === 'eve')?.id ?? '', 't');
    const asEve = await fetch(`${f.ctl.httpUrl}/api/moves`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ personId: 'p-2', fromRoomId: 'r-b', toRoomId: 'r-c', effectiveAt: soon }),
    });
    expect(asEve.status).toBe(403); // r-c belongs to u-2
    expect(f.ctl.ctx.store.moves()).toEqual([]);
  });
});
