// Broker security against any broker: logins required; a display reads only its own frames and cannot write
// frames at all; and even a client with broker-wide rights cannot make a display show a replayed or forged frame.
// Every login connects with its own client id (its user name): the only one the brokers allow it — so a test that
// uses a display's login lets that display step aside meanwhile.
import { afterAll, beforeAll, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../controller/protocol/topics.js';
import { encodeTransfer, readChunk } from '../../controller/protocol/frame-v1.js';
import { CONTROLLER_MQTT_USER } from '../../controller/store/secrets.js';
import { makeFrame } from '../../renderer/frame.js';
import { waitUntil } from '../helpers/env.js';
import { startFixture, type BrokerFactory, type Fixture } from '../helpers/fixture.js';

export function mqttSecuritySuite(broker: BrokerFactory): void {
  let f: Fixture;
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    f = await startFixture(broker);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await f?.stop();
  });

  const t = () => topics(f.ctl.ctx.config.mqtt.topicPrefix);
  const connect = async (username?: string, password?: string) => {
    const c = await mqtt.connectAsync(f.ctl.mqttUrl, { clientId: username ?? `anonymous-${process.pid}`, username, password, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    return c;
  };
  /** Runs `fn` while display `id`'s simulator is disconnected (its login is taken), then brings it back. */
  const withoutSim = async (id: string, fn: () => Promise<void>) => {
    await f.sim(id).stop();
    try {
      await fn();
    } finally {
      await f.sim(id).start();
      await waitUntil(() => f.ctl.delivery.status(id).inSync && f.ctl.delivery.status(id).availability === 'online', `${id} back`);
    }
  };
  const refusedLogin = async (username?: string, password?: string) => {
    const err = await connect(username, password).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message ?? 'connected').toMatch(/Not authorized|Bad username or password|bad user name|Connection refused/i);
  };

  it('refuses anonymous clients, wrong passwords and unknown users', async () => {
    await refusedLogin();
    await refusedLogin('ds-a', 'not-the-password');
    await refusedLogin('ds-nobody', f.ctl.secrets.mqttPassword('ds-a'));
    await refusedLogin(CONTROLLER_MQTT_USER, 'guess');
  });

  it('a display login cannot write any frame topic, its own included', async () => {
    await withoutSim('ds-a', async () => {
      const rogue = await connect('ds-a', f.ctl.secrets.mqttPassword('ds-a'));
      // It may read its own frame topic: had the broker let its write through, it would get its own chunks back.
      const own: Buffer[] = [];
      rogue.on('message', (topic, p) => topic === t().frame('ds-a') && own.push(p));
      await rogue.subscribeAsync(t().frame('ds-a'), { qos: 1 });
      const before = f.sim('ds-b').device.chunksReceived;
      const forged = encodeTransfer({
      displayId: 'ds-b',
      seq: 1_000_000,
      frame: makeFrame(800, 480, [new Uint8Array(48_000).fill(0xff)]),
      base: null,
      secret: Buffer.alloc(32),
      mtu: 4096,
    });
      for (const c of forged.chunks) {
        await rogue.publishAsync(t().frame('ds-b'), c, { qos: 0 });
        await rogue.publishAsync(t().frame('ds-a'), c, { qos: 0 });
      }
      // Let the broker deliver anything it (wrongly) would, then prove nothing arrived.
      await new Promise((r) => setTimeout(r, 400));
      expect(own).toEqual([]);
      expect(f.sim('ds-b').device.chunksReceived).toBe(before);
    });
  });

  it('a display login cannot read another display\'s frames, even with wildcards', async () => {
    await withoutSim('ds-a', async () => {
      const rogue = await connect('ds-a', f.ctl.secrets.mqttPassword('ds-a'));
      const seen: string[] = [];
      rogue.on('message', (topic) => seen.push(topic));
      const prefix = f.ctl.ctx.config.mqtt.topicPrefix;
      for (const filter of [t().frame('ds-b'), `${prefix}/#`, `${prefix}/display/+/frame`, '#']) {
        await rogue.subscribeAsync(filter, { qos: 1 }).catch(() => undefined);
      }
      const framesBefore = f.sim('ds-b').device.framesReceived;
      const res = await f.patch('r-b', { officeHours: `Do ${8 + Math.floor(Math.random() * 4)}–12 Uhr` });
      expect(res.status).toBe(200);
      await waitUntil(() => f.ctl.delivery.status('ds-b').inSync && f.sim('ds-b').device.framesReceived > framesBefore, 'ds-b to confirm its new frame');
      await new Promise((r) => setTimeout(r, 300));
      expect(rogue.connected).toBe(true); // it listened the whole time
      expect(seen.filter((x) => x.endsWith('/frame'))).toEqual([]);
    });
  });

  it('a captured transfer replayed later, and a forged one, are refused by the display', async () => {
    // The strongest attacker: broker-wide rights (a stolen controller login). It records ds-c's next transfer (as
    // any radio near the display hears it)...
    const captured: Buffer[] = [];
    const record = (p: Buffer) => captured.push(p);
    f.sim('ds-c').on('chunk', record);
    expect((await f.patch('r-c', { officeHours: 'Fr 9–10 Uhr' })).status).toBe(200);
    await waitUntil(() => f.ctl.delivery.status('ds-c').inSync && captured.length > 0, 'ds-c to confirm');
    const shownBefore = f.sim('ds-c').device.framebuffer?.hash;
    // ...the sign changes again...
    expect((await f.patch('r-c', { officeHours: 'Fr 10–11 Uhr' })).status).toBe(200);
    await waitUntil(() => f.ctl.delivery.status('ds-c').inSync && f.sim('ds-c').device.framebuffer?.hash !== shownBefore, 'ds-c to confirm again');
    const shown = f.sim('ds-c').device.framebuffer?.hash;
    // ...and, logged in as the controller (taking its connection for a moment), it replays the old transfer, then
    // sends one made with a guessed key and a high sequence number.
    f.sim('ds-c').off('chunk', record);
    const refusedBefore = f.sim('ds-c').device.refused.length;
    const spy = await connect(CONTROLLER_MQTT_USER, f.ctl.secrets.controllerMqttPassword());
    const head = readChunk(captured[0] as Buffer);
    const firstTransfer = captured.slice(0, head.ok ? head.count : 1);
    for (const c of firstTransfer) await spy.publishAsync(t().frame('ds-c'), c, { qos: 1 });
    const forged = encodeTransfer({
      displayId: 'ds-c',
      seq: 4_000_000_000,
      frame: makeFrame(800, 480, [new Uint8Array(48_000).fill(0xaa)]),
      base: null,
      secret: Buffer.alloc(32, 1),
      mtu: 4096,
    });
    for (const c of forged.chunks) await spy.publishAsync(t().frame('ds-c'), c, { qos: 1 });
    await waitUntil(() => f.sim('ds-c').device.refused.length >= refusedBefore + 2, 'both transfers to be refused');
    expect(f.sim('ds-c').device.refused.slice(refusedBefore).map((r) => r.reason)).toEqual(['stale-seq', 'bad-hmac']);
    expect(f.sim('ds-c').device.framebuffer?.hash).toBe(shown);
    expect(f.sim('ds-c').device.lastSeq).toBeLessThan(4_000_000_000);
    await spy.endAsync();
    // The controller takes its connection back and re-learns every display.
    await waitUntil(() => f.ctl.delivery.brokerStatus().state === 'connected' && f.ctl.delivery.allStatus().every((st) => st.inSync), 'the controller back', 15_000);
  });
}
