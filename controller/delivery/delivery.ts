// Delivery: per display, the desired frame versus the frame the display confirmed it shows, and the work of
// closing that gap with the fewest bytes — a delta against the confirmed frame when smaller, one transfer in flight,
// ack timeout, retries with exponential backoff and jitter, a full frame when the display's base is not ours, and
// a resend after a reboot (hello).
import type { AppContext } from '../context.js';
import type { Ack, CheckIn, Hello, Nak, Telemetry } from '../protocol/topics.js';
import { encodeControl } from '../protocol/control.js';
import { encodeTransfer, Encoding, needsBase } from '../protocol/frame-v1.js';
import { nextLocalHour } from './local-time.js';
import type { DisplayEventHandler, FrameTransport } from '../gateways/transport.js';
import type { SecretStore } from '../store/secrets.js';
import type { FrameStore } from './frame-store.js';
import type { DeliveryRecords } from './records.js';
import type { Frame } from '../../renderer/frame.js';
import { panelById } from '../../renderer/panels.js';
import type { DisplayStatus } from './status.js';

interface InFlight {
  seq: number;
  hash: string;
  bytes: number;
  sentAt: number;
  /** shown with a full refresh (a full frame, or flagged) rather than a partial one */
  full: boolean;
  timer: { cancel(): void };
}

interface State {
  id: string;
  desired: { frame: Frame; warnings: string[] } | null;
  confirmedHash: string | null;
  confirmedAt: number | null;
  inflight: InFlight | null;
  /** a retry waiting for its backoff to pass */
  retryTimer: { cancel(): void } | null;
  attempts: number;
  failed: boolean;
  nextSeq: number;
  availability: DisplayStatus['availability'];
  lastSeen: number | null;
  lastError: string | null;
  firmware: string | null;
  batteryMv: number | null;
  bytesSent: number;
  /** the last transfer sent and not acknowledged: a retry of the same frame reuses its sequence number */
  unacked: { seq: number; hash: string } | null;
  /** the frame to show at a future moment (pre-rendered), and whether the display acknowledged holding it */
  scheduled: { frame: Frame; activateAt: number } | null;
  scheduledConfirmed: string | null;
  rssi: number | null;
  temperatureC: number | null;
  wakeReason: string | null;
  nextCheckInAt: number | null;
  /** partial refreshes since the last full one, and whether a full refresh is due (ghosting) */
  partialsSinceFull: number;
  needsFullRefresh: boolean;
}

export class Delivery implements DisplayEventHandler {
  private readonly states = new Map<string, State>();
  private transport: FrameTransport | null = null;
  private pruneTimer: { cancel(): void } | null = null;
  private refreshTimer: { cancel(): void } | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly secrets: SecretStore,
    private readonly frames: FrameStore,
    private readonly records: DeliveryRecords,
    private readonly random: () => number = Math.random,
  ) {}

  /** Restores every display's record and loads the confirmed frames (delta bases) from the frame store. */
  async load(): Promise<void> {
    for (const d of this.ctx.store.displays()) {
      const r = this.records.get(d.id);
      if (!r) continue;
      const s = this.state(d.id);
      if (!s) continue;
      s.confirmedHash = r.confirmedHash;
      s.confirmedAt = r.confirmedAt;
      s.nextSeq = r.nextSeq;
      s.lastSeen = r.lastSeen;
      s.firmware = r.firmware;
      s.batteryMv = r.batteryMv;
      s.partialsSinceFull = r.partialsSinceFull;
      if (r.confirmedHash && !(await this.frames.get(r.confirmedHash))) {
        this.ctx.log.debug({ display: d.id }, 'confirmed frame not in the frame store: the next transfer is a full frame');
      }
    }
    for (const id of Object.keys(this.records.all())) if (!this.ctx.store.displays().some((d) => d.id === id)) this.records.remove(id);
  }

  attach(transport: FrameTransport): void {
    this.transport = transport;
    for (const s of this.states.values()) this.pump(s);
  }

  private state(id: string): State | undefined {
    if (!this.ctx.store.hasDisplay(id)) {
      this.states.delete(id);
      return undefined;
    }
    let s = this.states.get(id);
    if (!s) {
      s = {
        id,
        desired: null,
        confirmedHash: null,
        confirmedAt: null,
        inflight: null,
        retryTimer: null,
        attempts: 0,
        failed: false,
        nextSeq: 1,
        // A display that sleeps is not sent anything until it reports in.
        availability: this.ctx.store.display(id).checkInSeconds ? 'asleep' : 'unknown',
        lastSeen: null,
        lastError: null,
        firmware: null,
        batteryMv: null,
        bytesSent: 0,
        unacked: null,
        scheduled: null,
        scheduledConfirmed: null,
        rssi: null,
        temperatureC: null,
        wakeReason: null,
        nextCheckInAt: null,
        partialsSinceFull: 0,
        needsFullRefresh: false,
      };
      this.states.set(id, s);
    }
    return s;
  }

  status(id: string): DisplayStatus {
    const s = this.state(id);
    const display = this.ctx.store.display(id);
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    const desiredHash = s?.desired?.frame.hash ?? null;
    return {
      id,
      roomId: display.roomId,
      availability: s?.availability ?? 'unknown',
      desiredHash,
      confirmedHash: s?.confirmedHash ?? null,
      confirmedAt: iso(s?.confirmedAt ?? null),
      inSync: desiredHash !== null && desiredHash === s?.confirmedHash && !s?.unacked,
      sending: s?.inflight != null,
      pendingBytes: s?.inflight?.bytes ?? 0,
      failed: s?.failed ?? false,
      attempts: s?.attempts ?? 0,
      lastError: s?.lastError ?? null,
      firmware: s?.firmware ?? null,
      batteryMv: s?.batteryMv ?? null,
      lastSeen: iso(s?.lastSeen ?? null),
      bytesSent: s?.bytesSent ?? 0,
      warnings: s?.desired?.warnings ?? [],
      checkInSeconds: display.checkInSeconds,
      nextCheckInAt: iso(s?.nextCheckInAt ?? null),
      rssi: s?.rssi ?? null,
      temperatureC: s?.temperatureC ?? null,
      wakeReason: s?.wakeReason ?? null,
      scheduledHash: s?.scheduled?.frame.hash ?? null,
      scheduledAt: iso(s?.scheduled?.activateAt ?? null),
      scheduledConfirmed: s?.scheduled !== null && s?.scheduled !== undefined && s.scheduledConfirmed === s.scheduled.frame.hash,
    };
  }

  allStatus(): DisplayStatus[] {
    return this.ctx.store.displays().map((d) => this.status(d.id));
  }

  desiredFrame(id: string): Frame | null {
    return this.states.get(id)?.desired?.frame ?? null;
  }

  private publish(s: State): void {
    this.records.set(s.id, {
      desiredHash: s.desired?.frame.hash ?? null,
      confirmedHash: s.confirmedHash,
      confirmedAt: s.confirmedAt,
      nextSeq: s.nextSeq,
      lastSeen: s.lastSeen,
      firmware: s.firmware,
      batteryMv: s.batteryMv,
      partialsSinceFull: s.partialsSinceFull,
    });
    this.ctx.bus.emit('display.status', this.status(s.id));
  }

  /** Soon (coalesced): drops stored frames no display desires or confirms any more. */
  private prune(): void {
    if (this.pruneTimer) return;
    this.pruneTimer = this.ctx.clock.setTimeout(() => {
      this.pruneTimer = null;
      const keep = new Set<string>();
      for (const s of this.states.values()) {
        if (s.desired) keep.add(s.desired.frame.hash);
        if (s.confirmedHash) keep.add(s.confirmedHash);
      }
      this.frames.retainOnly(keep).catch((err: Error) => this.ctx.log.warn({ err: err.message }, 'could not prune frame store'));
    }, 2000);
  }

  setDesired(id: string, frame: Frame, warnings: string[]): void {
    const s = this.state(id);
    if (!s) return;
    const same = s.desired?.frame.hash === frame.hash;
    s.desired = { frame, warnings };
    if (same) return;
    const now = this.ctx.clock.now();
    if (s.scheduled?.frame.hash === frame.hash && s.scheduledConfirmed === frame.hash && now >= s.scheduled.activateAt) {
      // The display held this frame and switched to it on its own clock: confirmed without sending anything.
      s.confirmedHash = frame.hash;
      s.confirmedAt = s.scheduled.activateAt;
      s.scheduled = null;
      s.scheduledConfirmed = null;
    } else if (s.scheduled && now >= s.scheduled.activateAt) {
      s.scheduled = null;
      s.scheduledConfirmed = null;
    }
    this.frames.put(frame).catch((err: Error) => this.ctx.log.error({ display: id, err: err.message }, 'could not store frame'));
    s.attempts = 0;
    s.failed = false;
    s.retryTimer?.cancel();
    s.retryTimer = null;
    this.prune();
    this.ctx.bus.emit('display.desired', { displayId: id, hash: frame.hash, warnings });
    this.pump(s);
    this.publish(s);
  }

  /** Sends the desired frame if the display is reachable and does not confirm it yet. */
  private pump(s: State): void {
    const want = s.desired;
    const transport = this.transport;
    if (!want || !transport) return;
    // Nothing goes to a display that cannot hear it: offline, or asleep until its next check-in.
    if (s.availability === 'offline' || s.availability === 'asleep' || s.failed || s.retryTimer) return;
    // After a transfer that was never acknowledged, the display may show that frame instead of the confirmed one:
    // only an ack or a hello makes "confirmed" certain again, so until then a desired frame equal to it is sent too
    // (a near-empty delta if the display does show it; a base-mismatch nak and a full frame if it does not).
    if (want.frame.hash === s.confirmedHash && !s.unacked) {
      if (s.needsFullRefresh && !s.inflight) this.sendTransfer(s, want.frame, s.nextSeq++, { fullRefresh: true });
      else this.pumpScheduled(s);
      return;
    }
    if (s.inflight?.hash === want.frame.hash) return;
    s.inflight?.timer.cancel();
    // Retrying the same frame keeps its sequence number: if only the ack was lost, the display recognises the
    // retransmission and acknowledges without refreshing the panel again.
    const seq = s.unacked?.hash === want.frame.hash ? s.unacked.seq : s.nextSeq++;
    s.unacked = { seq, hash: want.frame.hash };
    const panel = panelById(this.ctx.store.display(s.id).panel);
    const fullRefresh = s.needsFullRefresh || s.partialsSinceFull >= (panel?.maxPartialRefreshes ?? Infinity);
    this.sendTransfer(s, want.frame, seq, { fullRefresh });
  }

  /** Encodes and sends one transfer, with its ack timer; counts its bytes. */
  private sendTransfer(s: State, frame: Frame, seq: number, opts: { fullRefresh?: boolean; activateAt?: number }): void {
    const transport = this.transport;
    if (!transport) return;
    s.attempts++;
    const base = s.confirmedHash ? this.frames.cached(s.confirmedHash) : null;
    const t = encodeTransfer({
      displayId: s.id,
      seq,
      frame,
      base,
      secret: this.secrets.frameKey(s.id),
      mtu: this.ctx.config.delivery.mtu,
      ...(opts.activateAt ? { activateAt: Math.ceil(opts.activateAt / 1000) } : {}),
      fullRefresh: opts.fullRefresh ?? false,
    });
    const timer = this.ctx.clock.setTimeout(() => this.onTimeout(s.id, seq), this.ctx.config.delivery.ackTimeoutMs);
    const full = (opts.fullRefresh ?? false) || !needsBase(t.encoding);
    s.inflight = { seq, hash: frame.hash, bytes: t.wireBytes, sentAt: this.ctx.clock.now(), full, timer };
    s.bytesSent += t.wireBytes;
    this.ctx.log.debug(
      {
        display: s.id,
        seq,
        hash: frame.hash.slice(0, 12),
        encoding: Encoding[t.encoding],
        bytes: t.wireBytes,
        chunks: t.chunks.length,
        attempt: s.attempts,
        refresh: full ? 'full' : 'partial',
        ...(opts.activateAt ? { activateAt: new Date(opts.activateAt).toISOString() } : {}),
      },
      opts.activateAt ? 'sending scheduled frame' : 'sending frame',
    );
    transport.sendChunks(s.id, t.chunks).catch((err: Error) => {
      this.ctx.log.warn({ display: s.id, seq, err: err.message }, 'delivery failed: could not publish frame');
      this.fail(s, seq, `publish failed: ${err.message}`);
    });
  }

  /** With the present frame confirmed: hand the display the next scheduled frame, if it does not hold it yet. */
  private pumpScheduled(s: State): void {
    const next = s.scheduled;
    const transport = this.transport;
    if (!next || !transport || s.inflight || s.scheduledConfirmed === next.frame.hash) return;
    if (next.activateAt <= this.ctx.clock.now()) return;
    // Shown by the display's timer with a full refresh: it may have slept through many partial updates.
    this.sendTransfer(s, next.frame, s.nextSeq++, { fullRefresh: true, activateAt: next.activateAt });
  }

  /** The frame this display should show from `at` (ms) on by itself; null clears it. */
  setScheduled(id: string, frame: Frame | null, at: number): void {
    const s = this.state(id);
    if (!s) return;
    if (!frame) {
      if (!s.scheduled) return;
      s.scheduled = null;
      s.scheduledConfirmed = null;
    } else {
      if (s.scheduled?.frame.hash === frame.hash && s.scheduled.activateAt === at) return;
      this.frames.put(frame).catch((err: Error) => this.ctx.log.error({ display: id, err: err.message }, 'could not store frame'));
      s.scheduled = { frame, activateAt: at };
    }
    this.pump(s);
    this.publish(s);
  }

  private backoff(attempt: number): number {
    const { retryBaseMs, retryMaxMs } = this.ctx.config.delivery;
    const exp = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(exp * (0.5 + 0.5 * this.random()));
  }

  private fail(s: State, seq: number, error: string, retryNow = false): void {
    if (s.inflight?.seq !== seq) return;
    s.inflight.timer.cancel();
    s.inflight = null;
    s.lastError = error;
    if (s.attempts >= this.ctx.config.delivery.maxAttempts) {
      s.failed = true;
      this.ctx.log.warn({ display: s.id, attempts: s.attempts, error }, 'delivery failed: giving up until the display checks in again');
    } else if (retryNow) {
      this.pump(s);
    } else {
      const wait = this.backoff(s.attempts);
      s.retryTimer = this.ctx.clock.setTimeout(() => {
        s.retryTimer = null;
        this.pump(s);
      }, wait);
    }
    this.publish(s);
  }

  private onTimeout(id: string, seq: number): void {
    const s = this.states.get(id);
    if (!s) return;
    this.ctx.log.warn({ display: id, seq }, 'delivery failed: no ack before timeout');
    this.fail(s, seq, `no ack within ${this.ctx.config.delivery.ackTimeoutMs} ms`);
  }

  onHello(id: string, hello: Hello): void {
    const s = this.state(id);
    if (!s) {
      this.ctx.log.warn({ display: id }, 'refused hello: unknown display id');
      return;
    }
    const display = this.ctx.store.display(id);
    const panel = panelById(display.panel);
    s.lastSeen = this.ctx.clock.now();
    s.firmware = hello.firmware;
    s.batteryMv = hello.batteryMv;
    s.availability = 'online';
    if (panel && (panel.width !== hello.width || panel.height !== hello.height)) {
      s.lastError = `panel mismatch: display reports ${hello.width}×${hello.height}, configured ${display.panel}`;
      this.ctx.log.warn({ display: id, reported: hello.panel }, 'display panel does not match its configuration');
      this.publish(s);
      return;
    }
    // It may have rebooted mid-transfer: whatever was in flight is gone.
    this.reported(s, hello.shownHash, hello.lastSeq, false);
    this.prune();
    this.pump(s);
    this.publish(s);
  }

  /**
   * A hello or check-in says what the display shows: that is the confirmed state now, whatever was sent before.
   * Numbering continues above what it accepted; retries start afresh.
   */
  private reported(s: State, shownHash: string | null, lastSeq: number | null, keepInflight: boolean): void {
    if (lastSeq !== null) s.nextSeq = Math.max(s.nextSeq, lastSeq + 1);
    if (!keepInflight) {
      s.unacked = null;
      s.inflight?.timer.cancel();
      s.inflight = null;
    }
    s.retryTimer?.cancel();
    s.retryTimer = null;
    s.failed = false;
    s.attempts = 0;
    if (shownHash !== s.confirmedHash) {
      s.confirmedHash = shownHash;
      if (shownHash === s.desired?.frame.hash) s.confirmedAt = this.ctx.clock.now();
    }
  }

  onAck(id: string, ack: Ack): void {
    const s = this.state(id);
    if (!s) return;
    s.lastSeen = this.ctx.clock.now();
    const matched = s.inflight && s.inflight.seq === ack.seq && s.inflight.hash === ack.hash ? s.inflight : null;
    if (matched) {
      matched.timer.cancel();
      s.inflight = null;
    } else {
      this.ctx.log.debug({ display: id, seq: ack.seq }, 'ack for a transfer no longer in flight');
    }
    if (s.unacked && ack.seq >= s.unacked.seq) s.unacked = null;
    if (ack.activateAt > 0) {
      // It holds the frame for later; what it shows now is unchanged.
      s.scheduledConfirmed = ack.hash;
      s.lastError = null;
      s.attempts = 0;
      s.failed = false;
      this.pump(s);
      this.publish(s);
      return;
    }
    s.scheduledConfirmed = null; // a frame shown now replaces anything the display held for later
    if (matched) {
      if (matched.full) {
        s.partialsSinceFull = 0;
        s.needsFullRefresh = false;
      } else s.partialsSinceFull++;
    }
    s.confirmedHash = ack.hash;
    s.confirmedAt = this.ctx.clock.now();
    s.lastError = null;
    s.attempts = 0;
    s.failed = false;
    this.prune();
    if (!s.inflight) this.pump(s);
    this.publish(s);
  }

  onNak(id: string, nak: Nak): void {
    const s = this.state(id);
    if (!s) return;
    s.lastSeen = this.ctx.clock.now();
    this.ctx.log.warn({ display: id, seq: nak.seq, reason: nak.reason, detail: nak.detail }, 'delivery failed: display refused frame');
    if (nak.lastSeq !== null) s.nextSeq = Math.max(s.nextSeq, nak.lastSeq + 1);
    if (nak.reason === 'stale-seq' || nak.reason === 'base-mismatch') s.unacked = null;
    if (nak.seq === null || s.inflight?.seq !== nak.seq) return;
    const error = `refused: ${nak.reason} (${nak.detail})`;
    if (nak.reason === 'base-mismatch') {
      // The display does not show what we think: forget our belief and send a full frame at once.
      s.confirmedHash = null;
      this.fail(s, nak.seq, error, true);
    } else if (nak.reason === 'stale-seq') {
      this.fail(s, nak.seq, error, true);
    } else {
      this.fail(s, nak.seq, error);
    }
  }

  onAvailability(id: string, availability: 'online' | 'asleep' | 'offline'): void {
    const s = this.state(id);
    if (!s) return;
    s.availability = availability;
    if (availability !== 'online') {
      s.inflight?.timer.cancel();
      s.inflight = null;
      s.retryTimer?.cancel();
      s.retryTimer = null;
    }
    if (availability === 'online') this.pump(s);
    this.publish(s);
  }

  onCheckIn(id: string, c: CheckIn): void {
    const s = this.state(id);
    if (!s) {
      this.ctx.log.warn({ display: id }, 'refused check-in: unknown display id');
      return;
    }
    const now = this.ctx.clock.now();
    s.lastSeen = now;
    s.availability = 'online';
    s.batteryMv = c.batteryMv;
    s.rssi = c.rssi;
    s.temperatureC = c.temperatureC;
    s.wakeReason = c.wakeReason;
    s.nextCheckInAt = now + c.sleepSeconds * 1000;
    // A transfer sent moments ago (after the hello that came with this wake) is still on its way: left to arrive.
    const fresh = s.inflight !== null && now - s.inflight.sentAt < this.ctx.config.delivery.ackTimeoutMs;
    this.reported(s, c.shownHash, c.lastSeq, fresh);
    s.scheduledConfirmed = c.scheduledHash;
    // Its clock and interval: corrected when off by more than 100 ms, or not the configured interval.
    const interval = this.ctx.store.display(id).checkInSeconds ?? 0;
    if (Math.abs(c.time - now) > 100 || c.sleepSeconds !== interval) this.sendControl(s, interval, c.time);
    this.prune();
    this.pump(s);
    this.publish(s);
  }

  onTelemetry(id: string, t: Telemetry): void {
    const s = this.state(id);
    if (!s) return;
    s.lastSeen = this.ctx.clock.now();
    s.batteryMv = t.batteryMv;
    s.rssi = t.rssi;
    s.temperatureC = t.temperatureC;
    this.publish(s);
  }

  private sendControl(s: State, checkInSeconds: number, echo: number): void {
    const msg = encodeControl({ time: this.ctx.clock.now(), checkInSeconds, echo }, this.secrets.frameKey(s.id));
    this.transport?.sendControl(s.id, msg).catch((err: Error) => this.ctx.log.warn({ display: s.id, err: err.message }, 'could not send control message'));
  }

  /** Daily at the configured local hour, every display gets a full refresh (asleep ones at their next check-in). */
  startDailyRefresh(): void {
    const hour = this.ctx.config.delivery.fullRefreshHour;
    if (hour === null) return;
    const at = nextLocalHour(this.ctx.clock.now(), hour, this.ctx.config.timezone);
    this.refreshTimer = this.ctx.clock.setTimeout(() => {
      this.ctx.log.info({ hour, timezone: this.ctx.config.timezone }, 'daily full refresh');
      for (const d of this.ctx.store.displays()) {
        const s = this.state(d.id);
        if (!s) continue;
        s.needsFullRefresh = true;
        this.pump(s);
      }
      this.startDailyRefresh();
    }, at - this.ctx.clock.now());
  }

  async stop(): Promise<void> {
    this.refreshTimer?.cancel();
    this.pruneTimer?.cancel();
    for (const s of this.states.values()) {
      s.inflight?.timer.cancel();
      s.retryTimer?.cancel();
    }
    await this.records.flush();
  }
}
