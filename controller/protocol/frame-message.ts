// The binary frame message (controller → display), protocol version 0. Big-endian. See docs/protocol.md.
//
//  off size field
//    0    4 magic "WGWF"
//    4    1 protocol version (0)
//    5    1 encoding (0 = raw packed planes)
//    6    2 width
//    8    2 height
//   10    1 planes (1 = black; 2 = black + red)
//   11    1 reserved, 0
//   12    4 sequence number (strictly increasing per display)
//   16   32 frame hash: SHA-256 over width, height, plane count and the plane bytes (renderer/frame.ts)
//   48    4 payload length
//   52    4 CRC-32 (IEEE 802.3, as zlib) of the payload
//   56    … payload: the planes, each ceil(width/8)·height bytes, rows MSB-first, bit 1 = ink
import { crc32 } from 'node:zlib';
import { frameHash, rowBytes, type Frame } from '../../renderer/frame.js';
import type { NakReason } from './topics.js';

export const MAGIC = Buffer.from('WGWF', 'ascii');
export const HEADER_BYTES = 56;
export const ENCODING_RAW = 0;
export const FRAME_PROTOCOL_VERSION = 0;
/** Refuse anything larger before looking further (2 planes of 4096×4096 would be 4 MiB). */
export const MAX_MESSAGE_BYTES = HEADER_BYTES + 2 * rowBytes(2048) * 2048;

export function encodeFrameMessage(frame: Frame, seq: number): Buffer {
  const payload = Buffer.concat(frame.planes);
  const head = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(head, 0);
  head.writeUInt8(FRAME_PROTOCOL_VERSION, 4);
  head.writeUInt8(ENCODING_RAW, 5);
  head.writeUInt16BE(frame.width, 6);
  head.writeUInt16BE(frame.height, 8);
  head.writeUInt8(frame.planes.length, 10);
  head.writeUInt32BE(seq >>> 0, 12);
  Buffer.from(frame.hash, 'hex').copy(head, 16);
  head.writeUInt32BE(payload.length, 48);
  head.writeUInt32BE(crc32(payload) >>> 0, 52);
  return Buffer.concat([head, payload]);
}

export type DecodeResult =
  | { ok: true; seq: number; frame: Frame }
  | { ok: false; reason: NakReason; detail: string; seq: number | null };

/**
 * Verifies and decodes a frame message for a panel of the given size. Nothing here trusts the message: every length
 * is checked before use, the CRC covers transport damage and the hash is recomputed over the payload.
 */
export function decodeFrameMessage(msg: Uint8Array, expect: { width: number; height: number; planes: number }): DecodeResult {
  const buf = Buffer.from(msg.buffer, msg.byteOffset, msg.byteLength);
  if (buf.length < HEADER_BYTES) return { ok: false, reason: 'truncated', detail: `${buf.length} bytes, header needs ${HEADER_BYTES}`, seq: null };
  if (!buf.subarray(0, 4).equals(MAGIC)) return { ok: false, reason: 'bad-magic', detail: 'not a frame message', seq: null };
  const seq = buf.readUInt32BE(12);
  const version = buf.readUInt8(4);
  if (version !== FRAME_PROTOCOL_VERSION) return { ok: false, reason: 'bad-version', detail: `version ${version}`, seq };
  const encoding = buf.readUInt8(5);
  if (encoding !== ENCODING_RAW) return { ok: false, reason: 'bad-version', detail: `encoding ${encoding}`, seq };
  const width = buf.readUInt16BE(6);
  const height = buf.readUInt16BE(8);
  const planes = buf.readUInt8(10);
  if (width !== expect.width || height !== expect.height || planes !== expect.planes) {
    return { ok: false, reason: 'bad-size', detail: `${width}×${height}×${planes}, panel is ${expect.width}×${expect.height}×${expect.planes}`, seq };
  }
  const planeBytes = rowBytes(width) * height;
  const length = buf.readUInt32BE(48);
  if (length !== planeBytes * planes) return { ok: false, reason: 'bad-size', detail: `payload length ${length}, expected ${planeBytes * planes}`, seq };
  if (buf.length !== HEADER_BYTES + length) {
    return { ok: false, reason: 'truncated', detail: `message has ${buf.length - HEADER_BYTES} payload bytes, header says ${length}`, seq };
  }
  const payload = buf.subarray(HEADER_BYTES);
  if ((crc32(payload) >>> 0) !== buf.readUInt32BE(52)) return { ok: false, reason: 'bad-crc', detail: 'payload CRC-32 mismatch', seq };
  const planeArrays: Uint8Array[] = [];
  for (let i = 0; i < planes; i++) planeArrays.push(new Uint8Array(payload.subarray(i * planeBytes, (i + 1) * planeBytes)));
  const hash = frameHash(width, height, planeArrays);
  if (hash !== buf.subarray(16, 48).toString('hex')) return { ok: false, reason: 'bad-hash', detail: 'frame hash does not match payload', seq };
  return { ok: true, seq, frame: { width, height, planes: planeArrays, hash } };
}
