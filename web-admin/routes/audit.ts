// The audit log for admins: newest first, filtered by entity, record, user, date.
import { Router } from 'express';
import { z } from 'zod';
import type { WebDeps } from '../services.js';
import { parseBody } from '../validation.js';

const Query = z.strictObject({
  entity: z.string().max(32).optional(),
  id: z.string().max(64).optional(),
  user: z.string().max(64).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export function auditRouter({ audit }: WebDeps): Router {
  const r = Router();
  r.get('/', async (req, res) => {
    const q = parseBody(Query, { ...req.query });
    res.json(await audit.query(q));
  });
  return r;
}
