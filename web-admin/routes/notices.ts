// Bulk notices: one action puts a notice on every sign of a floor, a unit or the building, until it expires
// (then each room's own notice is back by itself). Admins: any scope; editors: their units only.
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { Id, LIMITS, type BulkNotice } from '../../controller/domain/model.js';
import { AppError, invalid } from '../../controller/errors.js';
import { bulkNoticesFor } from '../../controller/signs/compose.js';
import { auth, type Auth } from '../auth.js';
import type { WebDeps } from '../services.js';
import { parseBody, userText } from '../validation.js';

const Scope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('building') }),
  z.strictObject({ kind: z.literal('floor'), id: Id }),
  z.strictObject({ kind: z.literal('unit'), id: Id }),
]);
export const NewNotice = z.strictObject({
  scope: Scope,
  text: userText(LIMITS.notice, { multiline: true, min: 1 }),
  redirectRoomId: Id.nullable().default(null),
  from: z.iso.datetime({ offset: true, message: 'an ISO date-time with offset' }).nullable().default(null),
  until: z.iso.datetime({ offset: true, message: 'an ISO date-time with offset, e.g. 2026-11-24T18:00:00+01:00' }),
});

export function noticesRouter({ ctx }: WebDeps): Router {
  const r = Router();
  const mayManage = (a: Auth, scope: BulkNotice['scope']) =>
    a.user.role === 'admin' || (a.user.role === 'editor' && scope.kind === 'unit' && a.user.unitIds.includes(scope.id));
  const affected = (n: BulkNotice) => ctx.store.rooms().filter((room) => bulkNoticesFor({ ...ctx.store.data, bulkNotices: [n] }, room).length > 0).map((x) => x.id);

  r.get('/', (_req, res) => {
    const now = ctx.clock.now();
    res.json(ctx.store.bulkNotices().filter((n) => Date.parse(n.until) > now).map((n) => ({ ...n, roomIds: affected(n) })));
  });

  r.post('/', async (req, res) => {
    const a = auth(res) as Auth;
    const body = parseBody(NewNotice, req.body);
    if (!mayManage(a, body.scope)) throw new AppError(403, 'forbidden_unit', 'editors may post notices only to their own units; floors and the building need an admin');
    const now = ctx.clock.now();
    if (Date.parse(body.until) <= now) throw invalid([{ field: 'until', message: 'must be in the future' }]);
    if (body.from && Date.parse(body.until) <= Date.parse(body.from)) throw invalid([{ field: 'until', message: 'must be after "from"' }]);
    const notice: BulkNotice = {
      id: `bn-${randomBytes(5).toString('hex')}`,
      ...body,
      createdBy: a.user.username,
      createdAt: new Date(now).toISOString(),
    };
    await ctx.store.addBulkNotice(notice, a.user.username); // audited with the change
    const roomIds = affected(notice);
    ctx.log.info({ notice: notice.id, scope: notice.scope, rooms: roomIds.length, until: notice.until, user: a.user.username }, 'bulk notice posted');
    res.status(201).json({ ...notice, roomIds });
  });

  r.delete('/:id', async (req, res) => {
    const a = auth(res) as Auth;
    const n = ctx.store.bulkNotices().find((x) => x.id === req.params.id);
    if (n && !mayManage(a, n.scope)) throw new AppError(403, 'forbidden_unit', 'not a notice of your units');
    await ctx.store.removeBulkNotice(req.params.id, a.user.username);
    res.status(204).end();
  });

  return r;
}
