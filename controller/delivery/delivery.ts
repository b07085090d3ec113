// Delivery: per display, the desired frame versus the frame the display confirmed it shows, and the work of
// closing that gap — one transfer in flight, ack timeout, bounded retries, resend after a reboot (hello).
import type { AppContext } from '../context.js';
import type { Ack, Hello, Nak } from '../protocol/topics.js';
import { encodeFrameMessage } from '../protocol/frame-message.js';
import type { DisplayEventHandler, FrameTransport } from '../gateways/transport.js';
import type { Frame } from '../../renderer/frame.js';
import { panelById } from '../../renderer/panels.js';
import type { DisplayStatus } from './status.js';

interface InFlight {
  seq: number;
  hash: string;
  timer: { cancel(): void };
}

interface State {
  id: string;
  desired: { frame: Frame; warnings: string[] } | null;
  confirmedHash: string | null;
  confirmedAt: number | null;
  inflight: InFlight | null;
  attempts: number;
  failed: boolean;
  nextSeq: number;
  availability: DisplayStatus['availability'];
  lastSeen: number | null;
  lastError: string | null;
  firmware: string | null;
  batteryMv: number | null;
}

export class Delivery implements DisplayEventHandler {
  private readonly states = new Map<string, State>();
  private transport: FrameTransport | null = null;

  constructor(private readonly ctx: AppContext) {}

  attach(transport: FrameTransport): void {
    this.transport = transport;
  }

  private state(id: string): State | undefined {
    if (!this.ctx.store.displays().some((d) => d.id === id)) {
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
        attempts: 0,
        failed: false,
        nextSeq: 1,
        availability: 'unknown',
        lastSeen: null,
        lastError: null,
        firmware: null,
        batteryMv: null,
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
      inSync: desiredHash !== null && desiredHash === s?.confirmedHash,
      sending: s?.inflight != null,
      failed: s?.failed ?? false,
      attempts: s?.attempts ?? 0,
      lastError: s?.lastError ?? null,
      firmware: s?.firmware ?? null,
      batteryMv: s?.batteryMv ?? null,
      lastSeen: iso(s?.lastSeen ?? null),
      warnings: s?.desired?.warnings ?? [],
    };
  }

  allStatus(): DisplayStatus[] {
    return this.ctx.store.displays().map((d) => this.status(d.id));
  }

  desiredFrame(id: string): Frame | null {
    return this.states.get(id)?.desired?.frame ?? null;
  }

  private publish(s: State): void {
    this.ctx.bus.emit('display.status', this.status(s.id));
  }

  setDesired(id: string, frame: Frame, warnings: string[]): void {
    const s = this.state(id);
    if (!s) return;
    const same = s.desired?.frame.hash === frame.hash;
    s.desired = { frame, warnings };
    if (same) return;
    s.attempts = 0;
    s.failed = false;
    this.ctx.bus.emit('display.desired', { displayId: id, hash: frame.hash, warnings });
    this.pump(s);
    this.publish(s);
  }

  /** Sends the desired frame if the display is reachable and does not confirm it yet. */
  private pump(s: State): void {
    const want = s.desired;
    if (!want || !this.transport) return;
    if (s.availability === 'offline') return;
    if (want.frame.hash === s.confirmedHash) return;
    if (s.inflight?.hash === want.frame.hash) return;
    if (s.failed) return;
    s.inflight?.timer.cancel();
    const seq = s.nextSeq++;
    s.attempts++;
    const message = encodeFrameMessage(want.frame, seq);
    const timer = this.ctx.clock.setTimeout(() => this.onTimeout(s.id, seq), this.ctx.config.delivery.ackTimeoutMs);
    s.inflight = { seq, hash: want.frame.hash, timer };
    this.ctx.log.debug({ display: s.id, seq, hash: want.frame.hash.slice(0, 12), bytes: message.length, attempt: s.attempts }, 'sending frame');
    this.transport.sendFrame(s.id, message).catch((err: Error) => {
      this.ctx.log.warn({ display: s.id, seq, err: err.message }, 'delivery failed: could not publish frame');
      this.fail(s, seq, `publish failed: ${err.message}`);
    });
  }

  private fail(s: State, seq: number, error: string): void {
    if (s.inflight?.seq !== seq) return;
    s.inflight.timer.cancel();
    s.inflight = null;
    s.lastError = error;
    if (s.attempts >= this.ctx.config.delivery.maxAttempts) {
      s.failed = true;
      this.ctx.log.warn({ display: s.id, attempts: s.attempts, error }, 'delivery failed: giving up until the display checks in again');
    } else {
      this.pump(s);
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
    // The display tells us what it shows: that is now the confirmed state, whatever we sent before (it may have
    // rebooted and lost a transfer). Continue numbering above what it accepted.
    if (hello.lastSeq !== null) s.nextSeq = Math.max(s.nextSeq, hello.lastSeq + 1);
    s.inflight?.timer.cancel();
    s.inflight = null;
    s.failed = false;
    s.attempts = 0;
    if (hello.shownHash !== s.confirmedHash) {
      s.confirmedHash = hello.shownHash;
      s.confirmedAt = hello.shownHash === s.desired?.frame.hash ? this.ctx.clock.now() : s.confirmedAt;
    }
    this.pump(s);
    this.publish(s);
  }

  onAck(id: string, ack: Ack): void {
    const s = this.state(id);
    if (!s) return;
    s.lastSeen = this.ctx.clock.now();
    if (s.inflight && s.inflight.seq === ack.seq && s.inflight.hash === ack.hash) {
      s.inflight.timer.cancel();
      s.inflight = null;
    } else if (s.inflight && ack.seq < s.inflight.seq) {
      this.ctx.log.debug({ display: id, seq: ack.seq }, 'late ack for an older frame');
    }
    s.confirmedHash = ack.hash;
    s.confirmedAt = this.ctx.clock.now();
    s.lastError = null;
    s.attempts = 0;
    s.failed = false;
    if (!s.inflight) this.pump(s);
    this.publish(s);
  }

  onNak(id: string, nak: Nak): void {
    const s = this.state(id);
    if (!s) return;
    s.lastSeen = this.ctx.clock.now();
    this.ctx.log.warn({ display: id, seq: nak.seq, reason: nak.reason, detail: nak.detail }, 'delivery failed: display refused frame');
    if (nak.seq !== null && s.inflight?.seq === nak.seq) this.fail(s, nak.seq, `refused: ${nak.reason} (${nak.detail})`);
  }

  onAvailability(id: string, online: boolean): void {
    const s = this.state(id);
    if (!s) return;
    s.availability = online ? 'online' : 'offline';
    if (!online) {
      s.inflight?.timer.cancel();
      s.inflight = null;
    }
    this.publish(s);
  }

  stop(): void {
    for (const s of this.states.values()) s.inflight?.timer.cancel();
  }
}
