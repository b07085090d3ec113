// The staff directory and service catalogue over HTTP: a person's absence with a substitute room changes the sign of
// their room (and only that one) until it ends; removing what is in use is refused; editors stay in their units.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderSign, PANELS } from '../../renderer/index.js';
import { composeDoorSign } from '../../controller/signs/compose.js';
import { api } from '../helpers/env.js';
import { embeddedBroker, startFixture, type Fixture } from '../helpers/fixture.js';

describe('staff directory and service catalogue', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await startFixture(embeddedBroker);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const call = (path: string, method: string, body?: unknown) => api(f.ctl, path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const fields = async (r: Response) => ((await r.json()) as { error?: { issues?: { field: string }[] } }).error?.issues?.map((i) => i.field) ?? [];

  it('an absence with a substitute room shows on the person\'s sign, only there, and ends by itself', async () => {
    const before = { a: f.sim('ds-a').device.framebuffer?.hash, b: f.sim('ds-b').device.framebuffer?.hash };
    const receivedB = f.sim('ds-b').device.framesReceived;
    const until = new Date(Date.now() + 4000).toISOString();
    const res = await call('/api/people/p-1', 'PATCH', { absence: { until, substituteRoomId: 'r-b' } });
    expect(res.status).toBe(200);
    await f.ctl.signs.idle();
    const content = composeDoorSign(f.ctl.ctx.store.data, 'r-a', Date.now());
    expect(content.occupants[0]?.away).toMatchObject({ substitute: { number: '1.02' } });
    await f.sim('ds-a').waitFor((await renderSign(content, PANELS['epd-7in5-bw'])).frame.hash);
    expect(f.sim('ds-b').device.framesReceived).toBe(receivedB); // the substitute room's own sign is unchanged
    await f.sim('ds-a').waitFor(before.a as string, 10_000); // back when the absence ends
    expect(f.sim('ds-b').device.framebuffer?.hash).toBe(before.b);
  });

  it('adds, edits and removes people and services; refuses what is in use or invalid, naming the field', async () => {
    const p = await call('/api/people', 'POST', { name: 'Jörg Weißenfels', title: 'Sachbearbeiter', unitId: 'u-1' });
    expect(p.status).toBe(201);
    const person = (await p.json()) as { id: string; version: number };
    expect((await call(`/api/people/${person.id}`, 'PATCH', { version: person.version, title: 'Teamleiter' })).status).toBe(200);
    expect((await call(`/api/people/${person.id}`, 'PATCH', { version: person.version, title: 'veraltet' })).status).toBe(409);
    expect(await fields(await call(`/api/people/${person.id}`, 'PATCH', { absence: { until: 'morgen' } }))).toEqual(['absence.until']);
    expect(await fields(await call(`/api/people/${person.id}`, 'PATCH', { absence: { from: '2026-12-02T08:00:00+01:00', until: '2026-12-01T08:00:00+01:00' } }))).toEqual(['absence.until']);
    expect(await fields(await call(`/api/people/${person.id}`, 'PATCH', { absence: { until: '2026-12-01T08:00:00+01:00', substituteRoomId: 'r-ghost' } }))).toEqual(['absence.substituteRoomId']);
    expect(await fields(await call('/api/people', 'POST', { name: '', unitId: 'u-1' }))).toEqual(['name']);
    expect(await fields(await call('/api/people', 'POST', { name: 'Niemand', unitId: 'u-ghost' }))).toEqual(['unitId']);
    expect((await call(`/api/people/${person.id}`, 'DELETE')).status).toBe(204);
    const inUse = await call('/api/people/p-2', 'DELETE');
    expect(inUse.status).toBe(409);
    expect(((await inUse.json()) as { error: { message: string } }).error.message).toContain('1.02');

    const s = await call('/api/services', 'POST', { nameDe: 'Meldebescheinigung', nameEn: 'Certificate of registration', synonyms: ['Anmeldung'] });
    expect(s.status).toBe(201);
    const service = (await s.json()) as { id: string };
    expect((await call(`/api/services/${service.id}`, 'PATCH', { synonyms: ['Anmeldung', 'Wohnsitz'] })).status).toBe(200);
    expect((await call('/api/services/s-1', 'DELETE')).status).toBe(409);
    expect((await call(`/api/services/${service.id}`, 'DELETE')).status).toBe(204);
    const audit = (await (await api(f.ctl, '/api/audit?entity=service')).json()) as { action: string }[];
    expect(audit.map((e) => e.action)).toEqual(['delete', 'update', 'create']);
  });

  it('an editor edits the people of their unit only, and not the catalogue', async () => {
    await f.ctl.users.add({ username: 'eve', role: 'editor', unitIds: ['u-2'], password: 'lang-genug-passwort-1', mustChangePassword: false });
    const token = await f.ctl.users.createToken(f.ctl.users.list().find((u) => u.username === 'eve')?.id ?? '', 't');
    const asEve = (path: string, method: string, body: unknown) =>
      fetch(`${f.ctl.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await asEve('/api/people/p-1', 'PATCH', { title: 'x' })).status).toBe(403); // p-1 is in u-1
    expect((await asEve('/api/people', 'POST', { name: 'Neu', unitId: 'u-1' })).status).toBe(403);
    expect((await asEve('/api/people', 'POST', { name: 'Neu', unitId: 'u-2' })).status).toBe(201);
    expect((await asEve('/api/services', 'POST', { nameDe: 'x', nameEn: 'x' })).status).toBe(403);
  });
});
