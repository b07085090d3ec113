// The display's streaming decoder for protocol v1.1, written as a microcontroller would run it and exactly in the
// check order of docs/protocol.md ("What a display does: check order and nak precedence"): every chunk is verified
// (CRC-32, order) as it arrives; the header is checked once complete — the sequence number before the base, so an
// old delta is `stale-seq` and a retransmission is recognised although its base is gone (rule R); the payload goes
// through the HMAC and a 4 KB-window inflater into the work frame (for a delta: starting from the frame on screen,
// XORed or replaced within the region); payload problems are only noted and reported after the last chunk, in the
// spec's order, so the reason never depends on where the inflater noticed them. The frame is handed over only after
// length, inflate, tag, decoded size and frame hash all verified.
// RAM it holds itself besides the work frame (the table in docs/protocol.md): the header, one chunk, the inflate
// state and window, one output block, the HMAC and SHA-256 states — `peakRamBytes` records what was used.
import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import { createInflateRaw, crc32, type InflateRaw } from 'node:zlib';
import { frameHash, rowBytes, type Frame } from '../renderer/frame.js';
import {
  CHUNK_OVERHEAD,
  DISPLAY_ID_BYTES,
  Encoding,
  FLAG_FULL_REFRESH,
  FLAG_RESERVED,
  HEADER_V1_BYTES,
  HMAC_COVERED_HEADER,
  TAG_BYTES,
  WINDOW_BITS,
  expectedRegionBytes,
  hashPrefix,
  needsBase,
  readHeader,
  type HeaderV1,
} from '../controller/protocol/frame-v1.js';
import type { NakReason } from '../controller/protocol/topics.js';

/** inflate output is handed over in blocks of this size (the decoder's output buffer) */
export const INFLATE_BLOCK = 512;
/** inflate state besides the window, as a uzlib/tinf-class decoder on a microcontroller needs (zlib itself: ~7 KB) */
export const INFLATE_STATE_BYTES = 2 * 1024;
/** a transfer with no chunk for longer than this is abandoned: discarded without a nak */
export const TRANSFER_IDLE_MS = 30_000;
const HASH_STATE_BYTES = 2 * 200;

export interface DecoderTarget {
  id: string;
  width: number;
  height: number;
  planes: number;
  secret: Buffer;
  /** what the panel shows (the base for deltas) */
  shown: Frame | null;
  /** the hash of a frame held for its activate-at time (rule R recognises its retransmission) */
  heldHash: string | null;
  /** the last accepted sequence number; 0: none */
  lastSeq: number;
  /** the largest chunk it accepts, overhead included */
  maxChunk: number;
  /** its clock, unix ms (abandoned transfers) */
  now: number;
}

export type Decoded =
  | { type: 'frame'; header: HeaderV1; frame: Frame; fullRefresh: boolean }
  /** rule R: the transfer last accepted, again, for the frame on screen or held — verified, not applied: ack again */
  | { type: 'retransmission'; header: HeaderV1 }
  | { type: 'nak'; seq: number | null; reason: NakReason; detail: string };

interface Transfer {
  seq: number;
  count: number;
  next: number;
  lastChunkAt: number;
  head: Buffer;
  headLen: number;
  header: HeaderV1 | null;
  retransmission: boolean;
  payloadSeen: number;
  hmac: Hmac | null;
  inflater: InflateRaw | null;
  /** the first inflate error, noted for check 13 */
  inflateError: string | null;
  work: Uint8Array | null;
  /** bytes inflated (also those beyond the region, which are discarded) */
  out: number;
}

export class TransferDecoder {
  private t: Transfer | null = null;
  /** The number of the transfer that ended last (acked or refused): its stray chunks are dropped silently. */
  private ended: number | null = null;
  peakRamBytes = 0;

  constructor(private readonly target: () => DecoderTarget) {}

  /** A transfer is in progress (a sleepy display stays awake until it ends or is abandoned). */
  get busy(): boolean {
    return this.t !== null && this.target().now - this.t.lastChunkAt <= TRANSFER_IDLE_MS;
  }

  /** Power loss: RAM is gone — the transfer in progress and the memory of the one that ended. */
  reset(): void {
    this.discard();
    this.ended = null;
  }

  /** Abandons the transfer in progress (the radio goes off: a sleepy display falls asleep), without a nak. */
  abandon(): void {
    this.discard();
  }

  private discard(): void {
    this.t?.inflater?.destroy();
    this.t = null;
  }

  /** Ends the transfer in progress with a nak; what follows of it is dropped silently. */
  private refuse(seq: number, reason: NakReason, detail: string): Decoded {
    this.discard();
    this.ended = seq;
    return { type: 'nak', seq, reason, detail };
  }

  /** Feeds one chunk (one MQTT message); resolves to a result when a transfer ends (accepted or refused), else null. */
  async feed(bytes: Buffer): Promise<Decoded | null> {
    const me = this.target();
    if (this.t && me.now - this.t.lastChunkAt > TRANSFER_IDLE_MS) this.discard(); // abandoned: no nak

    // Check 1: chunk integrity. Nothing of an unverified chunk is trusted, its length field included.
    const n = bytes.length >= CHUNK_OVERHEAD ? bytes.readUInt16BE(8) : -1;
    let integrity: string | null = null;
    if (n < 0) integrity = `a ${bytes.length}-byte message is no chunk`;
    else if (bytes.length !== CHUNK_OVERHEAD + n) integrity = `chunk says ${n} data bytes, has ${bytes.length - CHUNK_OVERHEAD}`;
    else if (bytes.length > me.maxChunk) integrity = `chunk of ${bytes.length} bytes, more than maxChunk ${me.maxChunk}`;
    else if ((crc32(bytes.subarray(0, 10 + n)) >>> 0) !== bytes.readUInt32BE(10 + n)) integrity = 'chunk CRC-32 mismatch';
    // Nothing in progress: nothing to end, and no number to trust — dropped silently.
    if (integrity !== null) return this.t ? this.refuse(this.t.seq, 'bad-crc', integrity) : null;

    // Check 2: order.
    const seq = bytes.readUInt32BE(0);
    const index = bytes.readUInt16BE(4);
    const count = bytes.readUInt16BE(6);
    const data = bytes.subarray(10, 10 + n);
    let t = this.t;
    if (count === 0 || index >= count) return this.outOfOrder(seq, `chunk ${index} of ${count}`);
    if (index === 0) {
      this.discard(); // a new transfer replaces the one in progress, without a nak
      t = this.t = {
        seq,
        count,
        next: 0,
        lastChunkAt: me.now,
        head: Buffer.alloc(HEADER_V1_BYTES),
        headLen: 0,
        header: null,
        retransmission: false,
        payloadSeen: 0,
        hmac: null,
        inflater: null,
        inflateError: null,
        work: null,
        out: 0,
      };
    } else if (t) {
      if (seq === t.seq && count === t.count && index < t.next) return null; // a duplicate (at-least-once delivery)
      if (seq !== t.seq || count !== t.count || index !== t.next) return this.outOfOrder(seq, `expected chunk ${t.next} of transfer ${t.seq}, got ${index} of ${seq}`);
    } else {
      return this.outOfOrder(seq, `chunk ${index} of transfer ${seq} without its start`);
    }
    t.next++;
    t.lastChunkAt = me.now;

    let payload = data;
    if (!t.header) {
      const take = Math.min(HEADER_V1_BYTES - t.headLen, data.length);
      data.copy(t.head, t.headLen, 0, take);
      t.headLen += take;
      payload = data.subarray(take);
      if (t.headLen === HEADER_V1_BYTES) {
        const refused = this.start(t, me);
        if (refused) return refused;
      }
    }
    if (t.header && payload.length) this.consume(t, payload);
    this.peakRamBytes = Math.max(this.peakRamBytes, this.ramInUse(t, bytes.length));
    if (t.next < t.count) return null;
    return this.finish(t);
  }

  /** Check 2 failed: the transfer in progress ends (nak with its number); without one, the chunk's own — once. */
  private outOfOrder(seq: number, detail: string): Decoded | null {
    if (this.t) return this.refuse(this.t.seq, 'missing-chunk', detail);
    if (this.ended === seq) return null;
    return this.refuse(seq, 'missing-chunk', detail);
  }

  private ramInUse(t: Transfer, chunkLen: number): number {
    const inflating = t.inflater ? (1 << WINDOW_BITS) + INFLATE_STATE_BYTES + INFLATE_BLOCK : 0;
    return HEADER_V1_BYTES + chunkLen + inflating + HASH_STATE_BYTES;
  }

  /** Checks 3–11, once the header is complete. Returns a nak, or null: the payload may come. */
  private start(t: Transfer, me: DecoderTarget): Decoded | null {
    const parsed = readHeader(t.head); // checks 3–5: magic, header CRC, version
    if (!parsed.ok) return this.refuse(t.seq, parsed.reason, parsed.detail);
    const h = parsed.header;
    // 6: the header names the chunks' transfer
    if (h.seq !== t.seq) return this.refuse(t.seq, 'missing-chunk', `header says sequence ${h.seq}, its chunks ${t.seq}`);
    // 7: encoding, reserved flag bits, a full frame's base, activate-at only with a full frame
    if (h.encoding !== Encoding.Deflate && !needsBase(h.encoding)) return this.refuse(t.seq, 'bad-encoding', `encoding ${h.encoding}`);
    if (h.flags & FLAG_RESERVED) return this.refuse(t.seq, 'bad-encoding', `reserved flag bits set (0x${h.flags.toString(16)})`);
    if (h.encoding === Encoding.Deflate && !/^0+$/.test(h.baseHashPrefix)) return this.refuse(t.seq, 'bad-encoding', 'a full frame with a base hash');
    if (h.activateAt !== 0 && h.encoding !== Encoding.Deflate) return this.refuse(t.seq, 'bad-encoding', 'a delta with activate-at');
    // 8: all 32 bytes of the id field
    const own = Buffer.alloc(DISPLAY_ID_BYTES);
    own.write(me.id, 'ascii');
    if (!t.head.subarray(32, 32 + DISPLAY_ID_BYTES).equals(own)) return this.refuse(t.seq, 'wrong-display', `frame for "${h.displayId}"`);
    // 9: the panel's size, and a region inside it (the whole of it for a full frame)
    if (h.width !== me.width || h.height !== me.height || h.planes !== me.planes) {
      return this.refuse(t.seq, 'bad-size', `${h.width}×${h.height}×${h.planes}, panel is ${me.width}×${me.height}×${me.planes}`);
    }
    const stride = rowBytes(h.width);
    const r = h.region;
    if (r.w < 1 || r.h < 1 || r.x0 + r.w > stride || r.y0 + r.h > h.height) return this.refuse(t.seq, 'bad-size', 'region outside the frame');
    if (h.encoding === Encoding.Deflate && (r.x0 !== 0 || r.y0 !== 0 || r.w !== stride || r.h !== h.height)) return this.refuse(t.seq, 'bad-size', 'a full frame must cover the whole panel');
    // 10: the sequence number before the base; equal to the last accepted: rule R or stale
    if (h.seq === 0 || h.seq < me.lastSeq) return this.refuse(t.seq, 'stale-seq', `sequence ${h.seq} is not above ${me.lastSeq}`);
    if (h.seq === me.lastSeq) {
      const onScreen = me.shown !== null && hashPrefix(me.shown.hash) === h.frameHashPrefix;
      const held = me.heldHash !== null && hashPrefix(me.heldHash) === h.frameHashPrefix;
      if (!onScreen && !held) return this.refuse(t.seq, 'stale-seq', `sequence ${h.seq} was accepted for another frame`);
      t.retransmission = true;
    }
    // 11: a delta builds on the frame on screen
    const delta = needsBase(h.encoding);
    if (delta && !t.retransmission && (me.shown === null || hashPrefix(me.shown.hash) !== h.baseHashPrefix)) {
      return this.refuse(t.seq, 'base-mismatch', 'delta base is not the frame on screen');
    }
    t.header = h;
    t.hmac = createHmac('sha256', me.secret);
    t.hmac.update(t.head.subarray(0, HMAC_COVERED_HEADER));
    if (t.retransmission) return null; // consumed and tag-checked only (rule R)

    // The work frame: a delta starts from the image on screen and changes only its region, like a partial-refresh
    // window; a full frame is written whole.
    const per = stride * h.height;
    const work = new Uint8Array(per * h.planes);
    if (delta && me.shown) me.shown.planes.forEach((p, i) => work.set(p, i * per));
    t.work = work;
    const area = r.w * r.h;
    const total = expectedRegionBytes(h);
    const xor = h.encoding === Encoding.DeflateXorDelta;
    const inflater = createInflateRaw({ windowBits: WINDOW_BITS, chunkSize: INFLATE_BLOCK });
    inflater.on('data', (block: Buffer) => {
      // Bytes beyond the region are counted (check 15) and discarded: never written outside it.
      const usable = Math.max(0, Math.min(block.length, total - t.out));
      for (let i = 0; i < usable; i++) {
        const k = t.out + i;
        const plane = Math.floor(k / area);
        const rem = k - plane * area;
        const row = r.y0 + Math.floor(rem / r.w);
        const off = plane * per + row * stride + r.x0 + (rem % r.w);
        const v = block[i] ?? 0;
        work[off] = xor ? (work[off] ?? 0) ^ v : v;
      }
      t.out += block.length;
    });
    inflater.on('error', (err) => {
      t.inflateError ??= err.message;
    });
    t.inflater = inflater;
    return null;
  }

  /** Payload bytes: into the HMAC, and (not for a retransmission) into the inflater. Problems are only noted. */
  private consume(t: Transfer, payload: Buffer): void {
    t.payloadSeen += payload.length;
    t.hmac?.update(payload);
    const inflater = t.inflater;
    if (inflater && t.inflateError === null && !inflater.destroyed) inflater.write(payload);
  }

  /** Checks 12–16, after the last chunk. */
  private async finish(t: Transfer): Promise<Decoded> {
    const h = t.header;
    // 12: length
    if (!h) return this.refuse(t.seq, 'truncated', `transfer ended after ${t.headLen} header bytes`);
    if (t.payloadSeen < h.payloadLength) return this.refuse(t.seq, 'truncated', `payload ${t.payloadSeen} of ${h.payloadLength} bytes`);
    if (t.payloadSeen > h.payloadLength) return this.refuse(t.seq, 'bad-size', `payload ${t.payloadSeen} bytes, the header says ${h.payloadLength}`);
    // 13: exactly one complete deflate stream
    const inflater = t.inflater;
    if (inflater) {
      await new Promise<void>((resolve) => {
        if (inflater.destroyed) return resolve();
        inflater.once('end', resolve);
        inflater.once('error', () => resolve());
        inflater.once('close', resolve);
        inflater.end();
      });
      if (t.inflateError === null && inflater.bytesWritten !== h.payloadLength) {
        t.inflateError = `${h.payloadLength - inflater.bytesWritten} bytes after the end of the deflate stream`;
      }
      if (t.inflateError !== null) return this.refuse(t.seq, 'inflate', t.inflateError);
    }
    // 14: the tag, in constant time
    const tag = (t.hmac?.digest() ?? Buffer.alloc(32)).subarray(0, TAG_BYTES);
    if (!timingSafeEqual(tag, h.tag)) return this.refuse(t.seq, 'bad-hmac', 'authentication tag does not match');
    if (t.retransmission) {
      this.t = null;
      this.ended = t.seq;
      return { type: 'retransmission', header: h };
    }
    // 15: decoded size; 16: the hash of the whole resulting frame
    const total = expectedRegionBytes(h);
    if (t.out !== total) return this.refuse(t.seq, 'bad-size', `inflated to ${t.out} bytes, region is ${total}`);
    const work = t.work as Uint8Array;
    const per = rowBytes(h.width) * h.height;
    const planes = Array.from({ length: h.planes }, (_, i) => work.slice(i * per, (i + 1) * per));
    const hash = frameHash(h.width, h.height, planes);
    if (hashPrefix(hash) !== h.frameHashPrefix) return this.refuse(t.seq, 'bad-hash', 'frame hash does not match the decoded image');
    this.t = null;
    this.ended = t.seq;
    return { type: 'frame', header: h, frame: { width: h.width, height: h.height, planes, hash }, fullRefresh: (h.flags & FLAG_FULL_REFRESH) !== 0 };
  }
}
