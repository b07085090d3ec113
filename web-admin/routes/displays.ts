import { Router } from 'express';
import { notFound } from '../../controller/errors.js';
import { auth, requireRole, type Auth } from '../auth.js';
import { PX_PER_M, PLAN_MARGIN } from '../../controller/wayfinding/plan-svg.js';
import type { WebDeps } from '../services.js';

export function displaysRouter({ ctx, delivery, signs, audit }: WebDeps): Router {
  const r = Router();
  r.get('/', (_req, res) => {
    res.json(delivery.allStatus());
  });
  /** Where each display hangs on its floor's plan, in percent of the plan image (for the floor view). */
  r.get('/positions', (_req, res) => {
    const d = ctx.store.data;
    const nodes = new Map(d.graph.nodes.map((n) => [n.id, n]));
    const doors = new Map(d.graph.nodes.filter((n) => n.kind === 'door' && n.roomId).map((n) => [n.roomId as string, n]));
    const plans = new Map(d.plans.map((p) => [p.floorId, p]));
    const floors = [...d.floors].sort((a, b) => a.level - b.level).filter((f) => plans.has(f.id)).map((f) => ({ id: f.id, name: f.name }));
    const displays = d.displays.flatMap((x) => {
      const node = (x.nodeId ? nodes.get(x.nodeId) : undefined) ?? (x.roomId ? doors.get(x.roomId) : undefined);
      const plan = node ? plans.get(node.floorId) : undefined;
      if (!node || !plan) return [];
      const pct = (v: number, extent: number) => Math.round(((PLAN_MARGIN + v * PX_PER_M) / (extent * PX_PER_M + 2 * PLAN_MARGIN)) * 10_000) / 100;
      return [{ id: x.id, floorId: node.floorId, left: pct(node.x, plan.width), top: pct(node.y, plan.height) }];
    });
    res.json({ floors, displays });
  });
  r.get('/:id', (req, res) => {
    ctx.store.display(req.params.id);
    res.json(delivery.status(req.params.id));
  });
  /**
   * Reset delivery (admins): forget what the display confirmed and the sequence numbering we believed, clear its
   * faults and failures, and re-establish it from a fresh full frame. Audited before it takes effect.
   */
  r.post('/:id/reset', requireRole('admin'), async (req, res) => {
    const id = req.params.id as string;
    ctx.store.display(id);
    const a = auth(res) as Auth;
    const before = delivery.status(id);
    await audit.record({
      user: a.user.username,
      action: 'reset-delivery',
      entity: 'display',
      id,
      before: { confirmedHash: before.confirmedHash, failed: before.failed, lastError: before.lastError, fault: before.fault?.message ?? null },
      after: { confirmedHash: null, failed: false, lastError: null, fault: null },
    });
    res.json(delivery.reset(id));
  });
  r.get('/:id/preview.png', async (req, res) => {
    ctx.store.display(req.params.id);
    const p = await signs.previewPng(req.params.id);
    if (!p) throw notFound('preview for display', req.params.id);
    res.set('Content-Type', 'image/png');
    res.set('ETag', `"${p.hash}"`);
    // The URL carries the hash (?h=…) in the UI, so a given URL's bytes never change (cached on purpose).
    res.set('Cache-Control', req.query.h === p.hash ? 'private, max-age=31536000, immutable' : 'no-cache'); // staff-only: never in shared caches
    res.send(p.png);
  });
  return r;
}
