// Delivery: per display, the desired frame versus the frame the display confirmed it shows, and the work of
// closing that gap with the fewest bytes — a delta against the confirmed frame when smaller, one transfer in flight,
// ack timeout, retries with exponential backoff and jitter, a full frame when the display's base is not ours, and
// a resend after a reboot (hello). A display that failed is re-checked later (capped backoff). What displays report
// is checked against what this controller sent: a sequence number that cannot be true is refused and shown as a
// fault, never adopted (docs/protocol.md: "Sequence numbers"). While the broker link is down nothing is sent and
// every display is "unknown"; when it is back, each display is asked for its state before anything is sent.
import type { AppContext } from '../context.js';
import { SEQ_MAX, type Ack, type CheckIn, type Hello, type Nak, type Telemetry } from '../protocol/topics.js';
import { encodeControl } from '../protocol/control.js';
import { encodeTransfer, Encoding, needsBase } from '../protocol/frame-v1.js';
import { nextLocalHour } from './local-time.js';
import type { DisplayEventHandler, FrameTransport, MessageAuth } from '../gateways/transport.js';
import type { AuthenticatedLeaf } from '../protocol/device-message.js';
import { MessageCounter } from './message-counter.js';
import type { SecretStore } from '../store/secrets.js';
import type { FrameStore } from './frame-store.js';
import type { DeliveryRecords } from './records.js';
import type { Frame } from '../../renderer/frame.js';
import { panelById } from '../../renderer/panels.js';
import type { BrokerLinkStatus, DisplayFault, DisplayStatus } from './status.js';

/** Sequence numbers are reserved on disk in blocks of this many before they are used. */
export const SEQ_BLOCK = 256;
/** A display's own counter is adopted only while this much of the uint32 space stays free above it. */
export const SEQ_HEADROOM = 2 ** 24;
export const SEQ_ADOPT_MAX = SEQ_MAX - SEQ_HEADROOM;

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
  /**
   * The numbering is ours to vouch for: every number below `seqCeiling` may have been sent, none at or above it, so
   * a display reporting one at or above `nextSeq` reports something impossible. false: the display's own counter is
   * learned from its next report (a display without a record, or after a reset).
   */
  seqKnown: boolean;
  /** durable reservation (on disk): with seqKnown, numbers below it may be used */
  seqCeiling: number;
  /** a reservation being written, and the reset generation it belongs to */
  reserving: number | null;
  seqEpoch: number;
  fault: DisplayFault | null;
  /** since the broker link came back: nothing is sent until the display reports (or a grace period passes) */
  awaitingReport: boolean;
  /** a failed display is tried again later: rounds so far and the timer */
  failedRounds: number;
  recheckTimer: { cancel(): void } | null;
  nextAttemptAt: number | null;
  /** the last attempt's corrective retry (full frame after base-mismatch, renumbering) was already granted */
  corrected: boolean;
  /** its authenticated messages' counter: the highest accepted (persisted) and the tags of the last few */
  ctr: MessageCounter;
  /** the protocol version its last hello declared (v1.0: no `minor`) */
  protocol: '1.0' | '1.1' | null;
  /** the largest chunk it accepts (from its hello); null: not said (v1.0) — the MTU setting alone applies */
  maxChunk: number | null;
}

export class Delivery implements DisplayEventHandler {
  private readonly states = new Map<string, State>();
  private transport: FrameTransport | null = null;
  private pruneTimer: { cancel(): void } | null = null;
  private refreshTimer: { cancel(): void } | null = null;
  private resyncTimer: { cancel(): void } | null = null;
  /** the transport's link to the broker */
  private link: { up: boolean; since: number };
  private readonly pendingReservations = new Set<State>();
  /** control messages handed to the transport since start (tests wait for them to arrive) */
  controlsSent = 0;
  private reservationFlush: Promise<void> | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly secrets: SecretStore,
    private readonly frames: FrameStore,
    private readonly records: DeliveryRecords,
    private readonly random: () => number = Math.random,
  ) {
    this.link = { up: false, since: ctx.clock.now() };
  }

  /**
   * Restores every display's record and loads the confirmed frames (delta bases) from the frame store. Each known
   * numbering gets a fresh reservation on disk before anything is sent: a restart never reuses a number.
   */
  async load(): Promise<void> {
    const loaded: State[] = [];
    for (const d of this.ctx.store.displays()) {
      const r = this.records.get(d.id);
      if (!r) continue;
      const s = this.state(d.id);
      if (!s) continue;
      s.confirmedHash = r.confirmedHash;
      s.confirmedAt = r.confirmedAt;
      if (r.nextSeq > SEQ_MAX + 1) {
        // Written by an older version that adopted a display's word: never trusted, and replaced on disk below.
        s.nextSeq = 1;
        s.seqKnown = false;
        this.setFault(s, 'impossible-seq', `stored sequence number ${r.nextSeq} is beyond uint32: dropped; the display's own counter is learned`);
      } else {
        s.nextSeq = r.nextSeq;
        s.seqKnown = r.seqKnown;
        s.seqCeiling = r.seqKnown ? r.nextSeq : 0;
      }
      s.lastSeen = r.lastSeen;
      s.firmware = r.firmware;
      s.batteryMv = r.batteryMv;
      s.partialsSinceFull = r.partialsSinceFull;
      s.ctr = new MessageCounter(r.ctrHighest);
      s.protocol = r.protocol;
      s.maxChunk = r.maxChunk;
      loaded.push(s);
      if (r.confirmedHash && !(await this.frames.get(r.confirmedHash))) {
        this.ctx.log.debug({ display: d.id }, 'confirmed frame not in the frame store: the next transfer is a full frame');
      }
    }
    for (const id of Object.keys(this.records.all())) if (!this.ctx.store.displays().some((d) => d.id === id)) this.records.remove(id);
    for (const s of loaded) {
      if (s.seqKnown) this.reserve(s);
      else this.publish(s);
    }
    await this.reservationFlush;
    await this.records.flush();
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
        seqKnown: false,
        seqCeiling: 0,
        reserving: null,
        seqEpoch: 0,
        fault: null,
        awaitingReport: false,
        failedRounds: 0,
        recheckTimer: null,
        nextAttemptAt: null,
        corrected: false,
        ctr: new MessageCounter(),
        protocol: null,
        maxChunk: null,
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
      // Without the broker link nothing a display says can arrive: its last known state is no longer current.
      availability: this.link.up ? (s?.availability ?? 'unknown') : 'unknown',
      brokerConnected: this.link.up,
      desiredHash,
      confirmedHash: s?.confirmedHash ?? null,
      confirmedAt: iso(s?.confirmedAt ?? null),
      inSync: desiredHash !== null && desiredHash === s?.confirmedHash && !s?.unacked,
      sending: s?.inflight != null,
      pendingBytes: s?.inflight?.bytes ?? 0,
      failed: s?.failed ?? false,
      attempts: s?.attempts ?? 0,
      nextAttemptAt: iso(s?.nextAttemptAt ?? null),
      lastError: s?.lastError ?? null,
      fault: s?.fault ?? null,
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
      protocol: s?.protocol ?? null,
      unauthenticatedReports: display.protocol === '1.0',
    };
  }

  allStatus(): DisplayStatus[] {
    return this.ctx.store.displays().map((d) => this.status(d.id));
  }

  /** The controller's own connection to the broker (health endpoint, header of every staff page). */
  brokerStatus(): BrokerLinkStatus {
    return { state: this.link.up ? 'connected' : 'reconnecting', since: new Date(this.link.since).toISOString() };
  }

  desiredFrame(id: string): Frame | null {
    return this.states.get(id)?.desired?.frame ?? null;
  }

  private publish(s: State): void {
    this.saveRecord(s);
    this.ctx.bus.emit('display.status', this.status(s.id));
  }

  /** The display's durable record (written coalesced, within 100 ms). */
  private saveRecord(s: State): void {
    this.records.set(s.id, {
      desiredHash: s.desired?.frame.hash ?? null,
      confirmedHash: s.confirmedHash,
      confirmedAt: s.confirmedAt,
      ...this.recordedSeq(s),
      lastSeen: s.lastSeen,
      firmware: s.firmware,
      batteryMv: s.batteryMv,
      partialsSinceFull: s.partialsSinceFull,
      ctrHighest: s.ctr.highest,
      protocol: s.protocol,
      maxChunk: s.maxChunk,
    });
  }

  /** What the record on disk says about numbering: a reservation (known), or where learning goes on from. */
  private recordedSeq(s: State): { nextSeq: number; seqKnown: boolean } {
    if (s.reserving !== null) {
      // A reservation only vouches for numbers below it; if learning already went past it, it vouches for nothing.
      return s.nextSeq <= s.reserving ? { nextSeq: s.reserving, seqKnown: true } : { nextSeq: s.nextSeq, seqKnown: false };
    }
    return s.seqKnown ? { nextSeq: Math.max(s.seqCeiling, s.nextSeq), seqKnown: true } : { nextSeq: s.nextSeq, seqKnown: false };
  }

  /**
   * Reserves the next block of sequence numbers on disk (coalesced with other displays' reservations into one
   * write). Until it is written, a known numbering sends only below the previous reservation; if the write fails,
   * the display falls back to learning its counter (delivery goes on, the impossibility check waits).
   */
  private reserve(s: State): void {
    if (s.reserving !== null) return;
    const from = s.seqKnown ? Math.max(s.seqCeiling, s.nextSeq) : s.nextSeq;
    const ceiling = Math.min(SEQ_MAX + 1, from + SEQ_BLOCK);
    if (s.seqKnown && ceiling <= s.seqCeiling) return; // the end of the space: nothing left to reserve
    s.reserving = ceiling;
    this.publish(s);
    this.pendingReservations.add(s);
    this.reservationFlush ??= Promise.resolve().then(() => this.writeReservations());
  }

  private async writeReservations(): Promise<void> {
    const batch = [...this.pendingReservations].map((s) => ({ s, ceiling: s.reserving, epoch: s.seqEpoch }));
    this.pendingReservations.clear();
    this.reservationFlush = null;
    const ok = await this.records.flush();
    for (const { s, ceiling, epoch } of batch) {
      if (s.seqEpoch !== epoch || s.reserving !== ceiling || ceiling === null) continue; // reset meanwhile
      s.reserving = null;
      if (ok && s.nextSeq <= ceiling) {
        s.seqKnown = true;
        s.seqCeiling = ceiling;
      } else if (ok) {
        this.reserve(s); // learning moved past it while it was written: reserve above
        continue;
      } else {
        s.seqKnown = false;
        this.ctx.log.warn({ display: s.id }, 'could not reserve sequence numbers on disk: learning the display\'s counter instead');
      }
      this.pump(s);
      this.publish(s);
    }
  }

  /** The next sequence number for a new transfer, or null: none may be used now (exhausted, or reserving). */
  private allocSeq(s: State): number | null {
    if (s.nextSeq > SEQ_MAX) {
      if (s.fault?.code !== 'seq-exhausted') {
        this.setFault(s, 'seq-exhausted', `no sequence number left above ${SEQ_MAX} (uint32): reset delivery for this display`);
        s.lastError = 'sequence numbers exhausted';
        this.publish(s);
      }
      return null;
    }
    if (s.seqKnown) {
      if (s.nextSeq >= s.seqCeiling) {
        this.reserve(s); // pumped again once the reservation is on disk
        return null;
      }
      if (s.seqCeiling - s.nextSeq <= SEQ_BLOCK / 2) this.reserve(s);
    }
    return s.nextSeq++;
  }

  private setFault(s: State, code: DisplayFault['code'], message: string): void {
    s.fault = { code, message, at: new Date(this.ctx.clock.now()).toISOString() };
    this.ctx.log.warn({ display: s.id, fault: code, detail: message }, 'display fault: report refused');
  }

  /**
   * Checks a sequence number a display reports as its last accepted one. With a known numbering, one at or above
   * `nextSeq` was never sent by us: refused (fault). While learning, it is adopted — unless it would leave less than
   * SEQ_HEADROOM of the space. Returns whether the report may be used.
   */
  private acceptSeqReport(s: State, lastSeq: number | null, source: string): boolean {
    if (s.seqKnown) {
      if (lastSeq !== null && lastSeq >= s.nextSeq) {
        this.setFault(
          s,
          'impossible-seq',
          `${source} reports sequence number ${lastSeq}, but the highest this controller sent is ${s.nextSeq - 1}: refused (if delivery.json was restored from a backup, reset delivery)`,
        );
        return false;
      }
      return true;
    }
    if (lastSeq !== null && lastSeq > SEQ_ADOPT_MAX) {
      this.setFault(s, 'seq-exhausted', `${source} reports sequence number ${lastSeq}: it would use up the uint32 space, refused`);
      return false;
    }
    if (lastSeq !== null) s.nextSeq = Math.max(s.nextSeq, lastSeq + 1);
    if (!s.seqKnown) this.reserve(s); // learned: from now on our numbering vouches
    return true;
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
    s.corrected = false;
    s.retryTimer?.cancel();
    s.retryTimer = null;
    s.recheckTimer?.cancel();
    s.recheckTimer = null;
    s.nextAttemptAt = null;
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
    // Nothing goes out without the broker link, nor before a display answered the resync after it came back.
    if (!this.link.up || s.awaitingReport) return;
    // Nothing goes to a display that cannot hear it: offline, or asleep until its next check-in.
    if (s.availability === 'offline' || s.availability === 'asleep' || s.failed || s.retryTimer) return;
    // After a transfer that was never acknowledged, the display may show that frame instead of the confirmed one:
    // only an ack or a hello makes "confirmed" certain again, so until then a desired frame equal to it is sent too
    // (a near-empty delta if the display does show it; a base-mismatch nak and a full frame if it does not).
    if (want.frame.hash === s.confirmedHash && !s.unacked) {
      if (s.needsFullRefresh && !s.inflight) {
        const seq = this.allocSeq(s);
        if (seq !== null) this.sendTransfer(s, want.frame, seq, { fullRefresh: true });
      } else this.pumpScheduled(s);
      return;
    }
    if (s.inflight?.hash === want.frame.hash) return;
    // Retrying the same frame keeps its sequence number: if only the ack was lost, the display recognises the
    // retransmission and acknowledges without refreshing the panel again.
    const seq = s.unacked?.hash === want.frame.hash ? s.unacked.seq : this.allocSeq(s);
    if (seq === null) return;
    s.inflight?.timer.cancel();
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
    // A frame for later is always a full frame (docs/protocol.md): the display keeps it whole, whatever it shows
    // meanwhile; a display refuses a delta with activate-at (bad-encoding).
    const base = s.confirmedHash && !opts.activateAt ? this.frames.cached(s.confirmedHash) : null;
    const t = encodeTransfer({
      displayId: s.id,
      seq,
      frame,
      base,
      secret: this.secrets.frameKey(s.id),
      // the MTU setting, or less if the display accepts only smaller chunks
      mtu: Math.min(this.ctx.config.delivery.mtu, s.maxChunk ?? Infinity),
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
    const seq = this.allocSeq(s);
    if (seq !== null) this.sendTransfer(s, next.frame, seq, { fullRefresh: true, activateAt: next.activateAt });
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

  /** base · 2^(n−1), capped, times a random factor in [0.5, 1] (jitter: displays failing together spread out) */
  private backoff(n: number, baseMs: number, maxMs: number): number {
    const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, n - 1));
    return Math.round(exp * (0.5 + 0.5 * this.random()));
  }

  private fail(s: State, seq: number, error: string, retryNow = false): void {
    if (s.inflight?.seq !== seq) return;
    s.inflight.timer.cancel();
    s.inflight = null;
    s.lastError = error;
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.ctx.config.delivery;
    if (retryNow && (s.attempts < maxAttempts || !s.corrected)) {
      // A correction (a full frame after base-mismatch, a new number after stale-seq) goes out at once — once even
      // after the last attempt: a stale frame answered on the last try must not end in "failed".
      if (s.attempts >= maxAttempts) s.corrected = true;
      this.pump(s);
    } else if (s.attempts >= maxAttempts) {
      this.markFailed(s, error);
    } else {
      const wait = this.backoff(s.attempts, retryBaseMs, retryMaxMs);
      s.nextAttemptAt = this.ctx.clock.now() + wait;
      s.retryTimer = this.ctx.clock.setTimeout(() => {
        s.retryTimer = null;
        s.nextAttemptAt = null;
        this.pump(s);
      }, wait);
    }
    this.publish(s);
  }

  /**
   * Gives up for now — not for good: a display that only says hello when it reconnects would otherwise stay failed
   * forever. It is tried again after a capped backoff (recheckBaseMs · 2^(round−1), at most recheckMaxMs), or as
   * soon as it reports.
   */
  private markFailed(s: State, error: string): void {
    const { recheckBaseMs, recheckMaxMs } = this.ctx.config.delivery;
    s.failed = true;
    s.failedRounds++;
    const wait = this.backoff(s.failedRounds, recheckBaseMs, recheckMaxMs);
    s.nextAttemptAt = this.ctx.clock.now() + wait;
    s.recheckTimer?.cancel();
    s.recheckTimer = this.ctx.clock.setTimeout(() => {
      s.recheckTimer = null;
      s.nextAttemptAt = null;
      s.failed = false;
      s.attempts = 0;
      s.corrected = false;
      this.ctx.log.info({ display: s.id, round: s.failedRounds }, 'trying a failed display again');
      this.pump(s);
      this.publish(s);
    }, wait);
    this.ctx.log.warn({ display: s.id, attempts: s.attempts, error, retryInMs: wait }, 'delivery failed: trying again later');
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
    if (!this.acceptSeqReport(s, hello.lastSeq, 'hello')) {
      this.publish(s);
      return;
    }
    const display = this.ctx.store.display(id);
    const panel = panelById(display.panel);
    s.awaitingReport = false;
    s.lastSeen = this.ctx.clock.now();
    s.firmware = hello.firmware;
    s.batteryMv = hello.batteryMv;
    s.availability = 'online';
    s.protocol = (hello.minor ?? 0) >= 1 ? '1.1' : '1.0';
    s.maxChunk = hello.maxChunk ?? null;
    if (panel && (panel.width !== hello.width || panel.height !== hello.height)) {
      s.lastError = `panel mismatch: display reports ${hello.width}×${hello.height}, configured ${display.panel}`;
      this.ctx.log.warn({ display: id, reported: hello.panel }, 'display panel does not match its configuration');
      this.publish(s);
      return;
    }
    // It may have rebooted mid-transfer: whatever was in flight is gone.
    this.reported(s, hello.shownHash, false);
    this.prune();
    this.pump(s);
    this.publish(s);
  }

  /**
   * A hello or check-in (its sequence number already checked) says what the display shows: that is the confirmed
   * state now, whatever was sent before. Retries start afresh.
   */
  private reported(s: State, shownHash: string | null, keepInflight: boolean): void {
    if (!keepInflight) {
      s.unacked = null;
      s.inflight?.timer.cancel();
      s.inflight = null;
    }
    s.retryTimer?.cancel();
    s.retryTimer = null;
    s.recheckTimer?.cancel();
    s.recheckTimer = null;
    s.nextAttemptAt = null;
    s.failed = false;
    s.failedRounds = 0;
    s.corrected = false;
    s.attempts = 0;
    if (shownHash !== s.confirmedHash) {
      s.confirmedHash = shownHash;
      if (shownHash === s.desired?.frame.hash) s.confirmedAt = this.ctx.clock.now();
    }
  }

  onAck(id: string, ack: Ack): void {
    const s = this.state(id);
    if (!s) return;
    if (ack.seq >= s.nextSeq) {
      // Not a number this controller sent (since its numbering is known, or in this run).
      if (s.seqKnown) {
        this.setFault(s, 'impossible-seq', `ack for sequence number ${ack.seq}, but the highest this controller sent is ${s.nextSeq - 1}: refused`);
        this.publish(s);
      }
      return;
    }
    s.lastSeen = this.ctx.clock.now();
    const matched = s.inflight && s.inflight.seq === ack.seq && s.inflight.hash === ack.hash ? s.inflight : null;
    if (matched) {
      matched.timer.cancel();
      s.inflight = null;
      // It accepted our number: its counter is ours now.
      if (!s.seqKnown) this.reserve(s);
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
    s.corrected = false;
    s.failedRounds = 0;
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
    if (nak.seq !== null && nak.seq >= s.nextSeq && s.seqKnown) {
      this.setFault(s, 'impossible-seq', `nak for sequence number ${nak.seq}, but the highest this controller sent is ${s.nextSeq - 1}: refused`);
      this.publish(s);
      return;
    }
    // Its lastSeq is checked (known numbering) or learned (after a reset: a stale-seq answer to our probe teaches it).
    if (!this.acceptSeqReport(s, nak.lastSeq, 'nak')) {
      this.publish(s);
      return;
    }
    s.lastSeen = this.ctx.clock.now();
    this.ctx.log.warn({ display: id, seq: nak.seq, reason: nak.reason, detail: nak.detail }, 'delivery failed: display refused frame');
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
    if (!this.acceptSeqReport(s, c.lastSeq, 'check-in')) {
      this.publish(s);
      return;
    }
    const now = this.ctx.clock.now();
    s.awaitingReport = false;
    s.lastSeen = now;
    s.availability = 'online';
    s.batteryMv = c.batteryMv;
    s.rssi = c.rssi;
    s.temperatureC = c.temperatureC;
    s.wakeReason = c.wakeReason;
    s.nextCheckInAt = now + c.sleepSeconds * 1000;
    // A transfer sent moments ago (after the hello that came with this wake) is still on its way: left to arrive.
    const fresh = s.inflight !== null && now - s.inflight.sentAt < this.ctx.config.delivery.ackTimeoutMs;
    this.reported(s, c.shownHash, fresh);
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

  onInvalid(id: string, leaf: string, reason: string, code: 'invalid-message' | 'forged-message' = 'invalid-message'): void {
    const s = this.state(id);
    if (!s) return;
    this.setFault(s, code, `${leaf} refused: ${reason}`);
    this.publish(s);
  }

  /**
   * The last gate before a device message is used (docs/protocol.md, "Authentication of device messages"): a tagged
   * message must carry a counter above the highest accepted (a replay is a fault; an exact duplicate of a recent one
   * is dropped quietly); an untagged one is a v1.0 message, allowed only for a display whose record opts in with
   * `"protocol": "1.0"` and that has not authenticated since its last reset (no downgrade).
   */
  admit(id: string, leaf: AuthenticatedLeaf, auth: MessageAuth): boolean {
    const s = this.state(id);
    if (!s) return false;
    if (auth === null) {
      const optedIn = this.ctx.store.display(id).protocol === '1.0';
      if (optedIn && s.ctr.highest === null) return true;
      this.setFault(
        s,
        'unauthenticated-message',
        optedIn
          ? `${leaf} without a tag refused: this display authenticated its messages before (no downgrade; reset delivery if its firmware really went back to v1.0)`
          : `${leaf} without a tag refused: v1.0 displays (unauthenticated reports) are accepted only with "protocol": "1.0" in their record`,
      );
      this.publish(s);
      return false;
    }
    const verdict = s.ctr.check(auth.ctr, auth.tag);
    if (verdict === 'duplicate') {
      this.ctx.log.debug({ display: id, leaf, ctr: auth.ctr }, 'a device message delivered twice: dropped');
      return false;
    }
    if (verdict === 'replayed') {
      this.setFault(s, 'replayed-message', `${leaf} with counter ${auth.ctr} refused: not above ${s.ctr.highest ?? 0}, the highest accepted (a replayed message; if the display's flash was wiped, reset delivery)`);
      this.publish(s);
      return false;
    }
    this.saveRecord(s);
    return true;
  }

  /**
   * The broker link. Down: nothing can be sent or heard — transfers in flight are lost (their outcome unknown, so
   * "confirmed" is not trusted until an ack or report) and every display is "unknown". Up: the transport has
   * subscribed and asked every display for its state (bridge/state "online"); each is sent nothing until it
   * answers, or until ackTimeoutMs passed (a display that does not answer is then served from what we believe).
   */
  onLink(up: boolean): void {
    if (up === this.link.up) return;
    this.link = { up, since: this.ctx.clock.now() };
    this.resyncTimer?.cancel();
    this.resyncTimer = null;
    if (!up) {
      this.ctx.log.warn('broker link down: displays unknown, nothing is sent until it is back');
      for (const s of this.states.values()) {
        s.inflight?.timer.cancel();
        s.inflight = null;
        s.retryTimer?.cancel();
        s.retryTimer = null;
        s.nextAttemptAt = s.recheckTimer ? s.nextAttemptAt : null;
        s.availability = 'unknown';
        s.awaitingReport = false;
        this.publish(s);
      }
      return;
    }
    this.ctx.log.info('broker link up: asking every display for its state');
    for (const s of this.states.values()) {
      s.awaitingReport = true;
      this.publish(s);
    }
    this.resyncTimer = this.ctx.clock.setTimeout(() => {
      this.resyncTimer = null;
      for (const s of this.states.values()) {
        if (!s.awaitingReport) continue;
        s.awaitingReport = false;
        this.pump(s);
      }
    }, this.ctx.config.delivery.ackTimeoutMs);
  }

  /**
   * An admin's "reset delivery": forgets what the display confirmed and what we believed about its sequence
   * numbers, clears faults and failures, and sends a fresh full frame (full refresh). The first transfer is
   * numbered from 1; a display whose own counter is higher refuses it (stale-seq) and its answer teaches the
   * counter, so the next transfer is numbered above it — the display's own lastSeq is respected, and an impossible
   * belief of ours is gone.
   */
  reset(id: string): DisplayStatus {
    const s = this.state(id);
    if (!s) return this.status(id);
    s.seqEpoch++;
    s.inflight?.timer.cancel();
    s.inflight = null;
    s.retryTimer?.cancel();
    s.retryTimer = null;
    s.recheckTimer?.cancel();
    s.recheckTimer = null;
    s.nextAttemptAt = null;
    s.confirmedHash = null;
    s.confirmedAt = null;
    s.unacked = null;
    s.scheduledConfirmed = null;
    s.attempts = 0;
    s.failed = false;
    s.failedRounds = 0;
    s.corrected = false;
    s.lastError = null;
    s.fault = null;
    s.needsFullRefresh = true;
    s.partialsSinceFull = 0;
    s.seqKnown = false;
    s.seqCeiling = 0;
    s.reserving = null;
    s.nextSeq = 1;
    s.awaitingReport = false;
    // A display whose flash was wiped counts its messages from 1 again: after a reset, its counter is learned anew.
    s.ctr = new MessageCounter();
    this.pendingReservations.delete(s);
    this.ctx.log.info({ display: id }, 'delivery reset: confirmed state and sequence belief forgotten; sending a full frame');
    this.pump(s);
    this.publish(s);
    return this.status(id);
  }

  private sendControl(s: State, checkInSeconds: number, echo: number): void {
    const msg = encodeControl({ time: this.ctx.clock.now(), checkInSeconds, echo }, this.secrets.frameKey(s.id));
    this.controlsSent++;
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
    this.resyncTimer?.cancel();
    for (const s of this.states.values()) {
      s.inflight?.timer.cancel();
      s.retryTimer?.cancel();
      s.recheckTimer?.cancel();
    }
    await this.reservationFlush;
    await this.records.flush();
  }
}
