// Writes the protocol test vectors in docs/vectors/ (docs/protocol.md, "Test vectors"): node bin/run-ts.js
// scripts/gen-vectors.ts [--check]. Deterministic — frames come from a seeded generator, keys are fixed — so running
// it again gives the same files; `--check` compares instead of writing (exit 1 on a difference).
//
// Valid transfers are made by the controller's encoder (and the vector test checks the encoder reproduces them byte
// for byte). Refused transfers are built here by hand — headers edited and re-signed with the right key, chunks
// re-checksummed — so each one fails exactly the check it is named after; the expected result of every case is
// stated here from docs/protocol.md, never computed by running the simulator.
import { createHash, createHmac } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { makeFrame, rowBytes, type Frame } from '../renderer/frame.js';
import {
  HEADER_V1_BYTES,
  HMAC_COVERED_HEADER,
  TAG_BYTES,
  deflate4k,
  encodeTransfer,
  hashPrefix,
  regionBytes,
  wholeFrame,
  writeChunk,
  writeHeader,
  type Region,
} from '../controller/protocol/frame-v1.js';
import { encodeControl } from '../controller/protocol/control.js';
import { checkDeviceMessageTag, signDeviceMessage, type AuthenticatedLeaf } from '../controller/protocol/device-message.js';
import { deriveMqttPassword } from '../controller/store/secrets.js';
import { seededRandom } from '../firmware-sim/faults.js';

const OUT = path.resolve(import.meta.dirname, '..', 'docs', 'vectors');
const check = process.argv.includes('--check');

// ---------------------------------------------------------------------------------------------------------------
// Inputs

/** the golden vector's key: 01 02 … 20 */
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i + 1));
/** a key that is not the display's (forgeries) */
const OTHER_KEY = createHash('sha256').update('wegweiser vectors: not the display key').digest();
/** the display's clock when the vectors run (unix seconds): 2026-11-23 07:00 UTC */
const NOW = Math.floor(Date.UTC(2026, 10, 23, 7, 0, 0) / 1000);
const ID = 'ds-vec';

interface Panel {
  width: number;
  height: number;
  planes: number;
}
const BW: Panel = { width: 64, height: 16, planes: 1 };
const BWR: Panel = { width: 64, height: 16, planes: 2 };
const MAX_CHUNK = 4096;

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Sparse "text": ink in rows 1–14, paper elsewhere and in the notice area (rows 4–9, bytes 2–5). */
function textFrame(p: Panel, seed: number): Frame {
  const rnd = seededRandom(seed);
  const stride = rowBytes(p.width);
  const black = new Uint8Array(stride * p.height);
  for (let y = 1; y < p.height - 1; y++) {
    for (let x = 0; x < stride; x++) {
      if (y >= 4 && y <= 9 && x >= 2 && x <= 5) continue;
      if (rnd() < 0.35) black[y * stride + x] = Math.floor(rnd() * 256) & 0b0111_1110;
    }
  }
  const planes = [black];
  if (p.planes === 2) {
    const red = new Uint8Array(stride * p.height);
    for (let i = 0; i < red.length; i++) if (rnd() < 0.1) red[i] = Math.floor(rnd() * 256) & ~(black[i] ?? 0) & 0xff;
    planes.push(red);
  }
  return makeFrame(p.width, p.height, planes);
}

/** A few bytes of rows 11–12 changed in place (text edited): the XOR delta is smallest. */
function edited(f: Frame, seed: number): Frame {
  const rnd = seededRandom(seed);
  const stride = rowBytes(f.width);
  const planes = f.planes.map((p) => Uint8Array.from(p));
  const black = planes[0] as Uint8Array;
  for (const x of [3, 4, 5]) for (const y of [11, 12]) black[y * stride + x] = ((black[y * stride + x] ?? 0) ^ (1 + Math.floor(rnd() * 127))) & ~(planes[1]?.[y * stride + x] ?? 0) & 0xff;
  return makeFrame(f.width, f.height, planes);
}

/** The same frame with a dense block (a notice) in rows 4–9, bytes 2–5: removing it again is cheapest as region content. */
function withNotice(f: Frame, seed: number): Frame {
  const rnd = seededRandom(seed);
  const stride = rowBytes(f.width);
  const planes = f.planes.map((p) => Uint8Array.from(p));
  const black = planes[0] as Uint8Array;
  for (let y = 4; y <= 9; y++) for (let x = 2; x <= 5; x++) black[y * stride + x] = Math.floor(rnd() * 256) & ~(planes[1]?.[y * stride + x] ?? 0) & 0xff;
  return makeFrame(f.width, f.height, planes);
}

// ---------------------------------------------------------------------------------------------------------------
// Transfers built by hand

interface HeaderFields {
  magic?: string;
  version?: number;
  encoding: number;
  planes: number;
  flags: number;
  width: number;
  height: number;
  seq: number;
  activateAt: number;
  payloadLength: number;
  region: Region;
  displayId: string | Buffer;
  frameHash: string;
  baseHash: string;
}

/** A header with any field values (also impossible ones), tagged with `key` and checksummed. */
function header(h: HeaderFields, payload: Buffer, key: Buffer): Buffer {
  const b = writeHeader(
    {
      encoding: h.encoding,
      planes: h.planes,
      flags: h.flags,
      width: h.width,
      height: h.height,
      seq: h.seq,
      activateAt: h.activateAt,
      payloadLength: h.payloadLength,
      region: h.region,
      displayId: '',
      frameHashPrefix: hashPrefix(h.frameHash),
      baseHashPrefix: hashPrefix(h.baseHash),
    },
    key,
    payload,
  );
  if (h.magic) Buffer.from(h.magic, 'latin1').copy(b, 0, 0, 4);
  if (h.version !== undefined) b.writeUInt8(h.version, 4);
  const id = typeof h.displayId === 'string' ? Buffer.from(h.displayId, 'ascii') : h.displayId;
  b.fill(0, 32, 64);
  id.copy(b, 32, 0, 32);
  resign(b, payload, key);
  return b;
}

/** Recomputes a header's tag and CRC after an edit: the edit is then authentic, and only its own check fails. */
function resign(b: Buffer, payload: Buffer, key: Buffer): void {
  const mac = createHmac('sha256', key).update(b.subarray(0, HMAC_COVERED_HEADER)).update(payload).digest();
  mac.copy(b, HMAC_COVERED_HEADER, 0, TAG_BYTES);
  b.writeUInt32BE(crc32(b.subarray(0, 112)) >>> 0, 112);
}

/** Cuts a stream into chunks as the controller does (every chunk but the last full). */
function chunked(seq: number, stream: Buffer, mtu: number): Buffer[] {
  const per = mtu - 14;
  const count = Math.max(1, Math.ceil(stream.length / per));
  return Array.from({ length: count }, (_, i) => writeChunk(seq, i, count, stream.subarray(i * per, (i + 1) * per)));
}

/** A chunk's fields changed, with a valid CRC again. */
function rechunk(c: Buffer, edit: { seq?: number; index?: number; count?: number; data?: Buffer }): Buffer {
  const data = edit.data ?? c.subarray(10, c.length - 4);
  return writeChunk(edit.seq ?? c.readUInt32BE(0), edit.index ?? c.readUInt16BE(4), edit.count ?? c.readUInt16BE(6), data);
}

interface Built {
  header: Buffer;
  payload: Buffer;
  chunks: Buffer[];
}

/** A full frame (encoding 1) for `frame`, with any header field overridden; signed with `key`. */
function fullTransfer(frame: Frame, seq: number, over: Partial<HeaderFields> = {}, opts: { key?: Buffer; payload?: Buffer; mtu?: number; chunkSeq?: number } = {}): Built {
  const payload = opts.payload ?? deflate4k(regionBytes(frame, wholeFrame(frame.width, frame.height)));
  const h = header(
    {
      encoding: 1,
      planes: frame.planes.length,
      flags: 0,
      width: frame.width,
      height: frame.height,
      seq,
      activateAt: 0,
      payloadLength: payload.length,
      region: wholeFrame(frame.width, frame.height),
      displayId: ID,
      frameHash: frame.hash,
      baseHash: '0'.repeat(64),
      ...over,
    },
    payload,
    opts.key ?? KEY,
  );
  return { header: h, payload, chunks: chunked(opts.chunkSeq ?? seq, Buffer.concat([h, payload]), opts.mtu ?? 64) };
}

/** A delta (XOR, encoding 2) from `base` to `frame` over `region`; signed with `key`. */
function xorTransfer(frame: Frame, base: Frame, region: Region, seq: number, over: Partial<HeaderFields> = {}, opts: { key?: Buffer; payload?: Buffer; mtu?: number } = {}): Built {
  const payload = opts.payload ?? deflate4k(regionBytes(frame, region, base));
  const h = header(
    {
      encoding: 2,
      planes: frame.planes.length,
      flags: 0,
      width: frame.width,
      height: frame.height,
      seq,
      activateAt: 0,
      payloadLength: payload.length,
      region,
      displayId: ID,
      frameHash: frame.hash,
      baseHash: base.hash,
      ...over,
    },
    payload,
    opts.key ?? KEY,
  );
  return { header: h, payload, chunks: chunked(seq, Buffer.concat([h, payload]), opts.mtu ?? 64) };
}

/**
 * A raw-deflate stream whose first symbol is a back-reference (length 3, distance 1) — before the start of the data,
 * so every inflater refuses it: one fixed-Huffman final block (BFINAL 1, BTYPE 01), code 257, distance code 0, 256.
 */
function matchFirst(): Buffer {
  const bits: number[] = [];
  const lsbFirst = (v: number, n: number) => {
    for (let i = 0; i < n; i++) bits.push((v >> i) & 1);
  };
  const huffman = (code: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) bits.push((code >> i) & 1);
  };
  lsbFirst(1, 1); // BFINAL
  lsbFirst(1, 2); // BTYPE 01: fixed Huffman codes
  huffman(0b0000001, 7); // literal/length 257: length 3
  huffman(0b00000, 5); // distance code 0: distance 1
  huffman(0b0000000, 7); // 256: end of block
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    out[i >> 3] = (out[i >> 3] ?? 0) | (b << (i & 7));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Cases

interface FrameJson {
  hash: string;
  planes: string[];
}
const fj = (f: Frame): FrameJson => ({ hash: f.hash, planes: f.planes.map(hex) });

type Result = { type: 'ack'; seq: number; hash: string; activateAt: number } | { type: 'nak'; seq: number | null; reason: string };

interface DisplayState {
  /** 0: nothing accepted yet (reported as null) */
  lastSeq: number;
  shown: FrameJson | null;
  held: (FrameJson & { activateAt: number }) | null;
}

interface TransferCase {
  name: string;
  description: string;
  reason?: string;
  display: { id: string; width: number; height: number; planes: number; maxChunk: number };
  secret: string;
  before: DisplayState & { now: number };
  /** encoder inputs: the controller's encoder MUST reproduce `chunks` from these byte for byte */
  encoder?: { seq: number; frame: FrameJson; base: FrameJson | null; mtu: number; activateAt: number; fullRefresh: boolean };
  /** what was encoded (informative) */
  encoded?: { encoding: number; region: Region; header: string; payload: string };
  chunks: string[];
  /** the display's clock (unix ms) when each chunk arrives; absent: before.now for all */
  chunkTimesMs?: number[];
  expect: { results: Result[]; after: { lastSeq: number; shownHash: string | null; heldHash: string | null; heldActivateAt: number | null; refresh: 'full' | 'partial' | null } };
}

function display(p: Panel, maxChunk = MAX_CHUNK) {
  return { id: ID, width: p.width, height: p.height, planes: p.planes, maxChunk };
}

const fresh = (): DisplayState & { now: number } => ({ lastSeq: 0, shown: null, held: null, now: NOW });
const showing = (f: Frame, lastSeq: number): DisplayState & { now: number } => ({ lastSeq, shown: fj(f), held: null, now: NOW });
const unchanged = (b: DisplayState) => ({ lastSeq: b.lastSeq, shownHash: b.shown?.hash ?? null, heldHash: b.held?.hash ?? null, heldActivateAt: b.held?.activateAt ?? null, refresh: null });

function encoded(opts: { panel: Panel; seq: number; frame: Frame; base: Frame | null; mtu: number; activateAt?: number; fullRefresh?: boolean; key?: Buffer; id?: string }) {
  const t = encodeTransfer({
    displayId: opts.id ?? ID,
    seq: opts.seq,
    frame: opts.frame,
    base: opts.base,
    secret: opts.key ?? KEY,
    mtu: opts.mtu,
    ...(opts.activateAt ? { activateAt: opts.activateAt } : {}),
    fullRefresh: opts.fullRefresh ?? false,
  });
  const stream = Buffer.concat(t.chunks.map((c) => c.subarray(10, c.length - 4)));
  return {
    t,
    encoder: { seq: opts.seq, frame: fj(opts.frame), base: opts.base ? fj(opts.base) : null, mtu: opts.mtu, activateAt: opts.activateAt ?? 0, fullRefresh: opts.fullRefresh ?? false },
    encoded: { encoding: t.encoding, region: t.region, header: hex(stream.subarray(0, HEADER_V1_BYTES)), payload: hex(stream.subarray(HEADER_V1_BYTES)) },
  };
}

const A = textFrame(BW, 1);
const B = edited(A, 2);
const N = withNotice(A, 3);
const C = edited(B, 4);
const R1 = textFrame(BWR, 5);
const R2 = edited(R1, 6);
const golden = makeFrame(16, 2, [new Uint8Array([0xaa, 0x55, 0x0f, 0xf0])]);

function assert(ok: boolean, what: string): void {
  if (!ok) throw new Error(`vector generator: ${what}`);
}

function transfers(): TransferCase[] {
  const cases: TransferCase[] = [];
  const ok = (seq: number, f: Frame, activateAt = 0): Result => ({ type: 'ack', seq, hash: f.hash, activateAt });

  {
    const e = encoded({ panel: { width: 16, height: 2, planes: 1 }, seq: 7, frame: golden, base: null, mtu: 64, id: 'ds-golden' });
    // The golden bytes, as printed in docs/protocol.md (computed with Python), pin the encoder itself.
    assert(hex(e.t.chunks[2] as Buffer) === '000000070002000300167dd504b0d65deaeb663b5cc8e11acf8a5b15caff0100901030c4', 'golden vector changed');
    cases.push({
      name: 'golden',
      description: 'The golden vector of docs/protocol.md (computed independently with Python): a 16×2 full frame, MTU 64.',
      display: { id: 'ds-golden', width: 16, height: 2, planes: 1, maxChunk: MAX_CHUNK },
      secret: hex(KEY),
      before: fresh(),
      encoder: e.encoder,
      encoded: e.encoded,
      chunks: e.t.chunks.map(hex),
      expect: { results: [ok(7, golden)], after: { lastSeq: 7, shownHash: golden.hash, heldHash: null, heldActivateAt: null, refresh: 'full' } },
    });
  }

  const add = (name: string, description: string, panel: Panel, before: DisplayState & { now: number }, opts: { seq: number; frame: Frame; base: Frame | null; mtu: number; activateAt?: number; fullRefresh?: boolean }, expectEncoding: number, after: TransferCase['expect']['after'], results?: Result[]) => {
    const e = encoded({ panel, ...opts });
    assert(e.t.encoding === expectEncoding, `${name}: encoder chose encoding ${e.t.encoding}, expected ${expectEncoding}`);
    cases.push({
      name,
      description,
      display: display(panel),
      secret: hex(KEY),
      before,
      encoder: e.encoder,
      encoded: e.encoded,
      chunks: e.t.chunks.map(hex),
      expect: { results: results ?? [ok(opts.seq, opts.frame, opts.activateAt && opts.activateAt > before.now ? opts.activateAt : 0)], after },
    });
    return e;
  };

  add('full-frame', 'A 64×16 full frame (encoding 1) to a factory-new display, MTU 64.', BW, fresh(), { seq: 1, frame: A, base: null, mtu: 64 }, 1, { lastSeq: 1, shownHash: A.hash, heldHash: null, heldActivateAt: null, refresh: 'full' });
  add('full-frame-mtu-32', 'The same frame at the smallest MTU (32: 18 data bytes per chunk).', BW, fresh(), { seq: 1, frame: A, base: null, mtu: 32 }, 1, { lastSeq: 1, shownHash: A.hash, heldHash: null, heldActivateAt: null, refresh: 'full' });
  const xor = add('xor-delta', 'Text edited in place: an XOR delta (encoding 2) over the changed region, shown with a partial refresh.', BW, showing(A, 1), { seq: 2, frame: B, base: A, mtu: 64 }, 2, { lastSeq: 2, shownHash: B.hash, heldHash: null, heldActivateAt: null, refresh: 'partial' });
  add('region-content', 'A notice removed: the region\'s new content (encoding 3) — mostly paper — replaces the notice.', BW, showing(N, 4), { seq: 5, frame: A, base: N, mtu: 64 }, 3, { lastSeq: 5, shownHash: A.hash, heldHash: null, heldActivateAt: null, refresh: 'partial' });
  add('delta-full-refresh-flag', 'An XOR delta with the full-refresh flag (header offset 7, bit 0): shown with a full refresh.', BW, showing(A, 1), { seq: 2, frame: B, base: A, mtu: 4096, fullRefresh: true }, 2, { lastSeq: 2, shownHash: B.hash, heldHash: null, heldActivateAt: null, refresh: 'full' });
  add('near-empty-delta', 'The frame on screen sent again under a new number (the daily full refresh): a one-byte region, flagged.', BW, showing(A, 1), { seq: 2, frame: A, base: A, mtu: 64, fullRefresh: true }, 2, { lastSeq: 2, shownHash: A.hash, heldHash: null, heldActivateAt: null, refresh: 'full' });
  add('two-planes-full', 'A black/white/red frame: two planes, black then red, in one full frame.', BWR, fresh(), { seq: 1, frame: R1, base: null, mtu: 64 }, 1, { lastSeq: 1, shownHash: R1.hash, heldHash: null, heldActivateAt: null, refresh: 'full' });
  add('two-planes-delta', 'A delta on a two-plane frame: the same region applies to both planes, plane after plane.', BWR, showing(R1, 1), { seq: 2, frame: R2, base: R1, mtu: 64 }, 2, { lastSeq: 2, shownHash: R2.hash, heldHash: null, heldActivateAt: null, refresh: 'partial' });
  const later = NOW + 3600;
  add('activate-at', 'A future frame (full, flagged, activate-at in an hour): acknowledged with its second, held; the screen is unchanged.', BW, showing(A, 1), { seq: 2, frame: C, base: null, mtu: 64, activateAt: later, fullRefresh: true }, 1, { lastSeq: 2, shownHash: A.hash, heldHash: C.hash, heldActivateAt: later, refresh: null });
  add('activate-at-past', 'A frame whose activate-at is not after the display\'s clock: shown at once (ack activateAt 0), and it discards the held frame.', BW, { lastSeq: 2, shown: fj(A), held: { ...fj(C), activateAt: later }, now: NOW }, { seq: 3, frame: B, base: null, mtu: 64, activateAt: NOW, fullRefresh: true }, 1, { lastSeq: 3, shownHash: B.hash, heldHash: null, heldActivateAt: null, refresh: 'full' });

  // Rule R: the same transfer again after a lost ack.
  cases.push({
    name: 'retransmitted-delta',
    description: 'Rule R: the XOR delta A→B (seq 2) again after its ack was lost. The display shows B with lastSeq 2; the base A is gone, yet the transfer is acknowledged again, not applied (no base-mismatch, no full frame).',
    display: display(BW),
    secret: hex(KEY),
    before: showing(B, 2),
    chunks: xor.t.chunks.map(hex),
    expect: { results: [ok(2, B)], after: { lastSeq: 2, shownHash: B.hash, heldHash: null, heldActivateAt: null, refresh: null } },
  });
  {
    const e = encoded({ panel: BW, seq: 2, frame: C, base: null, mtu: 64, activateAt: later, fullRefresh: true });
    cases.push({
      name: 'retransmitted-held',
      description: 'Rule R for a held frame: the activate-at transfer again; acknowledged again with the held frame\'s second.',
      display: display(BW),
      secret: hex(KEY),
      before: { lastSeq: 2, shown: fj(A), held: { ...fj(C), activateAt: later }, now: NOW },
      chunks: e.t.chunks.map(hex),
      expect: { results: [ok(2, C, later)], after: { lastSeq: 2, shownHash: A.hash, heldHash: C.hash, heldActivateAt: later, refresh: null } },
    });
  }
  {
    // Chunk 0 replaces a transfer in progress; duplicates are dropped.
    const first = encoded({ panel: BW, seq: 2, frame: B, base: null, mtu: 32 }).t.chunks;
    const second = encoded({ panel: BW, seq: 3, frame: C, base: null, mtu: 64 }).t.chunks;
    cases.push({
      name: 'chunk-0-replaces',
      description: 'Three chunks of transfer 2, then transfer 3 from its chunk 0: the new chunk 0 replaces transfer 2 without a nak; transfer 3 is acknowledged.',
      display: display(BW),
      secret: hex(KEY),
      before: showing(A, 1),
      chunks: [...first.slice(0, 3), ...second].map(hex),
      expect: { results: [ok(3, C)], after: { lastSeq: 3, shownHash: C.hash, heldHash: null, heldActivateAt: null, refresh: 'full' } },
    });
    const dup = [first[0], first[1], first[1], first[2], first[1], ...first.slice(3), first.at(-1)] as Buffer[];
    cases.push({
      name: 'duplicate-chunks',
      description: 'MQTT delivers at least once: chunks 1, 1 again, 2, 1 again, … and the last chunk again after the ack. Duplicates (index below the next) are dropped silently; the stray copy after the ack too.',
      display: display(BW),
      secret: hex(KEY),
      before: showing(A, 1),
      chunks: dup.map(hex),
      expect: { results: [ok(2, B)], after: { lastSeq: 2, shownHash: B.hash, heldHash: null, heldActivateAt: null, refresh: 'full' } },
    });
    const times = first.map((_, i) => NOW * 1000 + i * 29_000);
    cases.push({
      name: 'slow-but-not-abandoned',
      description: 'Chunks 29 s apart: never more than 30 s without a chunk, so the transfer is not abandoned.',
      display: display(BW),
      secret: hex(KEY),
      before: showing(A, 1),
      chunks: first.map(hex),
      chunkTimesMs: times,
      expect: { results: [ok(2, B)], after: { lastSeq: 2, shownHash: B.hash, heldHash: null, heldActivateAt: null, refresh: 'full' } },
    });
  }
  {
    const t = fullTransfer(A, 1, {}, { mtu: 64 });
    const damaged = Buffer.from(t.chunks[0] as Buffer);
    damaged[30] = (damaged[30] ?? 0) ^ 0x10;
    cases.push({
      name: 'damaged-without-transfer',
      description: 'With no transfer in progress, messages failing check 1 — 10 bytes of garbage, a chunk longer than maxChunk, a damaged chunk 0 — are dropped silently (nothing to end, no number to trust); then transfer 1 arrives whole and is acknowledged.',
      display: display(BW, 64),
      secret: hex(KEY),
      before: fresh(),
      chunks: [Buffer.from('0000000100000001000a', 'hex'), writeChunk(9, 0, 1, Buffer.alloc(60)), damaged, ...t.chunks].map(hex),
      expect: { results: [ok(1, A)], after: { lastSeq: 1, shownHash: A.hash, heldHash: null, heldActivateAt: null, refresh: 'full' } },
    });
    cases.push({
      name: 'max-chunk',
      description: 'A display with maxChunk 64 receives chunks of exactly 64 bytes.',
      display: display(BW, 64),
      secret: hex(KEY),
      before: fresh(),
      chunks: t.chunks.map(hex),
      expect: { results: [ok(1, A)], after: { lastSeq: 1, shownHash: A.hash, heldHash: null, heldActivateAt: null, refresh: 'full' } },
    });
  }
  return cases;
}

function naks(): TransferCase[] {
  const cases: TransferCase[] = [];
  /** the usual state: A on screen, lastSeq 5; the transfer is seq 6 */
  const before = showing(A, 5);
  const nak = (seq: number | null, reason: string): Result => ({ type: 'nak', seq, reason });
  const add = (reason: string, name: string, description: string, chunks: Buffer[], opts: { before?: DisplayState & { now: number }; key?: Buffer; panel?: Panel; maxChunk?: number; seq?: number | null; times?: number[]; results?: Result[] } = {}) => {
    const b = opts.before ?? before;
    cases.push({
      name: `${reason}/${name}`,
      reason,
      description,
      display: display(opts.panel ?? BW, opts.maxChunk ?? MAX_CHUNK),
      secret: hex(opts.key ?? KEY),
      before: b,
      chunks: chunks.map(hex),
      ...(opts.times ? { chunkTimesMs: opts.times } : {}),
      expect: { results: opts.results ?? [nak(opts.seq === undefined ? 6 : opts.seq, reason)], after: unchanged(b) },
    });
  };
  const full6 = () => fullTransfer(B, 6).chunks;
  const region = (): Region => ({ x0: 3, w: 3, y0: 11, h: 2 });
  const delta6 = (over: Partial<HeaderFields> = {}, opts: { key?: Buffer; payload?: Buffer } = {}) => xorTransfer(B, A, region(), 6, over, opts).chunks;

  // 1 — chunk integrity
  {
    const c = full6();
    const x = Buffer.from(c[1] as Buffer);
    x[20] = (x[20] ?? 0) ^ 0xff;
    add('bad-crc', 'chunk', 'A byte of chunk 1 flipped: its CRC fails. The transfer in progress (seq 6) ends; its remaining chunks are dropped silently.', [c[0] as Buffer, x, ...c.slice(2)]);
    const garbage = Buffer.from('0000000600010003000a', 'hex');
    add('bad-crc', 'short-message', 'A 10-byte message (shorter than a chunk\'s 14 bytes of overhead) where chunk 1 is expected.', [c[0] as Buffer, garbage, ...c.slice(1)]);
    const long = Buffer.concat([c[1] as Buffer, Buffer.from([0])]);
    add('bad-crc', 'length-mismatch', 'Chunk 1 with one byte more than its length field says (its CRC is not where it must be).', [c[0] as Buffer, long, ...c.slice(2)]);
    const stream = Buffer.concat(c.map((x) => x.subarray(10, x.length - 4)));
    const big = [writeChunk(6, 0, 3, stream.subarray(0, 50)), writeChunk(6, 1, 3, stream.subarray(50, 116)), writeChunk(6, 2, 3, stream.subarray(116))];
    add('bad-crc', 'over-max-chunk', 'Chunk 1 is 80 bytes long; the display\'s maxChunk is 64 (chunk 0 is 64): not accepted, as a chunk whose CRC cannot be checked.', big, { maxChunk: 64 });
    // the header CRC: edit a byte the header CRC covers, keep the tag (it would verify), fix the chunk CRC
    const s = Buffer.concat(c.map((x) => x.subarray(10, x.length - 4)));
    s[112] = (s[112] ?? 0) ^ 0x01;
    add('bad-crc', 'header', 'The header\'s own CRC-32 (offset 112) wrong; every chunk CRC is right.', chunked(6, s, 64));
  }
  // 2 — order
  {
    const c = full6();
    add('missing-chunk', 'gap', 'Chunk 1 lost: chunk 2 arrives where 1 is expected. One nak; the rest is dropped silently.', [c[0] as Buffer, ...c.slice(2)]);
    add('missing-chunk', 'reordered', 'Chunks 2 and 1 swapped.', [c[0] as Buffer, c[2] as Buffer, c[1] as Buffer, ...c.slice(3)]);
    const c0 = Buffer.from(c[0] as Buffer);
    c0[12] = (c0[12] ?? 0) ^ 0x01;
    add('missing-chunk', 'first-chunk-damaged', 'Chunk 0 damaged (its CRC fails) with no transfer in progress: dropped silently — its number cannot be trusted. Chunk 1 then has no start: one nak, with its number; the rest is dropped silently.', [c0, ...c.slice(1)]);
    add('missing-chunk', 'no-start', 'Chunk 0 lost: chunk 1 arrives with no transfer in progress (the nak carries the chunk\'s number); the rest is dropped silently.', c.slice(1));
    const foreign = fullTransfer(C, 9).chunks[1] as Buffer;
    add('missing-chunk', 'foreign-seq', 'A chunk of another transfer (seq 9, index 1) in the middle of transfer 6: out of order; the nak names transfer 6. Transfer 6\'s remaining chunks are dropped silently.', [c[0] as Buffer, c[1] as Buffer, foreign, ...c.slice(2)]);
    add('missing-chunk', 'count-changes', 'Chunk 2 says the transfer has one chunk more.', [c[0] as Buffer, c[1] as Buffer, rechunk(c[2] as Buffer, { count: c.length + 1 }), ...c.slice(3)]);
    add('missing-chunk', 'index-beyond-count', 'A single chunk 0 whose index is not below its count (count 0).', [rechunk(c[0] as Buffer, { count: 0 })], { seq: 6 });
    const hdr = fullTransfer(B, 7, {}, { chunkSeq: 6 }).chunks;
    add('missing-chunk', 'header-seq', 'The chunks say seq 6, the (authentic) header says 7: the chunks belong to another transfer than the header describes.', hdr);
    const times = c.map((_, i) => NOW * 1000 + (i < 2 ? i * 1000 : 32_000 + i * 1000));
    add('missing-chunk', 'abandoned', 'Chunks 0–1, then nothing for more than 30 s: the display discards the transfer without a nak; chunk 2, arriving later, has no start (one nak), the rest is dropped silently.', c, { times });
  }
  // 3–9 — header
  {
    const pay = deflate4k(regionBytes(B, wholeFrame(64, 16)));
    add('bad-magic', 'magic', 'Magic "WGX1"; header CRC and tag recomputed.', fullTransfer(B, 6, { magic: 'WGX1' }).chunks);
    add('bad-version', 'version-2', 'Version byte 2; header CRC and tag recomputed.', fullTransfer(B, 6, { version: 2 }).chunks);
    add('bad-encoding', 'reserved-flag', 'Flag bit 1 (reserved) set.', fullTransfer(B, 6, { flags: 0x02 }).chunks);
    add('bad-encoding', 'encoding-0', 'Encoding 0 (never part of the protocol).', fullTransfer(B, 6, { encoding: 0 }).chunks);
    add('bad-encoding', 'encoding-4', 'Encoding 4 (unknown).', fullTransfer(B, 6, { encoding: 4 }).chunks);
    add('bad-encoding', 'full-with-base', 'A full frame (encoding 1) whose base hash is not zero.', fullTransfer(B, 6, { baseHash: A.hash }).chunks);
    add('bad-encoding', 'delta-activate-at', 'A delta with activate-at: future frames are always full frames.', delta6({ activateAt: NOW + 3600 }));
    add('bad-encoding', 'before-wrong-display', 'Precedence: a reserved flag bit and another display\'s id: bad-encoding (check 7) comes before wrong-display (check 8).', fullTransfer(B, 6, { flags: 0x80, displayId: 'ds-other' }).chunks);
    add('wrong-display', 'other-id', 'A transfer for "ds-other", authentic under its key (precedence: check 8 comes before the tag).', fullTransfer(B, 6, { displayId: 'ds-other' }, { key: OTHER_KEY }).chunks);
    add('wrong-display', 'id-prefix', 'The id field "ds-ve" — a prefix of the display\'s id.', fullTransfer(B, 6, { displayId: 'ds-ve' }).chunks);
    add('wrong-display', 'padding-not-nul', 'The display\'s id followed by a non-NUL byte in the padding: all 32 bytes are compared.', fullTransfer(B, 6, { displayId: Buffer.concat([Buffer.from(ID), Buffer.from([0, 0x41])]) }).chunks);
    const small = makeFrame(64, 8, [(A.planes[0] as Uint8Array).subarray(0, 64)]);
    add('bad-size', 'panel-height', 'A 64×8 frame for a 64×16 panel.', fullTransfer(small, 6).chunks);
    add('bad-size', 'planes', 'A two-plane frame for a one-plane panel.', fullTransfer(R1, 6).chunks);
    add('bad-size', 'region-outside', 'A delta whose region reaches beyond the right edge (x 6 + width 3 > 8 bytes).', delta6({ region: { x0: 6, w: 3, y0: 11, h: 2 } }));
    add('bad-size', 'region-empty', 'A delta whose region has height 0.', delta6({ region: { x0: 3, w: 3, y0: 11, h: 0 } }));
    add('bad-size', 'full-not-whole', 'A full frame whose region is not the whole frame.', fullTransfer(B, 6, { region: { x0: 0, w: 8, y0: 0, h: 15 } }, { payload: pay }).chunks);
    add('bad-size', 'before-stale-seq', 'Precedence: a 64×8 frame under an old number: bad-size (check 9) comes before stale-seq (check 10).', fullTransfer(small, 3).chunks, { seq: 3 });
  }
  // 10–11 — sequence before base
  {
    add('stale-seq', 'lower', 'Seq 4 when lastSeq is 5: a replay.', fullTransfer(B, 4).chunks, { seq: 4 });
    add('stale-seq', 'equal-other-frame', 'Seq 5 (= lastSeq) but a frame other than the one on screen: not a retransmission.', fullTransfer(B, 5).chunks, { seq: 5 });
    const old = xorTransfer(B, A, region(), 6).chunks;
    add('stale-seq', 'old-delta', 'An old delta A→B (seq 6) arriving when the display shows C with lastSeq 7: stale-seq — the number is checked before the base (not base-mismatch).', old, { before: showing(C, 7) });
    add('stale-seq', 'zero', 'Seq 0 to a factory-new display: 0 is never sent.', fullTransfer(B, 0).chunks, { before: fresh(), seq: 0 });
    add('stale-seq', 'after-power-loss', 'After a power loss between persisting lastSeq 6 and showing B, the display shows A with lastSeq 6: a replay of transfer 6 is stale-seq (its frame is not on screen).', fullTransfer(B, 6).chunks, { before: showing(A, 6) });
    add('base-mismatch', 'other-base', 'A delta C→B (base C) when the display shows A.', xorTransfer(B, C, region(), 6).chunks);
    add('base-mismatch', 'nothing-shown', 'A delta to a factory-new display (nothing on screen).', delta6(), { before: fresh() });
  }
  // 12–16 — end of transfer
  {
    const pay = deflate4k(regionBytes(B, wholeFrame(64, 16)));
    const long = fullTransfer(B, 6, { payloadLength: pay.length + 3 }, { payload: pay });
    add('truncated', 'payload', 'The header announces 3 payload bytes more than the chunks carry.', long.chunks);
    const hdrOnly = fullTransfer(B, 6).chunks;
    const partial = Buffer.concat(hdrOnly.map((x) => x.subarray(10, x.length - 4))).subarray(0, 80);
    add('truncated', 'header', 'One chunk (count 1) with only 80 bytes of the header.', chunked(6, partial, 128));
    const short = fullTransfer(B, 6, { payloadLength: pay.length - 2 }, { payload: pay });
    add('bad-size', 'more-data', 'The chunks carry 2 payload bytes more than the header announces.', short.chunks);
    const invalid = Buffer.from([0x07, 0x00, 0x11, 0x22]); // BFINAL 1, BTYPE 11 (reserved)
    add('inflate', 'invalid-block-type', 'A payload beginning with a reserved block type (BTYPE 11); signed.', fullTransfer(B, 6, { payloadLength: invalid.length }, { payload: invalid }).chunks);
    const trailing = Buffer.concat([pay, Buffer.from([0, 0])]);
    add('inflate', 'trailing-bytes', 'A valid deflate stream followed by 2 more bytes (counted in the payload length); signed.', fullTransfer(B, 6, { payloadLength: trailing.length }, { payload: trailing }).chunks);
    const unfinished = deflateRawSync(regionBytes(B, wholeFrame(64, 16)), { windowBits: 12, level: 9, finishFlush: 2 /* Z_SYNC_FLUSH: no final block */ });
    add('inflate', 'no-final-block', 'A deflate stream that never reaches its final block; signed.', fullTransfer(B, 6, { payloadLength: unfinished.length }, { payload: unfinished }).chunks);
    const tooFar = matchFirst();
    add('inflate', 'distance-too-far', 'A fixed-Huffman block starting with a back-reference: before the start of the data; signed.', fullTransfer(B, 6, { payloadLength: tooFar.length }, { payload: tooFar }).chunks);
    add('inflate', 'before-truncated', 'Precedence the other way: an invalid payload that is also 3 bytes short of its announced length: truncated (check 12) comes before inflate (check 13).', fullTransfer(B, 6, { payloadLength: invalid.length + 3 }, { payload: invalid }).chunks, { results: [nak(6, 'truncated')] });
    add('bad-hmac', 'wrong-key', 'A transfer tagged with another key (a forgery).', fullTransfer(B, 6, {}, { key: OTHER_KEY }).chunks);
    const tagged = fullTransfer(B, 6);
    const s = Buffer.concat(tagged.chunks.map((x) => x.subarray(10, x.length - 4)));
    s[100] = (s[100] ?? 0) ^ 0x01;
    s.writeUInt32BE(crc32(s.subarray(0, 112)) >>> 0, 112);
    add('bad-hmac', 'tag-bit', 'One bit of the header\'s tag flipped (header CRC recomputed).', chunked(6, s, 64));
    add('inflate', 'before-bad-hmac', 'Precedence: an invalid payload under the wrong key: inflate (check 13) comes before the tag (check 14).', fullTransfer(B, 6, { payloadLength: invalid.length }, { payload: invalid, key: OTHER_KEY }).chunks, { results: [nak(6, 'inflate')] });
    const shortPay = deflate4k(regionBytes(B, wholeFrame(64, 16)).subarray(0, 100));
    add('bad-size', 'decoded-short', 'The payload inflates to 100 bytes; the region is 128; signed.', fullTransfer(B, 6, { payloadLength: shortPay.length }, { payload: shortPay }).chunks);
    const longPay = deflate4k(Buffer.concat([regionBytes(B, wholeFrame(64, 16)), Buffer.alloc(40)]));
    add('bad-size', 'decoded-long', 'The payload inflates to 40 bytes more than the region; signed. The extra bytes are discarded, never written outside the region.', fullTransfer(B, 6, { payloadLength: longPay.length }, { payload: longPay }).chunks);
    add('bad-hmac', 'before-decoded-size', 'Precedence: a payload inflating to too few bytes under the wrong key: bad-hmac (check 14) comes before the decoded size (check 15).', fullTransfer(B, 6, { payloadLength: shortPay.length }, { payload: shortPay, key: OTHER_KEY }).chunks);
    add('bad-hash', 'frame-hash', 'The header\'s frame hash is not the decoded frame\'s; signed.', fullTransfer(B, 6, { frameHash: C.hash }).chunks);
    add('bad-hash', 'delta-wrong-result', 'A delta whose result is not the frame its header names (the XOR bytes of another edit); signed.', xorTransfer(B, A, region(), 6, {}, { payload: deflate4k(regionBytes(C, region(), A)) }).chunks);
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------------------------
// Device messages, control messages, MQTT passwords

function deviceMessages() {
  const hash = (f: Frame) => f.hash;
  const bodies: { name: string; leaf: AuthenticatedLeaf; ctr: number; body: Record<string, unknown> }[] = [
    {
      name: 'hello',
      leaf: 'hello',
      ctr: 257,
      body: { id: ID, protocol: 1, minor: 1, firmware: 'wegweiser-vectors 1.1', panel: 'epd-7in5-bw', width: 800, height: 480, maxChunk: 4096, shownHash: hash(A), scheduledHash: null, lastSeq: 5, batteryMv: 2950 },
    },
    {
      name: 'hello-factory-new',
      leaf: 'hello',
      ctr: 1,
      body: { id: ID, protocol: 1, minor: 1, firmware: 'wegweiser-vectors 1.1', panel: 'epd-7in5-bwr', width: 800, height: 480, maxChunk: 128, shownHash: null, scheduledHash: null, lastSeq: null, batteryMv: 3010 },
    },
    {
      name: 'checkin',
      leaf: 'checkin',
      ctr: 258,
      body: { shownHash: hash(A), scheduledHash: hash(C), lastSeq: 6, batteryMv: 2950, rssi: -61, temperatureC: 21.5, wakeReason: 'timer', listenMs: 2000, sleepSeconds: 600, time: NOW * 1000 + 123 },
    },
    { name: 'telemetry', leaf: 'telemetry', ctr: 259, body: { batteryMv: 2948, rssi: -70, temperatureC: -3.5 } },
    { name: 'telemetry-integer-temperature', leaf: 'telemetry', ctr: 260, body: { batteryMv: 2948, rssi: -70, temperatureC: 21 } },
    { name: 'ack', leaf: 'ack', ctr: 261, body: { seq: 6, hash: hash(B), activateAt: 0 } },
    { name: 'ack-held', leaf: 'ack', ctr: 262, body: { seq: 7, hash: hash(C), activateAt: NOW + 3600 } },
    { name: 'nak', leaf: 'nak', ctr: 263, body: { seq: 6, reason: 'bad-crc', detail: 'chunk CRC-32 mismatch', lastSeq: 5 } },
    { name: 'nak-no-seq', leaf: 'nak', ctr: 4294967295, body: { seq: null, reason: 'bad-crc', detail: 'chunk CRC-32 mismatch', lastSeq: null } },
  ];
  const signed = bodies.map((b) => {
    const payload = signDeviceMessage(b.leaf, b.body, b.ctr, KEY);
    const zeroed = Buffer.from(payload);
    zeroed.write('0'.repeat(32), zeroed.length - 34, 'ascii');
    return {
      name: b.name,
      leaf: b.leaf,
      fields: b.body,
      ctr: b.ctr,
      zeroed: zeroed.toString('utf8'),
      hmacInputHex: hex(Buffer.concat([Buffer.from('WGM1'), Buffer.from(b.leaf), Buffer.of(0), zeroed])),
      payload: payload.toString('utf8'),
      payloadHex: hex(payload),
      tag: payload.subarray(payload.length - 34, payload.length - 2).toString('ascii'),
      expect: 'tagged' as const,
    };
  });
  const ack = signed.find((s) => s.name === 'ack') as (typeof signed)[number];
  const ackBytes = Buffer.from(ack.payload);
  const variants: { name: string; leaf: AuthenticatedLeaf; payload: Buffer; expect: 'tagged' | 'untagged' | 'bad-tag'; description: string }[] = [];
  const flip = Buffer.from(ackBytes);
  const i = flip.length - 10;
  flip[i] = flip[i] === 0x30 ? 0x31 : 0x30;
  variants.push({ name: 'tag-digit-changed', leaf: 'ack', payload: flip, expect: 'bad-tag', description: 'One digit of the tag changed.' });
  const edited = Buffer.from(ack.payload.replace('"activateAt":0', '"activateAt":1'));
  variants.push({ name: 'member-changed', leaf: 'ack', payload: edited, expect: 'bad-tag', description: 'activateAt changed after signing, tag kept.' });
  variants.push({ name: 'other-leaf', leaf: 'nak', payload: ackBytes, expect: 'bad-tag', description: 'A genuine ack published on the nak topic: the leaf is part of the MAC.' });
  variants.push({ name: 'other-key', leaf: 'ack', payload: signDeviceMessage('ack', { seq: 6, hash: B.hash, activateAt: 0 }, 261, OTHER_KEY), expect: 'bad-tag', description: 'Signed with a key that is not the display\'s.' });
  variants.push({ name: 'untagged', leaf: 'ack', payload: Buffer.from(JSON.stringify({ seq: 6, hash: B.hash, activateAt: 0 })), expect: 'untagged', description: 'A v1.0 ack: no ctr, no tag.' });
  variants.push({ name: 'tag-not-last', leaf: 'ack', payload: Buffer.from(`{"seq":6,"hash":"${B.hash}","tag":"${ack.tag}","activateAt":0,"ctr":261}`), expect: 'untagged', description: 'The tag is not the last member: not a tagged message.' });
  variants.push({ name: 'trailing-newline', leaf: 'ack', payload: Buffer.concat([ackBytes, Buffer.from('\n')]), expect: 'untagged', description: 'Whitespace after the closing brace: not a tagged message.' });
  variants.push({ name: 'uppercase-tag', leaf: 'ack', payload: Buffer.from(ack.payload.replace(ack.tag, ack.tag.toUpperCase())), expect: ack.tag === ack.tag.toUpperCase() ? 'tagged' : 'untagged', description: 'The tag in uppercase hex: the tag is lowercase, so this is not a tagged message.' });
  for (const v of variants) assert(checkDeviceMessageTag(v.leaf, v.payload, KEY).kind === v.expect, `device message ${v.name}`);
  const messages = (...names: string[]) => names.map((n) => signed.find((s) => s.name === n)?.payload as string);
  return {
    description:
      'Device messages (display → controller) with their counter and tag: tag = HMAC-SHA256(frame key, "WGM1" ‖ leaf ‖ 0x00 ‖ payload with the 32 tag digits as "0")[0..16], lowercase hex, the last member. `zeroed` is the payload as MACed; `hmacInputHex` the whole MAC input. `fields` are the members before ctr and tag, in order (compact JSON as JSON.stringify writes it). `refused` are payloads the controller must not accept as tagged: "bad-tag" (refused as forged-message) or "untagged" (a v1.0 message). `counter` is a sequence of genuine messages of one display and the controller\'s verdict on each.',
    secret: hex(KEY),
    displayId: ID,
    messages: signed,
    refused: variants.map((v) => ({ name: v.name, description: v.description, leaf: v.leaf, payload: v.payload.toString('utf8'), payloadHex: hex(v.payload), expect: v.expect })),
    counter: {
      description: 'A controller that accepted nothing from this display yet (or was reset) receives these genuine messages in order: accepted, replayed (ctr not above the highest accepted: fault replayed-message) or duplicate (an exact copy of a recently accepted message: dropped silently, no fault).',
      steps: [
        { leaf: 'telemetry', payload: messages('telemetry')[0], expect: 'accepted' },
        { leaf: 'ack', payload: messages('ack')[0], expect: 'accepted' },
        { leaf: 'ack', payload: messages('ack')[0], expect: 'duplicate' },
        { leaf: 'checkin', payload: messages('checkin')[0], expect: 'replayed' },
        { leaf: 'hello', payload: messages('hello')[0], expect: 'replayed' },
        { leaf: 'ack', payload: messages('ack-held')[0], expect: 'accepted' },
        { leaf: 'nak', payload: messages('nak')[0], expect: 'accepted' },
        { leaf: 'telemetry', payload: messages('telemetry')[0], expect: 'duplicate' },
      ],
    },
  };
}

function controlMessages() {
  const time = NOW * 1000 + 5_000;
  const echo = NOW * 1000 + 4_600;
  const base = { time, checkInSeconds: 600, echo };
  const msg = encodeControl(base, KEY);
  const wrongKey = encodeControl(base, OTHER_KEY);
  const badMagic = Buffer.from(msg);
  badMagic.write('WGCX', 0, 'latin1');
  return {
    description:
      'Control messages (controller → display, 40 bytes): magic WGC1, controller time (unix ms, 8 B), check-in interval (s, 4 B), echo of the check-in\'s time (8 B), tag = HMAC-SHA256(frame key, bytes 0–23)[0..16]. `display` is the display\'s state when it arrives: the `time` of its latest check-in and its clock now (unix ms). Accepted: its clock becomes controller time + round trip / 2, where round trip = now − echo.',
    secret: hex(KEY),
    cases: [
      { name: 'accepted', message: hex(msg), fields: base, display: { lastCheckInTime: echo, nowMs: echo + 400 }, expect: { accepted: true, clockAfterMs: time + 200, checkInSeconds: 600 } },
      { name: 'always-listening', message: hex(encodeControl({ ...base, checkInSeconds: 0 }, KEY)), fields: { ...base, checkInSeconds: 0 }, display: { lastCheckInTime: echo, nowMs: echo + 1000 }, expect: { accepted: true, clockAfterMs: time + 500, checkInSeconds: 0 } },
      { name: 'round-trip-30s', message: hex(msg), fields: base, display: { lastCheckInTime: echo, nowMs: echo + 30_000 }, expect: { accepted: true, clockAfterMs: time + 15_000, checkInSeconds: 600 } },
      { name: 'too-late', message: hex(msg), fields: base, display: { lastCheckInTime: echo, nowMs: echo + 30_001 }, expect: { accepted: false } },
      { name: 'clock-went-back', message: hex(msg), fields: base, display: { lastCheckInTime: echo, nowMs: echo - 1 }, expect: { accepted: false } },
      { name: 'answers-another-check-in', message: hex(msg), fields: base, display: { lastCheckInTime: echo + 1, nowMs: echo + 400 }, expect: { accepted: false } },
      { name: 'wrong-key', message: hex(wrongKey), fields: base, display: { lastCheckInTime: echo, nowMs: echo + 400 }, expect: { accepted: false } },
      { name: 'bad-magic', message: hex(badMagic), fields: base, display: { lastCheckInTime: echo, nowMs: echo + 400 }, expect: { accepted: false } },
      { name: 'short', message: hex(msg.subarray(0, 39)), fields: base, display: { lastCheckInTime: echo, nowMs: echo + 400 }, expect: { accepted: false } },
    ],
  };
}

function mqttPasswords() {
  const keys = [KEY, Buffer.alloc(32, 0), createHash('sha256').update('wegweiser vectors: a third key').digest()];
  return {
    description: 'A display\'s broker password: base64url without padding (43 characters) of HMAC-SHA256(frame key, ASCII "wegweiser mqtt password v1"). The user name and client id are the display id.',
    cases: keys.map((k) => ({ secret: hex(k), password: deriveMqttPassword(k), hmacHex: createHmac('sha256', k).update('wegweiser mqtt password v1').digest('hex') })),
  };
}

// ---------------------------------------------------------------------------------------------------------------

const transferDoc = (description: string, cases: TransferCase[]) => ({
  description,
  format:
    'Each case: the display (id, panel, maxChunk), its frame key (secret), its state before (lastSeq — 0 = none —, the frame on screen, the held frame, its clock `now` in unix seconds), the chunks as they arrive (hex, in order; `chunkTimesMs`: the display clock at each, else now), and what it must answer: every ack/nak in order (`results`), and its state after. `encoder`: the inputs from which the controller\'s encoder produces exactly these chunks. Frames are {hash: full SHA-256, planes: hex}.',
  cases,
});

async function main(): Promise<void> {
  const files: Record<string, unknown> = {
    'transfers.json': transferDoc('Transfers a display accepts (ack), retransmissions (rule R), the chunk order rules, and chunks it drops silently.', transfers()),
    'naks.json': transferDoc('One refused transfer per nak reason (and several per check), each failing exactly the check it is named after: `reason` is the expected nak reason. Cases named "before-…" pin the precedence between two failing checks. A refused transfer changes nothing (state after = state before).', naks()),
    'device-messages.json': deviceMessages(),
    'control.json': controlMessages(),
    'mqtt-password.json': mqttPasswords(),
  };
  const reasons = new Set((files['naks.json'] as { cases: TransferCase[] }).cases.map((c) => c.reason));
  for (const r of ['bad-crc', 'missing-chunk', 'bad-magic', 'bad-version', 'bad-encoding', 'wrong-display', 'bad-size', 'stale-seq', 'base-mismatch', 'truncated', 'inflate', 'bad-hmac', 'bad-hash']) assert(reasons.has(r), `no case for ${r}`);
  await mkdir(OUT, { recursive: true });
  let differ = false;
  for (const [name, doc] of Object.entries(files)) {
    const file = path.join(OUT, name);
    const text = `${JSON.stringify(doc, null, 1)}\n`;
    if (check) {
      const old = await readFile(file, 'utf8').catch(() => '');
      if (old !== text) {
        differ = true;
        console.error(`${file}: differs from what the generator makes`);
      }
    } else await writeFile(file, text);
  }
  if (differ) process.exit(1);
  if (!check) console.log(`wrote ${Object.keys(files).length} files to ${OUT}`);
}

await main();
