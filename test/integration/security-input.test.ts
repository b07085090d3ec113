// Bad input gets a clear answer (real server, demo building): one text rule for every string a person sets (trimmed
// first, so "   " is empty; no control characters; only drawable characters), a malformed path parameter named,
// plan sizes bounded at save, plan images bounded in size, rendered once per content and served with an ETag; and
// every CLI command names a damaged data file and what is wrong with it — no stack trace, never its contents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import type { Controller } from '../../controller/main.js';
import { demoData } from '../../controller/store/demo.js';
import { smallBuilding } from '../fixtures/small-building.js';
import type { Data } from '../../controller/domain/model.js';
import { SecretStore, SECRETS_FILE } from '../../controller/store/secrets.js';
import { UserStore, USERS_FILE } from '../../controller/auth/users.js';
import { DATA_FILE } from '../../controller/store/store.js';
import { DELIVERY_FILE } from '../../controller/delivery/records.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';
import { wegweiser as runCli } from '../helpers/cli.js';

type Issues = { field: string; message: string }[];
const issuesOf = async (r: Response) => ((await r.json()) as { error?: { issues?: Issues } }).error?.issues ?? [];

describe('bad input gets a clear answer', () => {
  let ctl: Controller;
  let cleanup: () => Promise<void>;
  const logLines: string[] = [];
  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeData(t.dir, demoData());
    const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    ctl = await startTestController(t.dir, {}, log);
    await ctl.signs.idle();
  });
  afterAll(async () => {
    await ctl?.stop();
    await cleanup?.();
  });

  const call = (path: string, method: string, body?: unknown) => api(ctl, path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const refused = async (path: string, method: string, body: unknown) => {
    const r = await call(path, method, body);
    expect(r.status, `${method} ${path}`).toBe(400);
    return issuesOf(r);
  };
  const UNTIL = '2099-01-01T00:00:00+01:00';

  it('whitespace only is empty: refused naming the field wherever "must not be empty" applies, nothing stored', async () => {
    const room = ctl.ctx.store.data.rooms.find((r) => r.id === 'r-1.07');
    expect(await refused('/api/rooms/r-1.07', 'PATCH', { notice: { text: '   ' } })).toEqual([{ field: 'notice.text', message: 'must not be empty' }]);
    expect(await refused('/api/rooms/r-1.07', 'PATCH', { notice: { text: ' \n \r\n ' } })).toEqual([{ field: 'notice.text', message: 'must not be empty' }]);
    expect(await refused('/api/notices', 'POST', { scope: { kind: 'building' }, text: '  \n ', until: UNTIL })).toEqual([{ field: 'text', message: 'must not be empty' }]);
    expect(await refused('/api/people', 'POST', { name: '   ', unitId: null })).toEqual([{ field: 'name', message: 'must not be empty' }]);
    expect(await refused('/api/people/p-gross', 'PATCH', { name: '\u00a0 ' })).toEqual([{ field: 'name', message: 'must not be empty' }]);
    expect(await refused('/api/services', 'POST', { nameDe: '   ', nameEn: 'x', synonyms: ['ok', '  '] })).toEqual([
      { field: 'nameDe', message: 'must not be empty' },
      { field: 'synonyms.1', message: 'must not be empty' },
    ]);
    expect(await refused('/api/users', 'POST', { username: 'lena', name: '   ', role: 'viewer' })).toEqual([{ field: 'name', message: 'must not be empty' }]);
    const admin = ctl.users.list().find((u) => u.role === 'admin')?.id as string;
    expect(await refused(`/api/users/${admin}/tokens`, 'POST', { name: '   ' })).toEqual([{ field: 'name', message: 'must not be empty' }]);
    expect(ctl.ctx.store.data.rooms.find((r) => r.id === 'r-1.07')).toEqual(room);
    expect(ctl.ctx.store.data.people.find((p) => p.id === 'p-gross')?.name).toBe('Birgit Groß');
  });

  it('text is stored trimmed, and the limit applies to what is stored', async () => {
    const r = await call('/api/rooms/r-1.08', 'PATCH', { name: '   Besprechung 2  ', notice: { text: '\n  Heute geschlossen \r\n' } });
    expect(r.status).toBe(200);
    const room = ctl.ctx.store.data.rooms.find((x) => x.id === 'r-1.08');
    expect(room?.name).toBe('Besprechung 2');
    expect(room?.notice?.text).toBe('Heute geschlossen');
    expect((await call('/api/rooms/r-1.08', 'PATCH', { name: `  ${'x'.repeat(120)}  ` })).status).toBe(200);
    expect(await refused('/api/rooms/r-1.08', 'PATCH', { name: 'x'.repeat(121) })).toEqual([{ field: 'name', message: 'at most 120 characters' }]);
  });

  it('control characters, NUL, line breaks in one-line text and invisible direction overrides are refused everywhere', async () => {
    expect(await refused('/api/rooms/r-1.07', 'PATCH', { name: 'Familien\u0000nachzug' })).toEqual([{ field: 'name', message: 'contains control characters or line breaks (U+0000)' }]);
    expect(await refused('/api/rooms/r-1.07', 'PATCH', { name: '1.07\u202e70.1' })).toEqual([{ field: 'name', message: 'contains control characters or line breaks (U+202E)' }]);
    expect(await refused('/api/rooms/r-1.07', 'PATCH', { officeHours: 'Mo 8–12\u2028Di 8–12' })).toEqual([{ field: 'officeHours', message: 'contains control characters or line breaks (U+2028)' }]);
    expect(await refused('/api/rooms/r-1.07', 'PATCH', { notice: { text: 'Heute\u0007 zu' } })).toEqual([{ field: 'notice.text', message: 'contains control characters (U+0007)' }]);
    expect(await refused('/api/notices', 'POST', { scope: { kind: 'building' }, text: 'zu\u001b[31m', until: UNTIL })).toEqual([{ field: 'text', message: 'contains control characters (U+001B)' }]);
    expect(await refused('/api/people', 'POST', { name: 'Anna\tSchön', title: 'Sachbearbeitung\u0085', unitId: null })).toEqual([
      { field: 'name', message: 'contains control characters or line breaks (U+0009)' },
      { field: 'title', message: 'contains control characters or line breaks (U+0085)' },
    ]);
    expect(await refused('/api/building/closures', 'POST', { id: 'lift-1', reason: 'Wartung\u0000' })).toEqual([{ field: 'reason', message: 'contains control characters or line breaks (U+0000)' }]);
    expect(await refused('/api/rooms/r-1.07', 'PATCH', { name: 'Raum 🙂' })).toEqual([{ field: 'name', message: 'contains characters the displays cannot show: U+1F642' }]);
  });

  it('walk-graph and plan-area labels follow the same rule (PUT /api/building), and nothing is stored', async () => {
    const d = ctl.ctx.store.data;
    const before = JSON.stringify({ graph: d.graph, plans: d.plans });
    const kiosk = d.graph.nodes.findIndex((n) => n.kind === 'kiosk');
    const area = (d.plans[0] as Data['plans'][number]).areas.findIndex((a) => a.label);
    const graph = structuredClone(d.graph);
    (graph.nodes[kiosk] as { label: string }).label = 'Info\u0000terminal';
    const plans = structuredClone(d.plans);
    ((plans[0] as Data['plans'][number]).areas[area] as { label: string }).label = 'WC\u0007';
    expect(await refused('/api/building', 'PUT', { graph, plans })).toEqual([
      { field: `graph.nodes.${kiosk}.label`, message: 'contains control characters or line breaks (U+0000)' },
      { field: `plans.0.areas.${area}.label`, message: 'contains control characters or line breaks (U+0007)' },
    ]);
    (graph.nodes[kiosk] as { label: string }).label = '   ';
    ((plans[0] as Data['plans'][number]).areas[area] as { label: string }).label = '  WC  ';
    expect((await call('/api/building', 'PUT', { graph, plans })).status).toBe(200);
    expect(ctl.ctx.store.data.graph.nodes[kiosk]?.label).toBe('');
    expect(ctl.ctx.store.data.plans[0]?.areas[area]?.label).toBe('WC');
    // Put the demo back as it was.
    expect((await call('/api/building', 'PUT', JSON.parse(before))).status).toBe(200);
  });

  it('a malformed %-escape in a path answers 400 naming the path parameter', async () => {
    for (const [path, method, field] of [
      ['/api/rooms/%ff', 'GET', 'id'],
      ['/api/rooms/%E0%A4%A/preview', 'POST', 'id'],
      ['/api/people/%ff', 'PATCH', 'id'],
      ['/api/building/closures/%c3%28', 'DELETE', 'id'],
      ['/api/displays/%ff/preview.png', 'GET', 'id'],
      ['/api/public/plan/%ff.svg', 'GET', 'floorId'],
    ] as const) {
      const r = await call(path, method, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect(r.status, `${method} ${path}`).toBe(400);
      expect(await issuesOf(r), `${method} ${path}`).toEqual([{ field, message: 'malformed %-escape in the path' }]);
    }
    // Not a route parameter (a page): refused, never a 5xx.
    expect((await fetch(`${ctl.httpUrl}/%ff.html`)).status).toBe(404);
  });

  it('bounds plan sizes at save (400 naming the field): 2000 × 2000 m and points outside the plan are refused', async () => {
    const d = ctl.ctx.store.data;
    const plans = structuredClone(d.plans);
    const p0 = plans[0] as Data['plans'][number];
    p0.width = 2000;
    p0.height = 2000;
    expect(await refused('/api/building', 'PUT', { graph: d.graph, plans })).toEqual([
      { field: 'plans.0.width', message: 'at most 500 m wide: larger than any building this draws' },
      { field: 'plans.0.height', message: 'at most 500 m deep: larger than any building this draws' },
    ]);
    const small = structuredClone(d.plans);
    const s0 = small[0] as Data['plans'][number];
    s0.width = 50; // the demo's ground floor is 60 m wide: its eastern areas now lie outside
    const issues = await refused('/api/building', 'PUT', { graph: d.graph, plans: small });
    expect(issues.length).toBeGreaterThan(0);
    for (const i of issues) expect(i).toMatchObject({ field: expect.stringMatching(/^plans\.0\.(outline|areas\.\d+\.points)\.\d+$/), message: 'lies outside the plan (50 × 20 m)' });
    expect(ctl.ctx.store.data.plans).toEqual(d.plans);
  });

  it('serves a plan image once per content with an ETag: 304 when unchanged, a new one when a lift closes', async () => {
    const url = `${ctl.httpUrl}/api/public/plan/f-1.png?to=r-1.07&lang=en`;
    const renders = () => logLines.filter((l) => l.includes('plan image rendered')).length;
    const before = renders();
    const first = await fetch(url);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/);
    expect(first.headers.get('cache-control')).toBe('public, no-cache');
    const body = Buffer.from(await first.arrayBuffer());
    // Again, and a conditional request: the same bytes without rendering, then 304 without a body.
    const second = await fetch(url);
    expect(second.headers.get('etag')).toBe(etag);
    expect(Buffer.from(await second.arrayBuffer()).equals(body)).toBe(true);
    const cond = await fetch(url, { headers: { 'if-none-match': `W/"other", ${etag}` } });
    expect(cond.status).toBe(304);
    expect(cond.headers.get('etag')).toBe(etag);
    expect((await cond.arrayBuffer()).byteLength).toBe(0);
    expect(renders() - before).toBe(1);
    // The SVG is a different drawing with its own ETag (and its own CSP).
    const svg = await fetch(url.replace('.png', '.svg'));
    expect(svg.headers.get('etag')).not.toBe(etag);
    expect(svg.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    // A closure changes the drawing (the crossed-out lift): a new ETag, and the old one no longer answers 304.
    expect((await call('/api/building/closures', 'POST', { id: 'lift-1', reason: 'Wartung' })).status).toBe(201);
    const after = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(etag);
    expect((await call('/api/building/closures/lift-1', 'DELETE')).status).toBe(204);
    // Reopened: the drawing is the first one again, so is its ETag.
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // An unknown room: 404 naming it, no ETag, nothing cached; "*" is no shortcut past that.
    const unknown = await fetch(url.replace('r-1.07', 'r-9.99'), { headers: { 'if-none-match': '*' } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('etag')).toBeNull();
    expect(await issuesOf(unknown)).toEqual([{ field: 'to', message: 'unknown room "r-9.99"' }]);
  });

  it('a plan of 2000 × 2000 m already stored still renders: the PNG is scaled to a bounded size', async () => {
    const t = await tempDir();
    const data = demoData();
    const p0 = data.plans[0] as Data['plans'][number];
    p0.width = 2000;
    p0.height = 2000;
    await writeData(t.dir, data);
    const big = await startTestController(t.dir);
    try {
      const r = await fetch(`${big.httpUrl}/api/public/plan/${p0.floorId}.png`);
      expect(r.status).toBe(200);
      const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
      expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(4096);
      expect((meta.width ?? 0) * (meta.height ?? 0)).toBeLessThanOrEqual(4_000_000);
      expect(meta.width).toBeGreaterThan(1000);
    } finally {
      await big.stop();
      await t.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Damaged files and the real `wegweiser` command.

async function wegweiser(args: string[]) {
  const r = await runCli(args);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** Every 8-character piece of each secret: JSON.parse quotes about ten characters around the fault. */
function leaks(output: string, secrets: string[]): string[] {
  const found = new Set<string>();
  for (const secret of secrets) for (let i = 0; i + 8 <= secret.length; i++) if (output.includes(secret.slice(i, i + 8))) found.add(secret);
  return [...found];
}

// Each case runs several real CLI processes (a start takes a few seconds on 2 cores).
describe('a damaged data file is named, with what is wrong — no stack trace, never its contents', { timeout: 120_000 }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const pristine = new Map<string, string>();
  let secretValues: string[] = [];
  const MARKER = 'Zimmer-Geheimnis-7f3a9c';

  beforeAll(async () => {
    const t = await tempDir();
    dir = t.dir;
    cleanup = t.cleanup;
    const data = smallBuilding();
    (data.rooms[0] as Data['rooms'][number]).name = MARKER;
    await writeData(dir, data);
    const secrets = await SecretStore.open(dir, data.displays.map((d) => d.id));
    const users = await UserStore.open(dir);
    await users.add({ username: 'admin', role: 'admin', password: 'a long enough password' });
    await users.createToken((users.list()[0] as { id: string }).id, 'cli');
    for (const f of [DATA_FILE, SECRETS_FILE, USERS_FILE]) pristine.set(f, await readFile(path.join(dir, f), 'utf8'));
    const s = JSON.parse(pristine.get(SECRETS_FILE) as string) as { controller: { mqttPassword: string }; displays: Record<string, string> };
    const u = JSON.parse(pristine.get(USERS_FILE) as string) as { users: { passwordHash: string; tokens: { hash: string }[] }[] };
    secretValues = [s.controller.mqttPassword, ...Object.values(s.displays), ...data.displays.map((d) => secrets.mqttPassword(d.id)), ...u.users.flatMap((x) => [x.passwordHash, ...x.tokens.map((t) => t.hash)])];
  });
  afterAll(async () => {
    await cleanup?.();
  });

  /** Writes `name` damaged by `damage` (all other files pristine), runs the commands, checks each answer. */
  async function expectNamed(name: string, damage: (text: string) => string, problem: RegExp, commands: string[][]) {
    for (const [f, text] of pristine) await writeFile(path.join(dir, f), f === name ? damage(text) : text);
    const damaged = await readFile(path.join(dir, name), 'utf8');
    // The commands only read (and refuse): two at a time, for the 2-core machine.
    const results: { args: string[]; r: Awaited<ReturnType<typeof wegweiser>> }[] = [];
    for (let i = 0; i < commands.length; i += 2) {
      results.push(...(await Promise.all(commands.slice(i, i + 2).map(async (args) => ({ args, r: await wegweiser([...args, '--data', dir]) })))));
    }
    for (const { args, r } of results) {
      const what = `wegweiser ${args.join(' ')}`;
      expect(r.code, `${what}\n${r.out}`).not.toBe(0);
      expect(r.out, what).toContain(path.join(dir, name));
      expect(r.out, what).toMatch(problem);
      expect(r.out, `${what}: a stack trace\n${r.out}`).not.toMatch(/^\s+at /m);
      expect(leaks(r.out, secretValues), `${what} printed a secret\n${r.out}`).toEqual([]);
      expect(r.out, what).not.toContain(MARKER.slice(0, 10));
      expect(await readFile(path.join(dir, name), 'utf8'), `${what} changed the file`).toBe(damaged);
    }
  }

  const START = ['start', '--port', '0', '--mqtt-port', '0', '--no-sims'];
  const secretLine = (text: string) => text.indexOf('"ds-b": "') + '"ds-b": "'.length;

  // Every command meets a damaged file, every file is damaged at least twice; the CLI starts in seconds (tsx), so the
  // combinations are spread rather than multiplied.
  it('secrets.json truncated in the middle of a secret, or a quote lost before one: start, mqtt-files, sim', async () => {
    await expectNamed(SECRETS_FILE, (t) => t.slice(0, secretLine(t) + 30), /ends early \(the file looks truncated\)/, [START, ['mqtt-files'], ['sim', '--ids', 'ds-b']]);
    // A lost quote makes JSON.parse quote the secret after it ('Unexpected token …, "…3fa9…" is not valid JSON').
    await expectNamed(SECRETS_FILE, (t) => t.slice(0, secretLine(t) - 1) + t.slice(secretLine(t)), /not valid JSON at line \d+, column \d+/, [START, ['mqtt-files']]);
  });

  it('secrets.json that is JSON but not valid: the field named, neither the value nor an unknown key', async () => {
    await expectNamed(SECRETS_FILE, (t) => t.replace(/"ds-b": "([0-9a-f]{64})"/, '"ds-b": "$1a"'), /displays\.ds-b: /, [['mqtt-files']]);
    // A secret turned into a key (a damaged line): "an unknown field", not its name.
    await expectNamed(SECRETS_FILE, (t) => t.replace(/"ds-b": "([0-9a-f]{64})"/, '"ds-b": "$1", "$1": 1').replace('"version": 1,', '"version": 1, "x$1": 1,'), /an unknown field/, [['sim', '--ids', 'ds-a']]);
  });

  it('wegweiser.json truncated, or with garbage, names the file: render, sim, start, mqtt-files', async () => {
    const at = (t: string) => t.indexOf(MARKER);
    await expectNamed(DATA_FILE, (t) => t.slice(0, at(t) + 12), /ends early/, [['render', '1.01'], ['sim', '--displays', '2']]);
    await expectNamed(DATA_FILE, (t) => t.slice(0, at(t) - 1) + t.slice(at(t)), /not valid JSON at line \d+, column \d+/, [START, ['mqtt-files']]);
  });

  it('users.json truncated in a password hash, or otherwise damaged: start and every user command', async () => {
    const hashAt = (t: string) => t.indexOf('"passwordHash": "') + 20;
    await expectNamed(USERS_FILE, (t) => t.slice(0, hashAt(t) + 10), /ends early/, [START, ['user', 'list'], ['user', 'add', 'anna']]);
    await expectNamed(USERS_FILE, (t) => t.replace('"passwordHash": "', '"passwordHash": '), /not valid JSON at line \d+, column \d+/, [['user', 'token', 'admin']]);
    await expectNamed(USERS_FILE, (t) => t.replace('"role": "admin"', '"role": "root"'), /invalid accounts file: users\.0\.role: /, [['user', 'passwd', 'admin']]);
  });

  it('the CLI applies the text rule to a display name too', async () => {
    for (const [f, text] of pristine) await writeFile(path.join(dir, f), text);
    const blank = await wegweiser(['user', 'add', 'lena', '--name', '   ', '--data', dir]);
    expect(blank.code).toBe(2);
    expect(blank.out).toContain('--name: must not be empty');
    const bell = await wegweiser(['user', 'add', 'lena', '--name', 'Lena\u0007', '--data', dir]);
    expect(bell.code).toBe(2);
    expect(bell.out).toContain('--name: contains control characters or line breaks (U+0007)');
    expect(await readFile(path.join(dir, USERS_FILE), 'utf8')).toBe(pristine.get(USERS_FILE));
  });

  it('delivery.json damaged: start sets it aside and says why in the log, then runs; nothing of it is printed', async () => {
    for (const [f, text] of pristine) await writeFile(path.join(dir, f), text);
    const hash = 'f'.repeat(20) + '0123456789abcdef' + MARKER;
    await writeFile(path.join(dir, DELIVERY_FILE), `{"version": 1, "displays": {"ds-a": {"desiredHash": ${hash}`);
    const child = spawn(process.execPath, ['bin/wegweiser.js', ...START, '--data', dir], { env: { ...process.env, WEGWEISER_LOG_FORMAT: 'json' } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await waitUntil(() => out.includes('Wegweiser is running'), 'the controller to start', 20_000);
      expect(out).toContain(path.join(dir, DELIVERY_FILE));
      expect(out).toMatch(/delivery records damaged \([^)]*delivery\.json: not valid JSON at line 1, column \d+\)/);
      expect(out).not.toContain('0123456789abcdef');
      expect(out).not.toContain(MARKER.slice(0, 10));
      expect(leaks(out, secretValues)).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
