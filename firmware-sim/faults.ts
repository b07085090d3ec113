// Fault knobs for the simulated radio link and the device, driven by a seeded generator so a failing soak run can
// be replayed exactly (the seed is printed in the test's failure message).

export interface SimFaults {
  /** probability an incoming chunk or an outgoing ack/nak is lost */
  drop: number;
  /** probability an incoming chunk arrives twice */
  duplicate: number;
  /** probability an incoming chunk is held back and delivered after the next one */
  reorder: number;
  /** probability an incoming chunk has one byte flipped */
  corrupt: number;
  /** probability, per chunk, that the display reboots right after it (RAM lost, framebuffer kept) */
  reboot: number;
}

export const NO_FAULTS: SimFaults = { drop: 0, duplicate: 0, reorder: 0, corrupt: 0, reboot: 0 };

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultCounts {
  dropped: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  reboots: number;
  repliesDropped: number;
}

/**
 * Applies the link faults to one incoming chunk: returns the chunks to hand to the device, in order (none when
 * dropped, two when duplicated or when a held-back chunk is released).
 */
export class FaultyLink {
  private held: Buffer | null = null;
  readonly counts: FaultCounts = { dropped: 0, duplicated: 0, reordered: 0, corrupted: 0, reboots: 0, repliesDropped: 0 };

  constructor(
    public faults: SimFaults,
    private readonly random: () => number,
  ) {}

  incoming(chunk: Buffer): Buffer[] {
    const f = this.faults;
    if (this.random() < f.drop) {
      this.counts.dropped++;
      return [];
    }
    let c = chunk;
    if (this.random() < f.corrupt) {
      c = Buffer.from(chunk);
      const i = Math.floor(this.random() * c.length);
      c[i] = (c[i] ?? 0) ^ (1 + Math.floor(this.random() * 255));
      this.counts.corrupted++;
    }
    if (this.held) {
      const out = [c, this.held];
      this.held = null;
      return out;
    }
    if (this.random() < f.reorder) {
      this.held = c;
      this.counts.reordered++;
      return [];
    }
    if (this.random() < f.duplicate) {
      this.counts.duplicated++;
      return [c, c];
    }
    return [c];
  }

  private repliesToDrop = 0;

  /** The next `n` outgoing acks/naks are lost, whatever the probabilities say. */
  dropNextReplies(n: number): void {
    this.repliesToDrop += n;
  }

  /** Whether an outgoing ack/nak gets through. */
  replyPasses(): boolean {
    if (this.repliesToDrop > 0) {
      this.repliesToDrop--;
      this.counts.repliesDropped++;
      return false;
    }
    if (this.random() < this.faults.drop) {
      this.counts.repliesDropped++;
      return false;
    }
    return true;
  }

  rebootNow(): boolean {
    if (this.random() < this.faults.reboot) {
      this.counts.reboots++;
      this.held = null;
      return true;
    }
    return false;
  }
}
