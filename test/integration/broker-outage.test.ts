// Broker outages, against our aedes broker and a real Mosquitto, each stopped and started again on the same port,
// with real simulated displays. The controller reaches the broker through a TCP gate, so the test decides that it
// gets back only after every display did (the order that lost state before: the displays' hellos went to nobody).
// The controller runs on a fake clock: nothing here waits for a timeout; retries happen when the test moves time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import type { DisplayStatus } from '../../controller/delivery/status.js';
import type { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import { NO_FAULTS } from '../../firmware-sim/faults.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { aedesBroker, mosquittoBroker, restartableBroker, type RestartableBroker, type TestBrokerFactory } from '../helpers/brokers.js';
import { api, MOSQUITTO, needs, startTestController, tempDir, testConfig, waitUntil, writeData } from '../helpers/env.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { simFor } from '../helpers/fixture.js';
import { startTcpGate, type TcpGate } from '../helpers/tcp-gate.js';

const IDS = ['ds-a', 'ds-b', 'ds-c'];
const ACK_TIMEOUT_MS = 3000;
const RECHECK_BASE_MS = 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function outageSuite(factory: TestBrokerFactory): void {
  const clock = new FakeClock(Date.parse('2026-11-23T10:00:00+01:00'));
  let cleanup: () => Promise<void>;
  let broker: RestartableBroker;
  let gate: TcpGate;
  let ctl: Controller;
  const sims = new Map<string, MqttSimDisplay>();
  const sim = (id: string) => sims.get(id) as MqttSimDisplay;
  const status = (id: string) => ctl.delivery.status(id);
  const patch = (roomId: string, body: unknown) => api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify(body) });

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeData(t.dir, smallBuilding());
    broker = await restartableBroker(factory, t.dir, testConfig(t.dir).mqtt.topicPrefix, IDS);
    gate = await startTcpGate(broker.port);
    ctl = await startTestController(
      t.dir,
      {
        mqtt: { url: gate.url },
        delivery: { ackTimeoutMs: ACK_TIMEOUT_MS, maxAttempts: 5, retryBaseMs: 50, retryMaxMs: 500, recheckBaseMs: RECHECK_BASE_MS, recheckMaxMs: 4 * RECHECK_BASE_MS, fullRefreshHour: null },
      },
      undefined,
      clock,
    );
    for (const id of IDS) {
      // The displays talk to the broker directly (not through the controller's gate), and reconnect quickly.
      const s = simFor(ctl, id, { url: broker.url, reconnectMs: 200 });
      await s.start();
      sims.set(id, s);
    }
    await waitUntil(() => IDS.every((id) => status(id).inSync), 'every display in sync at start');
  });

  afterAll(async () => {
    await Promise.all([...sims.values()].map((s) => s.stop()));
    await ctl?.stop();
    await gate?.close();
    await broker?.stop();
    await cleanup?.();
  });

  /** The broker goes down; the controller's way back stays shut until `reopen()`. */
  async function outage() {
    gate.open = false;
    await broker.down();
    await waitUntil(() => ctl.delivery.brokerStatus().state === 'reconnecting', 'the controller to notice the outage');
  }

  /** The broker is back; every display reconnects and says hello (to nobody: the controller is not back yet). */
  async function brokerBackDisplaysFirst() {
    const before = new Map(IDS.map((id) => [id, sim(id).hellos]));
    await broker.restart();
    await waitUntil(() => IDS.every((id) => sim(id).connected && sim(id).hellos > (before.get(id) ?? 0)), 'every display back on the broker', 15_000);
    await sleep(200);
    expect(ctl.delivery.brokerStatus().state).toBe('reconnecting');
  }

  it('while the broker is down, health answers 503 and every display is "unknown"; after it is back they are re-learned', async () => {
    await outage();
    const health = await fetch(`${ctl.httpUrl}/api/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ ok: false, broker: { state: 'reconnecting', since: new Date(clock.now()).toISOString() } });
    const list = (await (await api(ctl, '/api/displays')).json()) as DisplayStatus[];
    expect(list.map((s) => [s.id, s.availability, s.brokerConnected])).toEqual(IDS.map((id) => [id, 'unknown', false]));

    await brokerBackDisplaysFirst();
    gate.open = true;
    await waitUntil(() => IDS.every((id) => status(id).availability === 'online' && status(id).inSync), 'every display online and in sync again', 15_000);
    const ok = await fetch(`${ctl.httpUrl}/api/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, broker: { state: 'connected' } });
    expect(((await (await api(ctl, '/api/displays')).json()) as DisplayStatus[]).every((s) => s.brokerConnected && s.availability === 'online')).toBe(true);
  });

  it('a reconnect resynchronises every display: an edit made during the outage, and a screen wiped meanwhile', async () => {
    await outage();
    expect((await patch('r-a', { officeHours: 'Mo 7–8 Uhr (Ausfall)' })).status).toBe(200);
    await ctl.signs.idle();
    const wantA = status('ds-a').desiredHash as string;
    const wantB = status('ds-b').desiredHash as string;
    expect(sim('ds-a').device.framebuffer?.hash).not.toBe(wantA);
    // ds-b loses its screen and counter while the broker is away (a factory reset): only its hello says so.
    sim('ds-b').device.framebuffer = null;
    sim('ds-b').device.lastSeq = null;

    await brokerBackDisplaysFirst();
    gate.open = true;
    await sim('ds-a').waitFor(wantA, 15_000);
    await sim('ds-b').waitFor(wantB, 15_000);
    await waitUntil(() => IDS.every((id) => status(id).inSync && status(id).availability === 'online'), 'every display in sync', 15_000);
    expect(sim('ds-b').device.displayed.at(-1)?.refresh).toBe('full');
  });

  it('a display that failed is tried again later, on its own (it says hello only when it reconnects)', async () => {
    sim('ds-c').link.faults = { ...NO_FAULTS, drop: 1 }; // its radio hears nothing for a while
    expect((await patch('r-c', { officeHours: 'Fr 7–9 Uhr (Funkloch)' })).status).toBe(200);
    await ctl.signs.idle();
    const want = status('ds-c').desiredHash as string;
    // Timer by timer (ack timeouts, backoffs), letting each transfer go out for real in between.
    for (let i = 0; i < 200 && !status('ds-c').failed; i++) {
      clock.advance(Math.max(0, (clock.nextAt() ?? clock.now()) - clock.now()));
      await sleep(10);
    }
    expect(status('ds-c')).toMatchObject({ failed: true, attempts: 5 });
    const wait = Date.parse(status('ds-c').nextAttemptAt ?? '') - clock.now();
    expect(wait).toBeGreaterThanOrEqual(RECHECK_BASE_MS / 2);
    expect(wait).toBeLessThanOrEqual(RECHECK_BASE_MS);

    sim('ds-c').link.faults = { ...NO_FAULTS }; // the radio is fine again; the display says nothing
    await sleep(300);
    expect(status('ds-c').failed).toBe(true);
    clock.advance(wait);
    await sim('ds-c').waitFor(want, 10_000);
    await waitUntil(() => status('ds-c').inSync && !status('ds-c').failed, 'ds-c confirmed');
  });
}

describe('broker outage: our aedes broker, restarted', () => {
  outageSuite(aedesBroker);
});

describe.runIf(needs(MOSQUITTO, 'mosquitto'))('broker outage: a real Mosquitto, restarted', () => {
  outageSuite(mosquittoBroker);
});
