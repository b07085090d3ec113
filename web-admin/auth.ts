// Who is asking, and may they? Resolves the caller from a bearer token (scripts) or the session cookie (browsers),
// enforces the CSRF token on every state-changing request made with a cookie, and the one-time password change.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../controller/errors.js';
import { SESSION_COOKIE, type Session } from '../controller/auth/sessions.js';
import type { PublicUser, Role } from '../controller/auth/users.js';
import type { Data, Move, Person, Room } from '../controller/domain/model.js';
import { roomsAlteredByMove } from '../controller/signs/compose.js';
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
        sessions.delete(session.id, 'account-gone');
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

/**
 * Seating a person in a room (as an occupant, or by a planned move) is the decision of their unit's editors or an
 * admin: otherwise an editor could put another unit's person on their own door, and visitors searching for that
 * person would be sent there. People without a unit are seated by admins only. Taking someone out of one's own
 * room needs no such right (only the room's).
 */
export function assertMaySeat(user: PublicUser, person: Person): void {
  if (user.role === 'admin') return;
  if (user.role === 'editor' && person.unitId !== null && user.unitIds.includes(person.unitId)) return;
  if (user.role === 'editor') {
    throw new AppError(403, 'forbidden_unit', person.unitId === null ? `${person.name} belongs to no unit: only an admin seats them` : `${person.name} belongs to another unit: their editors or an admin decide where they sit`);
  }
  throw new AppError(403, 'forbidden', 'viewers cannot change rooms');
}

/** A room's occupants changed from what is stored to `next`: the room is the caller's, and whoever is added may be seated by them. */
export function assertMayChangeOccupants(user: PublicUser, data: Readonly<Data>, room: Room, next: readonly string[]): void {
  assertMayEditRoom(user, room);
  for (const id of next) {
    if (room.occupantIds.includes(id)) continue;
    const person = data.people.find((p) => p.id === id);
    if (person) assertMaySeat(user, person); // an unknown id is the store's 400, naming the field
  }
}

/**
 * Planning (or cancelling) a move changes every room it names and every room it implies — `fromRoomId: null`
 * takes the person out of all rooms they sit in at that moment — so each must be the caller's; planning one also
 * seats the person, which is their unit's decision.
 */
export function assertMayMove(user: PublicUser, data: Readonly<Data>, move: Move, action: 'plan' | 'cancel'): void {
  const ids = new Set([move.toRoomId, ...(move.fromRoomId ? [move.fromRoomId] : []), ...roomsAlteredByMove(data, move)]);
  for (const id of ids) {
    const room = data.rooms.find((r) => r.id === id);
    if (room) assertMayEditRoom(user, room);
  }
  if (action === 'plan') {
    const person = data.people.find((p) => p.id === move.personId);
    if (person) assertMaySeat(user, person);
  }
}
