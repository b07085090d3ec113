import { Router } from 'express';
import { notFound } from '../../controller/errors.js';
import type { WebDeps } from '../services.js';

export function displaysRouter({ ctx, delivery, signs }: WebDeps): Router {
  const r = Router();
  r.get('/', (_req, res) => {
    res.json(delivery.allStatus());
  });
  r.get('/:id', (req, res) => {
    ctx.store.display(req.params.id);
    res.json(delivery.status(req.params.id));
  });
  r.get('/:id/preview.png', async (req, res) => {
    ctx.store.display(req.params.id);
    const p = await signs.previewPng(req.params.id);
    if (!p) throw notFound('preview for display', req.params.id);
    res.set('Content-Type', 'image/png');
    res.set('ETag', `"${p.hash}"`);
    // The URL carries the hash (?h=…) in the UI, so a given URL's bytes never change.
    res.set('Cache-Control', req.query.h === p.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.send(p.png);
  });
  return r;
}
