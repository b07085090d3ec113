// The MQTT wire contract as types: topic builders and the payload each topic carries. The controller's gateway,
// the firmware simulator and tests all use these, so a change to the contract is checked by the compiler everywhere.
// Topics carry stable display ids only, never names. See docs/protocol.md.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** v1.1: authenticated device messages, the check order, retransmission and persistence rules (docs/protocol.md) */
export const PROTOCOL_MINOR = 1;
/** chunk sizes a display may ask for (`maxChunk`, overhead included) */
export const MIN_CHUNK = 32;
export const MAX_CHUNK = 65_535;

/**
 * Sequence numbers are uint32 on the wire (frame-v1 header offset 12, chunk offset 0). A number a display reports
 * outside this range is refused as invalid; the controller never issues one above it (it never wraps).
 */
export const SEQ_MAX = 0xffff_ffff;
/** a sequence number as a display reports it (ack, nak, hello, check-in) */
const Seq = z.number().int().nonnegative().max(SEQ_MAX);

/** A display id as it may appear in a topic: no wildcards, separators or spaces. */
/** 32 characters at most: the id travels in every frame header (docs/protocol.md). */
export const DisplayIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export function topics(prefix: string) {
  return {
    bridgeState: `${prefix}/bridge/state`,
    /** controller → display: binary frame transfer chunks, in order (not retained) */
    frame: (id: string) => `${prefix}/display/${id}/frame`,
    /** display → controller: JSON Hello, on every (re)connect */
    hello: (id: string) => `${prefix}/display/${id}/hello`,
    /** display → controller: JSON Ack */
    ack: (id: string) => `${prefix}/display/${id}/ack`,
    /** display → controller: JSON Nak */
    nak: (id: string) => `${prefix}/display/${id}/nak`,
    /** display availability: retained "online" / "asleep", last will "offline" */
    availability: (id: string) => `${prefix}/display/${id}/availability`,
    /** display → controller: JSON CheckIn, every time a sleepy display wakes */
    checkin: (id: string) => `${prefix}/display/${id}/checkin`,
    /** display → controller: JSON Telemetry, now and then from always-listening displays */
    telemetry: (id: string) => `${prefix}/display/${id}/telemetry`,
    /** controller → display: binary control message (time sync, check-in interval) */
    control: (id: string) => `${prefix}/display/${id}/control`,
    /** subscription patterns for the controller */
    allDisplays: (leaf: 'hello' | 'ack' | 'nak' | 'availability' | 'checkin' | 'telemetry') => `${prefix}/display/+/${leaf}`,
  } as const;
}

export type Topics = ReturnType<typeof topics>;

/** Splits `<prefix>/display/<id>/<leaf>`; null for anything else. */
export function parseDisplayTopic(prefix: string, topic: string): { id: string; leaf: string } | null {
  const head = `${prefix}/display/`;
  if (!topic.startsWith(head)) return null;
  const rest = topic.slice(head.length).split('/');
  if (rest.length !== 2 || !rest[0] || !rest[1] || !DisplayIdPattern.test(rest[0])) return null;
  return { id: rest[0], leaf: rest[1] };
}

const Hash = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');

/**
 * The authentication members of every v1.1 device message: a counter, strictly increasing per display, and the tag
 * (checked over the raw payload before parsing: controller/protocol/device-message.ts). Absent in v1.0 messages.
 */
export const Authentication = {
  ctr: z.number().int().min(1).max(0xffff_ffff).optional(),
  tag: z.string().regex(/^[0-9a-f]{32}$/, '32 lowercase hex digits').optional(),
};

export const Hello = z.strictObject({
  id: z.string().regex(DisplayIdPattern),
  protocol: z.literal(PROTOCOL_VERSION),
  /** 1 for v1.1; absent: 0 (v1.0) */
  minor: z.number().int().nonnegative().max(255).optional(),
  firmware: z.string().max(64),
  panel: z.string().max(64),
  width: z.number().int().positive().max(4096),
  height: z.number().int().positive().max(4096),
  /** the largest chunk it accepts, overhead included (v1.1); the controller sends min(its MTU, this) */
  maxChunk: z.number().int().min(MIN_CHUNK).max(MAX_CHUNK).optional(),
  /** hash of the frame on the panel now; null after a factory reset */
  shownHash: Hash.nullable(),
  /** hash of a verified frame waiting for its activate-at time, if any */
  scheduledHash: Hash.nullable(),
  /** sequence number of the last frame it accepted; the controller continues above it */
  lastSeq: Seq.nullable(),
  batteryMv: z.number().int().nonnegative().max(10_000),
  ...Authentication,
});

export const Ack = z.strictObject({
  seq: Seq,
  hash: Hash,
  /** 0: shown now; else the unix second at which the display will show it on its own clock */
  activateAt: z.number().int().nonnegative(),
  ...Authentication,
});

export const NakReason = z.enum([
  'bad-magic',
  'bad-version',
  'bad-size',
  'bad-crc',
  'bad-hash',
  'bad-hmac',
  'bad-encoding',
  'stale-seq',
  'truncated',
  'missing-chunk',
  'base-mismatch',
  'wrong-display',
  'inflate',
]);

export const Nak = z.strictObject({
  seq: Seq.nullable(),
  reason: NakReason,
  detail: z.string().max(200),
  /** the last sequence number the display accepted, so the controller can continue above it */
  lastSeq: Seq.nullable(),
  ...Authentication,
});

export type Hello = z.infer<typeof Hello>;
export type Ack = z.infer<typeof Ack>;
export type Nak = z.infer<typeof Nak>;
export type NakReason = z.infer<typeof NakReason>;

export const TelemetryFields = {
  batteryMv: z.number().int().nonnegative().max(10_000),
  /** received signal strength, dBm */
  rssi: z.number().int().min(-130).max(0),
  temperatureC: z.number().min(-40).max(100),
};

export const Telemetry = z.strictObject({ ...TelemetryFields, ...Authentication });

export const WakeReason = z.enum(['timer', 'boot', 'button']);

export const CheckIn = z.strictObject({
  ...TelemetryFields,
  shownHash: Hash.nullable(),
  scheduledHash: Hash.nullable(),
  lastSeq: Seq.nullable(),
  wakeReason: WakeReason,
  /** how long it listens now before sleeping again */
  listenMs: z.number().int().min(100).max(120_000),
  /** when it will check in next, in seconds from now */
  sleepSeconds: z.number().int().min(1).max(86_400),
  /** its clock, unix ms (the controller corrects drift with a control message) */
  time: z.number().int().nonnegative(),
  ...Authentication,
});

export type Telemetry = z.infer<typeof Telemetry>;
export type CheckIn = z.infer<typeof CheckIn>;

export type Availability = 'online' | 'asleep' | 'offline';
export type BridgeState = 'online' | 'offline';
