// Who is asking, and may they? Resolves the caller from a bearer token (scripts) or the session cookie (browsers),
// enforces the CSRF token on every state-changing request made with a cookie, and the one-time password change.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../controller/errors.js';
import { SESSION_COOKIE, type Session } from '../controller/auth/sessions.js';
import type { PublicUser, Role } from '../controller/auth/users.js';
import type { Room } from '../controller/domain/model.js';
import type { WebDeps } from './services.js';

export interface Auth {
  user: PublicUser;
  via: 'session' | 'token';
  session?: Session;
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    try {
      out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      /* a malformed cookie is ignored */
    }
  }
  return out;
}

export function auth(res: Response): Auth | undefined {
  return res.locals.auth as Auth | undefined;
}

/** Caller from `Authorization: Bearer wwt_…` or the session cookie; sets res.locals.auth. */
export function authenticate({ users, sessions }: WebDeps): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const user = users.verifyToken(header.slice(7).trim());
      if (!user) return next(new AppError(401, 'unauthenticated', 'invalid API token'));
      res.locals.auth = { user, via: 'token' } satisfies Auth;
      return next();
    }
    const id = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const session = id ? sessions.get(id) : null;
    if (session) {
      try {
        res.locals.auth = { user: users.get(session.userId), via: 'session', session } satisfies Auth;
      } catch {
        sessions.delete(session.id); // the account is gone
      }
    }
    next();
  };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether the request carries the session's CSRF token (X-CSRF-Token), compared in constant time. */
export function csrfOk(req: Request, session: Session | undefined): boolean {
  const sent = Buffer.from(String(req.headers['x-csrf-token'] ?? ''));
  const want = Buffer.from(session?.csrf ?? '');
  return want.length > 0 && sent.length === want.length && timingSafeEqual(sent, want);
}

/** Requires a caller; with a session, requires the CSRF token on state-changing requests and a changed one-time password. */
export function requireAuth(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const a = auth(res);
    if (!a) return next(new AppError(401, 'unauthenticated', 'log in first (or send an API token)'));
    if (a.via === 'session' && !SAFE.has(req.method) && !csrfOk(req, a.session)) {
      return next(new AppError(403, 'csrf', 'missing or wrong CSRF token (X-CSRF-Token)'));
    }
    if (a.via === 'session' && a.user.mustChangePassword) return next(new AppError(403, 'password_change_required', 'change your one-time password first'));
    next();
  };
}

export function requireRole(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    const a = auth(res);
    if (!a || !roles.includes(a.user.role)) return next(new AppError(403, 'forbidden', `this needs the role ${roles.join(' or ')}`));
    next();
  };
}

/** Admins edit every room; editors the rooms of their units; viewers none. */
export function assertMayEditRoom(user: PublicUser, room: Room): void {
  if (user.role === 'admin') return;
  if (user.role === 'editor' && room.unitId !== null && user.unitIds.includes(room.unitId)) return;
  if (user.role === 'editor') throw new AppError(403, 'forbidden_unit', `room ${room.number} belongs to another unit; you may edit rooms of: ${user.unitIds.join(', ') || 'none'}`);
  throw new AppError(403, 'forbidden', 'viewers cannot change rooms');
}
