// Login limits for admins: who is being slowed down (per user name + address, and the totals per name and per
// address), and lifting one — e.g. after a colleague forgot their password — which is audited.
import { Router } from 'express';
import { AppError } from '../../controller/errors.js';
import { auth, type Auth } from '../auth.js';
import type { WebDeps } from '../services.js';

export function loginLimitsRouter({ limiter, audit }: WebDeps): Router {
  const r = Router();
  r.get('/', (_req, res) => {
    // Under a flood there can be thousands; the most failures come first, and the page shows those.
    const limits = limiter.list();
    res.json({ policy: limiter.policy, total: limits.length, limits: limits.slice(0, 500) });
  });

  r.delete('/:id', async (req, res) => {
    const a = auth(res) as Auth;
    const lifted = limiter.lift(String(req.params.id));
    if (!lifted) throw new AppError(404, 'not_found', 'no such login limit (it may have faded already)', [{ field: 'id', message: 'unknown or expired' }]);
    await audit.record({
      user: a.user.username,
      action: 'lift-login-limit',
      entity: 'session',
      id: lifted.username ?? lifted.address ?? lifted.id,
      before: { kind: lifted.kind, username: lifted.username, address: lifted.address, failures: lifted.failures },
      after: {},
    });
    res.status(204).end();
  });
  return r;
}
