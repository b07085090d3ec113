// Soak (bounded): 50 displays on a lossy link — 10 % of chunks and replies dropped, 1 % corrupted, duplicated and
// reordered chunks, random reboots mid-transfer — and 300 random edits over HTTP. Every display must end showing
// exactly its desired frame, and none may ever have shown a frame the controller did not make.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import { seededRandom } from '../../firmware-sim/faults.js';
import { generatedBuilding } from '../fixtures/generated-building.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';
import { simFor } from '../helpers/fixture.js';

const DISPLAYS = 50;
const EDITS = 300;
const SEED = Number(process.env.WEGWEISER_SOAK_SEED ?? 20261123);

describe(`soak: ${DISPLAYS} lossy displays, ${EDITS} edits (seed ${SEED})`, () => {
  let ctl: Controller;
  let cleanup: () => Promise<void>;
  const sims: MqttSimDisplay[] = [];
  const everDesired = new Map<string, Set<string>>();

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeData(t.dir, generatedBuilding(DISPLAYS));
    ctl = await startTestController(t.dir, {
      delivery: { ackTimeoutMs: 1500, maxAttempts: 10_000, retryBaseMs: 100, retryMaxMs: 1500, mtu: 1024, fullRefreshHour: null },
    });
    ctl.ctx.bus.on('display.desired', (e) => {
      if (!everDesired.has(e.displayId)) everDesired.set(e.displayId, new Set());
      everDesired.get(e.displayId)?.add(e.hash);
    });
    for (const d of ctl.delivery.allStatus()) everDesired.set(d.id, new Set(d.desiredHash ? [d.desiredHash] : []));
    for (let i = 0; i < DISPLAYS; i++) {
      const id = `ds-${String(i).padStart(3, '0')}`;
      const sim = simFor(ctl, id, { faults: { drop: 0.1, corrupt: 0.01, duplicate: 0.01, reorder: 0.01, reboot: 0.005 }, seed: SEED + i });
      sims.push(sim);
    }
    await Promise.all(sims.map((s) => s.start()));
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await ctl?.stop();
    await cleanup?.();
  });

  it('every display converges to its desired frame and never shows an unverified one', async () => {
    const rnd = seededRandom(SEED);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)] as T;
    const pad = (i: number) => String(i).padStart(3, '0');
    const edits = Array.from({ length: EDITS }, (_, k) => {
      const room = `r-${pad(Math.floor(rnd() * DISPLAYS))}`;
      const kind = pick(['hours', 'notice', 'clear', 'occupants', 'name']);
      if (kind === 'hours') return { room, body: { officeHours: `Mo–Fr ${7 + (k % 5)}–${12 + (k % 6)} Uhr` } };
      if (kind === 'notice') return { room, body: { notice: { text: `Heute ab ${10 + (k % 8)} Uhr geschlossen (${k}).`, redirectRoomId: `r-${pad((k * 7) % DISPLAYS)}` === room ? null : `r-${pad((k * 7) % DISPLAYS)}` } } };
      if (kind === 'clear') return { room, body: { notice: null } };
      if (kind === 'occupants') return { room, body: { occupantIds: [`p-${pad(Math.floor(rnd() * DISPLAYS))}`] } };
      return { room, body: { name: `Raum ${k} – Änderung` } };
    });
    // Four edits in flight at a time: a busy office, bounded.
    let next = 0;
    const worker = async () => {
      while (next < edits.length) {
        const e = edits[next++] as (typeof edits)[number];
        const res = await api(ctl, `/api/rooms/${e.room}`, { method: 'PATCH', body: JSON.stringify(e.body) });
        expect(res.status).toBe(200);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await ctl.signs.idle();

    const converged = (s: MqttSimDisplay) => {
      const st = ctl.delivery.status(s.id);
      return st.inSync && s.device.framebuffer?.hash === st.desiredHash;
    };
    await waitUntil(() => sims.every(converged), 'every display to show its desired frame', 90_000).catch((err: Error) => {
      // Say which displays are stuck and how, so a red soak run can be understood (and replayed with its seed).
      const stuck = sims.filter((s) => !converged(s)).slice(0, 5).map((s) => {
        const st = ctl.delivery.status(s.id);
        return `${s.id}: desired ${st.desiredHash?.slice(0, 8)} confirmed ${st.confirmedHash?.slice(0, 8)} shown ${s.device.framebuffer?.hash.slice(0, 8)} sending=${st.sending} failed=${st.failed} attempts=${st.attempts} avail=${st.availability} lastError=${st.lastError} refused=${s.device.refused.slice(-3).map((r) => `${r.seq}:${r.reason}`)} displayed=${s.device.displayed.slice(-4).map((d) => `${d.seq}:${d.hash.slice(0, 8)}`)} lastSeq=${s.device.lastSeq}`;
      });
      throw new Error(`${err.message}; ${sims.filter((s) => !converged(s)).length} stuck (seed ${SEED}):\n${stuck.join('\n')}`);
    });

    const faults = { dropped: 0, corrupted: 0, reboots: 0, refused: 0, displayed: 0 };
    for (const s of sims) {
      const desired = everDesired.get(s.id) ?? new Set();
      for (const d of s.device.displayed) expect(desired.has(d.hash), `${s.id} showed ${d.hash.slice(0, 12)}, which the controller never made`).toBe(true);
      faults.dropped += s.link.counts.dropped;
      faults.corrupted += s.link.counts.corrupted;
      faults.reboots += s.link.counts.reboots;
      faults.refused += s.device.refused.length;
      faults.displayed += s.device.displayed.length;
    }
    // The faults really happened, and were caught.
    expect(faults.dropped).toBeGreaterThan(20);
    expect(faults.corrupted).toBeGreaterThan(0);
    expect(faults.refused).toBeGreaterThan(0);
    console.info(`soak (seed ${SEED}):`, JSON.stringify(faults));
  }, 150_000);
});
