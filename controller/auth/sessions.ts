// Browser sessions: a random id in an httpOnly, SameSite=Strict cookie, with a per-session CSRF token the pages send
// back in a header. Held in memory (a restart logs everyone out), expiring after 8 hours without use.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';

export interface Session {
  id: string;
  userId: string;
  csrf: string;
  expiresAt: number;
}

export const SESSION_IDLE_MS = 8 * 3600 * 1000;
export const SESSION_COOKIE = 'ww_session';

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

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
    return s;
  }

  /** The live session with this id (its expiry slides forward), or null. */
  get(id: string): Session | null {
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.clock.now()) {
      this.sessions.delete(id);
      return null;
    }
    s.expiresAt = this.clock.now() + SESSION_IDLE_MS;
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Ends every session of a user (password changed, account removed). */
  deleteForUser(userId: string, except?: string): void {
    for (const [id, s] of this.sessions) if (s.userId === userId && id !== except) this.sessions.delete(id);
  }

  private prune(): void {
    const now = this.clock.now();
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
  }
}
