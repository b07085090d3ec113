// Protocol v1 transfer: a frame message cut into self-describing chunks for links with small packets.
// Built for microcontrollers: every byte can be verified and applied as it arrives, with a few KB of RAM besides the
// frame buffer (deflate window 4 KB, one chunk, one output block), and the image is shown only after the whole
// transfer verified.
// The wire contract is docs/protocol.md (v1.1); test/unit/frame-v1.test.ts and test/unit/vectors.test.ts (docs/vectors/)
// check this code against it.
import { createHmac } from 'node:crypto';
import { crc32, deflateRawSync, constants as zc } from 'node:zlib';
import { rowBytes, type Frame } from '../../renderer/frame.js';

export const V1_MAGIC = Buffer.from('WGW1', 'ascii');
export const V1_VERSION = 1;
export const HEADER_V1_BYTES = 116;
/** bytes of the header the HMAC covers before the payload (everything before the tag) */
export const HMAC_COVERED_HEADER = 96;
export const CHUNK_OVERHEAD = 14;
export const MIN_MTU = 32;
export const MAX_MTU = 65_535;
/** deflate window: 2^12 = 4 KB, as OpenEPaperLink uses; decoders need no more */
export const WINDOW_BITS = 12;
export const DISPLAY_ID_BYTES = 32;
/** frame and base hashes travel as their first 16 bytes (128 bits); the tag is HMAC-SHA256 truncated to 16 bytes */
export const WIRE_HASH_BYTES = 16;
export const TAG_BYTES = 16;

/** Encodings 1–3; every other value is invalid (`bad-encoding`) — there is no "raw" encoding 0 (docs/protocol.md). */
export enum Encoding {
  /** the whole frame */
  Deflate = 1,
  /** the region XOR the same region of the base frame; outside the region the base stays */
  DeflateXorDelta = 2,
  /** the region's new content; outside the region the base stays (cheap when a region turns mostly white) */
  DeflateRegion = 3,
}

/** Encodings that build on the frame on screen (and so carry a base hash). */
export function needsBase(e: Encoding): boolean {
  return e === Encoding.DeflateXorDelta || e === Encoding.DeflateRegion;
}

export const FLAG_FULL_REFRESH = 0x01;
/** flag bits 1–7 are reserved and must be zero */
export const FLAG_RESERVED = 0xfe;

/** A rectangle of the frame in whole bytes horizontally (x0, w: bytes of a row) and rows vertically. */
export interface Region {
  x0: number;
  w: number;
  y0: number;
  h: number;
}

export interface HeaderV1 {
  version: number;
  encoding: Encoding;
  planes: number;
  flags: number;
  width: number;
  height: number;
  seq: number;
  /** unix seconds; 0 = show at once */
  activateAt: number;
  payloadLength: number;
  /** the part of the frame the payload covers; the whole frame for a full frame */
  region: Region;
  displayId: string;
  /** first 16 bytes of the frame hash, hex */
  frameHashPrefix: string;
  /** first 16 bytes of the base frame's hash, hex; zeros for a full frame */
  baseHashPrefix: string;
  tag: Buffer;
}

const ZERO_PREFIX = '0'.repeat(WIRE_HASH_BYTES * 2);

export function hashPrefix(hash: string): string {
  return hash.slice(0, WIRE_HASH_BYTES * 2);
}

export function writeHeader(h: Omit<HeaderV1, 'tag' | 'version'>, secret: Buffer, payload: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_V1_BYTES);
  V1_MAGIC.copy(b, 0);
  b.writeUInt8(V1_VERSION, 4);
  b.writeUInt8(h.encoding, 5);
  b.writeUInt8(h.planes, 6);
  b.writeUInt8(h.flags, 7);
  b.writeUInt16BE(h.width, 8);
  b.writeUInt16BE(h.height, 10);
  b.writeUInt32BE(assertSeq(h.seq), 12);
  b.writeUInt32BE(h.activateAt >>> 0, 16);
  b.writeUInt32BE(h.payloadLength >>> 0, 20);
  b.writeUInt16BE(h.region.x0, 24);
  b.writeUInt16BE(h.region.w, 26);
  b.writeUInt16BE(h.region.y0, 28);
  b.writeUInt16BE(h.region.h, 30);
  const id = Buffer.from(h.displayId, 'ascii');
  if (id.length > DISPLAY_ID_BYTES) throw new Error(`display id "${h.displayId}" longer than ${DISPLAY_ID_BYTES} bytes`);
  id.copy(b, 32);
  Buffer.from(h.frameHashPrefix, 'hex').copy(b, 64, 0, WIRE_HASH_BYTES);
  Buffer.from(h.baseHashPrefix, 'hex').copy(b, 80, 0, WIRE_HASH_BYTES);
  const mac = createHmac('sha256', secret);
  mac.update(b.subarray(0, HMAC_COVERED_HEADER));
  mac.update(payload);
  mac.digest().copy(b, 96, 0, TAG_BYTES);
  b.writeUInt32BE(crc32(b.subarray(0, 112)) >>> 0, 112);
  return b;
}

export type HeaderParse = { ok: true; header: HeaderV1 } | { ok: false; reason: 'bad-magic' | 'bad-version' | 'bad-crc'; detail: string };

/** Parses and CRC-checks a header. Authenticity is established later, by the tag over header and payload. */
export function readHeader(b: Buffer): HeaderParse {
  if (!b.subarray(0, 4).equals(V1_MAGIC)) return { ok: false, reason: 'bad-magic', detail: 'not a v1 frame header' };
  if ((crc32(b.subarray(0, 112)) >>> 0) !== b.readUInt32BE(112)) return { ok: false, reason: 'bad-crc', detail: 'header CRC-32 mismatch' };
  const version = b.readUInt8(4);
  if (version !== V1_VERSION) return { ok: false, reason: 'bad-version', detail: `protocol version ${version}` };
  const idRaw = b.subarray(32, 64);
  const nul = idRaw.indexOf(0);
  return {
    ok: true,
    header: {
      version,
      encoding: b.readUInt8(5),
      planes: b.readUInt8(6),
      flags: b.readUInt8(7),
      width: b.readUInt16BE(8),
      height: b.readUInt16BE(10),
      seq: b.readUInt32BE(12),
      activateAt: b.readUInt32BE(16),
      payloadLength: b.readUInt32BE(20),
      region: { x0: b.readUInt16BE(24), w: b.readUInt16BE(26), y0: b.readUInt16BE(28), h: b.readUInt16BE(30) },
      displayId: idRaw.subarray(0, nul === -1 ? idRaw.length : nul).toString('ascii'),
      frameHashPrefix: b.subarray(64, 80).toString('hex'),
      baseHashPrefix: b.subarray(80, 96).toString('hex'),
      tag: Buffer.from(b.subarray(96, 112)),
    },
  };
}

/** A sequence number is uint32 on the wire: one outside that range is a bug upstream, never silently wrapped. */
function assertSeq(seq: number): number {
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff_ffff) throw new RangeError(`sequence number ${seq} is not a uint32`);
  return seq;
}

/** Chunk: seq (4) | index (2) | count (2) | length (2) | data | CRC-32 over all before it (4). */
export function writeChunk(seq: number, index: number, count: number, data: Buffer): Buffer {
  const c = Buffer.alloc(10 + data.length + 4);
  c.writeUInt32BE(assertSeq(seq), 0);
  c.writeUInt16BE(index, 4);
  c.writeUInt16BE(count, 6);
  c.writeUInt16BE(data.length, 8);
  data.copy(c, 10);
  c.writeUInt32BE(crc32(c.subarray(0, 10 + data.length)) >>> 0, 10 + data.length);
  return c;
}

export type ChunkParse =
  | { ok: true; seq: number; index: number; count: number; data: Buffer }
  | { ok: false; reason: 'bad-crc' | 'missing-chunk'; detail: string };

/**
 * Checks one chunk on its own (docs/protocol.md, checks 1 and the first rule of 2): a message whose CRC cannot be found
 * or does not match is `bad-crc`; a CRC-valid chunk with count 0 or index ≥ count is `missing-chunk`.
 */
export function readChunk(c: Buffer): ChunkParse {
  if (c.length < CHUNK_OVERHEAD) return { ok: false, reason: 'bad-crc', detail: `a ${c.length}-byte message is no chunk` };
  const len = c.readUInt16BE(8);
  if (c.length !== CHUNK_OVERHEAD + len) return { ok: false, reason: 'bad-crc', detail: `chunk says ${len} data bytes, has ${c.length - CHUNK_OVERHEAD}` };
  if ((crc32(c.subarray(0, 10 + len)) >>> 0) !== c.readUInt32BE(10 + len)) return { ok: false, reason: 'bad-crc', detail: 'chunk CRC-32 mismatch' };
  const count = c.readUInt16BE(6);
  const index = c.readUInt16BE(4);
  if (count === 0 || index >= count) return { ok: false, reason: 'missing-chunk', detail: `chunk ${index} of ${count}` };
  return { ok: true, seq: c.readUInt32BE(0), index, count, data: c.subarray(10, 10 + len) };
}

export function wholeFrame(width: number, height: number): Region {
  return { x0: 0, w: rowBytes(width), y0: 0, h: height };
}

/** The smallest region (whole bytes × rows) containing every byte in which any plane of a and b differ; null if equal. */
export function diffRegion(a: Frame, b: Frame): Region | null {
  const stride = rowBytes(a.width);
  let x0 = stride;
  let x1 = -1;
  let y0 = a.height;
  let y1 = -1;
  a.planes.forEach((pa, i) => {
    const pb = b.planes[i] as Uint8Array;
    for (let y = 0; y < a.height; y++) {
      const row = y * stride;
      for (let x = 0; x < stride; x++) {
        if (pa[row + x] !== pb[row + x]) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
  });
  return x1 < 0 ? null : { x0, w: x1 - x0 + 1, y0, h: y1 - y0 + 1 };
}

/** The bytes of a region, plane after plane, row after row; XORed with `base` when given. */
export function regionBytes(frame: Frame, region: Region, base?: Frame): Buffer {
  const stride = rowBytes(frame.width);
  const out = Buffer.alloc(frame.planes.length * region.w * region.h);
  let k = 0;
  frame.planes.forEach((p, i) => {
    const q = base?.planes[i];
    for (let y = region.y0; y < region.y0 + region.h; y++) {
      const row = y * stride + region.x0;
      for (let x = 0; x < region.w; x++) out[k++] = (p[row + x] ?? 0) ^ (q ? (q[row + x] ?? 0) : 0);
    }
  });
  return out;
}

export function deflate4k(data: Buffer): Buffer {
  return deflateRawSync(data, { level: 9, windowBits: WINDOW_BITS, memLevel: 9, strategy: zc.Z_DEFAULT_STRATEGY });
}

export interface TransferInput {
  displayId: string;
  seq: number;
  frame: Frame;
  /** the frame the display confirmed it shows; a delta against it is tried when given */
  base: Frame | null;
  secret: Buffer;
  mtu: number;
  activateAt?: number;
  fullRefresh?: boolean;
}

export interface Transfer {
  chunks: Buffer[];
  encoding: Encoding;
  region: Region;
  /** compressed payload bytes */
  payloadBytes: number;
  /** everything on the wire: header, payload, chunk overhead */
  wireBytes: number;
  baseHash: string | null;
}

/**
 * Encodes a frame for one display: the full frame, or — over the region that changed against its confirmed frame —
 * the XOR delta or the region's new content; whichever is smallest.
 */
export function encodeTransfer(t: TransferInput): Transfer {
  if (t.mtu < MIN_MTU || t.mtu > MAX_MTU) throw new Error(`MTU ${t.mtu} outside ${MIN_MTU}..${MAX_MTU}`);
  const whole = wholeFrame(t.frame.width, t.frame.height);
  let payload = deflate4k(regionBytes(t.frame, whole));
  let encoding = Encoding.Deflate;
  let region = whole;
  let basePrefix = ZERO_PREFIX;
  const base = t.base;
  if (base && base.width === t.frame.width && base.height === t.frame.height && base.planes.length === t.frame.planes.length) {
    // An identical frame still gets a (1-byte) region, so a retransmission can be answered; delivery never sends one.
    const changed = diffRegion(t.frame, base) ?? { x0: 0, w: 1, y0: 0, h: 1 };
    for (const [e, bytes] of [
      [Encoding.DeflateXorDelta, regionBytes(t.frame, changed, base)],
      [Encoding.DeflateRegion, regionBytes(t.frame, changed)],
    ] as const) {
      const candidate = deflate4k(bytes);
      if (candidate.length < payload.length) {
        payload = candidate;
        encoding = e;
        region = changed;
        basePrefix = hashPrefix(base.hash);
      }
    }
  }
  const header = writeHeader(
    {
      encoding,
      planes: t.frame.planes.length,
      flags: t.fullRefresh ? FLAG_FULL_REFRESH : 0,
      width: t.frame.width,
      height: t.frame.height,
      seq: t.seq,
      activateAt: t.activateAt ?? 0,
      payloadLength: payload.length,
      region,
      displayId: t.displayId,
      frameHashPrefix: hashPrefix(t.frame.hash),
      baseHashPrefix: basePrefix,
    },
    t.secret,
    payload,
  );
  const stream = Buffer.concat([header, payload]);
  const per = t.mtu - CHUNK_OVERHEAD;
  const count = Math.ceil(stream.length / per);
  if (count > 0xffff) throw new Error(`frame needs ${count} chunks at MTU ${t.mtu}`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < count; i++) chunks.push(writeChunk(t.seq, i, count, stream.subarray(i * per, (i + 1) * per)));
  return {
    chunks,
    encoding,
    region,
    payloadBytes: payload.length,
    wireBytes: chunks.reduce((n, c) => n + c.length, 0),
    baseHash: needsBase(encoding) ? (base?.hash ?? null) : null,
  };
}

/** Bytes the payload inflates to: the region, for every plane. */
export function expectedRegionBytes(h: Pick<HeaderV1, 'planes' | 'region'>): number {
  return h.planes * h.region.w * h.region.h;
}
