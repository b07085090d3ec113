// Hardening expected of a public-facing service (issue 9, section 5), over real HTTP:
// Secure cookies over https (through a trusted proxy), no-store on API answers, CSP with base-uri/form-action,
// Permissions-Policy, data files only the controller can read, a per-address limit on the visitors' API, and
// anonymous search results that say where to go without a person's title or return date.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import type { ConfigInput } from '../../controller/config.js';
import { MqttAccess } from '../../controller/gateways/mqtt/access.js';
import { mappedBuilding } from '../fixtures/mapped-building.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';

const PW = 'Gänseblümchen-42-Fahrrad';

async function start(over: ConfigInput = {}, clock = new FakeClock()): Promise<{ ctl: Controller; clock: FakeClock; stop(): Promise<void> }> {
  const t = await tempDir();
  await writeData(t.dir, mappedBuilding());
  const ctl = await startTestController(t.dir, over, undefined, clock);
  await ctl.users.add({ username: 'vic', role: 'viewer', password: PW, mustChangePassword: false });
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

function login(ctl: Controller, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${ctl.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username: 'vic', password: PW }) });
}

describe('headers', () => {
  let behindProxy: Awaited<ReturnType<typeof start>>;
  let direct: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    behindProxy = await start({ http: { trustedProxies: ['127.0.0.1', '::1'] } });
    direct = await start();
  });
  afterAll(async () => {
    await behindProxy?.stop();
    await direct?.stop();
  });

  it('the session cookie is Secure when the trusted proxy says the client came over https — and only then', async () => {
    const https = await login(behindProxy.ctl, { 'x-forwarded-proto': 'https' });
    expect(https.status).toBe(200);
    expect(https.headers.get('set-cookie')).toMatch(/;\s*Secure/i);
    const plain = await login(behindProxy.ctl);
    expect(plain.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
    // Anyone else's X-Forwarded-Proto is not believed: a Secure cookie over plain http would never come back.
    const spoofed = await login(direct.ctl, { 'x-forwarded-proto': 'https' });
    expect(spoofed.status).toBe(200);
    expect(spoofed.headers.get('set-cookie')).not.toMatch(/;\s*Secure/i);
  });

  it('API answers are never cached — errors and public ones too — except the content-addressed preview', async () => {
    const { ctl } = direct;
    const responses = [
      await fetch(`${ctl.httpUrl}/api/health`),
      await fetch(`${ctl.httpUrl}/api/openapi.json`),
      await fetch(`${ctl.httpUrl}/api/session`),
      await login(ctl),
      await api(ctl, '/api/rooms'),
      await api(ctl, '/api/users'),
      await api(ctl, '/api/no-such-thing'),
      await api(ctl, '/api/rooms/r-a', { method: 'PATCH', body: JSON.stringify({ name: 7 }) }),
      await fetch(`${ctl.httpUrl}/api/public/building`),
      await fetch(`${ctl.httpUrl}/api/public/search?q=Aufenthalt`),
    ];
    for (const res of responses) expect([res.url, res.status, res.headers.get('cache-control')]).toEqual([res.url, res.status, 'no-store']);
    const hash = ctl.delivery.status('ds-a').desiredHash as string;
    const preview = await api(ctl, `/api/displays/ds-a/preview.png?h=${hash}`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
  });

  it('every page and API answer carries a CSP with base-uri and form-action, and a Permissions-Policy', async () => {
    const { ctl } = direct;
    for (const p of ['/', '/login', '/find', '/kiosk', '/admin', '/api/health', '/api/public/building']) {
      const res = await fetch(`${ctl.httpUrl}${p}`);
      expect(res.status, p).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, p).toMatch(/(^|;)\s*base-uri 'none'/);
      expect(csp, p).toMatch(/(^|;)\s*form-action 'self'/);
      expect(csp, p).toMatch(/(^|;)\s*frame-ancestors 'none'/);
      const pp = res.headers.get('permissions-policy') ?? '';
      for (const feature of ['camera=()', 'microphone=()', 'geolocation=()', 'payment=()']) expect(pp, p).toContain(feature);
    }
  });
});

describe('data files', () => {
  it('every file the controller writes in its data directory is 0600, and the directories it creates 0700', async () => {
    const t = await tempDir();
    const dataDir = path.join(t.dir, 'fresh', 'data'); // created by the controller
    const ctl = await startTestController(dataDir, { demo: { seed: true, sims: false } });
    try {
      await ctl.users.add({ username: 'vic', role: 'viewer', password: PW, mustChangePassword: false }); // users.json
      expect((await login(ctl)).status).toBe(200); // audit.jsonl
      expect((await api(ctl, '/api/rooms/r-1.07', { method: 'PATCH', body: JSON.stringify({ officeHours: 'nur mit Termin' }) })).status).toBe(200); // wegweiser.json again
      await new MqttAccess(ctl.ctx.config.mqtt.topicPrefix, ctl.secrets).writeMosquittoFiles(path.join(dataDir, 'mosquitto')); // as with --mqtt-url
      const expected = ['wegweiser.json', 'secrets.json', 'users.json', 'audit.jsonl', 'delivery.json', 'mosquitto/passwd', 'mosquitto/acl'];
      const files = await waitUntil(async () => {
        const found = await walk(dataDir);
        const names = found.filter((f) => f.kind === 'file').map((f) => f.rel);
        return expected.every((e) => names.includes(e)) && names.some((n) => /^frames\/[0-9a-f]{64}\.wgf$/.test(n)) ? found : null;
      }, 'every data file to be written');
      const loose = files.filter((f) => (f.kind === 'file' ? f.mode !== 0o600 : f.mode !== 0o700)).map((f) => `${f.rel} ${f.mode.toString(8)}`);
      expect(loose).toEqual([]);
    } finally {
      await ctl.signs.idle();
      await ctl.stop();
      await t.cleanup();
    }
  });
});

async function walk(root: string, rel = ''): Promise<{ rel: string; kind: 'file' | 'dir'; mode: number }[]> {
  const out: { rel: string; kind: 'file' | 'dir'; mode: number }[] = [{ rel: rel || '.', kind: 'dir', mode: (await stat(path.join(root, rel))).mode & 0o777 }];
  for (const e of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, r)));
    else out.push({ rel: r, kind: 'file', mode: (await stat(path.join(root, r))).mode & 0o777 });
  }
  return out;
}

describe("the visitors' API", () => {
  let behindProxy: Awaited<ReturnType<typeof start>>;
  let direct: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    behindProxy = await start({ http: { trustedProxies: ['127.0.0.1', '::1'], publicRateLimit: 5 } });
    direct = await start({ http: { publicRateLimit: 3 } });
  });
  afterAll(async () => {
    await behindProxy?.stop();
    await direct?.stop();
  });

  const visit = (ctl: Controller, from?: string) => fetch(`${ctl.httpUrl}/api/public/building`, { headers: from ? { 'x-forwarded-for': from } : {} });

  it('limits requests per client address and minute: 429 with Retry-After and the JSON error', async () => {
    const { ctl, clock } = behindProxy;
    for (let i = 0; i < 5; i++) expect((await visit(ctl, '198.51.100.1')).status).toBe(200);
    clock.advance(20_000);
    const refused = await visit(ctl, '198.51.100.1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('40');
    expect(await refused.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringContaining('40 s') } });
    expect((await fetch(`${ctl.httpUrl}/api/public/search?q=Einb%C3%BCrgerung`, { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(429);
    expect((await visit(ctl, '198.51.100.2')).status).toBe(200); // another phone
    // Staff pages and the staff API are not the visitors' limit.
    expect((await api(ctl, '/api/rooms', { headers: { 'x-forwarded-for': '198.51.100.1' } })).status).toBe(200);
    clock.advance(40_000);
    expect((await visit(ctl, '198.51.100.1')).status).toBe(200);
  });

  it('without a trusted proxy, X-Forwarded-For does not buy a fresh allowance', async () => {
    const { ctl } = direct;
    for (let i = 0; i < 3; i++) expect((await visit(ctl, `192.0.2.${i}`)).status).toBe(200);
    expect((await visit(ctl, '192.0.2.200')).status).toBe(429);
  });

  it("names an absent person's substitute room, never their title or the day they return", async () => {
    const { ctl } = behindProxy;
    const until = '2026-11-28T00:00:00+01:00'; // away through Friday, 27 November
    const res = await api(ctl, '/api/people/p-2', { method: 'PATCH', body: JSON.stringify({ absence: { from: null, until, substituteRoomId: 'r-a' } }) });
    expect(res.status).toBe(200);
    const body = await (await fetch(`${ctl.httpUrl}/api/public/search?q=%C3%96zt%C3%BCrk`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).text();
    const hit = (JSON.parse(body) as { hits: { id: string; destination: { number: string } | null; notes: { de: string; en: string }[] }[] }).hits.find((h) => h.id === 'p-2');
    expect(hit?.destination?.number).toBe('1.01');
    expect(hit?.notes.map((n) => n.de).join(' ')).toContain('Zimmer 1.01');
    expect(body).not.toContain('Teamleiterin');
    expect(body).not.toMatch(/27\.|28\.|\b27\b|\b28\b|Nov|Fr\./);
    // Nor can a title be used to find who holds it.
    const byTitle = (await (await fetch(`${ctl.httpUrl}/api/public/search?q=Teamleiterin`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).json()) as { hits: { id: string }[] };
    expect(byTitle.hits.map((h) => h.id)).not.toContain('p-2');
  });
});
