// Browser sessions: a random id in an httpOnly, SameSite=Strict cookie, with a per-session CSRF token the pages send
// back in a header. Held in memory (a restart logs everyone out), expiring after 8 hours without use.
// Whatever ends a session (logout, expiry, the account removed, its password changed or reset) is announced to
// `onEnd` listeners, so long-lived connections on it (the /ws live channel) close at once instead of on their next
// message. Expiry is found by a timer on the injected clock, not only when the session is next used.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';

export interface Session {
  id: string;
  userId: string;
  csrf: string;
  expiresAt: number;
}

export type SessionEndReason = 'logout' | 'expired' | 'user-deleted' | 'password-changed' | 'password-reset' | 'account-gone';
export type SessionEndListener = (session: Session, reason: SessionEndReason) => void;

export const SESSION_IDLE_MS = 8 * 3600 * 1000;
export const SESSION_COOKIE = 'ww_session';

export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly listeners = new Set<SessionEndListener>();
  private sweep: { cancel(): void; at: number } | null = null;

  constructor(private readonly clock: Clock) {}

  create(userId: string): Session {
    this.prune();
    const s: Session = {
      id: randomBytes(32).toString('base64url'),
      userId,
      csrf: randomBytes(24).toString('base64url'),
      expiresAt: this.clock.now() + SESSION_IDLE_MS,
    };
    this.sessions.set(s.id, s);
    this.arm();
    return s;
  }

  /** The live session with this id (its expiry slides forward), or null. */
  get(id: string): Session | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.clock.now()) {
      this.end(s, 'expired');
      return null;
    }
    s.expiresAt = this.clock.now() + SESSION_IDLE_MS;
    return s;
  }

  /** The live session with this id without sliding its expiry (a socket being open is not use). */
  peek(id: string): Session | null {
    const s = this.sessions.get(id);
    return s && s.expiresAt > this.clock.now() ? s : null;
  }

  delete(id: string, reason: SessionEndReason = 'logout'): void {
    const s = this.sessions.get(id);
    if (s) this.end(s, reason);
  }

  /** Ends every session of a user (password changed, account removed), except `except` (the one changing it). */
  deleteForUser(userId: string, reason: SessionEndReason, except?: string): void {
    for (const [id, s] of this.sessions) if (s.userId === userId && id !== except) this.end(s, reason);
  }

  /** Calls `fn` whenever a session ends; returns the unsubscribe function. */
  onEnd(fn: SessionEndListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stop(): void {
    this.sweep?.cancel();
    this.sweep = null;
  }

  private end(s: Session, reason: SessionEndReason): void {
    if (!this.sessions.delete(s.id)) return;
    for (const fn of this.listeners) {
      try {
        fn(s, reason);
      } catch {
        /* a listener's failure must not keep a session alive or stop the others */
      }
    }
  }

  private prune(): void {
    const now = this.clock.now();
    for (const s of [...this.sessions.values()]) if (s.expiresAt <= now) this.end(s, 'expired');
  }

  /** One timer, for the earliest expiry; sliding expiries just move it on when it fires. */
  private arm(): void {
    let next = Infinity;
    for (const s of this.sessions.values()) next = Math.min(next, s.expiresAt);
    if (this.sweep && this.sweep.at <= next) return;
    this.sweep?.cancel();
    this.sweep = null;
    if (!Number.isFinite(next)) return;
    const t = this.clock.setTimeout(() => {
      this.sweep = null;
      this.prune();
      this.arm();
    }, Math.max(0, next - this.clock.now()));
    this.sweep = { cancel: () => t.cancel(), at: next };
  }
}
