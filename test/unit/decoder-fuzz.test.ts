// Fuzzing the simulator's decoder and device logic (issue 10, point 6) with fast-check: valid transfers — full
// frames and deltas, one and two planes, any MTU — mutated at random (bit flips, truncation, reordering,
// duplication, dropped chunks, chunks of another transfer, garbage, with and without repaired CRCs) never make the
// display throw, and never make it show a frame other than the one the controller authenticated: every frame it
// shows has exactly the hash the header named, and that is the transfer's own frame. Seeded and bounded, so the
// normal test suite runs it (a failure prints the seed and the shrunk counterexample to replay).
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTransfer } from '../../controller/protocol/frame-v1.js';
import { NakReason } from '../../controller/protocol/topics.js';
import { SimDevice, type FrameOutcome } from '../../firmware-sim/device.js';
import { frameHash, makeFrame, type Frame } from '../../renderer/frame.js';
import type { PanelProfile } from '../../renderer/panels.js';

const SECRET = Buffer.alloc(32, 0x5a);
const RUNS = 300;
const SEED = 20261123;

function panel(planes: number): PanelProfile {
  return { id: 'fuzz', name: 'fuzz', width: 32, height: 8, colors: planes === 2 ? 'bwr' : 'bw', threshold: 128, maxPartialRefreshes: 20 };
}

/** A frame for a 32×8 panel: 4 bytes a row; red never where black is. */
const frameArb = (planes: number) =>
  fc.uint8Array({ minLength: 32 * planes, maxLength: 32 * planes }).map((bytes) => {
    const black = bytes.slice(0, 32);
    const ps = [black];
    if (planes === 2) ps.push(bytes.slice(32, 64).map((v, i) => v & ~(black[i] ?? 0) & 0xff));
    return makeFrame(32, 8, ps);
  });

/** A small edit of a frame (so the encoder sends a delta). */
function edit(f: Frame, at: number[], xor: number): Frame {
  const planes = f.planes.map((p) => Uint8Array.from(p));
  const black = planes[0] as Uint8Array;
  for (const i of at) black[i % black.length] = ((black[i % black.length] ?? 0) ^ (xor | 1)) & ~(planes[1]?.[i % black.length] ?? 0) & 0xff;
  return makeFrame(f.width, f.height, planes);
}

type Mutation =
  | { kind: 'flip'; chunk: number; byte: number; bit: number; repairCrc: boolean }
  | { kind: 'truncate'; chunk: number; keep: number; repairCrc: boolean }
  | { kind: 'drop'; chunk: number }
  | { kind: 'duplicate'; chunk: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'foreign'; chunk: number; seq: number; index: number }
  | { kind: 'garbage'; at: number; bytes: Uint8Array };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  // bit flips behind a repaired CRC reach the header and payload checks: the ones that matter most, so the most
  { arbitrary: fc.record({ kind: fc.constant('flip' as const), chunk: fc.nat(), byte: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), repairCrc: fc.constant(true) }), weight: 4 },
  fc.record({ kind: fc.constant('flip' as const), chunk: fc.nat(), byte: fc.nat(), bit: fc.integer({ min: 0, max: 7 }), repairCrc: fc.boolean() }),
  fc.record({ kind: fc.constant('truncate' as const), chunk: fc.nat(), keep: fc.nat(), repairCrc: fc.boolean() }),
  fc.record({ kind: fc.constant('drop' as const), chunk: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), chunk: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('foreign' as const), chunk: fc.nat(), seq: fc.integer({ min: 0, max: 12 }), index: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('garbage' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 80 }) }),
);

/** A chunk's CRC recomputed over whatever it now holds (so the mutation reaches the later checks). */
function repair(c: Buffer): Buffer {
  if (c.length < 14) return c;
  const n = c.readUInt16BE(8);
  if (c.length !== 14 + n) return c;
  const out = Buffer.from(c);
  out.writeUInt32BE(crc32(out.subarray(0, 10 + n)) >>> 0, 10 + n);
  return out;
}

function mutate(chunks: Buffer[], muts: Mutation[]): Buffer[] {
  let out: Buffer[] = chunks.map((c) => Buffer.from(c));
  for (const m of muts) {
    if (out.length === 0) break;
    const pick = (i: number) => i % out.length;
    switch (m.kind) {
      case 'flip': {
        const i = pick(m.chunk);
        const c = Buffer.from(out[i] as Buffer);
        if (c.length === 0) break;
        c[m.byte % c.length] = (c[m.byte % c.length] ?? 0) ^ (1 << m.bit);
        out[i] = m.repairCrc ? repair(c) : c;
        break;
      }
      case 'truncate': {
        const i = pick(m.chunk);
        const c = out[i] as Buffer;
        const cut = c.subarray(0, m.keep % (c.length + 1));
        out[i] = m.repairCrc && cut.length >= 14 ? repair(Buffer.concat([cut.subarray(0, 8), Buffer.from([0, 0]), Buffer.alloc(4)]).subarray(0, 14)) : Buffer.from(cut);
        break;
      }
      case 'drop':
        out.splice(pick(m.chunk), 1);
        break;
      case 'duplicate': {
        const i = pick(m.chunk);
        out.splice(i, 0, Buffer.from(out[i] as Buffer));
        break;
      }
      case 'swap': {
        const a = pick(m.a);
        const b = pick(m.b);
        [out[a], out[b]] = [out[b] as Buffer, out[a] as Buffer];
        break;
      }
      case 'foreign': {
        const i = pick(m.chunk);
        const c = Buffer.from(out[i] as Buffer);
        if (c.length < 14) break;
        c.writeUInt32BE(m.seq, 0);
        c.writeUInt16BE(Math.min(m.index, Math.max(0, c.readUInt16BE(6) - 1)), 4);
        out[i] = repair(c);
        break;
      }
      case 'garbage':
        out.splice(m.at % (out.length + 1), 0, Buffer.from(m.bytes));
        break;
    }
    out = out.filter((c) => c !== undefined);
  }
  return out;
}

interface Scenario {
  planes: number;
  base: Frame;
  target: Frame;
  delta: boolean;
  mtu: number;
  lastSeq: number;
  seq: number;
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .integer({ min: 1, max: 2 })
  .chain((planes) =>
    fc.record({
      planes: fc.constant(planes),
      base: frameArb(planes),
      edits: fc.array(fc.nat({ max: 31 }), { minLength: 1, maxLength: 6 }),
      xor: fc.integer({ min: 1, max: 255 }),
      other: frameArb(planes),
      delta: fc.boolean(),
      mtu: fc.integer({ min: 32, max: 160 }),
      lastSeq: fc.integer({ min: 0, max: 6 }),
      ahead: fc.integer({ min: -1, max: 2 }),
    }),
  )
  .map((r) => ({
    planes: r.planes,
    base: r.base,
    target: r.delta ? edit(r.base, r.edits, r.xor) : r.other,
    delta: r.delta,
    mtu: r.mtu,
    lastSeq: r.lastSeq,
    seq: Math.max(0, r.lastSeq + r.ahead),
  }));

/** Every frame the decoder hands over must be the one its header names (checked at the decoder's output). */
function checkHandedOver(dev: SimDevice): void {
  const feed = dev.decoder.feed.bind(dev.decoder);
  dev.decoder.feed = async (bytes) => {
    const r = await feed(bytes);
    if (r?.type === 'frame') {
      expect(r.frame.hash.slice(0, 32)).toBe(r.header.frameHashPrefix);
      expect(frameHash(r.frame.width, r.frame.height, r.frame.planes)).toBe(r.frame.hash);
    }
    return r;
  };
}

async function feedAll(dev: SimDevice, chunks: Buffer[]): Promise<FrameOutcome[]> {
  const out: FrameOutcome[] = [];
  for (const c of chunks) {
    const r = await dev.receive(c);
    if (r) out.push(r);
  }
  return out;
}

describe('fuzzing the display\'s decoder (fast-check, seeded)', () => {
  it(`mutated transfers (${RUNS} runs) never throw and never show a frame the controller did not authenticate`, async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.array(mutationArb, { minLength: 1, maxLength: 5 }), async (sc, muts) => {
        const t = encodeTransfer({ displayId: 'ds-fuzz', seq: sc.seq, frame: sc.target, base: sc.delta ? sc.base : null, secret: SECRET, mtu: sc.mtu });
        const dev = new SimDevice({ id: 'ds-fuzz', panel: panel(sc.planes), secret: SECRET });
        dev.framebuffer = sc.base;
        dev.lastSeq = sc.lastSeq === 0 ? null : sc.lastSeq;
        checkHandedOver(dev);
        const outcomes = await feedAll(dev, mutate(t.chunks, muts));
        for (const d of dev.displayed) {
          // Whatever it shows is the authenticated frame, and the pixels are the ones that hash names.
          expect(d.hash).toBe(sc.target.hash);
          expect(d.seq).toBe(sc.seq);
        }
        const fb = dev.framebuffer as Frame;
        expect(frameHash(fb.width, fb.height, fb.planes)).toBe(fb.hash);
        expect([sc.base.hash, sc.target.hash]).toContain(fb.hash);
        for (const o of outcomes) {
          if (o.type === 'nak') expect(NakReason.options).toContain(o.nak.reason);
          if (o.type === 'ack') expect(o.ack).toEqual({ seq: sc.seq, hash: sc.target.hash, activateAt: 0 });
        }
        // Stale numbers are never accepted.
        if (sc.seq < sc.lastSeq || sc.seq === 0) expect(dev.displayed).toEqual([]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('random bytes as chunks (also with valid CRCs) never throw and never show anything', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.boolean()), { maxLength: 12 }), async (msgs) => {
        const dev = new SimDevice({ id: 'ds-fuzz', panel: panel(1), secret: SECRET });
        await feedAll(dev, msgs.map(([b, fix]) => (fix ? repair(Buffer.from(b)) : Buffer.from(b))));
        expect(dev.displayed).toEqual([]);
        expect(dev.framebuffer).toBeNull();
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('an unmutated transfer is always accepted (the property above is not vacuous)', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (sc) => {
        fc.pre(sc.seq > sc.lastSeq);
        const t = encodeTransfer({ displayId: 'ds-fuzz', seq: sc.seq, frame: sc.target, base: sc.delta ? sc.base : null, secret: SECRET, mtu: sc.mtu });
        const dev = new SimDevice({ id: 'ds-fuzz', panel: panel(sc.planes), secret: SECRET });
        dev.framebuffer = sc.base;
        dev.lastSeq = sc.lastSeq === 0 ? null : sc.lastSeq;
        const outcomes = await feedAll(dev, t.chunks);
        expect(outcomes).toEqual([{ type: 'ack', ack: { seq: sc.seq, hash: sc.target.hash, activateAt: 0 }, changed: sc.target.hash !== sc.base.hash }]);
        expect(dev.framebuffer?.hash).toBe(sc.target.hash);
      }),
      { seed: SEED + 2, numRuns: 100 },
    );
  });
});
