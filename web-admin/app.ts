// Express app factory (no listen): tests start it on an ephemeral port; web-admin/server.ts serves it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler } from 'express';
import { AppError } from '../controller/errors.js';
import { errorHandler } from './http-errors.js';
import { openApiDocument } from './openapi.js';
import { catalogRouter } from './routes/catalog.js';
import { displaysRouter } from './routes/displays.js';
import { roomsRouter } from './routes/rooms.js';
import type { WebDeps } from './services.js';
import { authenticate, requireAuth, requireRole } from './auth.js';
import { sessionRouter } from './routes/session.js';
import { usersRouter } from './routes/users.js';
import { auditRouter } from './routes/audit.js';
import { noticesRouter } from './routes/notices.js';
import { directoryRouter } from './routes/directory.js';
import { movesRouter } from './routes/moves.js';
import { publicRouter } from './routes/public.js';
import { buildingRouter } from './routes/building.js';
import { loginLimitsRouter } from './routes/login-limits.js';
import { publicApiLimit } from './client-limits.js';

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');

/**
 * Until accounts exist the server is bound to loopback. Two browser-borne attacks still reach loopback: DNS
 * rebinding (a foreign name resolving to 127.0.0.1 — refused by checking Host) and cross-site form posts
 * (refused by checking Origin on every state-changing request).
 */
export function localOnly(publicHost: string | null = null): RequestHandler {
  const allowedHost = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;
  return (req, _res, next) => {
    const host = req.headers.host ?? '';
    if (!allowedHost.test(host) && host.toLowerCase() !== publicHost) return next(new AppError(403, 'forbidden_host', `host "${host}" is not served`));
    const origin = req.headers.origin;
    if (req.method !== 'GET' && req.method !== 'HEAD' && origin !== undefined) {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        /* an unparsable origin is simply not ours */
      }
      if (originHost !== host) return next(new AppError(403, 'forbidden_origin', 'cross-site request refused'));
    }
    next();
  };
}

/** Page and API headers: no framing, no sniffing, no referrer, nothing but our own scripts, forms and base URL. */
const CSP = "default-src 'self'; img-src 'self' data: blob:; connect-src 'self'; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/** No page uses a device feature; a kiosk page embedded elsewhere must not ask for one either. */
const PERMISSIONS_POLICY = 'accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()';

export function createApp(deps: WebDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // X-Forwarded-For/-Proto count only from configured proxies: req.ip is then the client, req.secure https.
  const trusted = deps.ctx.config.http.trustedProxies;
  app.set('trust proxy', trusted.length ? trusted : false);
  const publicUrl = deps.ctx.config.publicUrl;
  app.use(localOnly(publicUrl ? new URL(publicUrl).host.toLowerCase() : null));
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    res.set('Content-Security-Policy', CSP);
    res.set('Permissions-Policy', PERMISSIONS_POLICY);
    next();
  });
  // API answers are personal or change by the second: never cached, unless a route sets its own caching on purpose.
  app.use('/api', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // A building's walk graph and plans can be large; everything else is small.
  app.use('/api/building', express.json({ limit: '8mb', strict: true }));
  app.use('/api', express.json({ limit: '64kb', strict: true }));
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  // Public (load balancers, monitoring, the header of every staff page): 503 while the broker is unreachable,
  // since then no display can be served. Says nothing but the link's state and since when.
  app.get('/api/health', (_req, res) => {
    const broker = deps.delivery.brokerStatus();
    const ok = broker.state === 'connected';
    res.status(ok ? 200 : 503).set('Cache-Control', 'no-store').json({ ok, broker });
  });
  app.use(authenticate(deps));
  app.use('/api/session', sessionRouter(deps));
  app.use('/api/public', publicApiLimit(deps.ctx.clock, deps.ctx.config.http.publicRateLimit), publicRouter(deps));
  app.use('/api', requireAuth());
  app.use('/api', catalogRouter(deps));
  app.use('/api/rooms', roomsRouter(deps));
  app.use('/api/displays', displaysRouter(deps));
  app.use('/api/notices', noticesRouter(deps));
  app.use('/api', directoryRouter(deps));
  app.use('/api/moves', movesRouter(deps));
  app.use('/api/building', buildingRouter(deps));
  app.use('/api/users', requireRole('admin'), usersRouter(deps));
  app.use('/api/audit', requireRole('admin'), auditRouter(deps));
  app.use('/api/login-limits', requireRole('admin'), loginLimitsRouter(deps));
  app.use('/api', (req, _res, next) => next(new AppError(404, 'not_found', `no API route ${req.method} ${req.path}`)));
  // The visitors' page, large for a kiosk (public: no login).
  // Served relative to its root: send refuses an absolute path with a dot-folder in it (a clone in ~/.cache, a
  // global install under ~/.nvm) as a "dotfile"; with `root` only the part below it is checked.
  app.get('/kiosk', (_req, res) => res.sendFile('find.html', { root: PUBLIC_DIR }));
  app.use(express.static(PUBLIC_DIR, { extensions: ['html'], maxAge: 0 }));
  app.use(errorHandler(deps.ctx.log));
  return app;
}
