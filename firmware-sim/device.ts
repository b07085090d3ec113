// The display's own logic, transport-agnostic: verify a frame message, keep the framebuffer, answer ack or nak.
// A frame that fails any check is never shown; the framebuffer changes only after the whole message verified.
import { decodeFrameMessage } from '../controller/protocol/frame-message.js';
import { PROTOCOL_VERSION, type Ack, type Hello, type Nak } from '../controller/protocol/topics.js';
import { frameToPng, type Frame } from '../renderer/frame.js';
import type { PanelProfile } from '../renderer/panels.js';

export const SIM_FIRMWARE = 'wegweiser-sim 0.1.0';

export interface DisplayedRecord {
  seq: number;
  hash: string;
  at: number;
}

export interface RefusedRecord {
  seq: number | null;
  reason: Nak['reason'];
  detail: string;
  at: number;
}

export type FrameOutcome = { type: 'ack'; ack: Ack; changed: boolean } | { type: 'nak'; nak: Nak };

export class SimDevice {
  framebuffer: Frame | null = null;
  lastSeq: number | null = null;
  readonly displayed: DisplayedRecord[] = [];
  readonly refused: RefusedRecord[] = [];
  framesReceived = 0;
  batteryMv: number;

  constructor(
    readonly id: string,
    readonly panel: PanelProfile,
    private readonly now: () => number = Date.now,
    batteryMv = 2950,
  ) {
    this.batteryMv = batteryMv;
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
      lastSeq: this.lastSeq,
      batteryMv: this.batteryMv,
    };
  }

  handleFrameMessage(msg: Uint8Array): FrameOutcome {
    this.framesReceived++;
    const planes = this.panel.colors === 'bwr' ? 2 : 1;
    const r = decodeFrameMessage(msg, { width: this.panel.width, height: this.panel.height, planes });
    if (!r.ok) return this.refuse(r.seq, r.reason, r.detail);
    if (this.lastSeq !== null && r.seq <= this.lastSeq) {
      // A retransmission of what is already shown is answered again (its ack may have been lost); anything else
      // older is a replay and refused.
      if (r.seq === this.lastSeq && r.frame.hash === this.framebuffer?.hash) {
        return { type: 'ack', ack: { seq: r.seq, hash: r.frame.hash }, changed: false };
      }
      return this.refuse(r.seq, 'stale-seq', `sequence ${r.seq} is not above ${this.lastSeq}`);
    }
    this.lastSeq = r.seq;
    const changed = this.framebuffer?.hash !== r.frame.hash;
    this.framebuffer = r.frame;
    this.displayed.push({ seq: r.seq, hash: r.frame.hash, at: this.now() });
    return { type: 'ack', ack: { seq: r.seq, hash: r.frame.hash }, changed };
  }

  private refuse(seq: number | null, reason: Nak['reason'], detail: string): FrameOutcome {
    this.refused.push({ seq, reason, detail, at: this.now() });
    return { type: 'nak', nak: { seq, reason, detail } };
  }

  async screenshot(): Promise<Buffer | null> {
    return this.framebuffer ? frameToPng(this.framebuffer) : null;
  }
}
