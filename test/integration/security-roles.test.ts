// Roles mean what they say (issue 9, section 2), over real HTTP and real ws clients, on the injected clock:
// - an editor changes only rooms of their units — also rooms a change implies (a move "from anywhere", cancelling
//   a move, closing a room's door), not just the rooms it names;
// - seating a person is their unit's decision (people without a unit: admins only); removing from one's own room is not;
// - failed logins slow down the name + address that failed instead of locking the account or the address; the
//   client address comes from X-Forwarded-For only through a trusted proxy; admins see and lift limits;
// - /ws sockets end with their session (logout, expiry, account removed, password changed or reset), and a session
//   still on its one-time password cannot open one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Controller } from '../../controller/main.js';
import type { ConfigInput } from '../../controller/config.js';
import { mappedBuilding } from '../fixtures/mapped-building.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { api, startTestController, tempDir, writeData } from '../helpers/env.js';

const PW = 'Gänseblümchen-42-Fahrrad';

interface Running {
  ctl: Controller;
  clock: FakeClock;
  stop(): Promise<void>;
}

async function start(over: ConfigInput = {}): Promise<Running> {
  const t = await tempDir();
  await writeData(t.dir, mappedBuilding());
  const clock = new FakeClock();
  const ctl = await startTestController(t.dir, over, undefined, clock);
  return {
    ctl,
    clock,
    async stop() {
      await ctl.signs.idle(); // a render still running would write a frame while the directory is removed
      await ctl.stop();
      await t.cleanup();
    },
  };
}

async function tokenFor(ctl: Controller, username: string, role: 'admin' | 'editor' | 'viewer', unitIds: string[] = []): Promise<string> {
  const { user } = await ctl.users.add({ username, role, unitIds, password: PW, mustChangePassword: false });
  return ctl.users.createToken(user.id, 'tests');
}

function call(ctl: Controller, token: string, path: string, method = 'GET', body?: unknown): Promise<Response> {
  return fetch(`${ctl.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const errorCode = async (res: Response) => ((await res.json()) as { error?: { code: string } }).error?.code;

describe('an editor changes only what is theirs, named or implied', () => {
  let r: Running;
  let eve: string; // editor of u-1 (rooms r-a, r-b; people p-1, p-2, p-3 — p-3 sits in u-2's room r-c)
  const inAnHour = () => new Date(r.clock.now() + 3600_000).toISOString();
  const adminCall = (path: string, method = 'GET', body?: unknown) => api(r.ctl, path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

  beforeAll(async () => {
    r = await start();
    eve = await tokenFor(r.ctl, 'eve', 'editor', ['u-1']);
  });
  afterAll(async () => {
    await r?.stop();
  });

  it('a move "from anywhere" that would take a person out of another unit\'s room is refused, as when that room is named', async () => {
    const named = await call(r.ctl, eve, '/api/moves', 'POST', { personId: 'p-3', fromRoomId: 'r-c', toRoomId: 'r-a', effectiveAt: inAnHour() });
    expect(named.status).toBe(403);
    const implied = await call(r.ctl, eve, '/api/moves', 'POST', { personId: 'p-3', fromRoomId: null, toRoomId: 'r-a', effectiveAt: inAnHour() });
    expect(implied.status).toBe(403);
    expect(await errorCode(implied)).toBe('forbidden_unit');
    expect(r.ctl.ctx.store.moves()).toEqual([]);
    // Within the editor's own rooms "from anywhere" is fine: p-1 sits only in r-a.
    const own = await call(r.ctl, eve, '/api/moves', 'POST', { personId: 'p-1', fromRoomId: null, toRoomId: 'r-b', effectiveAt: inAnHour() });
    expect(own.status).toBe(201);
    const { id } = (await own.json()) as { id: string };
    expect((await call(r.ctl, eve, `/api/moves/${id}`, 'DELETE')).status).toBe(204);
  });

  it('cancelling a move is checked against every room the cancellation changes', async () => {
    // An admin plans p-3 out of r-c (u-2's room) into r-a; cancelling it keeps p-3 in r-c: that is u-2's to decide.
    const planned = await adminCall('/api/moves', 'POST', { personId: 'p-3', fromRoomId: null, toRoomId: 'r-a', effectiveAt: inAnHour() });
    expect(planned.status).toBe(201);
    const { id } = (await planned.json()) as { id: string };
    const cancel = await call(r.ctl, eve, `/api/moves/${id}`, 'DELETE');
    expect(cancel.status).toBe(403);
    expect(r.ctl.ctx.store.moves().map((m) => m.id)).toEqual([id]);
    expect((await adminCall(`/api/moves/${id}`, 'DELETE')).status).toBe(204);
  });

  it("an editor cannot seat another unit's person (or one without a unit) in their room; visitors are not sent there", async () => {
    const before = r.ctl.ctx.store.room('r-a');
    const other = await call(r.ctl, eve, '/api/rooms/r-a', 'PATCH', { occupantIds: ['p-1', 'p-4'] });
    expect(other.status).toBe(403);
    expect(await errorCode(other)).toBe('forbidden_unit');
    const none = await call(r.ctl, eve, '/api/rooms/r-a', 'PATCH', { occupantIds: ['p-1', 'p-5'] });
    expect(none.status).toBe(403);
    expect(r.ctl.ctx.store.room('r-a')).toEqual(before);
    // The same through a planned move.
    expect((await call(r.ctl, eve, '/api/moves', 'POST', { personId: 'p-4', fromRoomId: null, toRoomId: 'r-a', effectiveAt: inAnHour() })).status).toBe(403);
    expect(r.ctl.ctx.store.moves()).toEqual([]);
    // Public search does not send anyone looking for Malte Nordmann to r-a.
    const search = (await (await fetch(`${r.ctl.httpUrl}/api/public/search?q=Nordmann`)).json()) as { hits: { id: string; destination: { roomId: string } | null }[] };
    expect(search.hits.find((h) => h.id === 'p-4')?.destination).toBeNull();
    // Their own unit's people they seat; an admin seats anyone.
    expect((await call(r.ctl, eve, '/api/rooms/r-b', 'PATCH', { occupantIds: ['p-2', 'p-1'] })).status).toBe(200);
    expect((await adminCall('/api/rooms/r-a', 'PATCH', { occupantIds: ['p-1', 'p-4', 'p-5'] })).status).toBe(200);
  });

  it('removing someone from your own room stays allowed, whoever they belong to', async () => {
    expect(r.ctl.ctx.store.room('r-a').occupantIds).toEqual(['p-1', 'p-4', 'p-5']);
    const res = await call(r.ctl, eve, '/api/rooms/r-a', 'PATCH', { occupantIds: ['p-1'] });
    expect(res.status).toBe(200);
    expect(r.ctl.ctx.store.room('r-a').occupantIds).toEqual(['p-1']);
  });

  it("closing another unit's door for wayfinding is refused; shared ways stay everyone's", async () => {
    const door = await call(r.ctl, eve, '/api/building/closures', 'POST', { id: 'n-door-c', reason: 'Umbau' });
    expect(door.status).toBe(403);
    expect(await errorCode(door)).toBe('forbidden_unit');
    expect((await call(r.ctl, eve, '/api/building/closures', 'POST', { id: 'e-c', reason: 'Umbau' })).status).toBe(403); // the way into r-c
    expect((await call(r.ctl, eve, '/api/building/closures', 'POST', { id: 'e-in', reason: 'Reinigung' })).status).toBe(201);
    expect((await call(r.ctl, eve, '/api/building/closures/e-in', 'DELETE')).status).toBe(204);
    expect((await adminCall('/api/building/closures', 'POST', { id: 'n-door-c', reason: 'Umbau' })).status).toBe(201);
    expect((await call(r.ctl, eve, '/api/building/closures/n-door-c', 'DELETE')).status).toBe(403);
    expect(r.ctl.ctx.store.data.closures.map((c) => c.id)).toEqual(['n-door-c']);
  });
});

interface LoginResult {
  status: number;
  retryAfter: string | null;
  cookie: string;
  csrf: string;
}

async function login(ctl: Controller, username: string, password: string, from?: string): Promise<LoginResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (from) headers['x-forwarded-for'] = from;
  const res = await fetch(`${ctl.httpUrl}/api/session`, { method: 'POST', headers, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { csrfToken?: string };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '', csrf: body.csrfToken ?? '' };
}

describe('login limiting slows attackers down without locking anyone out', () => {
  let r: Running;
  beforeAll(async () => {
    // The test client stands in for a reverse proxy on loopback: its X-Forwarded-For names the client.
    r = await start({ http: { trustedProxies: ['127.0.0.1', '::1'] } });
    for (const u of ['anna', 'bert', 'carl']) await r.ctl.users.add({ username: u, role: 'viewer', password: PW, mustChangePassword: false });
  });
  afterAll(async () => {
    await r?.stop();
  });

  it('5 wrong passwords for admin from one address do not keep the real admin out from another', async () => {
    const admin = r.ctl.users.list().find((u) => u.role === 'admin');
    await r.ctl.users.setPassword(admin?.id ?? '', PW);
    for (let i = 0; i < 6; i++) await login(r.ctl, 'admin', `guess-${i}`, '198.51.100.7');
    expect((await login(r.ctl, 'admin', PW, '198.51.100.7')).status).toBe(429); // the attacker's address waits
    expect((await login(r.ctl, 'admin', PW, '203.0.113.20')).status).toBe(200);
  });

  it('failures from one address for many names do not keep the other users at that address out', async () => {
    // One more than today's per-address lock (the address ceiling itself is crossed in the unit test).
    for (let i = 0; i < 21; i++) await login(r.ctl, `sprayed${i}`, 'Sommer2026!', '192.0.2.50');
    expect((await login(r.ctl, 'bert', PW, '192.0.2.50')).status).toBe(200);
  });

  it('after 5 failures the same name + address waits a growing, capped delay — then the right password works', async () => {
    for (let i = 0; i < 5; i++) expect((await login(r.ctl, 'anna', `wrong-${i}`, '192.0.2.10')).status).toBe(401);
    const first = await login(r.ctl, 'anna', PW, '192.0.2.10');
    expect(first.status).toBe(429);
    expect(first.retryAfter).toBe('1');
    r.clock.advance(1000);
    expect((await login(r.ctl, 'anna', 'wrong-again', '192.0.2.10')).status).toBe(401);
    expect((await login(r.ctl, 'anna', PW, '192.0.2.10')).retryAfter).toBe('2');
    for (let i = 0; i < 10; i++) {
      r.clock.advance(Number((await login(r.ctl, 'anna', PW, '192.0.2.10')).retryAfter ?? 0) * 1000);
      expect((await login(r.ctl, 'anna', `wrong-${i}`, '192.0.2.10')).status).toBe(401);
    }
    expect(Number((await login(r.ctl, 'anna', PW, '192.0.2.10')).retryAfter)).toBe(300); // capped at 5 minutes
    r.clock.advance(300_000);
    expect((await login(r.ctl, 'anna', PW, '192.0.2.10')).status).toBe(200);
  });

  it('a name attacked from many addresses slows new addresses down, but the right password from another address gets in', async () => {
    for (let i = 0; i < 21; i++) expect((await login(r.ctl, 'carl', 'wrong', `198.51.100.${100 + i}`)).status).toBe(401);
    expect((await login(r.ctl, 'carl', 'wrong', '198.51.100.200')).status).toBe(401);
    expect((await login(r.ctl, 'carl', 'wrong', '198.51.100.200')).status).toBe(429); // one free attempt per address now
    expect((await login(r.ctl, 'carl', PW, '203.0.113.77')).status).toBe(200);
  });

  it('an admin sees the limits and lifts one (audited); others may not', async () => {
    for (let i = 0; i < 6; i++) await login(r.ctl, 'bert', 'wrong', '192.0.2.99');
    expect((await login(r.ctl, 'bert', PW, '192.0.2.99')).status).toBe(429);
    const listed = await api(r.ctl, '/api/login-limits');
    expect(listed.status).toBe(200);
    const { limits } = (await listed.json()) as { limits: { id: string; kind: string; username: string | null; address: string | null; failures: number; waitMs: number }[] };
    const entry = limits.find((l) => l.kind === 'user-address' && l.username === 'bert' && l.address === '192.0.2.99');
    expect(entry).toMatchObject({ failures: 5 }); // the sixth was not heard: it came while waiting
    expect(entry?.waitMs).toBeGreaterThan(0);
    const viewer = await tokenFor(r.ctl, 'vera', 'viewer');
    expect((await call(r.ctl, viewer, '/api/login-limits')).status).toBe(403);
    expect((await call(r.ctl, viewer, `/api/login-limits/${entry?.id}`, 'DELETE')).status).toBe(403);
    expect((await api(r.ctl, `/api/login-limits/${entry?.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(r.ctl, `/api/login-limits/${entry?.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await login(r.ctl, 'bert', PW, '192.0.2.99')).status).toBe(200);
    const audit = (await (await api(r.ctl, '/api/audit?entity=session')).json()) as { action: string; before: { username?: string; address?: string } }[];
    expect(audit.find((e) => e.action === 'lift-login-limit')?.before).toMatchObject({ username: 'bert', address: '192.0.2.99' });
  });
});

describe('X-Forwarded-For counts only from a trusted proxy', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start(); // no trusted proxy
    await r.ctl.users.add({ username: 'dora', role: 'viewer', password: PW, mustChangePassword: false });
  });
  afterAll(async () => {
    await r?.stop();
  });

  it('a client cannot escape its limit by naming another address', async () => {
    for (let i = 0; i < 5; i++) await login(r.ctl, 'dora', 'wrong', `192.0.2.${i}`);
    expect((await login(r.ctl, 'dora', PW, '203.0.113.5')).status).toBe(429);
    const limits = ((await (await api(r.ctl, '/api/login-limits')).json()) as { limits: { kind: string; address: string | null }[] }).limits;
    expect(limits.filter((l) => l.kind === 'user-address').map((l) => l.address)).toEqual(['127.0.0.1']);
  });
});

describe('/ws lives no longer than its session', () => {
  let r: Running;
  beforeAll(async () => {
    r = await start();
  });
  afterAll(async () => {
    await r?.stop();
  });

  interface Live {
    ws: WebSocket;
    messages: string[];
    opened: Promise<void>;
    closed: Promise<number>;
  }

  function listen(cookie: string): Live {
    const ws = new WebSocket(`${r.ctl.httpUrl.replace('http', 'ws')}/ws`, { headers: { cookie } });
    const messages: string[] = [];
    ws.on('message', (m: Buffer) => messages.push(m.toString()));
    const opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`refused: ${res.statusCode}`));
        ws.terminate();
      });
      ws.on('error', reject); // also the abort of a refused handshake: the promise is settled by then
    });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    return { ws, messages, opened, closed };
  }

  /** Resolves with the close code, or rejects when the socket is still open after `ms` of real time. */
  function closesWithin(live: Live, ms = 10_000): Promise<number> {
    return Promise.race([live.closed, new Promise<number>((_resolve, reject) => setTimeout(() => reject(new Error('socket still open')), ms))]);
  }

  async function user(username: string): Promise<{ id: string; session: LoginResult }> {
    const { user } = await r.ctl.users.add({ username, role: 'viewer', password: PW, mustChangePassword: false });
    return { id: user.id, session: await login(r.ctl, username, PW) };
  }

  const asSession = (s: LoginResult, path: string, method: string, body?: unknown) =>
    fetch(`${r.ctl.httpUrl}${path}`, { method, headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('closes on logout, and nothing more is sent', async () => {
    const { session } = await user('lena');
    const live = listen(session.cookie);
    await live.opened;
    expect((await asSession(session, '/api/session', 'DELETE')).status).toBe(204);
    expect(await closesWithin(live)).toBe(4401);
    const seen = live.messages.length;
    await api(r.ctl, '/api/rooms/r-a', { method: 'PATCH', body: JSON.stringify({ officeHours: 'Mo 9–10 Uhr' }) });
    expect(live.messages.length).toBe(seen);
  });

  it('closes when the account is removed', async () => {
    const { id, session } = await user('max');
    const live = listen(session.cookie);
    await live.opened;
    expect((await api(r.ctl, `/api/users/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect(await closesWithin(live)).toBe(4401);
  });

  it("closes the account's other sessions when its password is changed, and all of them when an admin resets it", async () => {
    const { id, session: a } = await user('nina');
    const b = await login(r.ctl, 'nina', PW);
    const liveA = listen(a.cookie);
    const liveB = listen(b.cookie);
    await Promise.all([liveA.opened, liveB.opened]);
    expect((await asSession(a, '/api/session/password', 'POST', { currentPassword: PW, newPassword: 'ein-ganz-neues-Passwort-7' })).status).toBe(204);
    expect(await closesWithin(liveB)).toBe(4401);
    expect(liveA.ws.readyState).toBe(WebSocket.OPEN); // the session that changed it stays
    const reset = await api(r.ctl, `/api/users/${id}/password-reset`, { method: 'POST', body: '{}' });
    expect(reset.status).toBe(201);
    expect(await closesWithin(liveA)).toBe(4401);
  });

  it('closes when the session expires, even if the socket is the only thing open', async () => {
    const { session } = await user('olaf');
    const live = listen(session.cookie);
    await live.opened;
    r.clock.advance(8 * 3600_000 + 1000);
    expect(await closesWithin(live)).toBe(4401);
  });

  it('refuses a session still on its one-time password at the upgrade: no snapshot', async () => {
    await r.ctl.users.add({ username: 'paul', role: 'viewer', password: PW, mustChangePassword: true });
    const s = await login(r.ctl, 'paul', PW);
    expect(s.status).toBe(200);
    const live = listen(s.cookie);
    await expect(live.opened).rejects.toThrow('refused: 403');
    expect(live.messages).toEqual([]);
  });
});
