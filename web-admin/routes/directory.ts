// The staff directory and the service catalogue: admins edit everything; editors add and edit the people of their
// units — above all their absences, which send visitors to a substitute room. Every change is versioned and audited
// (by the store, with the change itself).
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import { Id, LIMITS, type Person } from '../../controller/domain/model.js';
import { AppError, invalid } from '../../controller/errors.js';
import { auth, requireRole, type Auth } from '../auth.js';
import type { WebDeps } from '../services.js';
import { parseBody, userText } from '../validation.js';

const iso = (what: string) => z.iso.datetime({ offset: true, message: `${what}: an ISO date-time with offset, e.g. 2026-11-24T08:00:00+01:00` });
const AbsenceBody = z
  .strictObject({ from: iso('from').nullable().default(null), until: iso('until'), substituteRoomId: Id.nullable().default(null) })
  .refine((a) => a.from === null || Date.parse(a.until) > Date.parse(a.from), { message: 'must be after "from"', path: ['until'] });

export const PersonBody = z.strictObject({
  name: userText(LIMITS.name, { min: 1 }),
  title: userText(LIMITS.title).nullable().default(null),
  unitId: Id.nullable().default(null),
});
export const PersonPatch = z.strictObject({
  version: z.number().int().nonnegative().optional(),
  name: userText(LIMITS.name, { min: 1 }).optional(),
  title: userText(LIMITS.title).nullable().optional(),
  unitId: Id.nullable().optional(),
  absence: AbsenceBody.nullable().optional(),
});
export const ServiceBody = z.strictObject({
  nameDe: userText(LIMITS.name, { min: 1 }),
  nameEn: userText(LIMITS.name),
  synonyms: z.array(userText(LIMITS.synonym, { min: 1 })).max(LIMITS.synonyms).default([]),
});
export const ServicePatch = z.strictObject({
  version: z.number().int().nonnegative().optional(),
  nameDe: userText(LIMITS.name, { min: 1 }).optional(),
  nameEn: userText(LIMITS.name).optional(),
  synonyms: z.array(userText(LIMITS.synonym, { min: 1 })).max(LIMITS.synonyms).optional(),
});

export function directoryRouter({ ctx }: WebDeps): Router {
  const r = Router();
  const me = (res: Parameters<typeof auth>[0]) => (auth(res) as Auth).user;
  const mayEditPerson = (user: Auth['user'], unitId: string | null) =>
    user.role === 'admin' || (user.role === 'editor' && unitId !== null && user.unitIds.includes(unitId));
  const forbid = (user: Auth['user']) =>
    new AppError(403, user.role === 'editor' ? 'forbidden_unit' : 'forbidden', user.role === 'editor' ? 'people of other units are edited by their editors or an admin' : 'viewers cannot change the directory');

  r.post('/people', async (req, res) => {
    const body = parseBody(PersonBody, req.body);
    if (!mayEditPerson(me(res), body.unitId)) throw forbid(me(res));
    const person = await ctx.store.addPerson({ id: `p-${randomBytes(5).toString('hex')}`, ...body, absence: null }, me(res).username);
    res.status(201).json(person);
  });

  r.patch('/people/:id', async (req, res) => {
    const before = ctx.store.person(req.params.id);
    const { version, ...patch } = parseBody(PersonPatch, req.body);
    const user = me(res);
    if (!mayEditPerson(user, before.unitId) || (patch.unitId !== undefined && patch.unitId !== before.unitId && user.role !== 'admin')) throw forbid(user);
    const sub = patch.absence?.substituteRoomId;
    if (sub && !ctx.store.rooms().some((x) => x.id === sub)) throw invalid([{ field: 'absence.substituteRoomId', message: `unknown room "${sub}"` }]);
    let after: Person;
    try {
      after = await ctx.store.updatePerson(before.id, patch, version, user.username);
    } catch (err) {
      if (err instanceof AppError && err.status === 409) res.locals.conflictCurrent = ctx.store.person(before.id);
      throw err;
    }
    res.json(after);
  });

  r.delete('/people/:id', requireRole('admin'), async (req, res) => {
    await ctx.store.removePerson(String(req.params.id), me(res).username);
    res.status(204).end();
  });

  r.post('/services', requireRole('admin'), async (req, res) => {
    const body = parseBody(ServiceBody, req.body);
    const service = await ctx.store.addService({ id: `s-${randomBytes(5).toString('hex')}`, ...body }, me(res).username);
    res.status(201).json(service);
  });

  r.patch('/services/:id', requireRole('admin'), async (req, res) => {
    const before = ctx.store.service(String(req.params.id));
    const { version, ...patch } = parseBody(ServicePatch, req.body);
    const after = await ctx.store.updateService(before.id, patch, version, me(res).username).catch((err: unknown) => {
      if (err instanceof AppError && err.status === 409) res.locals.conflictCurrent = ctx.store.service(before.id);
      throw err;
    });
    res.json(after);
  });

  r.delete('/services/:id', requireRole('admin'), async (req, res) => {
    await ctx.store.removeService(String(req.params.id), me(res).username);
    res.status(204).end();
  });

  return r;
}
