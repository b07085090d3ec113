// The control message (controller → display, on {prefix}/display/{id}/control): the answer to a check-in, setting
// the display's clock and its check-in interval. It echoes the display's own timestamp from that check-in, so the
// display accepts it only as the answer to its latest check-in, within 30 s (a delayed or replayed message is
// refused), and corrects its clock NTP-style for half the round trip. Authenticated with the display's secret.
//
//  off size field
//    0    4 magic "WGC1"
//    4    8 controller time, unix ms, when it answered
//   12    4 check-in interval, seconds (0 = always listening)
//   16    8 echo: the `time` of the check-in this answers (the display's clock, unix ms)
//   24   16 tag: HMAC-SHA256(secret, bytes 0–23), first 16 bytes
import { createHmac, timingSafeEqual } from 'node:crypto';

export const CONTROL_MAGIC = Buffer.from('WGC1', 'ascii');
export const CONTROL_BYTES = 40;
/** a display refuses an answer that took longer than this to arrive (round trip) */
export const CONTROL_MAX_RTT_MS = 30_000;

export interface Control {
  time: number;
  checkInSeconds: number;
  echo: number;
}

function tag(secret: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(body).digest().subarray(0, 16);
}

export function encodeControl(c: Control, secret: Buffer): Buffer {
  const b = Buffer.alloc(CONTROL_BYTES);
  CONTROL_MAGIC.copy(b, 0);
  b.writeBigUInt64BE(BigInt(Math.round(c.time)), 4);
  b.writeUInt32BE(c.checkInSeconds >>> 0, 12);
  b.writeBigUInt64BE(BigInt(Math.round(c.echo)), 16);
  tag(secret, b.subarray(0, 24)).copy(b, 24);
  return b;
}

export type ControlParse = { ok: true; control: Control } | { ok: false; reason: string };

export function decodeControl(b: Buffer, secret: Buffer): ControlParse {
  if (b.length !== CONTROL_BYTES || !b.subarray(0, 4).equals(CONTROL_MAGIC)) return { ok: false, reason: 'not a control message' };
  if (!timingSafeEqual(tag(secret, b.subarray(0, 24)), b.subarray(24, 40))) return { ok: false, reason: 'bad tag' };
  return {
    ok: true,
    control: { time: Number(b.readBigUInt64BE(4)), checkInSeconds: b.readUInt32BE(12), echo: Number(b.readBigUInt64BE(16)) },
  };
}
