// Planned moves: a person changes rooms on a date. Editors plan moves of their units' people between rooms of their
// units; every room a move changes counts, also those it implies (`fromRoomId: null`: out of every room).
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { Id, type Move } from '../../controller/domain/model.js';
import { AppError, invalid } from '../../controller/errors.js';
import { auth, assertMayMove, type Auth } from '../auth.js';
import type { WebDeps } from '../services.js';
import { parseBody } from '../validation.js';

export const NewMove = z.strictObject({
  personId: Id,
  fromRoomId: Id.nullable().default(null),
  toRoomId: Id,
  effectiveAt: z.iso.datetime({ offset: true, message: 'an ISO date-time with offset, e.g. 2026-12-01T07:00:00+01:00' }),
});

export function movesRouter({ ctx }: WebDeps): Router {
  const r = Router();
  r.get('/', (_req, res) => {
    res.json(ctx.store.moves());
  });

  r.post('/', async (req, res) => {
    const a = auth(res) as Auth;
    const body = parseBody(NewMove, req.body);
    const issues = [];
    if (!ctx.store.people().some((p) => p.id === body.personId)) issues.push({ field: 'personId', message: `unknown person "${body.personId}"` });
    if (!ctx.store.rooms().some((x) => x.id === body.toRoomId)) issues.push({ field: 'toRoomId', message: `unknown room "${body.toRoomId}"` });
    if (body.fromRoomId && !ctx.store.rooms().some((x) => x.id === body.fromRoomId)) issues.push({ field: 'fromRoomId', message: `unknown room "${body.fromRoomId}"` });
    if (body.fromRoomId && body.fromRoomId === body.toRoomId) issues.push({ field: 'toRoomId', message: 'must differ from fromRoomId' });
    if (Date.parse(body.effectiveAt) <= ctx.clock.now()) issues.push({ field: 'effectiveAt', message: 'must be in the future (to move someone now, edit the rooms)' });
    if (issues.length) throw invalid(issues);
    const move: Move = { id: `mv-${randomBytes(5).toString('hex')}`, ...body, createdBy: a.user.username };
    assertMayMove(a.user, ctx.store.data, move, 'plan');
    await ctx.store.addMove(move, a.user.username); // audited with the change
    res.status(201).json(move);
  });

  r.delete('/:id', async (req, res) => {
    const a = auth(res) as Auth;
    const m = ctx.store.moves().find((x) => x.id === req.params.id);
    if (!m) throw new AppError(404, 'not_found', `move "${req.params.id}" not found`);
    assertMayMove(a.user, ctx.store.data, m, 'cancel');
    await ctx.store.removeMove(m.id, a.user.username);
    res.status(204).end();
  });
  return r;
}
