// The visitors' API: no login. Search, routes, and floor plans (SVG and PNG) for the kiosk and phone pages.
// Read-only and computed from the current state; every query parameter is validated (400 naming it).
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { Id } from '../../controller/domain/model.js';
import { AppError, invalid } from '../../controller/errors.js';
import { WayfindingError, type RoutePlan } from '../../controller/wayfinding/wayfinder.js';
import { planSvg, type PlanRoute } from '../../controller/wayfinding/plan-svg.js';
import type { WebDeps } from '../services.js';
import { PlanImageCache, pngScale, svgToPng } from '../plan-images.js';

const flag = z
  .enum(['1', '0', 'true', 'false'], { message: 'expected 1 or 0' })
  .optional()
  .transform((v) => v === '1' || v === 'true');

export const SearchQuery = z.strictObject({
  q: z.string({ message: 'type a service, a name or a room number' }).trim().min(1, 'type a service, a name or a room number').max(200, 'at most 200 characters'),
  from: Id.optional(),
  stepFree: flag,
});

export const RouteQuery = z.strictObject({
  to: Id,
  from: Id.optional(),
  stepFree: flag,
});

export const PlanQuery = z.strictObject({
  to: Id.optional(),
  from: Id.optional(),
  stepFree: flag,
  lang: z.enum(['de', 'en']).optional().default('de'),
});

function parseQuery<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  // Repeated parameters arrive as arrays: one value each is expected.
  const flat = Object.fromEntries(Object.entries(query as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v.at(-1) : v]));
  const r = schema.safeParse(flat);
  if (r.success) return r.data;
  throw invalid(
    r.error.issues.map((i) =>
      i.code === 'unrecognized_keys' ? { field: i.keys.join(', '), message: 'unknown parameter' } : { field: i.path.join('.') || '(query)', message: i.message },
    ),
  );
}

function rethrow(err: unknown): never {
  if (err instanceof WayfindingError) {
    if (err.status === 400) throw invalid([{ field: err.field, message: err.message }]);
    throw new AppError(err.status, err.status === 404 ? 'not_found' : 'unavailable', err.message, [{ field: err.field, message: err.message }]);
  }
  throw err;
}

function planRoute(plan: RoutePlan | null, floorId: string): PlanRoute | null {
  if (!plan?.ok) return null;
  const i = plan.floors.findIndex((f) => f.floorId === floorId);
  if (i < 0) return null;
  const f = plan.floors[i] as { points: [number, number][] };
  return { points: f.points, startsHere: i === 0, endsHere: i === plan.floors.length - 1 };
}

function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
}

/**
 * Whether the client already holds `etag` (If-None-Match: a list of weak or strong tags). Only tags this server
 * handed out match: a client holds one only for a query that was valid on the state the tag names ("*" is not
 * honoured — it would answer 304 for an unknown room).
 */
function clientHas(req: Request, etag: string): boolean {
  const header = req.get('if-none-match');
  if (!header) return false;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

export function publicRouter({ ctx, wayfinder }: WebDeps): Router {
  const r = Router();
  const images = new PlanImageCache(ctx.log);

  /** Floors with plans, and the places a route can start from (kiosks, signs, doors). */
  r.get('/building', (_req, res) => {
    noStore(res);
    try {
      const data = wayfinder.snapshot();
      const withPlan = new Set(data.plans.map((p) => p.floorId));
      res.json({
        enabled: wayfinder.enabled,
        floors: [...data.floors].sort((a, b) => a.level - b.level).map((f) => ({ id: f.id, level: f.level, name: f.name, nameEn: f.nameEn, plan: withPlan.has(f.id) })),
        places: wayfinder.enabled ? wayfinder.places() : [],
        start: wayfinder.enabled ? wayfinder.start(undefined) : null,
      });
    } catch (err) {
      rethrow(err);
    }
  });

  r.get('/search', (req, res) => {
    noStore(res);
    const q = parseQuery(SearchQuery, req.query);
    try {
      res.json(wayfinder.search(q.q, { ...(q.from ? { from: q.from } : {}), stepFree: q.stepFree }));
    } catch (err) {
      rethrow(err);
    }
  });

  r.get('/route', (req, res) => {
    noStore(res);
    const q = parseQuery(RouteQuery, req.query);
    try {
      const plan = wayfinder.route(q.from, q.to, q.stepFree);
      res.json(plan);
    } catch (err) {
      rethrow(err);
    }
  });

  const plan = (format: 'svg' | 'png') => async (req: Request, res: Response) => {
    const floorId = Id.safeParse(req.params.floorId);
    if (!floorId.success) throw invalid([{ field: 'floorId', message: floorId.error.issues[0]?.message ?? 'invalid' }]);
    const q = parseQuery(PlanQuery, req.query);
    const data = wayfinder.snapshot();
    const floorPlan = data.plans.find((p) => p.floorId === floorId.data);
    if (!floorPlan) throw new AppError(404, 'not_found', `no plan for floor "${floorId.data}"`, [{ field: 'floorId', message: 'no plan for this floor' }]);
    // Public and the same for everyone, but it changes the moment staff close a lift: cached, always revalidated.
    const etag = images.etag(data, JSON.stringify([format, floorId.data, q.to ?? null, q.from ?? null, q.stepFree, q.lang]));
    const cacheHeaders = () => {
      res.set({ ETag: etag, 'Cache-Control': 'public, no-cache' });
      if (format === 'svg') res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    };
    if (clientHas(req, etag)) {
      cacheHeaders();
      res.status(304).end();
      return;
    }
    const body = await images.get(etag, () => {
      // Route and drawing are computed now, on the state the ETag names (no await before this point).
      let route: RoutePlan | null = null;
      try {
        if (q.to) route = wayfinder.route(q.from, q.to, q.stepFree);
      } catch (err) {
        rethrow(err);
      }
      const svg = planSvg(data, floorId.data, { lang: q.lang, route: planRoute(route, floorId.data), highlightRoomId: q.to ?? null });
      return format === 'svg' ? Promise.resolve(Buffer.from(svg)) : svgToPng(svg, pngScale(floorPlan));
    });
    // Only a drawing carries the ETag (an unknown room's 404 does not).
    cacheHeaders();
    if (format === 'svg') {
      // Shown through <img>: scripts in an SVG image never run; the CSP forbids them anyway.
      res.type('image/svg+xml').send(body);
      return;
    }
    res.type('image/png').set('Content-Disposition', `inline; filename="plan-${floorId.data}.png"`).send(body);
  };
  r.get('/plan/:floorId.svg', plan('svg'));
  r.get('/plan/:floorId.png', plan('png'));
  return r;
}
