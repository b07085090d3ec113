// The foundation's end-to-end path, against any broker: an HTTP edit reaches exactly the affected simulated
// displays, and what they show equals, pixel for pixel, what the renderer makes of the new stored state.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import { Data } from '../../controller/domain/model.js';
import { DATA_FILE } from '../../controller/store/store.js';
import { composeDoorSign } from '../../controller/signs/compose.js';
import { renderSign, PANELS } from '../../renderer/index.js';
import { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import mqtt from 'mqtt';
import { topics } from '../../controller/protocol/topics.js';
import { api, waitUntil } from '../helpers/env.js';
import { startFixture, type BrokerFactory, type Fixture } from '../helpers/fixture.js';

export function editToDisplaySuite(broker: BrokerFactory): void {
  let f: Fixture;
  let ctl: Controller;
  let dataDir: string;
  let sims: Map<string, MqttSimDisplay>;

  beforeAll(async () => {
    f = await startFixture(broker);
    ({ ctl, dataDir, sims } = f);
  });

  afterAll(async () => {
    await f?.stop();
  });

  const sim = (id: string) => sims.get(id) as MqttSimDisplay;

  async function expectedFrameFor(roomId: string) {
    // Independent of the running controller: read what is on disk and render it afresh.
    const data = Data.parse(JSON.parse(await readFile(path.join(dataDir, DATA_FILE), 'utf8')));
    return (await renderSign(composeDoorSign(data, roomId), PANELS['epd-7in5-bw'])).frame;
  }

  async function patch(roomId: string, body: unknown) {
    const res = await f.patch(roomId, body);
    expect(res.status, await res.clone().text()).toBe(200);
    return res.json() as Promise<{ version: number }>;
  }

  it('every display starts showing the frame rendered from the stored state', async () => {
    for (const [id, roomId] of [['ds-a', 'r-a'], ['ds-b', 'r-b'], ['ds-c', 'r-c']] as const) {
      const expected = await expectedFrameFor(roomId);
      expect(sim(id).device.framebuffer?.hash).toBe(expected.hash);
    }
  });

  it('a notice posted over HTTP reaches only that room\'s display, pixel for pixel', async () => {
    const before = { b: sim('ds-b').device.framesReceived, c: sim('ds-c').device.framesReceived };
    const oldHash = sim('ds-a').device.framebuffer?.hash;
    await patch('r-a', { notice: { text: 'Heute geschlossen – bitte gehen Sie zu Raum 1.02. Größe & <Maß>', redirectRoomId: 'r-b' } });
    const expected = await expectedFrameFor('r-a');
    expect(expected.hash).not.toBe(oldHash);
    await sim('ds-a').waitFor(expected.hash);
    const shown = sim('ds-a').device.framebuffer;
    expect(shown?.width).toBe(800);
    expect(Buffer.from(shown?.planes[0] ?? []).equals(Buffer.from(expected.planes[0] ?? []))).toBe(true);
    await waitUntil(() => ctl.delivery.status('ds-a').inSync, 'controller to record the ack');
    expect(ctl.delivery.status('ds-a').confirmedHash).toBe(expected.hash);
    await ctl.signs.idle();
    expect(sim('ds-b').device.framesReceived).toBe(before.b);
    expect(sim('ds-c').device.framesReceived).toBe(before.c);
    expect(sim('ds-a').device.refused).toEqual([]);
  });

  it('renaming a redirect target updates the sign that points to it as well, and no other', async () => {
    const before = sim('ds-c').device.framesReceived;
    await patch('r-b', { name: 'Bürgerservice' });
    const [a, b] = await Promise.all([expectedFrameFor('r-a'), expectedFrameFor('r-b')]);
    await Promise.all([sim('ds-a').waitFor(a.hash), sim('ds-b').waitFor(b.hash)]);
    await ctl.signs.idle();
    expect(sim('ds-c').device.framesReceived).toBe(before);
  });

  it('an edit that changes nothing on the sign sends nothing', async () => {
    const before = [...sims.values()].map((s) => s.device.framesReceived);
    const room = (await (await api(ctl, '/api/rooms/r-c')).json()) as { officeHours: string };
    await patch('r-c', { officeHours: room.officeHours });
    await ctl.signs.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect([...sims.values()].map((s) => s.device.framesReceived)).toEqual(before);
  });

  it('keeps its bridge state retained, so a client connecting later sees "online"', async () => {
    const t = topics(ctl.ctx.config.mqtt.topicPrefix);
    // A login has one connection (its client id is its user name): ds-c's own display steps aside meanwhile.
    await sim('ds-c').stop();
    const client = await mqtt.connectAsync(ctl.mqttUrl, { clientId: 'ds-c', username: 'ds-c', password: ctl.secrets.mqttPassword('ds-c') });
    try {
      const state = new Promise<string>((resolve) => client.on('message', (topic, p) => topic === t.bridgeState && resolve(p.toString())));
      await client.subscribeAsync(t.bridgeState);
      expect(await state).toBe('online');
    } finally {
      await client.endAsync();
      await sim('ds-c').start();
    }
    await waitUntil(() => ctl.delivery.status('ds-c').inSync && ctl.delivery.status('ds-c').availability === 'online', 'ds-c back');
  });

  it('garbage on display topics is dropped, shown as a fault, and every display keeps being served', async () => {
    const t = topics(ctl.ctx.config.mqtt.topicPrefix);
    // What a stolen display login can do: publish garbage on that display's own topics (its client id is its user
    // name, so meanwhile it takes that display's own connection — never another's).
    const as = (id: string) => mqtt.connectAsync(ctl.mqttUrl, { clientId: id, username: id, password: ctl.secrets.mqttPassword(id), reconnectPeriod: 0 });
    const a = await as('ds-a');
    try {
      await a.publishAsync(t.hello('ds-a'), Buffer.from([0xff, 0x00, 0x7b]), { qos: 1 });
      await a.publishAsync(t.hello('ds-a'), JSON.stringify({ id: 'ds-b', protocol: 0 }), { qos: 1 });
      await a.publishAsync(t.ack('ds-a'), JSON.stringify({ seq: -1, hash: 'zz' }), { qos: 1 });
      await a.publishAsync(t.ack('ds-a'), 'x'.repeat(100_000), { qos: 1 });
      await a.publishAsync(t.hello('ds-a'), JSON.stringify({ ...sim('ds-a').device.hello(), id: 'ds-b' }), { qos: 1 });
    } finally {
      await a.endAsync();
    }
    const b = await as('ds-b');
    await b.publishAsync(t.nak('ds-b'), '{"seq":', { qos: 1 }).finally(() => b.endAsync());
    const c = await as('ds-c');
    await c.publishAsync(t.availability('ds-c'), 'maybe', { qos: 1 }).finally(() => c.endAsync());
    // ds-a's last message was well-formed but untagged: refused as unauthenticated (v1.1); the others are garbage.
    await waitUntil(() => ctl.delivery.status('ds-a').fault?.code === 'unauthenticated-message', 'ds-a to show the refused hello');
    await waitUntil(() => ['ds-b', 'ds-c'].every((id) => ctl.delivery.status(id).fault?.code === 'invalid-message'), 'every display to show the refused message');
    expect(ctl.delivery.status('ds-a').fault?.message).toMatch(/^hello without a tag refused/);
    await patch('r-c', { officeHours: 'Mi 10–11 Uhr' });
    const expected = await expectedFrameFor('r-c');
    await sim('ds-c').waitFor(expected.hash);
    await waitUntil(() => ctl.delivery.allStatus().every((s) => s.availability === 'online' && s.inSync), 'all displays online and in sync after garbage');
  });

  it('a display that reboots with an empty screen gets its frame again', async () => {
    const s = sim('ds-c');
    const want = ctl.delivery.status('ds-c').desiredHash as string;
    await s.stop();
    s.device.framebuffer = null;
    s.device.lastSeq = null;
    await s.start();
    await s.waitFor(want);
    await waitUntil(() => ctl.delivery.status('ds-c').inSync, 'ds-c back in sync');
  });
}
