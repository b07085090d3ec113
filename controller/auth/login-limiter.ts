// Brute-force protection: after 5 failed logins for one user name, or 20 from one address, within 15 minutes,
// further attempts are refused (429) until the window has passed — correct passwords included.
import type { Clock } from '../clock.js';

const WINDOW_MS = 15 * 60 * 1000;
const LIMITS = { user: 5, address: 20 };

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly clock: Clock) {}

  private recent(key: string): number[] {
    const now = this.clock.now();
    const xs = (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    if (xs.length) this.failures.set(key, xs);
    else this.failures.delete(key);
    return xs;
  }

  /** Milliseconds until another attempt is allowed (0: allowed now). */
  blockedFor(username: string, address: string): number {
    const now = this.clock.now();
    const waits: number[] = [];
    for (const [key, limit] of [[`u:${username.toLowerCase()}`, LIMITS.user], [`a:${address}`, LIMITS.address]] as const) {
      const xs = this.recent(key);
      if (xs.length >= limit) waits.push((xs[xs.length - limit] ?? now) + WINDOW_MS - now);
    }
    return Math.max(0, ...waits);
  }

  fail(username: string, address: string): void {
    const now = this.clock.now();
    for (const key of [`u:${username.toLowerCase()}`, `a:${address}`]) this.failures.set(key, [...this.recent(key), now]);
    if (this.failures.size > 10_000) this.failures.clear(); // bounded memory under a flood
  }

  succeed(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
  }
}
