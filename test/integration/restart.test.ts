// Delivery state survives a controller restart: what each display confirmed, its frame (as a delta base) and the
// sequence counter are on disk, so after a restart the next edit goes out as a small delta the display accepts.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallBuilding } from '../fixtures/small-building.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';
import { simFor } from '../helpers/fixture.js';
import type { Controller } from '../../controller/main.js';
import { DELIVERY_FILE } from '../../controller/delivery/records.js';
import { SIM_STATE_DIR } from '../../firmware-sim/state-file.js';
import { topics } from '../../controller/protocol/topics.js';
import mqtt from 'mqtt';

const patch = (ctl: Controller, roomId: string, body: unknown) => api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify(body) });

describe('controller restart', () => {
  it('keeps desired and confirmed frames and sequence numbers; the next edit is a delta', async () => {
    const t = await tempDir();
    await writeData(t.dir, smallBuilding());
    let ctl = await startTestController(t.dir);
    let sim = simFor(ctl, 'ds-a');
    try {
      await sim.start();
      await waitUntil(() => ctl.delivery.status('ds-a').inSync, 'ds-a in sync');
      expect((await patch(ctl, 'r-a', { officeHours: 'Mo 7–9 Uhr' })).status).toBe(200);
      await waitUntil(() => ctl.delivery.status('ds-a').inSync && sim.device.displayed.length === 2, 'ds-a shows the edit');
      const confirmed = ctl.delivery.status('ds-a').confirmedHash as string;
      const device = sim.device;
      await sim.stop();
      await ctl.stop();

      const records = JSON.parse(await readFile(path.join(t.dir, DELIVERY_FILE), 'utf8')) as { displays: Record<string, { confirmedHash: string; nextSeq: number; seqKnown: boolean }> };
      expect(records.displays['ds-a']?.confirmedHash).toBe(confirmed);
      // Numbers are reserved on disk before use: the stored one is above every number the display accepted.
      expect(records.displays['ds-a']).toMatchObject({ seqKnown: true });
      expect(records.displays['ds-a']?.nextSeq).toBeGreaterThan(device.lastSeq ?? 0);
      expect(existsSync(path.join(t.dir, 'frames', `${confirmed}.wgf`))).toBe(true);

      // A new controller on the same data directory, before the display is back.
      ctl = await startTestController(t.dir);
      expect(ctl.delivery.status('ds-a')).toMatchObject({ confirmedHash: confirmed, inSync: true });
      expect((await patch(ctl, 'r-a', { officeHours: 'Mo 7–10 Uhr' })).status).toBe(200);
      await ctl.signs.idle();

      // The same display (same screen, same flash) comes back.
      sim = simFor(ctl, 'ds-a');
      Object.assign(sim.device, { framebuffer: device.framebuffer, lastSeq: device.lastSeq, ctrReserved: device.ctrReserved });
      await sim.start();
      await waitUntil(() => ctl.delivery.status('ds-a').inSync, 'ds-a in sync after restart');
      expect(sim.device.refused).toEqual([]);
      expect(sim.device.displayed.at(-1)?.refresh).toBe('partial'); // a delta
      expect(ctl.delivery.status('ds-a').bytesSent).toBeLessThan(3000);
    } finally {
      await sim.stop();
      await ctl.stop();
      await t.cleanup();
    }
  });

  it('in-process simulated displays keep their flash across a controller restart: never back with lastSeq null', async () => {
    const t = await tempDir();
    await writeData(t.dir, smallBuilding());
    const withSims = { demo: { seed: false, sims: true } };
    let ctl = await startTestController(t.dir, withSims);
    try {
      await waitUntil(() => ctl.delivery.allStatus().every((s) => s.inSync), 'every in-process display in sync');
      const captured: Buffer[] = [];
      ctl.sims.find((s) => s.id === 'ds-b')?.on('sent', (leaf, payload) => leaf === 'ack' && captured.push(payload));
      expect((await patch(ctl, 'r-b', { officeHours: 'Di 7–9 Uhr' })).status).toBe(200);
      await ctl.signs.idle();
      await waitUntil(() => ctl.delivery.status('ds-b').inSync, 'ds-b shows the edit');
      const before = new Map(ctl.sims.map((s) => [s.id, { lastSeq: s.device.lastSeq, shown: s.device.framebuffer?.hash }]));
      expect([...before.values()].every((b) => b.lastSeq !== null && b.shown)).toBe(true);
      await ctl.stop();

      // The highest message counter the controller accepted from each display is on disk with its record.
      const records = JSON.parse(await readFile(path.join(t.dir, DELIVERY_FILE), 'utf8')) as { displays: Record<string, { ctrHighest: number | null }> };
      const lastAck = JSON.parse(captured.at(-1)?.toString() ?? '{}') as { ctr?: number };
      expect(records.displays['ds-b']?.ctrHighest).toBeGreaterThanOrEqual(lastAck.ctr ?? Infinity);
      const stored = JSON.parse(await readFile(path.join(t.dir, SIM_STATE_DIR, 'ds-b.json'), 'utf8')) as { lastSeq: number; shown: { hash: string } };
      expect(stored).toMatchObject({ lastSeq: before.get('ds-b')?.lastSeq, shown: { hash: before.get('ds-b')?.shown } });
      expect((await stat(path.join(t.dir, SIM_STATE_DIR, 'ds-b.json'))).mode & 0o777).toBe(0o600);

      ctl = await startTestController(t.dir, withSims);
      // Their flash came back with them: the same last sequence number and screen, no replay window.
      for (const s of ctl.sims) expect({ lastSeq: s.device.lastSeq, shown: s.device.framebuffer?.hash }).toEqual(before.get(s.id));
      await waitUntil(() => ctl.delivery.allStatus().every((s) => s.inSync && s.availability === 'online'), 'every display reports after the restart');
      // Their counters continued above what the controller accepted before: nothing was refused as a replay.
      expect(ctl.delivery.allStatus().map((s) => s.fault)).toEqual([null, null, null]);
      expect((await patch(ctl, 'r-b', { officeHours: 'Di 7–10 Uhr' })).status).toBe(200);
      await ctl.signs.idle();
      await waitUntil(() => ctl.delivery.status('ds-b').inSync, 'ds-b shows the edit after the restart');
      const b = ctl.sims.find((s) => s.id === 'ds-b');
      expect(b?.device.lastSeq).toBeGreaterThan(before.get('ds-b')?.lastSeq ?? Infinity);
      expect(b?.device.refused).toEqual([]);
      // The highest message counter accepted before the restart was kept (delivery.json): an ack from before it,
      // replayed with ds-b's broker login, is refused.
      const old = captured[0];
      if (!old) throw new Error('no ack captured before the restart');
      const rogue = await mqtt.connectAsync(ctl.mqttUrl, { clientId: 'ds-b', username: 'ds-b', password: ctl.secrets.mqttPassword('ds-b'), reconnectPeriod: 0 });
      await rogue.publishAsync(topics(ctl.ctx.config.mqtt.topicPrefix).ack('ds-b'), old, { qos: 1 });
      await rogue.endAsync();
      await waitUntil(() => ctl.delivery.status('ds-b').fault?.code === 'replayed-message', 'the old ack to be refused as a replay');
    } finally {
      await ctl.stop();
      await t.cleanup();
    }
  });

  it('sets a damaged delivery file aside instead of overwriting it, and still starts', async () => {
    const t = await tempDir();
    await writeData(t.dir, smallBuilding());
    await writeFile(path.join(t.dir, DELIVERY_FILE), '{"version": 1, "displays": {"ds-a": ');
    const ctl = await startTestController(t.dir);
    try {
      expect((await readdir(t.dir)).some((f) => f.startsWith(`${DELIVERY_FILE}.damaged-`))).toBe(true);
      expect(ctl.delivery.allStatus()).toHaveLength(3);
    } finally {
      await ctl.stop();
      await t.cleanup();
    }
  });
});
