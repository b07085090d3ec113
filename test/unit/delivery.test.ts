// Delivery's decisions, with a fake clock and a recording transport (the port is the boundary; everything else is
// real: store, secrets, frame store, records, the v1 encoder and a real simulated device decoding what is sent).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Bus } from '../../controller/bus.js';
import { defaultConfig, mergeConfig } from '../../controller/config.js';
import type { AppContext } from '../../controller/context.js';
import { Delivery, SEQ_ADOPT_MAX, SEQ_BLOCK } from '../../controller/delivery/delivery.js';
import { FrameStore } from '../../controller/delivery/frame-store.js';
import { DELIVERY_FILE, DeliveryRecords } from '../../controller/delivery/records.js';
import { SEQ_MAX } from '../../controller/protocol/topics.js';
import { SecretStore } from '../../controller/store/secrets.js';
import { Store } from '../../controller/store/store.js';
import { readChunk } from '../../controller/protocol/frame-v1.js';
import { SimDevice } from '../../firmware-sim/device.js';
import { makeFrame, type Frame } from '../../renderer/frame.js';
import { PANELS } from '../../renderer/panels.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir, waitUntil } from '../helpers/env.js';

const panel = PANELS['epd-7in5-bw'];
// Patterned frames (a full frame deflates poorly, so a delta between them is clearly smaller).
const frame = (changed: number): Frame =>
  makeFrame(800, 480, [new Uint8Array(48_000).map((_, i) => (i < 100 ? changed : (i * 7919) % 251))]);
const X = frame(0x00);
const Y = frame(0x0f);

describe('delivery', () => {
  let clock: FakeClock;
  let delivery: Delivery;
  let device: SimDevice;
  let sent: { seq: number; chunks: Buffer[] }[];
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    clock = new FakeClock();
    const log = pino({ level: 'silent' });
    const bus = new Bus(log);
    const store = await Store.open(t.dir, { bus, clock, seed: smallBuilding });
    const config = mergeConfig(defaultConfig(), { dataDir: t.dir, delivery: { ackTimeoutMs: 1000, maxAttempts: 5, retryBaseMs: 100, retryMaxMs: 1000, mtu: 4096, fullRefreshHour: 3 } });
    const ctx: AppContext = { config, clock, log, bus, store };
    const secrets = await SecretStore.open(t.dir, ['ds-a', 'ds-b', 'ds-c']);
    delivery = new Delivery(ctx, secrets, await FrameStore.open(t.dir), await DeliveryRecords.open(t.dir, log), () => 1);
    device = new SimDevice({ id: 'ds-a', panel, secret: secrets.frameKey('ds-a'), clock });
    sent = [];
    delivery.attach({
      sendChunks: async (_id, chunks) => {
        const c = readChunk(chunks[0] as Buffer);
        sent.push({ seq: c.ok ? c.seq : -1, chunks });
      },
      sendControl: async (_id, message) => {
        device.applyControl(message);
      },
    });
    delivery.onLink(true);
    delivery.onHello('ds-a', device.hello());
  });
  afterEach(async () => {
    await delivery.stop();
    await cleanup();
  });

  /** The device receives the last transfer; its reply reaches the controller only if `replyArrives`. */
  async function deviceGetsLast(replyArrives: boolean) {
    const t = sent.at(-1);
    if (!t) throw new Error('nothing sent');
    let out = null;
    for (const c of t.chunks) out = (await device.receive(c)) ?? out;
    if (replyArrives && out?.type === 'ack') delivery.onAck('ds-a', out.ack);
    if (replyArrives && out?.type === 'nak') delivery.onNak('ds-a', out.nak);
    return out;
  }

  it('sends a desired frame once, and nothing once it is confirmed', async () => {
    delivery.setDesired('ds-a', X, []);
    expect(sent).toHaveLength(1);
    await deviceGetsLast(true);
    expect(delivery.status('ds-a').inSync).toBe(true);
    delivery.setDesired('ds-a', X, []);
    clock.advance(60_000);
    expect(sent).toHaveLength(1);
  });

  it('retries after an ack timeout with backoff, reusing the sequence number, and gives up after maxAttempts', () => {
    delivery.setDesired('ds-a', X, []);
    clock.advance(1000); // timeout → backoff 100 ms (random() = 1 → full backoff)
    expect(sent).toHaveLength(1);
    clock.advance(100);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.seq).toBe(sent[0]?.seq);
    clock.advance(1000 + 200 + 1000 + 400 + 1000 + 800);
    expect(sent).toHaveLength(5);
    clock.advance(60_000);
    expect(sent).toHaveLength(5);
    expect(delivery.status('ds-a')).toMatchObject({ failed: true, lastError: 'no ack within 1000 ms' });
    delivery.onHello('ds-a', device.hello()); // the display checks in: try again
    expect(sent).toHaveLength(6);
  });

  it('after a lost ack, a desired frame equal to the old confirmed one is still sent (the display may show the other)', async () => {
    delivery.setDesired('ds-a', X, []);
    await deviceGetsLast(true); // X confirmed
    delivery.setDesired('ds-a', Y, []);
    await deviceGetsLast(false); // the display shows Y, the ack is lost
    expect(device.framebuffer?.hash).toBe(Y.hash);
    clock.advance(1000); // timeout
    delivery.setDesired('ds-a', X, []); // an edit reverts the sign
    expect(sent.length).toBe(3);
    const r = await deviceGetsLast(true);
    // The delta was made against X; the display shows Y, so it refuses, and the controller sends a full frame.
    expect(r).toMatchObject({ type: 'nak', nak: { reason: 'base-mismatch' } });
    expect(sent.length).toBe(4);
    await deviceGetsLast(true);
    expect(device.framebuffer?.hash).toBe(X.hash);
    expect(delivery.status('ds-a').inSync).toBe(true);
  });

  it('a retransmission after a lost ack is acknowledged without refreshing the panel again', async () => {
    delivery.setDesired('ds-a', X, []);
    await deviceGetsLast(false);
    clock.advance(1100);
    expect(sent).toHaveLength(2);
    await deviceGetsLast(true);
    expect(device.displayed).toHaveLength(1);
    expect(delivery.status('ds-a').inSync).toBe(true);
  });
});

describe('delivery: failures, sequence numbers, the broker link', () => {
  let t: { dir: string; cleanup(): Promise<void> };
  let clock: FakeClock;
  let delivery: Delivery;
  let device: SimDevice;
  let sent: { seq: number; chunks: Buffer[] }[];
  let secrets: SecretStore;
  let ctx: AppContext;

  /** A delivery on the data dir (after whatever records the test wrote there), attached and with its link up. */
  async function open() {
    const log = pino({ level: 'silent' });
    delivery = new Delivery(ctx, secrets, await FrameStore.open(t.dir), await DeliveryRecords.open(t.dir, log), () => 1);
    await delivery.load();
    delivery.attach({
      sendChunks: async (_id, chunks) => {
        const c = readChunk(chunks[0] as Buffer);
        sent.push({ seq: c.ok ? c.seq : -1, chunks });
      },
      sendControl: async () => undefined,
    });
    delivery.onLink(true);
  }

  beforeEach(async () => {
    t = await tempDir();
    clock = new FakeClock();
    const log = pino({ level: 'silent' });
    const bus = new Bus(log);
    const store = await Store.open(t.dir, { bus, clock, seed: smallBuilding });
    const config = mergeConfig(defaultConfig(), {
      dataDir: t.dir,
      delivery: { ackTimeoutMs: 1000, maxAttempts: 5, retryBaseMs: 100, retryMaxMs: 1000, recheckBaseMs: 120_000, recheckMaxMs: 1_800_000, mtu: 4096, fullRefreshHour: null },
    });
    ctx = { config, clock, log, bus, store };
    secrets = await SecretStore.open(t.dir, ['ds-a', 'ds-b', 'ds-c']);
    device = new SimDevice({ id: 'ds-a', panel, secret: secrets.frameKey('ds-a'), clock });
    sent = [];
  });
  afterEach(async () => {
    await delivery.stop();
    await t.cleanup();
  });

  async function deviceGetsLast(replyArrives: boolean) {
    const last = sent.at(-1);
    if (!last) throw new Error('nothing sent');
    let out = null;
    for (const c of last.chunks) out = (await device.receive(c)) ?? out;
    if (replyArrives && out?.type === 'ack') delivery.onAck('ds-a', out.ack);
    if (replyArrives && out?.type === 'nak') delivery.onNak('ds-a', out.nak);
    return out;
  }

  /** Moves the fake clock timer by timer until ds-a is marked failed (every transfer unanswered). */
  function runUntilFailed() {
    for (let i = 0; i < 100 && !delivery.status('ds-a').failed; i++) clock.advance(Math.max(0, (clock.nextAt() ?? clock.now()) - clock.now()));
    expect(delivery.status('ds-a').failed).toBe(true);
  }

  it('a failed display is tried again later on its own, with a capped backoff, until it answers', async () => {
    await open();
    delivery.onHello('ds-a', device.hello());
    delivery.setDesired('ds-a', X, []);
    const gaps: number[] = [];
    for (let round = 0; round < 6; round++) {
      runUntilFailed();
      const at = Date.parse(delivery.status('ds-a').nextAttemptAt ?? '');
      gaps.push(at - clock.now());
      const before = sent.length;
      clock.advance(at - clock.now());
      expect(sent.length).toBe(before + 1); // tried again, without any hello
    }
    expect(gaps).toEqual([120_000, 240_000, 480_000, 960_000, 1_800_000, 1_800_000]);
    await deviceGetsLast(true);
    expect(delivery.status('ds-a')).toMatchObject({ inSync: true, failed: false, nextAttemptAt: null });
  });

  it('a base-mismatch answered on the last attempt still gets its full frame at once', async () => {
    await open();
    delivery.onHello('ds-a', device.hello());
    delivery.setDesired('ds-a', X, []);
    await deviceGetsLast(true); // X confirmed
    delivery.setDesired('ds-a', Y, []); // a delta against X
    for (let i = 0; i < 100 && sent.length < 6; i++) clock.advance(Math.max(0, (clock.nextAt() ?? clock.now()) - clock.now()));
    expect(sent).toHaveLength(6); // the 5th attempt is out
    device.framebuffer = frame(0x33); // meanwhile a stale transfer showed something else
    expect(await deviceGetsLast(true)).toMatchObject({ type: 'nak', nak: { reason: 'base-mismatch' } });
    expect(sent).toHaveLength(7); // the correction: a full frame, at once
    await deviceGetsLast(true);
    expect(device.framebuffer?.hash).toBe(Y.hash);
    expect(delivery.status('ds-a')).toMatchObject({ inSync: true, failed: false });
  });

  it('a reported sequence number beyond what was sent is refused and shown; nothing of it is adopted', async () => {
    await open();
    delivery.onHello('ds-a', device.hello());
    delivery.setDesired('ds-a', X, []);
    await deviceGetsLast(true);
    await delivery.stop(); // the numbering is on disk now: known
    await open();
    delivery.onHello('ds-a', { ...device.hello(), lastSeq: SEQ_MAX });
    expect(delivery.status('ds-a').fault).toMatchObject({ code: 'impossible-seq' });
    delivery.onNak('ds-a', { seq: null, reason: 'stale-seq', detail: '', lastSeq: SEQ_MAX - 1 });
    delivery.onAck('ds-a', { seq: SEQ_MAX, hash: Y.hash, activateAt: 0 });
    expect(delivery.status('ds-a').confirmedHash).toBe(X.hash);
    delivery.onHello('ds-a', device.hello()); // the display's own hello
    const before = sent.length;
    delivery.setDesired('ds-a', Y, []);
    expect(sent).toHaveLength(before + 1);
    expect(sent.at(-1)?.seq).toBeLessThan(SEQ_BLOCK * 3);
    await deviceGetsLast(true);
    expect(device.framebuffer?.hash).toBe(Y.hash);
  });

  it('sequence numbers never wrap: at the end of the space nothing is sent and the fault says so', async () => {
    await writeFile(
      path.join(t.dir, DELIVERY_FILE),
      JSON.stringify({ version: 1, displays: { 'ds-a': { desiredHash: null, confirmedHash: null, confirmedAt: null, nextSeq: SEQ_MAX, lastSeen: null, firmware: null, batteryMv: null, partialsSinceFull: 0, seqKnown: true } } }),
    );
    await open();
    delivery.onHello('ds-a', device.hello());
    delivery.setDesired('ds-a', X, []);
    expect(sent.map((x) => x.seq)).toEqual([SEQ_MAX]); // the last number there is
    await deviceGetsLast(true);
    delivery.setDesired('ds-a', Y, []);
    expect(sent).toHaveLength(1);
    expect(delivery.status('ds-a').fault).toMatchObject({ code: 'seq-exhausted' });
    // A reset forgets our counter, but this display's own is at the end too: refused as well, never wrapped.
    delivery.reset('ds-a');
    expect(sent.at(-1)?.seq).toBe(1);
    expect(await deviceGetsLast(true)).toMatchObject({ type: 'nak', nak: { reason: 'stale-seq', lastSeq: SEQ_MAX } });
    expect(delivery.status('ds-a').fault).toMatchObject({ code: 'seq-exhausted' });
    expect(sent).toHaveLength(2);
    expect(JSON.stringify(delivery.status('ds-a'))).not.toContain(String(SEQ_MAX + 1));
  });

  it('reset: forgets confirmed state and counter, and learns the display\'s own counter from its answer', async () => {
    await open();
    device.lastSeq = 900; // from an earlier installation; our numbering (learning) adopts it from the hello...
    delivery.onHello('ds-a', device.hello());
    delivery.setDesired('ds-a', X, []);
    expect(sent.at(-1)?.seq).toBe(901);
    await deviceGetsLast(true);
    delivery.reset('ds-a');
    expect(delivery.status('ds-a')).toMatchObject({ confirmedHash: null, inSync: false, fault: null });
    expect(sent.at(-1)?.seq).toBe(1); // ...a reset starts over, and the display answers with its own counter
    expect(await deviceGetsLast(true)).toMatchObject({ type: 'nak', nak: { reason: 'stale-seq', lastSeq: 901 } });
    expect(sent.at(-1)?.seq).toBe(902);
    expect(await deviceGetsLast(true)).toMatchObject({ type: 'ack' });
    expect(device.displayed.at(-1)?.refresh).toBe('full');
    expect(delivery.status('ds-a').inSync).toBe(true);
    // While learning, a counter that would use up the space is refused, not adopted.
    delivery.reset('ds-a');
    delivery.onHello('ds-a', { ...device.hello(), lastSeq: SEQ_ADOPT_MAX + 1 });
    expect(delivery.status('ds-a').fault).toMatchObject({ code: 'seq-exhausted' });
  });

  it('without the broker link nothing is sent and every display is unknown; after it, each waits for its report (or a grace period)', async () => {
    await open();
    delivery.onHello('ds-a', device.hello());
    delivery.onLink(false);
    expect(delivery.brokerStatus()).toEqual({ state: 'reconnecting', since: new Date(clock.now()).toISOString() });
    delivery.setDesired('ds-a', X, []);
    delivery.setDesired('ds-b', Y, []);
    expect(sent).toHaveLength(0);
    expect(delivery.allStatus().map((x) => [x.availability, x.brokerConnected])).toEqual([
      ['unknown', false],
      ['unknown', false],
      ['unknown', false],
    ]);
    delivery.onLink(true);
    expect(sent).toHaveLength(0); // asked for their state: nothing before they answer
    delivery.onHello('ds-a', device.hello());
    expect(sent).toHaveLength(1);
    clock.advance(1000); // ds-b never answers: after ackTimeoutMs it is served from what we believe
    expect(sent).toHaveLength(2);
  });
});

describe('refresh policy', () => {
  let clock: FakeClock;
  let delivery: Delivery;
  let device: SimDevice;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    clock = new FakeClock(Date.parse('2026-11-23T10:00:00+01:00'));
    const log = pino({ level: 'silent' });
    const bus = new Bus(log);
    const store = await Store.open(t.dir, { bus, clock, seed: smallBuilding });
    const config = mergeConfig(defaultConfig(), { dataDir: t.dir, timezone: 'Europe/Berlin', delivery: { ackTimeoutMs: 1000, maxAttempts: 5, retryBaseMs: 100, retryMaxMs: 1000, mtu: 4096, fullRefreshHour: 3 } });
    const secrets = await SecretStore.open(t.dir, ['ds-a', 'ds-b', 'ds-c']);
    delivery = new Delivery({ config, clock, log, bus, store }, secrets, await FrameStore.open(t.dir), await DeliveryRecords.open(t.dir, log), () => 1);
    device = new SimDevice({ id: 'ds-a', panel, secret: secrets.frameKey('ds-a'), clock });
    // A perfect link: every transfer reaches the device at once and its reply comes straight back.
    delivery.attach({
      sendChunks: async (_id, chunks) => {
        let out = null;
        for (const c of chunks) out = (await device.receive(c)) ?? out;
        if (out?.type === 'ack') delivery.onAck('ds-a', out.ack);
      },
      sendControl: async () => undefined,
    });
    delivery.onLink(true);
    delivery.onHello('ds-a', device.hello());
    delivery.startDailyRefresh();
  });
  afterEach(async () => {
    await delivery.stop();
    await cleanup();
  });

  /** Until the device decoded the transfer and its ack is back (the decoder streams asynchronously). */
  const flush = async () => {
    await new Promise((r) => setTimeout(r, 0));
    await waitUntil(() => !delivery.status('ds-a').sending, 'the transfer to be acknowledged', 2000);
  };

  it('after the panel\'s 20 partial refreshes, the next update is a full refresh', async () => {
    delivery.setDesired('ds-a', frame(0), []);
    await flush();
    for (let i = 1; i <= 21; i++) {
      delivery.setDesired('ds-a', frame(i), []);
      await flush();
    }
    const refreshes = device.displayed.map((d) => d.refresh);
    expect(refreshes[0]).toBe('full'); // the first frame is a full frame
    expect(refreshes.slice(1, 21)).toEqual(Array(20).fill('partial'));
    expect(refreshes[21]).toBe('full');
  });

  it('daily at 03:00 local time every display gets a full refresh of what it shows', async () => {
    delivery.setDesired('ds-a', frame(1), []);
    await flush();
    delivery.setDesired('ds-a', frame(2), []);
    await flush();
    expect(device.displayed.at(-1)?.refresh).toBe('partial');
    clock.advance(Date.parse('2026-11-24T02:59:59+01:00') - clock.now());
    await flush();
    expect(device.displayed).toHaveLength(2);
    clock.advance(1000);
    await flush();
    expect(device.displayed).toHaveLength(3);
    expect(device.displayed.at(-1)).toMatchObject({ refresh: 'full', hash: frame(2).hash });
    expect(delivery.status('ds-a').inSync).toBe(true);
  });
});
