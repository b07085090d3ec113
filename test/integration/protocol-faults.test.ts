// Protocol v1.1 behaviour on the wire, with a real broker (ours and Mosquitto), the real controller and real
// simulated displays: a lost ack after a delta costs no full frame (rule R: the retry under the same number is
// acknowledged again), and a power loss between persisting a sequence number and showing the frame leaves the
// display neither stuck nor open to a replay of the lost transfer; a display's maxChunk bounds the chunks it gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../controller/main.js';
import { Encoding, HEADER_V1_BYTES } from '../../controller/protocol/frame-v1.js';
import type { MqttSimDisplay } from '../../firmware-sim/mqtt-display.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { aedesBroker, mosquittoBroker, type TestBroker, type TestBrokerFactory } from '../helpers/brokers.js';
import { api, MOSQUITTO, needs, startTestController, tempDir, testConfig, waitUntil, writeData } from '../helpers/env.js';
import { simFor } from '../helpers/fixture.js';

const IDS = ['ds-a', 'ds-b', 'ds-c'];

/** The transfers a display's radio received: sequence number and encoding (from the header in chunk 0), and chunks. */
function recordTransfers(sim: MqttSimDisplay) {
  const transfers: { seq: number; encoding: number; chunks: Buffer[] }[] = [];
  sim.on('chunk', (c) => {
    const seq = c.readUInt32BE(0);
    if (c.readUInt16BE(4) === 0) transfers.push({ seq, encoding: c.readUInt8(10 + 5), chunks: [] });
    transfers.at(-1)?.chunks.push(c);
  });
  return transfers;
}

function protocolFaultSuite(factory: TestBrokerFactory): void {
  let cleanup: () => Promise<void>;
  let broker: TestBroker;
  let ctl: Controller;
  const sims = new Map<string, MqttSimDisplay>();
  const sim = (id: string) => sims.get(id) as MqttSimDisplay;
  const status = (id: string) => ctl.delivery.status(id);
  const edit = async (roomId: string, displayId: string, officeHours: string) => {
    expect((await api(ctl, `/api/rooms/${roomId}`, { method: 'PATCH', body: JSON.stringify({ officeHours }) })).status).toBe(200);
    await ctl.signs.idle();
    return status(displayId).desiredHash as string;
  };

  beforeAll(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    await writeData(tmp.dir, smallBuilding());
    broker = await factory(tmp.dir, testConfig(tmp.dir).mqtt.topicPrefix, IDS);
    // MTU 256: a full frame is many chunks, a delta a few — the difference is plain to see.
    ctl = await startTestController(tmp.dir, { mqtt: { url: broker.url }, delivery: { ackTimeoutMs: 1500, mtu: 256 } });
    for (const id of IDS) {
      const s = simFor(ctl, id);
      sims.set(id, s);
      await s.start();
    }
    await waitUntil(() => IDS.every((id) => status(id).inSync), 'every display in sync at start', 20_000);
  });

  afterAll(async () => {
    await Promise.all([...sims.values()].map((s) => s.stop()));
    await ctl?.stop();
    await broker?.stop();
    await cleanup?.();
  });

  it('a lost ack after a delta costs no full frame: the retry, same number, is acknowledged again without being shown twice', async () => {
    const a = sim('ds-a');
    const transfers = recordTransfers(a);
    const reacks = a.device.reacks;
    a.dropNextReplies(1); // the radio loses the display's ack
    const want = await edit('r-a', 'ds-a', 'Mo 8–12 Uhr (Ack verloren)');
    await a.waitFor(want);
    await waitUntil(() => status('ds-a').inSync, 'the controller to confirm after its retry');
    // Two transfers: the delta and its retry after the ack timeout — the same number, still a delta. No full frame.
    expect(transfers.length).toBe(2);
    expect(transfers.map((t) => t.seq)).toEqual([transfers[0]?.seq, transfers[0]?.seq]);
    for (const t of transfers) expect([Encoding.DeflateXorDelta, Encoding.DeflateRegion]).toContain(t.encoding);
    expect(a.device.reacks).toBe(reacks + 1);
    expect(a.device.displayed.filter((d) => d.hash === want)).toHaveLength(1);
    expect(a.device.refused).toEqual([]);
  });

  it('a power loss between persisting the sequence number and showing the frame: not stuck, and the lost transfer cannot be replayed', async () => {
    const b = sim('ds-b');
    const transfers = recordTransfers(b);
    const before = b.device.framebuffer?.hash;
    b.device.failPowerBeforeShow();
    const powerLost = new Promise<void>((resolve) => b.once('power-loss', () => resolve()));
    const want = await edit('r-b', 'ds-b', 'Di 8–12 Uhr (Stromausfall)');
    await powerLost;
    // It came back with the new number in flash and the old frame on screen — and says so in its hello.
    const persisted = b.device.lastSeq as number;
    expect(persisted).toBe(transfers[0]?.seq);
    expect(b.device.framebuffer?.hash).toBe(before);
    await b.waitFor(want);
    await waitUntil(() => status('ds-b').inSync, 'ds-b confirmed after the power loss');
    // The controller sent the frame again above the persisted number (not stuck).
    expect(b.device.lastSeq).toBeGreaterThan(persisted);
    expect(b.device.refused.map((r) => r.reason)).not.toContain('base-mismatch');

    // The lost transfer, replayed from a capture: refused, nothing shown.
    const lost = transfers.find((t) => t.seq === persisted);
    if (!lost || lost.chunks.length * 256 < HEADER_V1_BYTES) throw new Error('the lost transfer was not captured');
    const shownBefore = b.device.displayed.length;
    const outcomes = [];
    for (const c of lost.chunks) outcomes.push(await b.device.receive(c));
    expect(outcomes.filter((o) => o !== null)).toEqual([{ type: 'nak', nak: expect.objectContaining({ seq: persisted, reason: 'stale-seq' }) }]);
    expect(b.device.displayed.length).toBe(shownBefore);
    expect(b.device.framebuffer?.hash).toBe(want);
  });

  it('a display that accepts only small chunks (maxChunk in its hello) gets chunks that small, below the MTU setting', async () => {
    const old = sim('ds-c');
    await old.stop();
    const small = simFor(ctl, 'ds-c', { maxChunk: 128 });
    Object.assign(small.device, { framebuffer: old.device.framebuffer, lastSeq: old.device.lastSeq, ctrReserved: old.device.ctrReserved });
    sims.set('ds-c', small);
    const sizes: number[] = [];
    small.on('chunk', (c) => sizes.push(c.length));
    await small.start();
    await waitUntil(() => status('ds-c').availability === 'online', 'ds-c back');
    const want = await edit('r-c', 'ds-c', 'Mi 8–12 Uhr (kleine Pakete)');
    await small.waitFor(want);
    await waitUntil(() => status('ds-c').inSync, 'ds-c confirmed');
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(128);
    expect(small.device.refused).toEqual([]);
  });
}

describe('protocol v1.1 faults on our aedes broker', () => {
  protocolFaultSuite(aedesBroker);
});

describe.runIf(needs(MOSQUITTO, 'mosquitto'))('protocol v1.1 faults on Mosquitto', () => {
  protocolFaultSuite(mosquittoBroker);
});
