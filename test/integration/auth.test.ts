// Accounts, sessions and permissions over real HTTP: every refusal gets the right 4xx, and nothing partial is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Controller } from '../../controller/main.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { api, startTestController, tempDir, writeData } from '../helpers/env.js';

let ctl: Controller;
let cleanup: () => Promise<void>;
const PW = 'Gänseblümchen-42-Fahrrad';

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeData(t.dir, smallBuilding());
  ctl = await startTestController(t.dir);
  await ctl.users.add({ username: 'eve', name: 'Eve Editor', role: 'editor', unitIds: ['u-1'], password: PW, mustChangePassword: false });
  await ctl.users.add({ username: 'vic', name: 'Vic Viewer', role: 'viewer', password: PW, mustChangePassword: false });
});
afterAll(async () => {
  await ctl?.stop();
  await cleanup?.();
});

interface Session {
  cookie: string;
  csrf: string;
}

async function login(username: string, password = PW): Promise<{ status: number; session: Session | null; body: { error?: { code: string } }; headers: Headers }> {
  const res = await fetch(`${ctl.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { csrfToken?: string; error?: { code: string } };
  const setCookie = res.headers.get('set-cookie') ?? '';
  const session = res.ok ? { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrfToken ?? '' } : null;
  return { status: res.status, session, body, headers: res.headers };
}

function as(s: Session, path: string, init: { method?: string; body?: unknown; csrf?: string | null } = {}) {
  const headers: Record<string, string> = { cookie: s.cookie, 'content-type': 'application/json' };
  const csrf = init.csrf === undefined ? s.csrf : init.csrf;
  if (csrf !== null) headers['x-csrf-token'] = csrf;
  return fetch(`${ctl.httpUrl}${path}`, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
}

const code = async (res: Response) => ((await res.json()) as { error?: { code: string } }).error?.code;

describe('sessions', () => {
  it('refuses wrong passwords and unknown users alike, without saying which', async () => {
    const a = await login('eve', 'wrong');
    const b = await login('nobody', 'wrong');
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(a.body).toEqual(b.body);
  });

  it('logs in with an httpOnly, SameSite=Strict cookie and a CSRF token', async () => {
    const res = await fetch(`${ctl.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'eve', password: PW }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^ww_session=[A-Za-z0-9_-]{40,};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const body = (await res.json()) as { user: { username: string; role: string }; csrfToken: string };
    expect(body.user).toMatchObject({ username: 'eve', role: 'editor' });
    expect(JSON.stringify(body)).not.toMatch(/scrypt|passwordHash/);
  });

  it('requires a login for the API, and refuses a forged or expired session cookie', async () => {
    expect((await fetch(`${ctl.httpUrl}/api/rooms`)).status).toBe(401);
    expect((await fetch(`${ctl.httpUrl}/api/rooms`, { headers: { cookie: 'ww_session=forged' } })).status).toBe(401);
    expect((await fetch(`${ctl.httpUrl}/api/rooms`, { headers: { authorization: 'Bearer wwt_000000000000_notatokennotatokennotatokennotat' } })).status).toBe(401);
    expect((await fetch(`${ctl.httpUrl}/api/openapi.json`)).status).toBe(200); // the API's description is public
  });

  it('refuses a change without the CSRF token, or with a wrong one', async () => {
    const { session } = await login('eve');
    const s = session as Session;
    const body = { officeHours: 'Di 9–10 Uhr' };
    expect(await code(await as(s, '/api/rooms/r-a', { method: 'PATCH', body, csrf: null }))).toBe('csrf');
    expect(await code(await as(s, '/api/rooms/r-a', { method: 'PATCH', body, csrf: 'x'.repeat(32) }))).toBe('csrf');
    expect((await (await as(s, '/api/rooms/r-a')).json()).officeHours).toBe('Mo–Fr 8–12 Uhr');
    expect((await as(s, '/api/rooms/r-a', { method: 'PATCH', body })).status).toBe(200);
  });

  it('logs out (with the CSRF token) and the cookie stops working', async () => {
    const s = (await login('vic')).session as Session;
    expect((await as(s, '/api/session', { method: 'DELETE', csrf: null })).status).toBe(403);
    expect((await as(s, '/api/session', { method: 'DELETE' })).status).toBe(204);
    expect((await as(s, '/api/session')).status).toBe(401);
  });

  // Login limiting (slow down per user name + address, never lock the account) is in security-roles.test.ts.

  it('a browser without a session gets no live events: the upgrade is refused', async () => {
    const ws = new WebSocket(`${ctl.httpUrl.replace('http', 'ws')}/ws`);
    ws.on('error', () => undefined); // aborting the refused handshake reports an error too
    const status = await new Promise<number>((resolve) =>
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      }),
    );
    expect(status).toBe(401);
  });
});

describe('permissions', () => {
  it('an editor edits rooms of their unit, not another unit\'s, and cannot move a room to another unit', async () => {
    const s = (await login('eve')).session as Session;
    expect((await as(s, '/api/rooms/r-b', { method: 'PATCH', body: { officeHours: 'Mi 8–9 Uhr' } })).status).toBe(200);
    const other = await as(s, '/api/rooms/r-c', { method: 'PATCH', body: { officeHours: 'Mi 8–9 Uhr' } });
    expect(other.status).toBe(403);
    expect(await code(other)).toBe('forbidden_unit');
    expect(await code(await as(s, '/api/rooms/r-b', { method: 'PATCH', body: { unitId: 'u-2' } }))).toBe('forbidden_unit');
    const c = (await (await api(ctl, '/api/rooms/r-c')).json()) as { officeHours: string; unitId: string };
    expect(c).toMatchObject({ officeHours: 'Mo–Fr 8–12 Uhr', unitId: 'u-2' });
    expect((await as(s, '/api/users')).status).toBe(403);
    expect((await as(s, '/api/audit')).status).toBe(403);
  });

  it('a viewer reads but changes nothing', async () => {
    const s = (await login('vic')).session as Session;
    expect((await as(s, '/api/rooms')).status).toBe(200);
    expect(await code(await as(s, '/api/rooms/r-a', { method: 'PATCH', body: { name: 'x' } }))).toBe('forbidden');
  });

  it('a new account must change its one-time password before anything else', async () => {
    const created = await api(ctl, '/api/users', { method: 'POST', body: JSON.stringify({ username: 'neu', name: 'Neue Kollegin', role: 'editor', unitIds: ['u-1'] }) });
    expect(created.status).toBe(201);
    const { oneTimePassword } = (await created.json()) as { oneTimePassword: string };
    const s = (await login('neu', oneTimePassword)).session as Session;
    expect(await code(await as(s, '/api/rooms/r-a', { method: 'PATCH', body: { name: 'x' } }))).toBe('password_change_required');
    const short = await as(s, '/api/session/password', { method: 'POST', body: { currentPassword: oneTimePassword, newPassword: 'kurz' } });
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('newPassword');
    expect((await as(s, '/api/session/password', { method: 'POST', body: { currentPassword: 'wrong', newPassword: 'ein-langes-neues-Passwort' } })).status).toBe(400);
    expect((await as(s, '/api/session/password', { method: 'POST', body: { currentPassword: oneTimePassword, newPassword: 'ein-langes-neues-Passwort' } })).status).toBe(204);
    expect((await as(s, '/api/rooms/r-a', { method: 'PATCH', body: { officeHours: 'Do 8–9 Uhr' } })).status).toBe(200);
    expect((await login('neu', oneTimePassword)).status).toBe(401);
  });

  it('admins manage accounts; bad input gets the field at fault; the last admin stays', async () => {
    const dup = await api(ctl, '/api/users', { method: 'POST', body: JSON.stringify({ username: 'eve', name: 'Eve 2', role: 'viewer' }) });
    expect(dup.status).toBe(409);
    const badUnit = await api(ctl, '/api/users', { method: 'POST', body: JSON.stringify({ username: 'zed', name: 'Zed', role: 'editor', unitIds: ['u-nope'] }) });
    expect(badUnit.status).toBe(400);
    expect(((await badUnit.json()) as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field)).toEqual(['unitIds.0']);
    const badRole = await api(ctl, '/api/users', { method: 'POST', body: JSON.stringify({ username: 'zed', name: 'Zed', role: 'root' }) });
    expect(badRole.status).toBe(400);
    const admin = ctl.users.list().find((u) => u.username === 'admin');
    expect((await api(ctl, `/api/users/${admin?.id}`, { method: 'DELETE' })).status).toBe(409);
    const list = (await (await api(ctl, '/api/users')).json()) as unknown[];
    expect(JSON.stringify(list)).not.toMatch(/scrypt|hash/i);
  });
});

describe('audit log and conflicts', () => {
  it('records who changed what, old → new, filterable', async () => {
    const s = (await login('eve')).session as Session;
    expect((await as(s, '/api/rooms/r-a', { method: 'PATCH', body: { name: 'Aufenthalt & Visa' } })).status).toBe(200);
    const entries = (await (await api(ctl, '/api/audit?entity=room&id=r-a&user=eve')).json()) as { user: string; action: string; before: Record<string, unknown>; after: Record<string, unknown> }[];
    expect(entries[0]).toMatchObject({ user: 'eve', action: 'update', before: { name: 'Aufenthalt' }, after: { name: 'Aufenthalt & Visa' } });
    expect((await api(ctl, '/api/audit?since=yesterday')).status).toBe(400);
  });

  it('a stale edit gets 409 with the stored version, and nothing is overwritten', async () => {
    const room = (await (await api(ctl, '/api/rooms/r-b')).json()) as { version: number };
    expect((await api(ctl, '/api/rooms/r-b', { method: 'PATCH', body: JSON.stringify({ version: room.version, officeHours: 'Fr 8–9 Uhr' }) })).status).toBe(200);
    const stale = await api(ctl, '/api/rooms/r-b', { method: 'PATCH', body: JSON.stringify({ version: room.version, officeHours: 'Fr 9–10 Uhr' }) });
    expect(stale.status).toBe(409);
    const body = (await stale.json()) as { current: { version: number; officeHours: string } };
    expect(body.current).toMatchObject({ version: room.version + 1, officeHours: 'Fr 8–9 Uhr' });
  });
});
