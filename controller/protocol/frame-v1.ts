// Protocol v1 transfer: a frame message cut into self-describing chunks for links with small packets.
// Built for microcontrollers: every byte can be verified and applied as it arrives, with a few KB of RAM (deflate
// window 4 KB, one chunk, one row), and the image is shown only after the whole transfer verified.
// The wire contract, with golden vectors, is docs/protocol.md; test/unit/frame-v1.test.ts checks this code against it.
import { createHmac } from 'node:crypto';
import { crc32, deflateRawSync, constants as zc } from 'node:zlib';
import { rowBytes, type Frame } from '../../renderer/frame.js';

export const V1_MAGIC = Buffer.from('WGW1', 'ascii');
export const V1_VERSION = 1;
export const HEADER_V1_BYTES = 160;
/** bytes of the header the HMAC covers before the payload (everything before the tag) */
export const HMAC_COVERED_HEADER = 124;
export const CHUNK_OVERHEAD = 14;
export const MIN_MTU = 32;
export const MAX_MTU = 65_535;
/** deflate window: 2^12 = 4 KB, as OpenEPaperLink uses; decoders need no more */
export const WINDOW_BITS = 12;
export const DISPLAY_ID_BYTES = 32;

export enum Encoding {
  Raw = 0,
  Deflate = 1,
  DeflateXorDelta = 2,
}

export const FLAG_FULL_REFRESH = 0x01;

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
  displayId: string;
  frameHash: string;
  /** hex hash of the frame a delta applies to; 64 zeros for a full frame */
  baseHash: string;
  tag: Buffer;
}

const ZERO_HASH = '0'.repeat(64);

export function writeHeader(h: Omit<HeaderV1, 'tag' | 'version'>, secret: Buffer, payload: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_V1_BYTES);
  V1_MAGIC.copy(b, 0);
  b.writeUInt8(V1_VERSION, 4);
  b.writeUInt8(h.encoding, 5);
  b.writeUInt8(h.planes, 6);
  b.writeUInt8(h.flags, 7);
  b.writeUInt16BE(h.width, 8);
  b.writeUInt16BE(h.height, 10);
  b.writeUInt32BE(h.seq >>> 0, 12);
  b.writeUInt32BE(h.activateAt >>> 0, 16);
  b.writeUInt32BE(h.payloadLength >>> 0, 20);
  const id = Buffer.from(h.displayId, 'ascii');
  if (id.length > DISPLAY_ID_BYTES) throw new Error(`display id "${h.displayId}" longer than ${DISPLAY_ID_BYTES} bytes`);
  id.copy(b, 28);
  Buffer.from(h.frameHash, 'hex').copy(b, 60);
  Buffer.from(h.baseHash, 'hex').copy(b, 92);
  const mac = createHmac('sha256', secret);
  mac.update(b.subarray(0, HMAC_COVERED_HEADER));
  mac.update(payload);
  mac.digest().copy(b, 124);
  b.writeUInt32BE(crc32(b.subarray(0, 156)) >>> 0, 156);
  return b;
}

export type HeaderParse = { ok: true; header: HeaderV1 } | { ok: false; reason: 'bad-magic' | 'bad-version' | 'bad-crc'; detail: string };

/** Parses and CRC-checks a header. Authenticity is established later, by the tag over header and payload. */
export function readHeader(b: Buffer): HeaderParse {
  if (!b.subarray(0, 4).equals(V1_MAGIC)) return { ok: false, reason: 'bad-magic', detail: 'not a v1 frame header' };
  if ((crc32(b.subarray(0, 156)) >>> 0) !== b.readUInt32BE(156)) return { ok: false, reason: 'bad-crc', detail: 'header CRC-32 mismatch' };
  const version = b.readUInt8(4);
  if (version !== V1_VERSION) return { ok: false, reason: 'bad-version', detail: `protocol version ${version}` };
  const idRaw = b.subarray(28, 60);
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
      displayId: idRaw.subarray(0, nul === -1 ? idRaw.length : nul).toString('ascii'),
      frameHash: b.subarray(60, 92).toString('hex'),
      baseHash: b.subarray(92, 124).toString('hex'),
      tag: Buffer.from(b.subarray(124, 156)),
    },
  };
}

/** Chunk: seq (4) | index (2) | count (2) | length (2) | data | CRC-32 over all before it (4). */
export function writeChunk(seq: number, index: number, count: number, data: Buffer): Buffer {
  const c = Buffer.alloc(10 + data.length + 4);
  c.writeUInt32BE(seq >>> 0, 0);
  c.writeUInt16BE(index, 4);
  c.writeUInt16BE(count, 6);
  c.writeUInt16BE(data.length, 8);
  data.copy(c, 10);
  c.writeUInt32BE(crc32(c.subarray(0, 10 + data.length)) >>> 0, 10 + data.length);
  return c;
}

export type ChunkParse =
  | { ok: true; seq: number; index: number; count: number; data: Buffer }
  | { ok: false; reason: 'truncated' | 'bad-crc'; detail: string };

export function readChunk(c: Buffer): ChunkParse {
  if (c.length < CHUNK_OVERHEAD) return { ok: false, reason: 'truncated', detail: `chunk of ${c.length} bytes` };
  const len = c.readUInt16BE(8);
  if (c.length !== CHUNK_OVERHEAD + len) return { ok: false, reason: 'truncated', detail: `chunk says ${len} data bytes, has ${c.length - CHUNK_OVERHEAD}` };
  if ((crc32(c.subarray(0, 10 + len)) >>> 0) !== c.readUInt32BE(10 + len)) return { ok: false, reason: 'bad-crc', detail: 'chunk CRC-32 mismatch' };
  const count = c.readUInt16BE(6);
  const index = c.readUInt16BE(4);
  if (count === 0 || index >= count) return { ok: false, reason: 'truncated', detail: `chunk ${index} of ${count}` };
  return { ok: true, seq: c.readUInt32BE(0), index, count, data: c.subarray(10, 10 + len) };
}

export function xorPlanes(a: Uint8Array[], b: Uint8Array[]): Buffer {
  const out = Buffer.concat(a.map((p) => Buffer.from(p)));
  let off = 0;
  for (const p of b) {
    for (let i = 0; i < p.length; i++) out[off + i] = (out[off + i] ?? 0) ^ (p[i] ?? 0);
    off += p.length;
  }
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
  /** compressed payload bytes */
  payloadBytes: number;
  /** everything on the wire: header, payload, chunk overhead */
  wireBytes: number;
  baseHash: string | null;
}

/** Encodes a frame for one display: full or XOR delta against its confirmed frame, whichever is smaller. */
export function encodeTransfer(t: TransferInput): Transfer {
  if (t.mtu < MIN_MTU || t.mtu > MAX_MTU) throw new Error(`MTU ${t.mtu} outside ${MIN_MTU}..${MAX_MTU}`);
  const full = deflate4k(Buffer.concat(t.frame.planes.map((p) => Buffer.from(p))));
  let payload = full;
  let encoding = Encoding.Deflate;
  let baseHash = ZERO_HASH;
  const base = t.base;
  if (base && base.width === t.frame.width && base.height === t.frame.height && base.planes.length === t.frame.planes.length) {
    const delta = deflate4k(xorPlanes(t.frame.planes, base.planes));
    if (delta.length < full.length) {
      payload = delta;
      encoding = Encoding.DeflateXorDelta;
      baseHash = base.hash;
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
      displayId: t.displayId,
      frameHash: t.frame.hash,
      baseHash,
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
    payloadBytes: payload.length,
    wireBytes: chunks.reduce((n, c) => n + c.length, 0),
    baseHash: encoding === Encoding.DeflateXorDelta ? baseHash : null,
  };
}

export function expectedRawBytes(h: Pick<HeaderV1, 'width' | 'height' | 'planes'>): number {
  return rowBytes(h.width) * h.height * h.planes;
}
