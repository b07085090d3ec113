// Brute-force protection that cannot be turned into a lockout tool (OWASP Authentication Cheat Sheet: count per
// user name *and* address, slow down rather than lock the account).
//
// - Failures are counted per user name + client address. The first `freeFailures` cost nothing; after that each
//   further attempt from that address for that name must wait an exponentially growing, capped delay
//   (1 s, 2 s, 4 s … at most `maxDelayMs`). Counts fade `windowMs` after the last failure; a success clears them.
// - A user name under attack from many addresses (more than `userCeiling` failures in all), or an address trying
//   many names (more than `addressCeiling`), only shrinks the free allowance to one attempt per name + address:
//   the first attempt from any other address — and so the right password — is always checked. Nobody can lock the
//   real admin out from elsewhere, and a busy address behind NAT slows down instead of shutting out its users.
// - Admins see every count and can lift one (GET/DELETE /api/login-limits).
import type { Clock } from '../clock.js';
import { HitCounter } from './rate-limit.js';

export interface LoginLimitPolicy {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
  userCeiling: number;
  addressCeiling: number;
}

export const DEFAULT_LOGIN_POLICY: LoginLimitPolicy = {
  freeFailures: 5,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  windowMs: 15 * 60_000,
  userCeiling: 20,
  addressCeiling: 50,
};

export interface LoginLimit {
  /** opaque, for DELETE /api/login-limits/{id} */
  id: string;
  kind: 'user-address' | 'user' | 'address';
  username: string | null;
  address: string | null;
  failures: number;
  lastFailureAt: string;
  /** user-address: ms until the next attempt is checked (0: now); user/address: 0 */
  waitMs: number;
  /** user/address: the ceiling is reached, so every name + address pair under it has only one free attempt */
  slowing: boolean;
}

const SEP = '\u0000'; // cannot occur in a validated user name or an address

export class LoginLimiter {
  private readonly counts: HitCounter;

  constructor(
    private readonly clock: Clock,
    readonly policy: LoginLimitPolicy = DEFAULT_LOGIN_POLICY,
  ) {
    this.counts = new HitCounter(clock, { windowMs: policy.windowMs, mode: 'idle', maxKeys: 20_000 });
  }

  private static keys(username: string, address: string) {
    const u = username.toLowerCase();
    return { pair: `p${SEP}${u}${SEP}${address}`, user: `u${SEP}${u}`, address: `a${SEP}${address}` };
  }

  /** How many failures a name + address pair may have before it has to wait. */
  private allowance(username: string, address: string): number {
    const k = LoginLimiter.keys(username, address);
    const user = this.counts.peek(k.user)?.count ?? 0;
    const addr = this.counts.peek(k.address)?.count ?? 0;
    return user >= this.policy.userCeiling || addr >= this.policy.addressCeiling ? 1 : this.policy.freeFailures;
  }

  private waitFor(failures: number, last: number, allowance: number): number {
    if (failures < allowance) return 0;
    const delay = Math.min(this.policy.baseDelayMs * 2 ** Math.min(failures - allowance, 30), this.policy.maxDelayMs);
    return Math.max(0, last + delay - this.clock.now());
  }

  /** Milliseconds until an attempt for this name from this address is checked (0: now). */
  blockedFor(username: string, address: string): number {
    const pair = this.counts.peek(LoginLimiter.keys(username, address).pair);
    return pair ? this.waitFor(pair.count, pair.last, this.allowance(username, address)) : 0;
  }

  fail(username: string, address: string): void {
    const k = LoginLimiter.keys(username, address);
    for (const key of [k.pair, k.user, k.address]) this.counts.hit(key);
  }

  /** A correct password from this address: its own count is cleared (the name's and the address's totals fade). */
  succeed(username: string, address: string): void {
    this.counts.clear(LoginLimiter.keys(username, address).pair);
  }

  /** Every current count, most failures first. */
  list(): LoginLimit[] {
    const out: LoginLimit[] = [];
    for (const [key, h] of this.counts.entries()) {
      const [kind, a, b] = key.split(SEP) as [string, string, string | undefined];
      const base = { id: Buffer.from(key).toString('base64url'), failures: h.count, lastFailureAt: new Date(h.last).toISOString() };
      if (kind === 'p') {
        const username = a;
        const address = b ?? '';
        out.push({ ...base, kind: 'user-address', username, address, waitMs: this.waitFor(h.count, h.last, this.allowance(username, address)), slowing: false });
      } else if (kind === 'u') out.push({ ...base, kind: 'user', username: a, address: null, waitMs: 0, slowing: h.count >= this.policy.userCeiling });
      else out.push({ ...base, kind: 'address', username: null, address: a, waitMs: 0, slowing: h.count >= this.policy.addressCeiling });
    }
    return out.sort((x, y) => y.failures - x.failures || x.id.localeCompare(y.id));
  }

  /** Lifts one count (an admin's decision); returns what it was, or null if there is none (any more). */
  lift(id: string): LoginLimit | null {
    const entry = this.list().find((e) => e.id === id);
    if (!entry) return null;
    this.counts.clear(Buffer.from(id, 'base64url').toString());
    return entry;
  }
}
