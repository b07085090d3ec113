// Read-only reference data the editor picks from: floors, units, people, services.
import { Router } from 'express';
import type { WebDeps } from '../services.js';

export function catalogRouter({ ctx }: WebDeps): Router {
  const r = Router();
  r.get('/floors', (_req, res) => {
    res.json(ctx.store.floors());
  });
  r.get('/units', (_req, res) => {
    res.json(ctx.store.units());
  });
  r.get('/people', (_req, res) => {
    res.json(ctx.store.people());
  });
  r.get('/services', (_req, res) => {
    res.json(ctx.store.services());
  });
  return r;
}
