// The display's own logic, transport-agnostic: receive transfer chunks, verify, keep the framebuffer, answer ack
// or nak, and switch to a scheduled frame on its own clock. A frame that fails any check is never shown.
import { PROTOCOL_VERSION, type Ack, type CheckIn, type Hello, type Nak } from '../controller/protocol/topics.js';
import { CONTROL_MAX_RTT_MS, decodeControl } from '../controller/protocol/control.js';
import { systemClock, type Clock } from '../controller/clock.js';
import { frameToPng, type Frame } from '../renderer/frame.js';
import type { PanelProfile } from '../renderer/panels.js';
import { TransferDecoder } from './decoder.js';
import { needsBase } from '../controller/protocol/frame-v1.js';

export const SIM_FIRMWARE = 'wegweiser-sim 0.2.0';

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

export type FrameOutcome = { type: 'ack'; ack: Ack; changed: boolean } | { type: 'nak'; nak: Nak };

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
}

export class SimDevice {
  /** what the panel shows; survives power loss (e-paper keeps its image, and the panel its frame memory) */
  framebuffer: Frame | null = null;
  /** a verified frame waiting for its activate-at time (RAM: lost on power loss) */
  scheduled: { frame: Frame; seq: number; activateAt: number } | null = null;
  /** persisted in the display's flash, like the framebuffer */
  lastSeq: number | null = null;
  readonly displayed: DisplayedRecord[] = [];
  readonly refused: RefusedRecord[] = [];
  /** transfers begun (first chunks seen) */
  framesReceived = 0;
  chunksReceived = 0;
  partialsSinceFull = 0;
  batteryMv: number;
  readonly decoder: TransferDecoder;
  readonly id: string;
  readonly panel: PanelProfile;
  private readonly secret: Buffer;
  readonly clock: Clock;
  private readonly driftPpm: number;
  private readonly startedAt: number;
  private clockOffsetMs: number;
  /** the `time` of its latest check-in: the only one a control message may answer */
  private lastCheckInTime: number | null = null;
  private activation: { cancel(): void } | null = null;
  private readonly onShow: (hash: string) => void;
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
    this.decoder = new TransferDecoder(() => ({
      id: this.id,
      width: this.panel.width,
      height: this.panel.height,
      planes: this.panel.colors === 'bwr' ? 2 : 1,
      secret: this.secret,
      shown: this.framebuffer,
      lastSeq: this.lastSeq,
    }));
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

  hello(): Hello {
    return {
      id: this.id,
      protocol: PROTOCOL_VERSION,
      firmware: SIM_FIRMWARE,
      panel: this.panel.id,
      width: this.panel.width,
      height: this.panel.height,
      shownHash: this.framebuffer?.hash ?? null,
      scheduledHash: this.scheduled?.frame.hash ?? null,
      lastSeq: this.lastSeq,
      batteryMv: this.batteryMv,
    };
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
    if (r.type === 'duplicate') {
      // A retransmission of what is already shown (its ack was lost): answer again, change nothing.
      return { type: 'ack', ack: { seq: h.seq, hash: r.hash, activateAt: 0 }, changed: false };
    }
    this.lastSeq = h.seq;
    if (h.activateAt * 1000 > at) {
      this.scheduled = { frame: r.frame, seq: h.seq, activateAt: h.activateAt };
      this.armActivation();
      return { type: 'ack', ack: { seq: h.seq, hash: r.frame.hash, activateAt: h.activateAt }, changed: false };
    }
    this.scheduled = null;
    this.activation?.cancel();
    this.activation = null;
    const changed = this.show(r.frame, h.seq, r.fullRefresh || !needsBase(h.encoding));
    return { type: 'ack', ack: { seq: h.seq, hash: r.frame.hash, activateAt: 0 }, changed };
  }

  private show(frame: Frame, seq: number, full: boolean): boolean {
    const changed = this.framebuffer?.hash !== frame.hash;
    this.framebuffer = frame;
    this.partialsSinceFull = full ? 0 : this.partialsSinceFull + 1;
    this.displayed.push({ seq, hash: frame.hash, at: this.now(), refresh: full ? 'full' : 'partial' });
    return changed;
  }

  /** The display's timer: shows a scheduled frame once its time has come. Returns whether the screen changed. */
  tick(): boolean {
    const s = this.scheduled;
    if (!s || s.activateAt * 1000 > this.now()) return false;
    this.scheduled = null;
    return this.show(s.frame, s.seq, true);
  }

  /** Power loss: RAM (transfer in progress, scheduled frame) is gone; the e-paper image and flash remain. */
  powerLoss(): void {
    this.decoder.reset();
    this.scheduled = null;
    this.activation?.cancel();
    this.activation = null;
  }

  /** What a sleepy display reports each time it wakes. */
  checkIn(wakeReason: CheckIn['wakeReason'], listenMs: number, sleepSeconds: number): CheckIn {
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
