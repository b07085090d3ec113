// Authenticated device messages (protocol v1.1): hello, check-in, telemetry, ack and nak carry a counter (`ctr`) and,
// as their last member, a tag under the display's frame key — which its broker password does not reveal — so a
// stolen broker login can neither fake a report nor replay an old one (docs/protocol.md, "Authentication of device
// messages"). The tag covers the exact payload bytes, so a display can write its JSON with 32 zeros as the tag,
// MAC it, and overwrite the zeros in place — no canonical JSON needed on either side.
//
//   tag = HMAC-SHA256(frame key, "WGM1" ‖ leaf ‖ 0x00 ‖ payload with the tag's 32 digits as ASCII '0')[0..16]
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEVICE_MESSAGE_DOMAIN = Buffer.from('WGM1', 'ascii');
/** the device messages that are authenticated (availability is not: it is the broker's last will) */
export const AUTHENTICATED_LEAVES = ['hello', 'checkin', 'telemetry', 'ack', 'nak'] as const;
export type AuthenticatedLeaf = (typeof AUTHENTICATED_LEAVES)[number];
export const MESSAGE_TAG_HEX = 32;
export const CTR_MAX = 0xffff_ffff;

const TAG_PLACEHOLDER = '0'.repeat(MESSAGE_TAG_HEX);
/** `"tag":"` + 32 lowercase hex digits + `"}` — the last 41 bytes of a tagged payload */
const TAG_SUFFIX = /"tag":"([0-9a-f]{32})"\}$/;
const SUFFIX_BYTES = 7 + MESSAGE_TAG_HEX + 2;

export function isAuthenticatedLeaf(leaf: string): leaf is AuthenticatedLeaf {
  return (AUTHENTICATED_LEAVES as readonly string[]).includes(leaf);
}

/** The tag over a payload whose tag digits are zeros (P′). */
export function deviceMessageTag(frameKey: Buffer, leaf: AuthenticatedLeaf, zeroed: Buffer): Buffer {
  return createHmac('sha256', frameKey)
    .update(DEVICE_MESSAGE_DOMAIN)
    .update(Buffer.from(leaf, 'ascii'))
    .update(Buffer.of(0))
    .update(zeroed)
    .digest()
    .subarray(0, MESSAGE_TAG_HEX / 2);
}

/**
 * Writes a device message as a v1.1 display does: the body's members in their order, then `ctr`, then the tag
 * (compact JSON, as JSON.stringify writes it).
 */
export function signDeviceMessage(leaf: AuthenticatedLeaf, body: object, ctr: number, frameKey: Buffer): Buffer {
  if (!Number.isInteger(ctr) || ctr < 1 || ctr > CTR_MAX) throw new RangeError(`message counter ${ctr} outside 1..${CTR_MAX}`);
  if ('ctr' in body || 'tag' in body) throw new Error('the body must not carry ctr or tag itself');
  const zeroed = Buffer.from(JSON.stringify({ ...body, ctr, tag: TAG_PLACEHOLDER }), 'utf8');
  const tag = deviceMessageTag(frameKey, leaf, zeroed).toString('hex');
  zeroed.write(tag, zeroed.length - SUFFIX_BYTES + 7, 'ascii');
  return zeroed;
}

export type TagCheck =
  /** a tag that verifies; the message's other members still have to be validated and its ctr checked */
  | { kind: 'tagged'; tag: string }
  /** no tag at the end: a v1.0 message (accepted only for displays that opted in) */
  | { kind: 'untagged' }
  /** a tag that does not verify: forged, or damaged */
  | { kind: 'bad-tag' };

/**
 * Finds the final `"tag"` member, zeroes its digits, recomputes and compares in constant time — before the JSON is
 * parsed at all.
 */
export function checkDeviceMessageTag(leaf: AuthenticatedLeaf, payload: Buffer, frameKey: Buffer): TagCheck {
  if (payload.length < SUFFIX_BYTES) return { kind: 'untagged' };
  const tail = payload.subarray(payload.length - SUFFIX_BYTES).toString('latin1');
  const m = TAG_SUFFIX.exec(tail);
  if (!m?.[1]) return { kind: 'untagged' };
  const claimed = Buffer.from(m[1], 'hex');
  const zeroed = Buffer.from(payload);
  zeroed.write(TAG_PLACEHOLDER, zeroed.length - SUFFIX_BYTES + 7, 'ascii');
  const expected = deviceMessageTag(frameKey, leaf, zeroed);
  return timingSafeEqual(expected, claimed) ? { kind: 'tagged', tag: m[1] } : { kind: 'bad-tag' };
}
