// The HTTP API on a real server: every refusal path gives the right 4xx naming the field, and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { pino } from 'pino';
import type { Controller } from '../../controller/main.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { adminToken, api, startTestController, tempDir, writeData } from '../helpers/env.js';

let ctl: Controller;
let cleanup: () => Promise<void>;
const logLines: string[] = [];

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeData(t.dir, smallBuilding());
  // Everything the controller logs, at the most verbose level, kept for the secrets check below.
  const log = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  ctl = await startTestController(t.dir, { demo: { sims: true } }, log);
});
afterAll(async () => {
  await ctl?.stop();
  await cleanup?.();
});

async function patchRaw(id: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await api(ctl, `/api/rooms/${id}`, { method: 'PATCH', headers, body });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; issues?: { field: string; message: string }[] } } & Record<string, unknown> };
}
const patch = (id: string, body: unknown) => patchRaw(id, JSON.stringify(body));
const fields = (r: Awaited<ReturnType<typeof patch>>) => r.body.error?.issues?.map((i) => i.field) ?? [];

describe('API', () => {
  it('lists floors, rooms, people, services and displays', async () => {
    for (const p of ['floors', 'rooms', 'people', 'services', 'units', 'displays']) {
      const res = await api(ctl, `/api/${p}`);
      expect(res.status).toBe(200);
      expect(Array.isArray(await res.json())).toBe(true);
    }
  });

  it('describes itself with OpenAPI 3', async () => {
    const doc = (await (await api(ctl, `/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { properties?: Record<string, { maxLength?: number }> }> } };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/rooms/{id}', '/api/session', '/api/users', '/api/audit', '/api/notices', '/api/people/{id}', '/api/moves', '/api/rooms/{id}/preview']));
    // Every $ref points at a schema that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"#\/components\/schemas\/([A-Za-z]+)"/g)].map((m) => m[1] as string);
    for (const r of refs) expect(doc.components.schemas[r], r).toBeDefined();
    expect(doc.components.schemas.RoomPatch?.properties?.officeHours?.maxLength).toBe(300);
  });

  it('serves a PNG preview of each display', async () => {
    const res = await api(ctl, `/api/displays/ds-a/preview.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await res.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
  });

  it('stores hostile text as text', async () => {
    const text = '</text><image href="file:///etc/passwd"/> & <b>"quoted"</b>';
    const r = await patch('r-c', { notice: { text, redirectRoomId: null } });
    expect(r.status).toBe(200);
    expect((r.body.notice as { text: string }).text).toBe(text);
    await ctl.signs.idle();
    expect(ctl.delivery.status('ds-c').desiredHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('404 for an unknown room or display', async () => {
    expect((await patch('r-nope', { name: 'x' })).status).toBe(404);
    expect((await api(ctl, `/api/rooms/r-nope`)).status).toBe(404);
    expect((await api(ctl, `/api/displays/nope`)).status).toBe(404);
    expect((await api(ctl, `/api/displays/nope/preview.png`)).status).toBe(404);
    expect((await api(ctl, `/api/nothing-here`)).status).toBe(404);
  });

  it('400 for malformed JSON, a non-object body or a wrong content type', async () => {
    const bad = await patchRaw('r-a', '{"name": ');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('invalid_json');
    expect((await patchRaw('r-a', '[1,2]')).status).toBe(400);
    expect((await patchRaw('r-a', 'name=x', { 'content-type': 'text/plain' })).status).toBe(400);
  });

  it('400 naming each field: unknown fields, wrong types, limits, control characters, missing glyphs', async () => {
    const before = (await (await api(ctl, `/api/rooms/r-a`)).json()) as Record<string, unknown>;
    const cases: [unknown, string[]][] = [
      [{ colour: 'red' }, ['colour']],
      [{ notice: { text: 'x', colour: 1 } }, ['notice.colour']],
      [{ name: 42 }, ['name']],
      [{ occupantIds: 'p-1' }, ['occupantIds']],
      [{ occupantIds: ['p-1', 'p-1'] }, ['occupantIds']],
      [{ name: 'x'.repeat(121) }, ['name']],
      [{ notice: { text: 'y'.repeat(5000) } }, ['notice.text']],
      [{ notice: { text: '' } }, ['notice.text']],
      [{ officeHours: 'Mo\u0001' }, ['officeHours']],
      [{ name: 'Zeile\nzwei' }, ['name']],
      [{ name: 'Raum 漢字' }, ['name']],
      [{ occupantIds: ['p-ghost'] }, ['occupantIds.0']],
      [{ serviceIds: ['s-1', 'bad id!'] }, ['serviceIds.1']],
      [{ unitId: 'u-ghost' }, ['unitId']],
      [{ notice: { text: 'Bitte nebenan', redirectRoomId: 'r-a' } }, ['notice.redirectRoomId']],
      [{ notice: { text: 'Bitte nebenan', redirectRoomId: 'r-ghost' } }, ['notice.redirectRoomId']],
      [{ version: -1 }, ['version']],
      [{ hours: [{ day: 'mo', from: '8:00', to: '12:00' }] }, ['hours.0.from']],
      [{ hours: [{ day: 'mo', from: '12:00', to: '08:00' }] }, ['hours.0.to']],
      [{ hours: [{ day: 'mo', from: '08:00', to: '12:00' }, { day: 'mo', from: '11:00', to: '13:00' }] }, ['hours.1']],
      [{ hours: [{ day: 'xx', from: '08:00', to: '12:00' }] }, ['hours.0.day']],
    ];
    for (const [body, expected] of cases) {
      const r = await patch('r-a', body);
      expect(r.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(fields(r), JSON.stringify(body).slice(0, 60)).toEqual(expected);
    }
    const after = (await (await api(ctl, `/api/rooms/r-a`)).json()) as Record<string, unknown>;
    expect(after).toEqual(before);
  });

  it('409 for a stale version', async () => {
    const room = (await (await api(ctl, `/api/rooms/r-b`)).json()) as { version: number };
    expect((await patch('r-b', { version: room.version, officeHours: 'Mo 8–9 Uhr' })).status).toBe(200);
    const stale = await patch('r-b', { version: room.version, officeHours: 'Mo 9–10 Uhr' });
    expect(stale.status).toBe(409);
    expect(stale.body.error?.code).toBe('conflict');
  });

  it('413 for an oversized body', async () => {
    const r = await patchRaw('r-a', JSON.stringify({ name: 'x'.repeat(100_000) }));
    expect(r.status).toBe(413);
  });

  it('refuses a foreign Host (DNS rebinding) and a cross-site Origin', async () => {
    const port = new URL(ctl.httpUrl).port;
    const status = (headers: Record<string, string>, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/api/rooms/r-a', method, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(method === 'PATCH' ? '{"name":"evil"}' : undefined);
      });
    expect(await status({ host: 'evil.example:' + port })).toBe(403);
    expect(await status({ host: `127.0.0.1:${port}`, origin: 'http://evil.example', 'content-type': 'application/json' }, 'PATCH')).toBe(403);
    expect(await status({ host: `localhost:${port}`, authorization: `Bearer ${await adminToken(ctl)}` })).toBe(200);
  });
});

describe('secrets', () => {
  it('never appear in any API response or log line', async () => {
    const secrets = ['ds-a', 'ds-b', 'ds-c'].flatMap((id) => [ctl.secrets.frameKey(id).toString('hex'), ctl.secrets.frameKey(id).toString('base64'), ctl.secrets.mqttPassword(id)]);
    secrets.push(ctl.secrets.controllerMqttPassword());
    const bodies: string[] = [];
    for (const p of ['floors', 'units', 'people', 'services', 'rooms', 'displays', 'displays/ds-a', 'rooms/r-a', 'openapi.json']) {
      bodies.push(await (await api(ctl, `/api/${p}`)).text());
    }
    const everything = bodies.join('\n') + logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(10);
    for (const s of secrets) expect(everything).not.toContain(s);
  });
});

describe('live preview', () => {
  it('renders unsaved changes with the same checks as saving, stores nothing, and matches the saved frame', async () => {
    const body = { officeHours: 'Sa 10–12 Uhr', notice: { text: 'Nur heute: Sondersprechstunde', redirectRoomId: null } };
    const before = (await (await api(ctl, '/api/rooms/r-b')).json()) as { version: number };
    const res = await api(ctl, '/api/rooms/r-b/preview', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const previewHash = res.headers.get('x-frame-hash');
    expect(((await (await api(ctl, '/api/rooms/r-b')).json()) as { version: number }).version).toBe(before.version);
    const bad = await api(ctl, '/api/rooms/r-b/preview', { method: 'POST', body: JSON.stringify({ occupantIds: ['p-ghost'], name: 'Raum 漢' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field).sort()).toEqual(['name']);
    expect((await api(ctl, '/api/rooms/r-b', { method: 'PATCH', body: JSON.stringify(body) })).status).toBe(200);
    await ctl.signs.idle();
    expect(ctl.delivery.status('ds-b').desiredHash).toBe(previewHash);
  });
});
