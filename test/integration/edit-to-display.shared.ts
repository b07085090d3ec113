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
import { CONTROLLER_MQTT_USER } from '../../controller/store/secrets.js';

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
    const client = await mqtt.connectAsync(ctl.mqttUrl, { clientId: `probe-${process.pid}`, username: 'ds-c', password: ctl.secrets.mqttPassword('ds-c') });
    try {
      const state = new Promise<string>((resolve) => client.on('message', (topic, p) => topic === t.bridgeState && resolve(p.toString())));
      await client.subscribeAsync(t.bridgeState);
      expect(await state).toBe('online');
    } finally {
      await client.endAsync();
    }
  });

  it('garbage on display topics is dropped and every display keeps being served', async () => {
    const t = topics(ctl.ctx.config.mqtt.topicPrefix);
    // A broker-level client (the controller's login) publishing garbage: the worst a compromised broker could do.
    const client = await mqtt.connectAsync(ctl.mqttUrl, { clientId: `garbage-${process.pid}`, username: CONTROLLER_MQTT_USER, password: ctl.secrets.controllerMqttPassword() });
    try {
      await client.publishAsync(t.hello('ds-a'), Buffer.from([0xff, 0x00, 0x7b]));
      await client.publishAsync(t.hello('ds-a'), JSON.stringify({ id: 'ds-b', protocol: 0 }));
      await client.publishAsync(t.ack('ds-a'), JSON.stringify({ seq: -1, hash: 'zz' }));
      await client.publishAsync(t.ack('ds-a'), 'x'.repeat(100_000));
      await client.publishAsync(t.nak('ds-b'), '{"seq":');
      await client.publishAsync(t.availability('ds-c'), 'maybe');
      await client.publishAsync(t.hello('no-such-display'), JSON.stringify({ ...sim('ds-a').device.hello(), id: 'no-such-display' }));
      await client.publishAsync(`${ctl.ctx.config.mqtt.topicPrefix}/display/a/b/c/hello`, '{}');
    } finally {
      await client.endAsync();
    }
    await patch('r-c', { officeHours: 'Mi 10–11 Uhr' });
    const expected = await expectedFrameFor('r-c');
    await sim('ds-c').waitFor(expected.hash);
    expect(ctl.delivery.allStatus().map((s) => s.availability)).toEqual(['online', 'online', 'online']);
    await waitUntil(() => ctl.delivery.allStatus().every((s) => s.inSync), 'all displays in sync after garbage');
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
