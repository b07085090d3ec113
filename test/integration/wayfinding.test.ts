// Wayfinding over real HTTP on the demo building: the public visitor API (no login) and its refusals, an absence
// changing where a search leads, a lift closed through the staff API, a graph edit that would cut a room off, and the
// e-paper directory sign following an assignment change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoData } from '../../controller/store/demo.js';
import { composeForDisplay } from '../../controller/signs/compose.js';
import { renderSign, PANELS } from '../../renderer/index.js';
import type { Controller } from '../../controller/main.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';

describe('wayfinding API', () => {
  let ctl: Controller;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeData(t.dir, demoData());
    ctl = await startTestController(t.dir);
    await ctl.signs.idle();
  });
  afterAll(async () => {
    await ctl?.stop();
    await cleanup?.();
  });

  const pub = (path: string) => fetch(`${ctl.httpUrl}/api/public${path}`);
  const call = (path: string, method: string, body?: unknown) => api(ctl, path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const issues = async (r: Response) => ((await r.json()) as { error: { issues?: { field: string; message: string }[] } }).error.issues ?? [];

  it('answers visitors without a login: search, route, plans as SVG and PNG', async () => {
    const s = await pub('/search?q=' + encodeURIComponent('Aufenthaltstitel verlaengern'));
    expect(s.status).toBe(200);
    const body = (await s.json()) as { from: { nodeId: string }; hits: { id: string; destination: { roomId: string } }[] };
    expect(body.from.nodeId).toBe('kiosk-foyer');
    expect(body.hits[0]?.id).toBe('s-verlaengern');
    const roomId = body.hits[0]?.destination.roomId as string;
    const r = await pub(`/route?to=${roomId}&from=d-2.14&stepFree=1`);
    expect(r.status).toBe(200);
    const plan = (await r.json()) as { ok: boolean; directions: { de: string[] }; floors: { floorId: string }[] };
    expect(plan.ok).toBe(true);
    expect(plan.directions.de[0]).toBe('Sie sind hier: Zimmer 2.14 (2. Obergeschoss).');
    const svg = await pub(`/plan/f-2.svg?to=${roomId}&from=d-2.14&lang=en`);
    expect(svg.headers.get('content-type')).toContain('image/svg+xml');
    expect(await svg.text()).toContain('You are here');
    const png = await pub(`/plan/${plan.floors.at(-1)?.floorId}.png?to=${roomId}`);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await png.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses bad input with the field at fault', async () => {
    const cases: [string, number, string][] = [
      ['/search?q=', 400, 'q'],
      ['/search', 400, 'q'],
      [`/search?q=${'x'.repeat(1000)}`, 400, 'q'],
      ['/search?q=Kasse&from=nowhere', 400, 'from'],
      ['/search?q=Kasse&from=%3Cscript%3E', 400, 'from'],
      ['/search?q=Kasse&stepFree=maybe', 400, 'stepFree'],
      ['/search?q=Kasse&admin=1', 400, 'admin'],
      ['/route?to=r-ghost', 404, 'to'],
      ['/route', 400, 'to'],
      ['/plan/f-9.svg', 404, 'floorId'],
      ['/plan/f-2.svg?to=r-ghost', 404, 'to'],
      ['/plan/f-2.png?lang=fr', 400, 'lang'],
    ];
    for (const [path, status, field] of cases) {
      const res = await pub(path);
      expect(res.status, path).toBe(status);
      expect((await issues(res)).map((i) => i.field), path).toContain(field);
    }
  });

  it('marking a person absent changes where a search for them leads', async () => {
    const target = async () => ((await (await pub('/search?q=Zimmermann')).json()) as { hits: { destination: { number: string } }[] }).hits[0]?.destination.number;
    expect(await target()).toBe('2.14');
    const until = new Date(Date.now() + 86_400_000).toISOString();
    expect((await call('/api/people/p-zimmermann', 'PATCH', { absence: { until, substituteRoomId: 'r-2.15' } })).status).toBe(200);
    expect(await target()).toBe('2.15');
    expect((await call('/api/people/p-zimmermann', 'PATCH', { absence: null })).status).toBe(200);
    expect(await target()).toBe('2.14');
  });

  it('a lift stop closed by staff takes effect at once: step-free says so plainly; the floors above stay served; reopened, back', async () => {
    const stepFree = async (to: string) => (await (await pub(`/route?to=${to}&stepFree=1`)).json()) as { ok: boolean; reason?: string; directions?: { de: string[] } };
    expect((await stepFree('r-1.07')).ok).toBe(true);
    expect((await call('/api/building/closures', 'POST', { id: 'lift-1', reason: 'Wartung bis 14 Uhr' })).status).toBe(201);
    expect((await call('/api/building/closures', 'POST', { id: 'lift-1', reason: 'doppelt' })).status).toBe(409);
    expect(await issues(await call('/api/building/closures', 'POST', { id: 'lift-9', reason: '' }))).toEqual([{ field: 'id', message: 'unknown node or edge "lift-9"' }]);
    expect(await stepFree('r-1.07')).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    const normal = (await (await pub('/route?to=r-1.07')).json()) as { directions: { de: string[] } };
    expect(normal.directions.de.join(' ')).toContain('Treppe hinauf');
    // The lift still rides past the 1st floor to the 2nd.
    expect((await stepFree('r-2.16')).directions?.de.join(' ')).toContain('Aufzug');
    expect((await call('/api/building/closures/lift-1', 'DELETE')).status).toBe(204);
    expect((await stepFree('r-1.07')).directions?.de.join(' ')).toContain('Aufzug');
  });

  it('refuses a graph edit that would cut a room off, naming the room, and stores nothing', async () => {
    const building = (await (await call('/api/building', 'GET')).json()) as { graph: { nodes: { id: string }[]; edges: { id: string; a: string; b: string }[] } };
    const before = JSON.stringify(ctl.ctx.store.data.graph);
    // Cut the 2nd-floor corridor east of the lift and the east stairs: 2.10 … 2.16 can no longer be reached.
    const edges = building.graph.edges.filter((e) => e.id !== 'c2-33_c2-35' && e.id !== 'stairs-e-1_stairs-e-2');
    const res = await call('/api/building', 'PUT', { graph: { ...building.graph, edges } });
    expect(res.status).toBe(400);
    const messages = (await issues(res)).map((i) => i.message);
    expect(messages).toContain('room 2.14 cannot be reached from an entrance');
    expect(JSON.stringify(ctl.ctx.store.data.graph)).toBe(before);
    // The unchanged graph is accepted.
    expect((await call('/api/building', 'PUT', { graph: building.graph })).status).toBe(200);
  });

  it('the directory sign of a floor follows an assignment change', async () => {
    const dir = () => ctl.ctx.store.data.displays.find((d) => d.id === 'dir-2') as NonNullable<ReturnType<typeof ctl.ctx.store.data.displays.find>>;
    const desired = () => ctl.delivery.allStatus().find((s) => s.id === 'dir-2')?.desiredHash;
    const before = desired();
    const room = ctl.ctx.store.data.rooms.find((r) => r.id === 'r-2.16');
    expect((await call('/api/rooms/r-2.16', 'PATCH', { version: room?.version, serviceIds: ['s-studium', 's-verpflichtung'] })).status).toBe(200);
    await ctl.signs.idle();
    const expected = (await renderSign(composeForDisplay(ctl.ctx.store.data, dir(), Date.now()), PANELS['epd-7in5-bw'])).frame.hash;
    await waitUntil(() => desired() === expected, 'the directory sign re-rendered');
    expect(expected).not.toBe(before);
  });
});
