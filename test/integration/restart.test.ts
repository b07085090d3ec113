// Delivery state survives a controller restart: what each display confirmed, its frame (as a delta base) and the
// sequence counter are on disk, so after a restart the next edit goes out as a small delta the display accepts.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallBuilding } from '../fixtures/small-building.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';
import { simFor } from '../helpers/fixture.js';
import type { Controller } from '../../controller/main.js';
import { DELIVERY_FILE } from '../../controller/delivery/records.js';

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
      Object.assign(sim.device, { framebuffer: device.framebuffer, lastSeq: device.lastSeq });
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
