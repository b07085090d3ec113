// One counting mechanism for every limit the server applies to anonymous callers: failed logins (per user name +
// address, per user name, per address) and requests to the public visitors' API (per address). Counts are kept per
// key in memory, on the injected clock, with bounded memory: under a flood of new keys the least recently used are
// dropped (never everything at once — that would hand an attacker a reset button).
import type { Clock } from '../clock.js';

export interface Hits {
  /** hits counted since `first` */
  count: number;
  /** ms of the first hit counted */
  first: number;
  /** ms of the latest hit */
  last: number;
}

export interface HitCounterOptions {
  /**
   * How long counts are kept. 'fixed': a key's count starts again `windowMs` after its first hit (requests per
   * minute). 'idle': it is forgotten `windowMs` after its latest hit (failures fade only when they stop).
   */
  windowMs: number;
  mode: 'fixed' | 'idle';
  /** most keys held at once */
  maxKeys?: number;
}

export class HitCounter {
  private readonly hits = new Map<string, Hits>();
  private readonly maxKeys: number;

  constructor(
    private readonly clock: Clock,
    private readonly opts: HitCounterOptions,
  ) {
    this.maxKeys = opts.maxKeys ?? 10_000;
  }

  private expired(h: Hits, now: number): boolean {
    return now - (this.opts.mode === 'fixed' ? h.first : h.last) >= this.opts.windowMs;
  }

  /** The live count for a key, or null. */
  peek(key: string): Hits | null {
    const h = this.hits.get(key);
    if (!h) return null;
    if (this.expired(h, this.clock.now())) {
      this.hits.delete(key);
      return null;
    }
    return { ...h };
  }

  /** Counts one hit for a key and returns the count including it. */
  hit(key: string): Hits {
    const now = this.clock.now();
    const prev = this.peek(key);
    const h: Hits = prev ? { count: prev.count + 1, first: prev.first, last: now } : { count: 1, first: now, last: now };
    this.hits.delete(key); // re-inserted last: Map order is least recently used first
    this.hits.set(key, h);
    if (this.hits.size > this.maxKeys) this.evict();
    return { ...h };
  }

  clear(key: string): boolean {
    return this.hits.delete(key);
  }

  /** Every live key with its count (expired ones are dropped on the way). */
  entries(): [string, Hits][] {
    const now = this.clock.now();
    const out: [string, Hits][] = [];
    for (const [k, h] of this.hits) {
      if (this.expired(h, now)) this.hits.delete(k);
      else out.push([k, { ...h }]);
    }
    return out;
  }

  get size(): number {
    return this.hits.size;
  }

  private evict(): void {
    const now = this.clock.now();
    for (const [k, h] of this.hits) if (this.expired(h, now)) this.hits.delete(k);
    for (const k of this.hits.keys()) {
      if (this.hits.size <= this.maxKeys) break;
      this.hits.delete(k);
    }
  }
}
