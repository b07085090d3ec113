import { describe, expect, it } from 'vitest';
import { makeFrame, packGrey, unpackToGrey, rowBytes, type Frame } from '../../renderer/frame.js';
import { encodeTransfer, Encoding, needsBase, readChunk, writeChunk, CHUNK_OVERHEAD } from '../../controller/protocol/frame-v1.js';
import { SimDevice, type FrameOutcome } from '../../firmware-sim/device.js';
import { INFLATE_STATE_BYTES } from '../../firmware-sim/decoder.js';
import { PANELS } from '../../renderer/panels.js';
import { renderSign } from '../../renderer/index.js';
import type { DoorSignContent } from '../../renderer/content.js';

describe('packing', () => {
  it('packs rows MSB-first, 1 = ink, padding each row to whole bytes', () => {
    // 10×2: row 0 = ink at x=0 and x=9; row 1 = ink at x=1..8
    const W = 10;
    const grey = new Uint8Array(20).fill(255);
    grey[0] = 0;
    grey[9] = 0;
    for (let x = 1; x <= 8; x++) grey[W + x] = 0;
    const packed = packGrey(grey, W, 2, 127);
    expect(rowBytes(W)).toBe(2);
    expect([...packed]).toEqual([0b10000000, 0b01000000, 0b01111111, 0b10000000]);
    expect([...unpackToGrey(packed, W, 2)]).toEqual([...grey]);
  });

  it('treats values at or below the threshold as ink', () => {
    expect([...packGrey(new Uint8Array([128, 129, 0, 255, 128, 128, 128, 128]), 8, 1, 128)]).toEqual([0b10101111]);
  });
});

// Golden transfer from docs/protocol.md: a 16×2 frame (plane aa 55 0f f0), display "ds-golden", sequence 7,
// secret 01 02 … 20, MTU 64. Generated independently with Python's hashlib, hmac and zlib (raw deflate, window
// 2^12, level 9, memLevel 9).
const GOLDEN_SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
const golden = makeFrame(16, 2, [new Uint8Array([0xaa, 0x55, 0x0f, 0xf0])]);
const GOLDEN_CHUNKS = [
  '00000007000000030032574757310101010000100002000000070000000000000006000000020000000264732d676f6c64656e0000000000000000002ff60833',
  '000000070001000300320000000000000000000000000000a5ecea50d1d59a21c9bd1b529ac0dc8d000000000000000000000000000000006dec8a12b4f96f64',
  '000000070002000300167dd504b0d65deaeb663b5cc8e11acf8a5b15caff0100901030c4',
];

const tinyPanel = { ...PANELS['epd-7in5-bw'], width: 16, height: 2 };

function device(id = 'ds-golden', panel = tinyPanel, secret = GOLDEN_SECRET) {
  return new SimDevice({ id, panel, secret });
}

async function deliver(dev: SimDevice, chunks: Buffer[]): Promise<FrameOutcome | null> {
  let last: FrameOutcome | null = null;
  for (const c of chunks) last = (await dev.receive(c)) ?? last;
  return last;
}

describe('protocol v1 transfer', () => {
  it('matches the golden vector in docs/protocol.md, byte for byte', () => {
    const t = encodeTransfer({ displayId: 'ds-golden', seq: 7, frame: golden, base: null, secret: GOLDEN_SECRET, mtu: 64 });
    expect(t.chunks.map((c) => c.toString('hex'))).toEqual(GOLDEN_CHUNKS);
    expect(t.encoding).toBe(Encoding.Deflate);
  });

  it('the golden transfer decodes to the golden frame', async () => {
    const dev = device();
    const r = await deliver(dev, GOLDEN_CHUNKS.map((h) => Buffer.from(h, 'hex')));
    expect(r).toEqual({ type: 'ack', ack: { seq: 7, hash: golden.hash, activateAt: 0 }, changed: true });
    expect(Buffer.from(dev.framebuffer?.planes[0] ?? []).toString('hex')).toBe('aa550ff0');
  });

  it('keeps every chunk within the MTU', () => {
    const frame = makeFrame(800, 480, [new Uint8Array(48_000).map((_, i) => (i * 7919) % 251)]);
    for (const mtu of [32, 128, 4096]) {
      const t = encodeTransfer({ displayId: 'x', seq: 1, frame, base: null, secret: GOLDEN_SECRET, mtu });
      expect(Math.max(...t.chunks.map((c) => c.length))).toBeLessThanOrEqual(mtu);
      expect(t.wireBytes).toBe(t.chunks.reduce((n, c) => n + c.length, 0));
    }
  });
});

const content: DoorSignContent = {
  kind: 'door',
  roomNumber: '1.04',
  roomName: 'Aufenthalt K–N',
  unit: 'Sachgebiet Aufenthalt',
  occupants: [{ name: 'Andreas Koch', title: 'Sachbearbeiter' }],
  services: [{ de: 'Aufenthaltstitel verlängern', en: 'Extend residence permit' }],
  officeHours: 'Mo, Di, Do 8–12 Uhr',
  notice: null,
};

describe('a display receiving real signs at MTU 128', () => {
  const panel = PANELS['epd-7in5-bw'];
  const secret = Buffer.alloc(32, 7);
  let a: Frame;
  let b: Frame;

  it('shows a full frame, then a delta, and the delta is far smaller', async () => {
    a = (await renderSign(content, panel)).frame;
    b = (await renderSign({ ...content, officeHours: 'Mo, Di, Do 8–13 Uhr' }, panel)).frame;
    const dev = device('ds-1', panel, secret);
    const full = encodeTransfer({ displayId: 'ds-1', seq: 1, frame: a, base: null, secret, mtu: 128 });
    expect((await deliver(dev, full.chunks))?.type).toBe('ack');
    expect(dev.framebuffer?.hash).toBe(a.hash);
    const delta = encodeTransfer({ displayId: 'ds-1', seq: 2, frame: b, base: a, secret, mtu: 128 });
    expect(needsBase(delta.encoding)).toBe(true); // XOR or region content, whichever the encoder found smaller
    expect(delta.wireBytes).toBeLessThan(full.wireBytes / 5);
    // Only the rows that changed travel (office hours are near the bottom), not the whole plane.
    expect(delta.region.y0).toBeGreaterThan(300);
    expect(delta.region.h).toBeLessThan(60);
    expect(await deliver(dev, delta.chunks)).toMatchObject({ type: 'ack', ack: { seq: 2, hash: b.hash } });
    expect(Buffer.from(dev.framebuffer?.planes[0] ?? []).equals(Buffer.from(b.planes[0] ?? []))).toBe(true);
    expect(dev.displayed.map((d) => d.refresh)).toEqual(['full', 'partial']);
    // RAM the decoder held: window + inflate state + chunk + header + output block + hash states.
    expect(dev.decoder.peakRamBytes).toBeLessThanOrEqual(4096 + INFLATE_STATE_BYTES + 128 + 116 + 512 + 400);
  });

  it('sends a removed notice as the region\'s new content, which the display applies over its screen', async () => {
    const withNotice = (await renderSign({ ...content, notice: { text: 'Heute geschlossen.', redirect: { number: '1.05', name: 'Aufenthalt O–S' } } }, panel)).frame;
    const dev = device('ds-1', panel, secret);
    await deliver(dev, encodeTransfer({ displayId: 'ds-1', seq: 1, frame: withNotice, base: null, secret, mtu: 128 }).chunks);
    const removal = encodeTransfer({ displayId: 'ds-1', seq: 2, frame: a, base: withNotice, secret, mtu: 128 });
    expect(removal.encoding).toBe(Encoding.DeflateRegion);
    expect(await deliver(dev, removal.chunks)).toMatchObject({ type: 'ack', ack: { seq: 2, hash: a.hash } });
    expect(Buffer.from(dev.framebuffer?.planes[0] ?? []).equals(Buffer.from(a.planes[0] ?? []))).toBe(true);
  });

  it('shows nothing until the last chunk verified', async () => {
    const dev = device('ds-1', panel, secret);
    const t = encodeTransfer({ displayId: 'ds-1', seq: 1, frame: a, base: null, secret, mtu: 128 });
    for (const c of t.chunks.slice(0, -1)) expect(await dev.receive(c)).toBeNull();
    expect(dev.framebuffer).toBeNull();
    expect((await dev.receive(t.chunks.at(-1) as Buffer))?.type).toBe('ack');
    expect(dev.framebuffer?.hash).toBe(a.hash);
  });

  async function refusal(mutate: (chunks: Buffer[]) => Buffer[], opts: { secret?: Buffer; id?: string; base?: Frame | null; seq?: number; preload?: boolean } = {}) {
    const dev = device('ds-1', panel, secret);
    if (opts.preload !== false) await deliver(dev, encodeTransfer({ displayId: 'ds-1', seq: 5, frame: a, base: null, secret, mtu: 128 }).chunks);
    const t = encodeTransfer({ displayId: opts.id ?? 'ds-1', seq: opts.seq ?? 6, frame: b, base: opts.base === undefined ? a : opts.base, secret: opts.secret ?? secret, mtu: 128 });
    const r = await deliver(dev, mutate(t.chunks.map((c) => Buffer.from(c))));
    expect(dev.framebuffer?.hash ?? null).toBe(opts.preload === false ? null : a.hash);
    return r?.type === 'nak' ? r.nak.reason : r?.type;
  }

  it('refuses a forged frame (wrong key)', async () => {
    expect(await refusal((c) => c, { secret: Buffer.alloc(32, 8) })).toBe('bad-hmac');
  });

  it('refuses a tampered payload even with a recomputed chunk CRC', async () => {
    expect(
      await refusal((chunks) => {
        const last = chunks.length - 1;
        const ch = readChunk(chunks[last] as Buffer);
        if (!ch.ok) throw new Error('bad fixture');
        const data = Buffer.from(ch.data);
        data[data.length - 1] = (data[data.length - 1] ?? 0) ^ 0x40;
        chunks[last] = writeChunk(ch.seq, ch.index, ch.count, data);
        return chunks;
      }),
    ).toMatch(/bad-hmac|inflate/);
  });

  it('refuses a replayed (old sequence) frame', async () => {
    expect(await refusal((c) => c, { seq: 3 })).toBe('stale-seq');
  });

  it('refuses a corrupted chunk, a missing chunk and reordered chunks', async () => {
    expect(
      await refusal((c) => {
        const x = c[1] as Buffer;
        x[20] = (x[20] ?? 0) ^ 0xff;
        return c;
      }),
    ).toBe('bad-crc');
    // A full frame spans many chunks at MTU 128 (a delta may need only two).
    expect(await refusal((c) => [c[0] as Buffer, ...c.slice(2)], { base: null })).toBe('missing-chunk');
    expect(await refusal((c) => [c[0] as Buffer, c[2] as Buffer, c[1] as Buffer, ...c.slice(3)], { base: null })).toBe('missing-chunk');
  });

  it('answers an old delta whose base is gone with stale-seq, not base-mismatch: the number is checked first', async () => {
    const dev = device('ds-1', panel, secret);
    await deliver(dev, encodeTransfer({ displayId: 'ds-1', seq: 5, frame: a, base: null, secret, mtu: 128 }).chunks);
    const old = encodeTransfer({ displayId: 'ds-1', seq: 6, frame: b, base: a, secret, mtu: 128 });
    const newer = encodeTransfer({ displayId: 'ds-1', seq: 7, frame: a, base: null, secret, mtu: 128, fullRefresh: true });
    await deliver(dev, newer.chunks); // the display moved on: seq 7, and its screen is no longer the delta's base
    dev.framebuffer = (await renderSign({ ...content, notice: { text: 'Anderes Bild.', redirect: null } }, panel)).frame;
    expect(await deliver(dev, old.chunks)).toMatchObject({ type: 'nak', nak: { seq: 6, reason: 'stale-seq', lastSeq: 7 } });
  });

  it('acknowledges a retransmitted delta after a lost ack although its base is gone, without applying it again', async () => {
    const dev = device('ds-1', panel, secret);
    await deliver(dev, encodeTransfer({ displayId: 'ds-1', seq: 5, frame: a, base: null, secret, mtu: 128 }).chunks);
    const delta = encodeTransfer({ displayId: 'ds-1', seq: 6, frame: b, base: a, secret, mtu: 128 });
    expect(await deliver(dev, delta.chunks)).toMatchObject({ type: 'ack', ack: { seq: 6, hash: b.hash }, changed: true });
    expect(await deliver(dev, delta.chunks)).toEqual({ type: 'ack', ack: { seq: 6, hash: b.hash, activateAt: 0 }, changed: false });
    expect(dev.displayed.map((d) => d.hash)).toEqual([a.hash, b.hash]);
    expect(dev.refused).toEqual([]);
  });

  it('refuses a delta against a base it does not show, and a frame for another display', async () => {
    expect(await refusal((c) => c, { preload: false })).toBe('base-mismatch');
    expect(await refusal((c) => c, { id: 'ds-2' })).toBe('wrong-display');
  });

  it('refuses garbage', async () => {
    const dev = device('ds-1', panel, secret);
    // No transfer in progress: a message that is no chunk is dropped silently (docs/protocol.md, check 1) …
    for (const g of [Buffer.alloc(0), Buffer.from('hello'), Buffer.alloc(200, 0xff)]) expect(await dev.receive(g)).toBeNull();
    // … and a chunk that is one, but carries no whole header, is refused.
    expect(await dev.receive(writeChunk(1, 0, 1, Buffer.from('WGW1 but not really')))).toMatchObject({ type: 'nak', nak: { reason: 'truncated', seq: 1 } });
    expect(dev.framebuffer).toBeNull();
    expect(CHUNK_OVERHEAD).toBe(14);
  });

  it('acknowledges a retransmission of the frame on screen without showing it twice', async () => {
    const dev = device('ds-1', panel, secret);
    const t = encodeTransfer({ displayId: 'ds-1', seq: 9, frame: a, base: null, secret, mtu: 128 });
    await deliver(dev, t.chunks);
    expect(await deliver(dev, t.chunks)).toMatchObject({ type: 'ack', changed: false });
    expect(dev.displayed).toHaveLength(1);
  });
});
