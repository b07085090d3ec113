// A display can only ever hurt itself, and an admin can always bring it back — against our aedes broker and a real
// Mosquitto (with the settings `wegweiser mqtt-files` documents). The attacker holds one display's broker login:
// it can publish anything on that display's own status topics, with any client id.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import type { DisplayStatus } from '../../controller/delivery/status.js';
import { DELIVERY_FILE } from '../../controller/delivery/records.js';
import { topics } from '../../controller/protocol/topics.js';
import { CONTROLLER_MQTT_USER } from '../../controller/store/secrets.js';
import type { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { aedesBroker, mosquittoBroker, type TestBroker, type TestBrokerFactory } from '../helpers/brokers.js';
import { api, MOSQUITTO, needs, startTestController, tempDir, testConfig, waitUntil, writeData } from '../helpers/env.js';
import { simFor } from '../helpers/fixture.js';

const IDS = ['ds-a', 'ds-b', 'ds-c'];
const UINT32_MAX = 4294967295;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StoredRecords {
  displays: Record<string, { nextSeq: number; seqKnown?: boolean; confirmedHash: string | null }>;
}

/** `foreignClientIds`: the broker refuses a login with another's client id (aedes), or replaces it by the login's own (Mosquitto). */
function displaySecuritySuite(factory: TestBrokerFactory, foreignClientIds: 'refused' | 'replaced'): void {
  let dir: string;
  let cleanup: () => Promise<void>;
  let broker: TestBroker;
  let ctl: Controller;
  const sims = new Map<string, MqttSimDisplay>();
  const clients: MqttClient[] = [];
  const sim = (id: string) => sims.get(id) as MqttSimDisplay;
  const status = (id: string) => ctl.delivery.status(id);
  const t = () => topics(ctl.ctx.config.mqtt.topicPrefix);
  const startCtl = async () => {
    ctl = await startTestController(dir, { mqtt: { url: broker.url } });
  };
  const patch = (roomId: string, body: unknown) => api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify(body) });
  /** An edit of the room's sign; resolves with the frame its display should show now. */
  const edit = async (roomId: string, displayId: string, officeHours: string) => {
    expect((await patch(roomId, { officeHours })).status).toBe(200);
    await ctl.signs.idle();
    return status(displayId).desiredHash as string;
  };
  const records = async () => JSON.parse(await readFile(path.join(dir, DELIVERY_FILE), 'utf8')) as StoredRecords;
  /** A client holding `login`'s broker credentials, connecting with `clientId` (its own by default). */
  const as = async (login: string, clientId = login) => {
    const c = await mqtt.connectAsync(broker.url, { clientId, username: login, password: ctl.secrets.mqttPassword(login), reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const tmp = await tempDir();
    dir = tmp.dir;
    cleanup = tmp.cleanup;
    await writeData(dir, smallBuilding());
    broker = await factory(dir, testConfig(dir).mqtt.topicPrefix, IDS);
    await startCtl();
    for (const id of IDS) {
      const s = simFor(ctl, id);
      await s.start();
      sims.set(id, s);
    }
    await waitUntil(() => IDS.every((id) => status(id).inSync), 'every display in sync at start');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await Promise.all([...sims.values()].map((s) => s.stop()));
    await ctl?.stop();
    await broker?.stop();
    await cleanup?.();
  });

  it('an impossible sequence number from a display\'s own login is refused, shown as a fault, and never stored', async () => {
    const rogue = await as('ds-a'); // its own client id: it can only ever take ds-a's own connection
    const hello = sim('ds-a').device.hello();
    await rogue.publishAsync(t().hello('ds-a'), JSON.stringify({ ...hello, lastSeq: 2 ** 32 }), { qos: 1 });
    await waitUntil(() => status('ds-a').fault?.code === 'invalid-message', 'the out-of-range hello to be refused');
    expect(status('ds-a').fault?.message).toMatch(/^hello refused: lastSeq: /);

    // Well-formed but impossible reports, authenticated as the display itself would (its key, its counter): what a
    // display whose flash holds another installation's counter says. (Without the key a login's reports are refused
    // before their numbers are even looked at: security-messages.test.ts.)
    const signed = async (leaf: 'hello' | 'nak', body: object) => (await sim('ds-a').device.message(leaf, body)) as Buffer;
    await rogue.publishAsync(t().hello('ds-a'), await signed('hello', { ...hello, lastSeq: UINT32_MAX }), { qos: 1 });
    await rogue.publishAsync(t().nak('ds-a'), await signed('nak', { seq: null, reason: 'stale-seq', detail: 'forged', lastSeq: UINT32_MAX - 1 }), { qos: 1 });
    await rogue.endAsync();
    await waitUntil(() => status('ds-a').fault?.code === 'impossible-seq', 'the impossible reports to be refused');
    const shown = (await (await api(ctl, '/api/displays/ds-a')).json()) as DisplayStatus;
    expect(shown.fault).toMatchObject({ code: 'impossible-seq', message: expect.stringContaining(String(UINT32_MAX - 1)) });

    // The display itself is unharmed: the next edit reaches it.
    await waitUntil(() => sim('ds-a').connected, 'ds-a connected');
    const want = await edit('r-a', 'ds-a', 'Mo 8–9 Uhr (nach dem Angriff)');
    await sim('ds-a').waitFor(want);
    await waitUntil(() => status('ds-a').inSync, 'ds-a confirmed');

    // Nothing impossible reached the disk, and after a restart the display is served as before.
    await ctl.stop();
    const stored = (await records()).displays['ds-a'];
    expect(stored?.nextSeq).toBeGreaterThan(sim('ds-a').device.lastSeq ?? 0);
    expect(stored?.nextSeq).toBeLessThan(2 ** 20);
    await startCtl();
    const again = await edit('r-a', 'ds-a', 'Mo 9–10 Uhr (nach dem Neustart)');
    await sim('ds-a').waitFor(again);
    await waitUntil(() => IDS.every((id) => status(id).inSync), 'every display in sync after the restart');
  });

  it('an impossible counter stored by an older version is dropped at start: the display is served and the fault shown', async () => {
    await ctl.stop();
    const file = await records();
    const rec = file.displays['ds-c'];
    if (!rec) throw new Error('no record for ds-c');
    // What the old controller wrote after adopting a hello with lastSeq 4294967295 (and counting on).
    file.displays['ds-c'] = { ...rec, nextSeq: 4294967302 };
    delete file.displays['ds-c'].seqKnown;
    await writeFile(path.join(dir, DELIVERY_FILE), JSON.stringify(file));
    await startCtl();
    expect(status('ds-c').fault).toMatchObject({ code: 'impossible-seq', message: expect.stringContaining('4294967302') });
    const want = await edit('r-c', 'ds-c', 'Fr 8–9 Uhr (nach dem Update)');
    await sim('ds-c').waitFor(want);
    await waitUntil(() => status('ds-c').inSync, 'ds-c confirmed');
    // What it learned replaced the impossible number on disk (records are written within 100 ms).
    await waitUntil(async () => ((await records()).displays['ds-c']?.nextSeq ?? Infinity) < 2 ** 20, 'a sane counter on disk');
  });

  it('reset delivery (admins only, audited) brings back a display whose own counter is above anything we sent', async () => {
    // ds-b's flash holds the counter of an earlier installation: our numbering cannot vouch for it, so the
    // controller refuses to adopt it — and the display refuses our lower numbers.
    await sim('ds-b').stop();
    sim('ds-b').device.lastSeq = 5000;
    await sim('ds-b').start();
    await waitUntil(() => status('ds-b').fault?.code === 'impossible-seq', 'its hello to be refused');
    const refusedBefore = sim('ds-b').device.refused.length;
    const want = await edit('r-b', 'ds-b', 'Di 8–9 Uhr (Zähler)');
    await waitUntil(() => sim('ds-b').device.refused.length > refusedBefore, 'ds-b to refuse the transfer');
    expect(sim('ds-b').device.refused.at(-1)?.reason).toBe('stale-seq');
    expect(sim('ds-b').device.framebuffer?.hash).not.toBe(want);

    // Not for editors; not for unknown displays.
    const editor = await ctl.users.add({ username: 'eddie', name: 'Eddie Editor', role: 'editor', unitIds: ['u-1'], mustChangePassword: false });
    const editorToken = await ctl.users.createToken(editor.user.id, 'tests');
    const denied = await fetch(`${ctl.httpUrl}/api/displays/ds-b/reset`, { method: 'POST', headers: { authorization: `Bearer ${editorToken}` } });
    expect(denied.status).toBe(403);
    expect((await api(ctl, '/api/displays/ds-nobody/reset', { method: 'POST' })).status).toBe(404);

    const res = await api(ctl, '/api/displays/ds-b/reset', { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await res.json()) as DisplayStatus).toMatchObject({ id: 'ds-b', fault: null, failed: false, confirmedHash: null });
    await sim('ds-b').waitFor(want);
    await waitUntil(() => status('ds-b').inSync, 'ds-b confirmed after the reset');
    // Its own counter was respected: our first number was refused as stale, the answer taught the counter.
    expect(sim('ds-b').device.lastSeq).toBeGreaterThan(5000);
    expect(sim('ds-b').device.refused.at(-1)).toMatchObject({ reason: 'stale-seq', seq: 1 });
    expect(sim('ds-b').device.displayed.at(-1)?.refresh).toBe('full');
    expect(status('ds-b').fault).toBeNull();

    const audit = (await (await api(ctl, '/api/audit?entity=display&id=ds-b')).json()) as { action: string; user: string; before: { fault: string | null } }[];
    expect(audit[0]).toMatchObject({ action: 'reset-delivery', user: 'admin', before: { fault: expect.stringContaining('5000') } });
  });

  it(`a login cannot take over another's connection: client ids other than its own are ${foreignClientIds}`, async () => {
    const b = sim('ds-b');
    const connectsBefore = b.connects;
    const linkBefore = ctl.delivery.brokerStatus();
    let dropped = false;
    const off = ctl.ctx.bus.on('display.status', (s) => {
      if (s.id === 'ds-b' && s.availability !== 'online') dropped = true;
    });
    try {
      for (const clientId of ['wegweiser-display-ds-b', 'ds-b', CONTROLLER_MQTT_USER]) {
        const c = await as('ds-a', clientId).catch((err: Error) => err);
        if (foreignClientIds === 'refused') expect(c).toBeInstanceOf(Error);
        else expect(c).not.toBeInstanceOf(Error);
        if (!(c instanceof Error)) await c.endAsync();
      }
      // A wrong password with the controller's own client id is refused before it could replace anything.
      const guess = await mqtt
        .connectAsync(broker.url, { clientId: CONTROLLER_MQTT_USER, username: CONTROLLER_MQTT_USER, password: 'guess', reconnectPeriod: 0, connectTimeout: 5000 })
        .catch((err: Error) => err);
      expect(guess).toBeInstanceOf(Error);
      await sleep(500);
      expect(dropped).toBe(false); // its last will never fired
      expect(b.connected).toBe(true);
      expect(b.connects).toBe(connectsBefore);
      expect(ctl.delivery.brokerStatus()).toEqual(linkBefore);
      expect(status('ds-b').availability).toBe('online');
    } finally {
      off();
    }
    const want = await edit('r-b', 'ds-b', 'Di 10–11 Uhr (unberührt)');
    await b.waitFor(want);
  });
}

describe('display security on our aedes broker', () => {
  displaySecuritySuite(aedesBroker, 'refused');
});

describe.runIf(needs(MOSQUITTO, 'mosquitto'))('display security on Mosquitto with the files and settings Wegweiser documents', () => {
  displaySecuritySuite(mosquittoBroker, 'replaced');
});
