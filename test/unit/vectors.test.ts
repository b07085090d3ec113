// The protocol test vectors (docs/vectors/, made by scripts/gen-vectors.ts) against the TypeScript side: the
// controller's encoder reproduces every encoder-made transfer byte for byte; the simulator's device logic answers
// every transfer case with exactly the expected acks and naks (each nak-reason case with exactly that reason) and
// ends in the expected state; device-message tags, control messages and MQTT passwords match. The C library in
// firmware/ is checked against the same files.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeTransfer } from '../../controller/protocol/frame-v1.js';
import { NakReason } from '../../controller/protocol/topics.js';
import { checkDeviceMessageTag, signDeviceMessage, type AuthenticatedLeaf } from '../../controller/protocol/device-message.js';
import { deriveMqttPassword } from '../../controller/store/secrets.js';
import { MessageCounter } from '../../controller/delivery/message-counter.js';
import type { Clock } from '../../controller/clock.js';
import { SimDevice } from '../../firmware-sim/device.js';
import { makeFrame, type Frame } from '../../renderer/frame.js';
import type { PanelProfile } from '../../renderer/panels.js';

const DIR = path.resolve(import.meta.dirname, '..', '..', 'docs', 'vectors');
const load = <T>(name: string): T => JSON.parse(readFileSync(path.join(DIR, name), 'utf8')) as T;

interface FrameJson {
  hash: string;
  planes: string[];
}
type Result = { type: 'ack'; seq: number; hash: string; activateAt: number } | { type: 'nak'; seq: number | null; reason: string };
interface TransferCase {
  name: string;
  reason?: string;
  display: { id: string; width: number; height: number; planes: number; maxChunk: number };
  secret: string;
  before: { lastSeq: number; shown: FrameJson | null; held: (FrameJson & { activateAt: number }) | null; now: number };
  encoder?: { seq: number; frame: FrameJson; base: FrameJson | null; mtu: number; activateAt: number; fullRefresh: boolean };
  chunks: string[];
  chunkTimesMs?: number[];
  expect: { results: Result[]; after: { lastSeq: number; shownHash: string | null; heldHash: string | null; heldActivateAt: number | null; refresh: 'full' | 'partial' | null } };
}

/** A clock the test sets (the vectors need the display's clock at given moments, also backwards). */
class SetClock implements Clock {
  private timers: { at: number; fn: () => void }[] = [];
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== timer)) };
  }
  set(t: number): void {
    this.t = t;
    for (const due of this.timers.filter((x) => x.at <= t)) {
      this.timers = this.timers.filter((x) => x !== due);
      due.fn();
    }
  }
}

const frameOf = (d: { width: number; height: number }, f: FrameJson): Frame => {
  const frame = makeFrame(d.width, d.height, f.planes.map((p) => new Uint8Array(Buffer.from(p, 'hex'))));
  expect(frame.hash).toBe(f.hash);
  return frame;
};

function panelOf(d: TransferCase['display']): PanelProfile {
  return { id: 'vector-panel', name: 'vector panel', width: d.width, height: d.height, colors: d.planes === 2 ? 'bwr' : 'bw', threshold: 128, maxPartialRefreshes: 20 };
}

/** A simulated display in the case's state "before", as after a reboot. */
function deviceFor(c: TransferCase) {
  const clock = new SetClock(c.before.now * 1000);
  const dev = new SimDevice({ id: c.display.id, panel: panelOf(c.display), secret: Buffer.from(c.secret, 'hex'), clock, maxChunk: c.display.maxChunk });
  dev.lastSeq = c.before.lastSeq === 0 ? null : c.before.lastSeq;
  dev.framebuffer = c.before.shown ? frameOf(c.display, c.before.shown) : null;
  dev.scheduled = c.before.held ? { frame: frameOf(c.display, c.before.held), seq: c.before.lastSeq, activateAt: c.before.held.activateAt } : null;
  return { dev, clock };
}

async function run(c: TransferCase) {
  const { dev, clock } = deviceFor(c);
  const shownBefore = dev.displayed.length;
  const results: Result[] = [];
  for (const [i, hex] of c.chunks.entries()) {
    const at = c.chunkTimesMs?.[i];
    if (at !== undefined) clock.set(at);
    const out = await dev.receive(Buffer.from(hex, 'hex'));
    if (out?.type === 'ack') results.push({ type: 'ack', seq: out.ack.seq, hash: out.ack.hash, activateAt: out.ack.activateAt });
    else if (out?.type === 'nak') results.push({ type: 'nak', seq: out.nak.seq, reason: out.nak.reason });
    else if (out) throw new Error(`unexpected outcome ${out.type}`);
  }
  const shown = dev.displayed.slice(shownBefore);
  return {
    results,
    after: {
      lastSeq: dev.lastSeq ?? 0,
      shownHash: dev.framebuffer?.hash ?? null,
      heldHash: dev.scheduled?.frame.hash ?? null,
      heldActivateAt: dev.scheduled?.activateAt ?? null,
      refresh: shown.at(-1)?.refresh ?? null,
    },
  };
}

describe('vectors: the files are what the generator makes', () => {
  it('scripts/gen-vectors.ts --check finds no difference (the files were regenerated after every change)', () => {
    const root = path.resolve(import.meta.dirname, '..', '..');
    const r = spawnSync(process.execPath, ['bin/run-ts.js', 'scripts/gen-vectors.ts', '--check'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

const transfers = load<{ cases: TransferCase[] }>('transfers.json').cases;
const naks = load<{ cases: TransferCase[] }>('naks.json').cases;

describe('vectors: transfers a display accepts (docs/vectors/transfers.json)', () => {
  it.each(transfers.filter((c) => c.encoder).map((c) => [c.name, c] as const))('the encoder reproduces %s byte for byte', (_, c) => {
    const e = c.encoder as NonNullable<TransferCase['encoder']>;
    const t = encodeTransfer({
      displayId: c.display.id,
      seq: e.seq,
      frame: frameOf(c.display, e.frame),
      base: e.base ? frameOf(c.display, e.base) : null,
      secret: Buffer.from(c.secret, 'hex'),
      mtu: e.mtu,
      ...(e.activateAt ? { activateAt: e.activateAt } : {}),
      fullRefresh: e.fullRefresh,
    });
    expect(t.chunks.map((x) => x.toString('hex'))).toEqual(c.chunks);
  });

  it.each(transfers.map((c) => [c.name, c] as const))('the simulated display answers %s as expected', async (_, c) => {
    expect(await run(c)).toEqual(c.expect);
  });
});

describe('vectors: refused transfers (docs/vectors/naks.json)', () => {
  it('has a case for every nak reason', () => {
    expect(new Set(naks.map((c) => c.reason))).toEqual(new Set(NakReason.options));
  });

  it.each(naks.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const got = await run(c);
    expect(got).toEqual(c.expect);
    // exactly one nak, with the case's reason (or, for a precedence case, the one stated)
    expect(got.results).toHaveLength(1);
    expect(got.results[0]?.type).toBe('nak');
  });
});

describe('vectors: device messages (docs/vectors/device-messages.json)', () => {
  const dm = load<{
    secret: string;
    messages: { name: string; leaf: AuthenticatedLeaf; fields: object; ctr: number; payload: string; tag: string }[];
    refused: { name: string; leaf: AuthenticatedLeaf; payloadHex: string; expect: 'tagged' | 'untagged' | 'bad-tag' }[];
    counter: { steps: { leaf: AuthenticatedLeaf; payload: string; expect: 'accepted' | 'replayed' | 'duplicate' }[] };
  }>('device-messages.json');
  const key = Buffer.from(dm.secret, 'hex');

  it.each(dm.messages.map((m) => [m.name, m] as const))('%s: signed byte for byte, and verified', (_, m) => {
    const payload = signDeviceMessage(m.leaf, m.fields, m.ctr, key);
    expect(payload.toString('utf8')).toBe(m.payload);
    expect(checkDeviceMessageTag(m.leaf, payload, key)).toEqual({ kind: 'tagged', tag: m.tag });
  });

  it.each(dm.refused.map((m) => [m.name, m] as const))('refused or untagged: %s', (_, m) => {
    expect(checkDeviceMessageTag(m.leaf, Buffer.from(m.payloadHex, 'hex'), key).kind).toBe(m.expect);
  });

  it('the counter sequence: accepted, replayed, duplicate', () => {
    const counter = new MessageCounter();
    for (const step of dm.counter.steps) {
      const payload = Buffer.from(step.payload);
      const check = checkDeviceMessageTag(step.leaf, payload, key);
      if (check.kind !== 'tagged') throw new Error('a genuine message did not verify');
      const { ctr } = JSON.parse(step.payload) as { ctr: number };
      expect(counter.check(ctr, check.tag)).toBe(step.expect);
    }
  });

  it('the simulator signs messages the same way (its counter, its key)', async () => {
    const m = dm.messages.find((x) => x.name === 'ack');
    if (!m) throw new Error('no ack vector');
    const dev = new SimDevice({ id: 'ds-vec', panel: panelOf({ id: 'ds-vec', width: 64, height: 16, planes: 1, maxChunk: 4096 }), secret: key });
    dev.ctrReserved = m.ctr - 1;
    await dev.restore(); // boots: continues above its reservation
    expect((await dev.message(m.leaf, m.fields))?.toString('utf8')).toBe(m.payload);
  });
});

describe('vectors: control messages (docs/vectors/control.json)', () => {
  const cm = load<{
    secret: string;
    cases: { name: string; message: string; display: { lastCheckInTime: number; nowMs: number }; expect: { accepted: boolean; clockAfterMs?: number; checkInSeconds?: number } }[];
  }>('control.json');
  it.each(cm.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const clock = new SetClock(c.display.lastCheckInTime);
    const dev = new SimDevice({ id: 'ds-vec', panel: panelOf({ id: 'ds-vec', width: 64, height: 16, planes: 1, maxChunk: 4096 }), secret: Buffer.from(cm.secret, 'hex'), clock });
    expect(dev.checkIn('timer', 2000, 60).time).toBe(c.display.lastCheckInTime);
    clock.t = c.display.nowMs;
    expect(dev.applyControl(Buffer.from(c.message, 'hex'))).toBe(c.expect.accepted);
    if (c.expect.accepted) {
      expect(dev.now()).toBe(c.expect.clockAfterMs);
      expect(dev.checkInSeconds).toBe(c.expect.checkInSeconds);
    } else expect(dev.now()).toBe(c.display.nowMs);
  });
});

describe('vectors: MQTT passwords (docs/vectors/mqtt-password.json)', () => {
  const mp = load<{ cases: { secret: string; password: string }[] }>('mqtt-password.json');
  it.each(mp.cases.map((c) => [c.password, c] as const))('%s', (_, c) => {
    expect(deriveMqttPassword(Buffer.from(c.secret, 'hex'))).toBe(c.password);
  });
});
