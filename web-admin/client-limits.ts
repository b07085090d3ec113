// The client's address as the limits see it, and the visitors' API limit. Behind a reverse proxy every request comes
// from the proxy; Express's `trust proxy` (set from the trusted-proxy setting) makes req.ip the client named in
// X-Forwarded-For — but only when the request really came through a trusted proxy, so nobody can pick their own
// address by sending the header.
import type { Request, RequestHandler } from 'express';
import type { Clock } from '../controller/clock.js';
import { AppError } from '../controller/errors.js';
import { HitCounter } from '../controller/auth/rate-limit.js';

/** The client address for limits and logs; IPv4 seen through an IPv6 socket is written as IPv4. */
export function clientAddress(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** At most `perMinute` requests per client address and minute (0: no limit); beyond, 429 with Retry-After. */
export function publicApiLimit(clock: Clock, perMinute: number): RequestHandler {
  const counter = new HitCounter(clock, { windowMs: 60_000, mode: 'fixed', maxKeys: 50_000 });
  return (req, res, next) => {
    if (perMinute <= 0) return next();
    const hits = counter.hit(clientAddress(req));
    if (hits.count <= perMinute) return next();
    const wait = Math.max(1, Math.ceil((hits.first + 60_000 - clock.now()) / 1000));
    res.set('Retry-After', String(wait));
    next(new AppError(429, 'rate_limited', `too many requests from your address; try again in ${wait} s`));
  };
}
