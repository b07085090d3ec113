// Sleepy displays on a simulated clock shared by controller and simulators (real broker, real messages): they
// check in every 10 minutes, get exactly the latest frame, and switch to a pre-rendered 08:00 frame on their own
// clock — corrected for drift — within a second of 08:00.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';
import { simFor } from '../helpers/fixture.js';

// 24 Nov 2026, 07:00 in Germany (UTC+1).
const T0 = Date.parse('2026-11-24T07:00:00+01:00');
const at = (hhmm: string) => Date.parse(`2026-11-24T${hhmm}:00+01:00`);

describe('sleepy displays, 10-minute check-ins, simulated clock', () => {
  const clock = new FakeClock(T0);
  let ctl: Controller;
  let cleanup: () => Promise<void>;
  const sims = new Map<string, MqttSimDisplay>();
  const shownAt = new Map<string, { hash: string; at: number }[]>();

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const data = smallBuilding();
    for (const d of data.displays) d.checkInSeconds = 600;
    await writeData(t.dir, data);
    ctl = await startTestController(t.dir, { delivery: { ackTimeoutMs: 5000, maxAttempts: 5, retryBaseMs: 500, retryMaxMs: 5000, mtu: 4096, fullRefreshHour: null } }, undefined, clock);
    const quirks: Record<string, { clockOffsetMs?: number; driftPpm?: number }> = {
      'ds-a': { clockOffsetMs: 45_000 }, // its clock starts 45 s fast
      'ds-b': { driftPpm: 100 }, // and this one runs fast
      'ds-c': {},
    };
    for (const id of ['ds-a', 'ds-b', 'ds-c']) {
      const sim = simFor(ctl, id, {
        clock,
        checkInSeconds: 300, // its factory setting; the controller sets 600
        listenMs: 2000,
        ...quirks[id],
      });
      shownAt.set(id, []);
      sim.on('displayed', (hash) => shownAt.get(id)?.push({ hash, at: clock.now() }));
      sims.set(id, sim);
      await sim.start();
    }
    await waitUntil(() => ctl.delivery.allStatus().every((st) => st.inSync), 'every display to confirm at its boot check-in');
    await settle();
  });

  afterAll(async () => {
    await Promise.all([...sims.values()].map((s) => s.stop()));
    await ctl?.stop();
    await cleanup?.();
  });

  /**
   * Lets real messages finish between steps of simulated time: until the controller's view of every display
   * (awake or asleep) matches the display, nothing is in flight, and no display is decoding.
   */
  async function settle() {
    await new Promise((r) => setTimeout(r, 5));
    await waitUntil(
      () =>
        [...sims.values()].every((s) => {
          const st = ctl.delivery.status(s.id);
          return st.availability === (s.isAwake ? 'online' : 'asleep') && !st.sending && !s.device.decoder.busy;
        }) &&
        // every control message the controller sent has arrived (a login has one connection: no spy on the wire)
        [...sims.values()].reduce((n, s) => n + s.controlMessages, 0) === ctl.delivery.controlsSent,
      'traffic to settle',
      5000,
    );
  }

  /** Moves simulated time to `t` event by event: to the next timer, then lets real messages settle. */
  async function advanceTo(t: number) {
    while (clock.now() < t) {
      const next = clock.nextAt();
      clock.advance(Math.min(next === null ? t : Math.max(next, clock.now()), t) - clock.now());
      await settle();
    }
  }

  const sim = (id: string) => sims.get(id) as MqttSimDisplay;
  const patch = (roomId: string, body: unknown) => api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify(body) });

  it('every display confirms at its boot check-in, then sleeps with the configured interval', async () => {
    for (const id of sims.keys()) expect(ctl.delivery.status(id)).toMatchObject({ inSync: true, checkInSeconds: 600 });
    await advanceTo(T0 + 3000);
    for (const id of sims.keys()) {
      expect(ctl.delivery.status(id).availability).toBe('asleep');
      expect(sim(id).device.checkInSeconds).toBe(600);
      expect(Date.parse(ctl.delivery.status(id).nextCheckInAt ?? '')).toBeGreaterThan(T0);
    }
  });

  it('edits made while a display sleeps reach it at its next check-in as exactly one transfer: the latest', async () => {
    const before = sim('ds-c').device.framesReceived;
    for (const hours of ['Mo 8–9 Uhr', 'Mo 8–10 Uhr', 'Mo 8–11 Uhr']) expect((await patch('r-c', { officeHours: hours })).status).toBe(200);
    await ctl.signs.idle();
    await settle();
    expect(ctl.delivery.status('ds-c')).toMatchObject({ availability: 'asleep', inSync: false });
    await advanceTo(at('07:10') + 3000);
    expect(sim('ds-c').device.framesReceived).toBe(before + 1);
    expect(sim('ds-c').missedAsleep).toBe(0); // nothing was sent into its sleep
    expect(ctl.delivery.status('ds-c').inSync).toBe(true);
    expect(sim('ds-c').device.framebuffer?.hash).toBe(ctl.delivery.status('ds-c').desiredHash);
  });

  it('a notice valid from 08:00 appears within 1 s of 08:00, and one valid until 09:00 goes within 1 s of 09:00', async () => {
    expect((await patch('r-a', { notice: { text: 'Ab 8 Uhr geschlossen – bitte Raum 1.02.', redirectRoomId: 'r-b', from: '2026-11-24T08:00:00+01:00', until: null } })).status).toBe(200);
    expect((await patch('r-b', { notice: { text: 'Sprechstunde heute nur bis 9 Uhr.', redirectRoomId: null, from: '2026-11-24T08:00:00+01:00', until: '2026-11-24T09:00:00+01:00' } })).status).toBe(200);
    await ctl.signs.idle();
    const now = { a: ctl.delivery.status('ds-a').desiredHash, b: ctl.delivery.status('ds-b').desiredHash };
    expect(ctl.delivery.status('ds-a').scheduledAt).toBe(new Date(at('08:00')).toISOString());

    await advanceTo(at('07:59') + 50_000);
    // Before 08:00 the displays hold the 08:00 frame but still show the present one.
    for (const id of ['ds-a', 'ds-b']) {
      expect(ctl.delivery.status(id).scheduledConfirmed).toBe(true);
      expect(sim(id).device.scheduled).not.toBeNull();
    }
    expect(sim('ds-a').device.framebuffer?.hash).toBe(now.a);
    const sentBefore = ctl.delivery.status('ds-a').bytesSent;

    await advanceTo(at('08:00') + 5000);
    for (const id of ['ds-a', 'ds-b']) {
      const flip = shownAt.get(id)?.find((s) => s.at >= at('07:59'));
      expect(flip, `${id} flipped`).toBeDefined();
      expect(Math.abs((flip?.at ?? 0) - at('08:00')), `${id} flip time`).toBeLessThanOrEqual(1000);
      expect(sim(id).device.framebuffer?.hash).toBe(ctl.delivery.status(id).desiredHash);
      expect(ctl.delivery.status(id).inSync).toBe(true);
    }
    expect(ctl.delivery.status('ds-a').bytesSent).toBe(sentBefore); // nothing sent at 08:00 itself

    await advanceTo(at('09:00') + 5000);
    const back = shownAt.get('ds-b')?.find((s) => s.at >= at('08:59'));
    expect(back).toBeDefined();
    expect(Math.abs((back?.at ?? 0) - at('09:00'))).toBeLessThanOrEqual(1000);
    expect(sim('ds-b').device.framebuffer?.hash).toBe(ctl.delivery.status('ds-b').desiredHash);
    expect(sim('ds-a').device.refused).toEqual([]);
  });
});
