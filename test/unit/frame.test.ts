import { describe, expect, it } from 'vitest';
import { makeFrame, packGrey, unpackToGrey, rowBytes } from '../../renderer/frame.js';
import { decodeFrameMessage, encodeFrameMessage, HEADER_BYTES } from '../../controller/protocol/frame-message.js';
import { SimDevice } from '../../firmware-sim/device.js';
import { PANELS } from '../../renderer/panels.js';

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

// Golden vector: a 16×2 frame, sequence 7. Hash and CRC were computed independently (Python hashlib/zlib)
// and are documented in docs/protocol.md.
const golden = makeFrame(16, 2, [new Uint8Array([0xaa, 0x55, 0x0f, 0xf0])]);
const GOLDEN_HEX =
  '57475746' + '00' + '00' + '0010' + '0002' + '01' + '00' + '00000007' + golden.hash + '00000004' + 'GOLDENCRC' + 'aa550ff0';

describe('frame message v0', () => {
  it('matches the golden vector in docs/protocol.md', () => {
    const msg = encodeFrameMessage(golden, 7);
    expect(golden.hash).toBe('a5ecea50d1d59a21c9bd1b529ac0dc8deed21f40fc6fa6069e92d88b49a6cf67');
    expect(msg.toString('hex')).toBe(GOLDEN_HEX.replace('GOLDENCRC', '53c024f5'));
  });

  it('round-trips', () => {
    const msg = encodeFrameMessage(golden, 42);
    const r = decodeFrameMessage(msg, { width: 16, height: 2, planes: 1 });
    expect(r.ok && r.seq === 42 && r.frame.hash === golden.hash).toBe(true);
  });

  const expectNak = (msg: Uint8Array, reason: string) => {
    const r = decodeFrameMessage(msg, { width: 16, height: 2, planes: 1 });
    expect(r.ok ? 'ok' : r.reason).toBe(reason);
  };

  it('refuses truncated, resized, corrupted and forged messages', () => {
    const msg = encodeFrameMessage(golden, 1);
    expectNak(msg.subarray(0, 20), 'truncated');
    expectNak(msg.subarray(0, msg.length - 1), 'truncated');
    expectNak(Buffer.concat([msg, Buffer.from([0])]), 'truncated');
    const magic = Buffer.from(msg);
    magic[0] = 0x58;
    expectNak(magic, 'bad-magic');
    const size = Buffer.from(msg);
    size.writeUInt16BE(17, 6);
    expectNak(size, 'bad-size');
    const flipped = Buffer.from(msg);
    flipped[HEADER_BYTES + 1] = (flipped[HEADER_BYTES + 1] ?? 0) ^ 0x01;
    expectNak(flipped, 'bad-crc');
    // A forger who fixes the CRC but not the hash is still caught.
    const forged = encodeFrameMessage(makeFrame(16, 2, [new Uint8Array([1, 2, 3, 4])]), 1);
    Buffer.from(golden.hash, 'hex').copy(forged, 16);
    expectNak(forged, 'bad-hash');
  });
});

describe('simulated display', () => {
  const panel = { ...PANELS['epd-7in5-bw'], width: 16, height: 2 };

  it('shows only verified frames and refuses replays, but re-acks a retransmission', () => {
    const dev = new SimDevice('t', panel);
    expect(dev.handleFrameMessage(encodeFrameMessage(golden, 5)).type).toBe('ack');
    expect(dev.framebuffer?.hash).toBe(golden.hash);
    const again = dev.handleFrameMessage(encodeFrameMessage(golden, 5));
    expect(again.type === 'ack' && !again.changed).toBe(true);
    const other = makeFrame(16, 2, [new Uint8Array([0, 0, 0, 1])]);
    const replay = dev.handleFrameMessage(encodeFrameMessage(other, 4));
    expect(replay.type === 'nak' && replay.nak.reason).toBe('stale-seq');
    const bad = encodeFrameMessage(other, 6);
    bad[bad.length - 1] = 0xff;
    expect(dev.handleFrameMessage(bad).type).toBe('nak');
    expect(dev.framebuffer?.hash).toBe(golden.hash);
    expect(dev.refused.map((r) => r.reason)).toEqual(['stale-seq', 'bad-crc']);
    expect(dev.hello().lastSeq).toBe(5);
  });
});
