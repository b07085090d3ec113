// Device messages are authenticated (protocol v1.1): whoever holds a display's broker login — but not its frame key
// — can neither report a frame the panel does not show ("confirmed") nor replay an old, once-true report; a v1.0
// display is served only by explicit opt-in, and a display seen authenticating cannot be downgraded. Against our
// aedes broker and a real Mosquitto, with real simulated displays.
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import { topics } from '../../controller/protocol/topics.js';
import { signDeviceMessage, type AuthenticatedLeaf } from '../../controller/protocol/device-message.js';
import { NO_FAULTS } from '../../firmware-sim/faults.js';
import type { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { aedesBroker, mosquittoBroker, type TestBroker, type TestBrokerFactory } from '../helpers/brokers.js';
import { api, MOSQUITTO, needs, startTestController, tempDir, testConfig, waitUntil, writeData } from '../helpers/env.js';
import { simFor } from '../helpers/fixture.js';

const IDS = ['ds-a', 'ds-b', 'ds-c'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function messageSecuritySuite(factory: TestBrokerFactory): void {
  let dir: string;
  let cleanup: () => Promise<void>;
  let broker: TestBroker;
  let ctl: Controller;
  const sims = new Map<string, MqttSimDisplay>();
  const sim = (id: string) => sims.get(id) as MqttSimDisplay;
  const status = (id: string) => ctl.delivery.status(id);
  const t = () => topics(ctl.ctx.config.mqtt.topicPrefix);
  const patch = (roomId: string, body: unknown) => api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify(body) });
  const edit = async (roomId: string, displayId: string, officeHours: string) => {
    expect((await patch(roomId, { officeHours })).status).toBe(200);
    await ctl.signs.idle();
    return status(displayId).desiredHash as string;
  };
  /** The stolen broker login of `id` (its own client id — the only one it may use), publishing `messages`. */
  const asLogin = async (id: string, messages: [AuthenticatedLeaf, Buffer | string][]) => {
    const c: MqttClient = await mqtt.connectAsync(broker.url, { clientId: id, username: id, password: ctl.secrets.mqttPassword(id), reconnectPeriod: 0, connectTimeout: 5000 });
    try {
      for (const [leaf, payload] of messages) await c.publishAsync(t()[leaf](id), payload, { qos: 1 });
    } finally {
      await c.endAsync();
    }
  };
  /** Every status the controller publishes for `id` that claims `hash` is confirmed while the panel shows otherwise. */
  const watchLies = (id: string, hash: string) => {
    const lies: string[] = [];
    const off = ctl.ctx.bus.on('display.status', (s) => {
      if (s.id === id && (s.confirmedHash === hash || s.inSync) && sim(id).device.framebuffer?.hash !== hash) lies.push(`confirmed ${s.confirmedHash?.slice(0, 8)} inSync ${s.inSync}`);
    });
    return { lies, off };
  };
  const blind = (id: string, on: boolean) => {
    sim(id).link.faults = { ...NO_FAULTS, ...(on ? { drop: 1 } : {}) }; // every chunk and every reply lost
  };
  /** Lets it see again and say hello, so the controller serves it at once. */
  const restore = async (id: string, want: string) => {
    blind(id, false);
    await sim(id).stop();
    await sim(id).start();
    await sim(id).waitFor(want, 15_000);
    await waitUntil(() => status(id).inSync, `${id} confirmed for real`);
  };
  /** Starts `id` with this firmware; `flashFrom`: the same physical display (screen and flash) with other firmware. */
  const startSim = async (id: string, protocolMinor: 0 | 1, flashFrom?: MqttSimDisplay) => {
    const s = simFor(ctl, id, { protocolMinor });
    if (flashFrom) {
      const d = flashFrom.device;
      Object.assign(s.device, { framebuffer: d.framebuffer, lastSeq: d.lastSeq, scheduled: d.scheduled, ctrReserved: d.ctrReserved });
    }
    sims.set(id, s);
    await s.start();
    return s;
  };

  beforeAll(async () => {
    const tmp = await tempDir();
    dir = tmp.dir;
    cleanup = tmp.cleanup;
    const data = smallBuilding();
    const c = data.displays.find((d) => d.id === 'ds-c');
    if (!c) throw new Error('fixture without ds-c');
    c.protocol = '1.0'; // an explicit opt-in: a v1.0 display, "unauthenticated reports"
    await writeData(dir, data);
    broker = await factory(dir, testConfig(dir).mqtt.topicPrefix, IDS);
    ctl = await startTestController(dir, { mqtt: { url: broker.url } });
    await startSim('ds-a', 1);
    await startSim('ds-b', 1);
    await startSim('ds-c', 0);
    await waitUntil(() => IDS.every((id) => status(id).inSync), 'every display in sync at start');
  });

  afterAll(async () => {
    await Promise.all([...sims.values()].map((s) => s.stop()));
    await ctl?.stop();
    await broker?.stop();
    await cleanup?.();
  });

  it('a forged "confirmed" (valid JSON, the display\'s own login, no tag or a made-up one) is refused; the status never says confirmed', async () => {
    const a = sim('ds-a');
    blind('ds-a', true);
    const inFlight = new Promise<number>((resolve) => a.once('chunk', (c) => resolve(c.readUInt32BE(0))));
    const want = await edit('r-a', 'ds-a', 'Mo 8–9 Uhr (nie gezeigt)');
    const seq = await inFlight; // the transfer the controller waits to see acknowledged
    const watch = watchLies('ds-a', want);
    try {
      const ack = { seq, hash: want, activateAt: 0 };
      await asLogin('ds-a', [['ack', JSON.stringify(ack)]]);
      await sleep(300);
      expect(watch.lies).toEqual([]);
      await waitUntil(() => status('ds-a').fault?.code === 'unauthenticated-message', 'the untagged ack to be refused');
      // The attacker knows the broker password, not the frame key: a tag under the password is a forgery — and its
      // huge counter is never adopted (the display's own messages stay accepted below).
      const forged = signDeviceMessage('ack', ack, 4294967295, Buffer.from(ctl.secrets.mqttPassword('ds-a')));
      await asLogin('ds-a', [['ack', forged]]);
      await waitUntil(() => status('ds-a').fault?.code === 'forged-message', 'the forged ack to be refused');
      await sleep(300);
      expect(status('ds-a')).toMatchObject({ inSync: false });
      expect(status('ds-a').confirmedHash).not.toBe(want);
      expect(watch.lies).toEqual([]);
    } finally {
      watch.off();
    }
    await restore('ds-a', want);
    expect(a.device.refused).toEqual([]);
  });

  it('an old genuine report, replayed with the display\'s login, is refused: a hello and an ack that were true once', async () => {
    const b = sim('ds-b');
    const sent: { leaf: string; payload: Buffer }[] = [];
    const record = (leaf: string, payload: Buffer) => sent.push({ leaf, payload });
    b.on('sent', record);
    const old = await edit('r-b', 'ds-b', 'Di 8–9 Uhr (damals)');
    await b.waitFor(old);
    await waitUntil(() => status('ds-b').inSync, 'ds-b confirmed');
    await b.stop();
    await b.start(); // says hello: "I show `old`"
    const oldHello = await waitUntil(() => sent.find((m) => m.leaf === 'hello' && m.payload.toString().includes(`"shownHash":"${old}"`)), 'a hello that says it shows the old frame');
    const oldAck = sent.find((m) => m.leaf === 'ack' && m.payload.toString().includes(`"hash":"${old}"`));
    if (!oldAck) throw new Error('no ack for the old frame captured');
    const now = await edit('r-b', 'ds-b', 'Di 9–10 Uhr (jetzt)');
    await b.waitFor(now);
    await waitUntil(() => status('ds-b').inSync, 'ds-b confirmed the new frame');

    // The display goes on reporting (telemetry) — more than the last 16 messages, whose exact copies the controller
    // drops quietly as MQTT duplicates: what follows is an old report, not a duplicate.
    for (let i = 0; i < 20; i++) b.reportTelemetry();
    await waitUntil(() => sent.filter((m) => m.leaf === 'telemetry').length >= 20, 'its telemetry to go out');
    await sleep(200);
    expect(status('ds-b').fault).toBeNull();

    // The sign goes back to the old content, the display does not get it — and the old reports are replayed.
    blind('ds-b', true);
    expect(await edit('r-b', 'ds-b', 'Di 8–9 Uhr (damals)')).toBe(old);
    const watch = watchLies('ds-b', old);
    try {
      await asLogin('ds-b', [
        ['hello', oldHello.payload],
        ['ack', oldAck.payload],
      ]);
      await sleep(300);
      expect(watch.lies).toEqual([]);
      await waitUntil(() => status('ds-b').fault?.code === 'replayed-message', 'the replayed reports to be refused');
      // A copy of its latest message is what at-least-once delivery produces: not used either, and no fault.
      const latest = sent.at(-1);
      if (!latest) throw new Error('nothing sent');
      const faultAt = status('ds-b').fault?.at;
      await asLogin('ds-b', [[latest.leaf as AuthenticatedLeaf, latest.payload]]);
      await sleep(300);
      expect(status('ds-b').fault?.at).toBe(faultAt);
      expect(status('ds-b').inSync).toBe(false);
      expect(b.device.framebuffer?.hash).toBe(now);
      expect(watch.lies).toEqual([]);
    } finally {
      watch.off();
    }
    b.off('sent', record);
    await restore('ds-b', old);
  });

  it('a v1.0 display is served only by explicit opt-in, shown as "unauthenticated reports"; one seen authenticating cannot be downgraded', async () => {
    // ds-c opted in (data file: "protocol": "1.0"): its untagged reports are believed.
    expect(status('ds-c')).toMatchObject({ inSync: true, protocol: '1.0', unauthenticatedReports: true, fault: null });
    const shown = (await (await api(ctl, '/api/displays/ds-c')).json()) as { unauthenticatedReports: boolean };
    expect(shown.unauthenticatedReports).toBe(true);

    // ds-b did not opt in: the same v1.0 firmware is recognised and refused.
    const genuineB = sim('ds-b');
    await genuineB.stop();
    const legacyB = await startSim('ds-b', 0, genuineB);
    await waitUntil(() => status('ds-b').fault?.code === 'unauthenticated-message', 'ds-b\'s v1.0 hello to be refused');
    expect(status('ds-b').fault?.message).toMatch(/"protocol": "1.0"/);
    const want = await edit('r-b', 'ds-b', 'Di 10–11 Uhr (v1.0)');
    await legacyB.waitFor(want); // frames still reach it (they are authenticated by the controller) …
    await sleep(500);
    expect(status('ds-b').inSync).toBe(false); // … but its unauthenticated ack is not believed
    await legacyB.stop();
    await startSim('ds-b', 1, legacyB);
    await waitUntil(() => status('ds-b').inSync, 'the v1.1 ds-b confirmed');

    // ds-c's firmware is updated to v1.1 — and afterwards an untagged report is a downgrade, opt-in or not.
    const firstC = sim('ds-c');
    await firstC.stop();
    const updated = await startSim('ds-c', 1, firstC);
    await waitUntil(() => status('ds-c').protocol === '1.1', 'ds-c says hello as v1.1');
    await updated.stop();
    const legacyC = await startSim('ds-c', 0, updated);
    await waitUntil(() => status('ds-c').fault?.code === 'unauthenticated-message', 'the downgrade to be refused');
    expect(status('ds-c').fault?.message).toMatch(/no downgrade/);
    // An admin who knows the firmware really went back resets delivery: the opt-in applies again.
    expect((await api(ctl, '/api/displays/ds-c/reset', { method: 'POST' })).status).toBe(200);
    await legacyC.stop();
    await legacyC.start();
    await waitUntil(() => status('ds-c').inSync && status('ds-c').fault === null, 'the v1.0 ds-c confirmed after the reset');
  });
}

describe('device-message security on our aedes broker', () => {
  messageSecuritySuite(aedesBroker);
});

describe.runIf(needs(MOSQUITTO, 'mosquitto'))('device-message security on Mosquitto with the files and settings Wegweiser documents', () => {
  messageSecuritySuite(mosquittoBroker);
});
