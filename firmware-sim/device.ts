// The display's own logic, transport-agnostic, as docs/protocol.md v1.1 prescribes: receive transfer chunks, verify
// (decoder.ts), persist the sequence number before showing, keep the framebuffer and a held frame, answer ack or
// nak — again, unchanged, for a retransmission (rule R) — sign every device message (counter + tag), and switch to a
// held frame on its own clock. A frame that fails any check is never shown. What survives power loss ("flash") goes
// through a SimStateStore: lastSeq, the frame on screen, the held frame, the message-counter reservation.
import { PROTOCOL_MINOR, PROTOCOL_VERSION, type Ack, type CheckIn, type Hello, type Nak, type Telemetry } from '../controller/protocol/topics.js';
import { CONTROL_MAX_RTT_MS, decodeControl } from '../controller/protocol/control.js';
import { CTR_MAX, signDeviceMessage, type AuthenticatedLeaf } from '../controller/protocol/device-message.js';
import { hashPrefix, needsBase } from '../controller/protocol/frame-v1.js';
import { systemClock, type Clock } from '../controller/clock.js';
import { frameToPng, type Frame } from '../renderer/frame.js';
import type { PanelProfile } from '../renderer/panels.js';
import { TransferDecoder } from './decoder.js';
import type { SimState, SimStateStore } from './state-file.js';

export const SIM_FIRMWARE = 'wegweiser-sim 0.3.0';
/** message counters are reserved in flash in blocks of this many (flash is not written per message) */
export const CTR_BLOCK = 256;
/** the chunk size the simulator accepts unless told otherwise (overhead included) */
export const SIM_MAX_CHUNK = 4096;

type Body<T> = Omit<T, 'ctr' | 'tag'>;
export type HelloBody = Body<Hello>;
export type AckBody = Body<Ack>;
export type NakBody = Body<Nak>;
export type CheckInBody = Body<CheckIn>;
export type TelemetryBody = Body<Telemetry>;

export interface DisplayedRecord {
  seq: number;
  hash: string;
  at: number;
  refresh: 'full' | 'partial';
}

export interface RefusedRecord {
  seq: number | null;
  reason: Nak['reason'];
  detail: string;
  at: number;
}

export type FrameOutcome =
  | { type: 'ack'; ack: AckBody; changed: boolean }
  | { type: 'nak'; nak: NakBody }
  /** the power failed after lastSeq was persisted and before the frame was shown (a simulated fault): it rebooted */
  | { type: 'power-loss' };

export interface SimDeviceOptions {
  id: string;
  panel: PanelProfile;
  secret: Buffer;
  /** the time base the display's own clock runs on (tests inject a simulated one) */
  clock?: Clock;
  /** how fast the display's clock runs wrong, in parts per million (+ = fast) */
  driftPpm?: number;
  /** its clock's error at start, ms */
  clockOffsetMs?: number;
  batteryMv?: number;
  /** called whenever the screen changes (a frame shown now, or a scheduled one at its time) */
  onShow?: (hash: string) => void;
  /** its flash; without one the state lives in this object (it survives powerLoss(), not a new SimDevice) */
  state?: SimStateStore;
  /** 1 (default): v1.1, every device message tagged; 0: a v1.0 display (untagged messages, no maxChunk) */
  protocolMinor?: 0 | 1;
  /** the largest chunk it accepts, overhead included (default 4096) */
  maxChunk?: number;
}

export class SimDevice {
  /** what the panel shows; survives power loss (e-paper keeps its image, and the flash its hash and copy) */
  framebuffer: Frame | null = null;
  /** a verified frame waiting for its activate-at time; in flash, so it survives power loss */
  scheduled: { frame: Frame; seq: number; activateAt: number } | null = null;
  /** the last accepted sequence number (null: none), in flash — persisted before a frame is shown */
  lastSeq: number | null = null;
  /** flash: the highest message counter it may use before reserving the next block */
  ctrReserved = 0;
  /** RAM: the last counter used (after a reboot: the reservation, so numbers are never reused) */
  private lastCtr = 0;
  readonly displayed: DisplayedRecord[] = [];
  readonly refused: RefusedRecord[] = [];
  /** transfers begun (first chunks seen) */
  framesReceived = 0;
  chunksReceived = 0;
  /** acks sent again for a retransmission (rule R) */
  reacks = 0;
  /** flash writes (state saves) */
  stateWrites = 0;
  partialsSinceFull = 0;
  batteryMv: number;
  readonly decoder: TransferDecoder;
  readonly id: string;
  readonly panel: PanelProfile;
  readonly protocolMinor: 0 | 1;
  readonly maxChunk: number;
  private readonly secret: Buffer;
  readonly clock: Clock;
  private readonly driftPpm: number;
  private readonly startedAt: number;
  private clockOffsetMs: number;
  /** the `time` of its latest check-in: the only one a control message may answer */
  private lastCheckInTime: number | null = null;
  private activation: { cancel(): void } | null = null;
  private readonly onShow: (hash: string) => void;
  private readonly store: SimStateStore | null;
  /** signing (and the counter reservation it may need) happens one message at a time */
  private signing: Promise<unknown> = Promise.resolve();
  /** a one-shot fault: the next accepted frame loses power between persisting lastSeq and showing */
  private powerFailBeforeShow = false;
  /** check-in interval set by the controller (seconds; 0 = always listening) */
  checkInSeconds: number | null = null;

  constructor(opts: SimDeviceOptions) {
    this.id = opts.id;
    this.panel = opts.panel;
    this.secret = opts.secret;
    this.clock = opts.clock ?? systemClock;
    this.driftPpm = opts.driftPpm ?? 0;
    this.clockOffsetMs = opts.clockOffsetMs ?? 0;
    this.startedAt = this.clock.now();
    this.onShow = opts.onShow ?? (() => undefined);
    this.batteryMv = opts.batteryMv ?? 2950;
    this.store = opts.state ?? null;
    this.protocolMinor = opts.protocolMinor ?? PROTOCOL_MINOR;
    this.maxChunk = opts.maxChunk ?? SIM_MAX_CHUNK;
    this.decoder = new TransferDecoder(() => ({
      id: this.id,
      width: this.panel.width,
      height: this.panel.height,
      planes: this.panel.colors === 'bwr' ? 2 : 1,
      secret: this.secret,
      shown: this.framebuffer,
      heldHash: this.scheduled?.frame.hash ?? null,
      lastSeq: this.lastSeq ?? 0,
      maxChunk: this.maxChunk,
      now: this.now(),
    }));
  }

  /** Boots from its flash (the state store), as after power-on. */
  async restore(): Promise<void> {
    const s = await this.store?.load();
    if (s) {
      this.lastSeq = s.lastSeq;
      this.framebuffer = s.shown;
      this.scheduled = s.held;
      this.ctrReserved = s.ctrReserved;
    }
    this.boot();
  }

  private boot(): void {
    this.lastCtr = this.ctrReserved; // counters up to the reservation may have been used before
    this.armActivation();
  }

  private snapshot(): SimState {
    return { lastSeq: this.lastSeq, shown: this.framebuffer, held: this.scheduled, ctrReserved: this.ctrReserved };
  }

  private async persist(): Promise<void> {
    this.stateWrites++;
    await this.store?.save(this.snapshot());
  }

  /** The display's own clock (ms): the time base plus its offset and drift. */
  now(): number {
    const t = this.clock.now();
    return t + this.clockOffsetMs + ((t - this.startedAt) * this.driftPpm) / 1e6;
  }

  /**
   * Applies an authenticated control message answering its latest check-in: sets the clock (NTP-style: the
   * controller's time plus half the round trip) and the check-in interval. Anything else is refused.
   */
  applyControl(msg: Buffer): boolean {
    const c = decodeControl(msg, this.secret);
    if (!c.ok || this.lastCheckInTime === null || c.control.echo !== this.lastCheckInTime) return false;
    const rtt = this.now() - c.control.echo;
    if (rtt < 0 || rtt > CONTROL_MAX_RTT_MS) return false;
    this.lastCheckInTime = null; // one answer per check-in
    this.clockOffsetMs += c.control.time + rtt / 2 - this.now();
    this.checkInSeconds = c.control.checkInSeconds;
    this.armActivation();
    return true;
  }

  /** Real time from now until the display's own clock reads `deviceMs` (rounded up: a timer never fires early). */
  private realDelayUntil(deviceMs: number): number {
    return Math.max(0, Math.ceil((deviceMs - this.now()) / (1 + this.driftPpm / 1e6)));
  }

  private armActivation(): void {
    this.activation?.cancel();
    this.activation = null;
    const s = this.scheduled;
    if (!s) return;
    this.activation = this.clock.setTimeout(() => {
      this.activation = null;
      if (this.tick()) this.onShow(s.frame.hash);
      else if (this.scheduled) this.armActivation(); // not yet by its own clock (corrected meanwhile): wait on
    }, Math.max(1, this.realDelayUntil(s.activateAt * 1000)));
  }

  /** The hello body (v1.1: with `minor` and `maxChunk`), members in the order of docs/protocol.md. */
  hello(): HelloBody {
    return {
      id: this.id,
      protocol: PROTOCOL_VERSION,
      ...(this.protocolMinor > 0 ? { minor: this.protocolMinor } : {}),
      firmware: SIM_FIRMWARE,
      panel: this.panel.id,
      width: this.panel.width,
      height: this.panel.height,
      ...(this.protocolMinor > 0 ? { maxChunk: this.maxChunk } : {}),
      shownHash: this.framebuffer?.hash ?? null,
      scheduledHash: this.scheduled?.frame.hash ?? null,
      lastSeq: this.lastSeq,
      batteryMv: this.batteryMv,
    };
  }

  /**
   * A device message as it goes on the wire: v1.1 — the body, its counter and its tag (the counter reserved in flash
   * in blocks before use); v1.0 — plain JSON. Null when the counter is used up (nothing authenticated can be sent).
   */
  message(leaf: AuthenticatedLeaf, body: object): Promise<Buffer | null> {
    const next = this.signing.then(async () => {
      if (this.protocolMinor === 0) return Buffer.from(JSON.stringify(body));
      if (this.lastCtr >= CTR_MAX) return null;
      const ctr = this.lastCtr + 1;
      if (ctr > this.ctrReserved) {
        this.ctrReserved = Math.min(CTR_MAX, ctr + CTR_BLOCK - 1);
        await this.persist();
      }
      this.lastCtr = ctr;
      return signDeviceMessage(leaf, body, ctr, this.secret);
    });
    this.signing = next.catch(() => undefined);
    return next;
  }

  /** Arms the power-loss fault: the next accepted frame persists its lastSeq, then the power fails before it shows. */
  failPowerBeforeShow(): void {
    this.powerFailBeforeShow = true;
  }

  async receive(chunk: Buffer): Promise<FrameOutcome | null> {
    this.chunksReceived++;
    if (chunk.length >= 6 && chunk.readUInt16BE(4) === 0) this.framesReceived++;
    const r = await this.decoder.feed(chunk);
    if (!r) return null;
    const at = this.now();
    if (r.type === 'nak') {
      this.refused.push({ seq: r.seq, reason: r.reason, detail: r.detail, at });
      return { type: 'nak', nak: { seq: r.seq, reason: r.reason, detail: r.detail, lastSeq: this.lastSeq } };
    }
    const h = r.header;
    if (r.type === 'retransmission') {
      // Rule R: its ack was lost. Answer again with the state now; nothing is shown or stored again.
      this.reacks++;
      const shown = this.framebuffer;
      if (shown && hashPrefix(shown.hash) === h.frameHashPrefix) return { type: 'ack', ack: { seq: h.seq, hash: shown.hash, activateAt: 0 }, changed: false };
      const held = this.scheduled;
      if (held && hashPrefix(held.frame.hash) === h.frameHashPrefix) return { type: 'ack', ack: { seq: h.seq, hash: held.frame.hash, activateAt: held.activateAt }, changed: false };
      // (unreachable: the decoder recognised it by one of the two, and nothing ran in between)
      return { type: 'nak', nak: { seq: h.seq, reason: 'stale-seq', detail: 'the frame it repeats is gone', lastSeq: this.lastSeq } };
    }
    // The sequence number reaches flash before the frame is shown or held, and before the ack.
    this.lastSeq = h.seq;
    await this.persist();
    if (this.powerFailBeforeShow) {
      this.powerFailBeforeShow = false;
      this.powerLoss();
      return { type: 'power-loss' };
    }
    if (h.activateAt * 1000 > at) {
      this.scheduled = { frame: r.frame, seq: h.seq, activateAt: h.activateAt };
      await this.persist();
      this.armActivation();
      return { type: 'ack', ack: { seq: h.seq, hash: r.frame.hash, activateAt: h.activateAt }, changed: false };
    }
    this.scheduled = null;
    this.activation?.cancel();
    this.activation = null;
    const changed = this.show(r.frame, h.seq, r.fullRefresh || !needsBase(h.encoding));
    await this.persist();
    return { type: 'ack', ack: { seq: h.seq, hash: r.frame.hash, activateAt: 0 }, changed };
  }

  private show(frame: Frame, seq: number, full: boolean): boolean {
    const changed = this.framebuffer?.hash !== frame.hash;
    this.framebuffer = frame;
    this.partialsSinceFull = full ? 0 : this.partialsSinceFull + 1;
    this.displayed.push({ seq, hash: frame.hash, at: this.now(), refresh: full ? 'full' : 'partial' });
    return changed;
  }

  /** The display's timer: shows a held frame once its time has come. Returns whether the screen changed. */
  tick(): boolean {
    const s = this.scheduled;
    if (!s || s.activateAt * 1000 > this.now()) return false;
    this.scheduled = null;
    const changed = this.show(s.frame, s.seq, true);
    this.persist().catch(() => undefined); // the panel shows it either way; a lost write is corrected by the next hello
    return changed;
  }

  /**
   * Power loss and reboot: RAM is gone (a transfer in progress, the check-in a control message may answer, the
   * counter in use); the e-paper image and the flash remain — the held frame's timer is armed again from flash.
   */
  powerLoss(): void {
    this.decoder.reset();
    this.lastCheckInTime = null;
    this.activation?.cancel();
    this.activation = null;
    this.boot();
  }

  /** What a sleepy display reports each time it wakes. */
  checkIn(wakeReason: CheckIn['wakeReason'], listenMs: number, sleepSeconds: number): CheckInBody {
    return {
      shownHash: this.framebuffer?.hash ?? null,
      scheduledHash: this.scheduled?.frame.hash ?? null,
      lastSeq: this.lastSeq,
      batteryMv: this.batteryMv,
      rssi: -61,
      temperatureC: 21.5,
      wakeReason,
      listenMs,
      sleepSeconds,
      time: (this.lastCheckInTime = Math.round(this.now())),
    };
  }

  async screenshot(): Promise<Buffer | null> {
    return this.framebuffer ? frameToPng(this.framebuffer) : null;
  }
}
