// The display's streaming decoder for protocol v1, written as a microcontroller would run it: chunks are verified
// (CRC-32) and consumed as they arrive; the payload goes through an HMAC and a deflate stream with a 4 KB window
// into the panel's back buffer (for a delta: XOR with the row on screen); the image is shown only after the tag,
// the length and the frame hash all verified. RAM it holds itself (docs/protocol.md): the 160-byte header, the
// inflate state and window, one output block, the HMAC and SHA-256 states — `peakRamBytes` records what was used.
import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { rowBytes, type Frame } from '../renderer/frame.js';
import {
  Encoding,
  FLAG_FULL_REFRESH,
  HEADER_V1_BYTES,
  HMAC_COVERED_HEADER,
  TAG_BYTES,
  WINDOW_BITS,
  expectedRegionBytes,
  hashPrefix,
  needsBase,
  readChunk,
  readHeader,
  type HeaderV1,
} from '../controller/protocol/frame-v1.js';
import { frameHash } from '../renderer/frame.js';
import type { NakReason } from '../controller/protocol/topics.js';

/** inflate output is handed over in blocks of this size (the decoder's output buffer) */
export const INFLATE_BLOCK = 512;
/** inflate state besides the window, as a uzlib/tinf-class decoder on a microcontroller needs (zlib itself: ~7 KB) */
export const INFLATE_STATE_BYTES = 2 * 1024;

export interface DecoderTarget {
  id: string;
  width: number;
  height: number;
  planes: number;
  secret: Buffer;
  /** what the panel shows (the base for deltas) */
  shown: Frame | null;
  lastSeq: number | null;
}

export type Decoded =
  | { type: 'frame'; header: HeaderV1; frame: Frame; fullRefresh: boolean }
  | { type: 'duplicate'; header: HeaderV1; hash: string }
  | { type: 'nak'; seq: number | null; reason: NakReason; detail: string };

interface Transfer {
  seq: number;
  count: number;
  next: number;
  head: Buffer;
  headLen: number;
  header: HeaderV1 | null;
  payloadSeen: number;
  hmac: Hmac | null;
  inflater: InflateRaw | null;
  back: Uint8Array | null;
  out: number;
  error: { reason: NakReason; detail: string } | null;
  pendingBlocks: number;
}

export class TransferDecoder {
  private t: Transfer | null = null;
  /** a refused transfer: its remaining chunks are dropped quietly (one nak per transfer, not one per chunk) */
  private refusedSeq: number | null = null;
  peakRamBytes = 0;

  constructor(private readonly target: () => DecoderTarget) {}

  /** A transfer is in progress (a sleepy display stays awake until it ends). */
  get busy(): boolean {
    return this.t !== null;
  }

  /** Aborts any transfer in progress (reboot, power loss: RAM is gone). */
  reset(): void {
    this.t?.inflater?.destroy();
    this.t = null;
  }

  private abort(seq: number | null, reason: NakReason, detail: string): Decoded {
    this.reset();
    this.refusedSeq = seq;
    return { type: 'nak', seq, reason, detail };
  }

  /** Feeds one chunk; resolves to a result when the transfer ends (completed or refused), else to null. */
  async feed(bytes: Buffer): Promise<Decoded | null> {
    const c = readChunk(bytes);
    if (!c.ok) return this.abort(this.t?.seq ?? null, c.reason, c.detail);
    if (c.index === 0) {
      // A new transfer (or the same one sent again) replaces whatever was in progress.
      this.reset();
      this.t = {
        seq: c.seq,
        count: c.count,
        next: 0,
        head: Buffer.alloc(HEADER_V1_BYTES),
        headLen: 0,
        header: null,
        payloadSeen: 0,
        hmac: null,
        inflater: null,
        back: null,
        out: 0,
        error: null,
        pendingBlocks: 0,
      };
    }
    const t = this.t;
    if (!t) {
      if (c.seq === this.refusedSeq) return null;
      this.refusedSeq = c.seq;
      return { type: 'nak', seq: c.seq, reason: 'missing-chunk', detail: `chunk ${c.index} without its start` };
    }
    if (c.seq !== t.seq || c.count !== t.count || c.index !== t.next) {
      return this.abort(t.seq, 'missing-chunk', `expected chunk ${t.next} of transfer ${t.seq}, got ${c.index} of ${c.seq}`);
    }
    t.next++;
    let data = c.data;
    if (!t.header) {
      const take = Math.min(HEADER_V1_BYTES - t.headLen, data.length);
      data.copy(t.head, t.headLen, 0, take);
      t.headLen += take;
      data = data.subarray(take);
      if (t.headLen === HEADER_V1_BYTES) {
        const early = this.start(t);
        if (early) return early;
      }
    }
    if (t.header && data.length) {
      t.payloadSeen += data.length;
      if (t.payloadSeen > t.header.payloadLength) return this.abort(t.seq, 'bad-size', 'more payload than the header announced');
      t.hmac?.update(data);
      t.inflater?.write(data);
    }
    if (t.error) return this.abort(t.seq, t.error.reason, t.error.detail);
    this.peakRamBytes = Math.max(this.peakRamBytes, this.ramInUse(t, bytes.length));
    if (t.next < t.count) return null;
    return this.finish(t);
  }

  private ramInUse(t: Transfer, chunkLen: number): number {
    return HEADER_V1_BYTES + chunkLen + (t.inflater ? (1 << WINDOW_BITS) + INFLATE_STATE_BYTES + INFLATE_BLOCK * Math.max(1, t.pendingBlocks) : 0) + 2 * 200;
  }

  /** Header complete: everything that can be refused before the payload is refused here. */
  private start(t: Transfer): Decoded | null {
    const parsed = readHeader(t.head);
    if (!parsed.ok) return this.abort(t.seq, parsed.reason, parsed.detail);
    const h = parsed.header;
    const me = this.target();
    if (h.seq !== t.seq) return this.abort(t.seq, 'bad-size', 'header and chunk sequence numbers differ');
    if (h.displayId !== me.id) return this.abort(h.seq, 'wrong-display', `frame for "${h.displayId}"`);
    if (h.width !== me.width || h.height !== me.height || h.planes !== me.planes) {
      return this.abort(h.seq, 'bad-size', `${h.width}×${h.height}×${h.planes}, panel is ${me.width}×${me.height}×${me.planes}`);
    }
    if (h.encoding !== Encoding.Deflate && !needsBase(h.encoding)) return this.abort(h.seq, 'bad-encoding', `encoding ${h.encoding}`);
    const shownPrefix = me.shown ? hashPrefix(me.shown.hash) : null;
    if (me.lastSeq !== null && h.seq <= me.lastSeq && !(h.seq === me.lastSeq && h.frameHashPrefix === shownPrefix)) {
      return this.abort(h.seq, 'stale-seq', `sequence ${h.seq} is not above ${me.lastSeq}`);
    }
    const delta = needsBase(h.encoding);
    const xor = h.encoding === Encoding.DeflateXorDelta;
    if (delta && h.baseHashPrefix !== shownPrefix) return this.abort(h.seq, 'base-mismatch', 'delta base is not the frame on screen');
    const stride = rowBytes(h.width);
    const r = h.region;
    if (r.w < 1 || r.h < 1 || r.x0 + r.w > stride || r.y0 + r.h > h.height) return this.abort(h.seq, 'bad-size', 'region outside the frame');
    if (!delta && (r.x0 !== 0 || r.y0 !== 0 || r.w !== stride || r.h !== h.height)) return this.abort(h.seq, 'bad-size', 'a full frame must cover the whole panel');
    t.header = h;
    t.hmac = createHmac('sha256', me.secret);
    t.hmac.update(t.head.subarray(0, HMAC_COVERED_HEADER));
    // The panel controller's second frame memory (not MCU RAM): a delta starts from the image on screen and
    // changes only its region, as a partial-refresh window does.
    const per = stride * h.height;
    const back = new Uint8Array(per * h.planes);
    if (delta && me.shown) me.shown.planes.forEach((p, i) => back.set(p, i * per));
    t.back = back;
    const area = r.w * r.h;
    const total = expectedRegionBytes(h);
    const inflater = createInflateRaw({ windowBits: WINDOW_BITS, chunkSize: INFLATE_BLOCK });
    inflater.on('data', (block: Buffer) => {
      if (t.error) return;
      if (t.out + block.length > total) {
        t.error = { reason: 'bad-size', detail: 'payload inflates beyond the region' };
        inflater.destroy();
        return;
      }
      for (let i = 0; i < block.length; i++) {
        const k = t.out + i;
        const plane = Math.floor(k / area);
        const rem = k - plane * area;
        const row = r.y0 + Math.floor(rem / r.w);
        const off = plane * per + row * stride + r.x0 + (rem % r.w);
        const v = block[i] ?? 0;
        back[off] = xor ? (back[off] ?? 0) ^ v : v;
      }
      t.out += block.length;
    });
    inflater.on('error', (err) => {
      t.error ??= { reason: 'inflate', detail: err.message };
    });
    t.inflater = inflater;
    return null;
  }

  private async finish(t: Transfer): Promise<Decoded> {
    const h = t.header;
    const inflater = t.inflater;
    if (!h || !inflater) return this.abort(t.seq, 'truncated', 'transfer ended inside the header');
    if (t.payloadSeen !== h.payloadLength) return this.abort(t.seq, 'truncated', `payload ${t.payloadSeen} of ${h.payloadLength} bytes`);
    await new Promise<void>((resolve) => {
      if (inflater.destroyed) return resolve();
      inflater.once('end', resolve);
      inflater.once('error', () => resolve());
      inflater.once('close', resolve);
      inflater.end();
    });
    if (t.error) return this.abort(t.seq, t.error.reason, t.error.detail);
    const me = this.target();
    const tag = (t.hmac?.digest() ?? Buffer.alloc(32)).subarray(0, TAG_BYTES);
    if (!timingSafeEqual(tag, h.tag)) return this.abort(h.seq, 'bad-hmac', 'authentication tag does not match');
    const total = expectedRegionBytes(h);
    if (t.out !== total) return this.abort(h.seq, 'bad-size', `inflated to ${t.out} bytes, region is ${total}`);
    const back = t.back as Uint8Array;
    const per = rowBytes(h.width) * h.height;
    const planes = Array.from({ length: h.planes }, (_, i) => back.subarray(i * per, (i + 1) * per));
    const hash = frameHash(h.width, h.height, planes);
    if (hashPrefix(hash) !== h.frameHashPrefix) return this.abort(h.seq, 'bad-hash', 'frame hash does not match the decoded image');
    this.t = null;
    if (me.lastSeq !== null && h.seq === me.lastSeq) return { type: 'duplicate', header: h, hash };
    return { type: 'frame', header: h, frame: { width: h.width, height: h.height, planes, hash }, fullRefresh: (h.flags & FLAG_FULL_REFRESH) !== 0 };
  }
}
