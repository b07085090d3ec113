// Accounts (admins only): list, create (with a one-time password), change role and units, reset a password (a new
// one-time password; the account's sessions end), remove; API tokens.
import { Router } from 'express';
import { z } from 'zod';
import { Id } from '../../controller/domain/model.js';
import { Role } from '../../controller/auth/users.js';
import { invalid } from '../../controller/errors.js';
import { generatePassword } from '../../controller/auth/passwords.js';
import { auth } from '../auth.js';
import type { WebDeps } from '../services.js';
import { parseBody, userText } from '../validation.js';

const Username = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, '2–32 lower-case letters, digits, . _ -');
export const NewUser = z.strictObject({ username: Username, name: userText(120, { min: 1 }), role: Role, unitIds: z.array(Id).max(40).default([]) });
export const UserPatch = z.strictObject({ name: userText(120, { min: 1 }).optional(), role: Role.optional(), unitIds: z.array(Id).max(40).optional() });
export const NewToken = z.strictObject({ name: userText(80, { min: 1 }) });

export function usersRouter({ users, sessions, ctx }: WebDeps): Router {
  const r = Router();
  const knownUnits = (ids: string[], field: string) => {
    const bad = ids.map((u, i) => [u, i] as const).filter(([u]) => !ctx.store.units().some((x) => x.id === u));
    if (bad.length) throw invalid(bad.map(([u, i]) => ({ field: `${field}.${i}`, message: `unknown unit "${u}"` })));
  };
  const actor = (res: Parameters<typeof auth>[0]) => auth(res)?.user.username ?? '?';

  r.get('/', (_req, res) => {
    res.json(users.list());
  });

  r.post('/', async (req, res) => {
    const body = parseBody(NewUser, req.body);
    knownUnits(body.unitIds, 'unitIds');
    const { user, password } = await users.add(body, actor(res)); // audited with the change
    res.status(201).json({ user, oneTimePassword: password });
  });

  r.patch('/:id', async (req, res) => {
    const before = users.get(req.params.id);
    const body = parseBody(UserPatch, req.body);
    if (body.unitIds) knownUnits(body.unitIds, 'unitIds');
    const after = await users.update(before.id, body, actor(res));
    res.json(after);
  });

  r.delete('/:id', async (req, res) => {
    const u = users.get(req.params.id);
    await users.remove(u.id, actor(res));
    sessions.deleteForUser(u.id, 'user-deleted');
    res.status(204).end();
  });

  r.post('/:id/password-reset', async (req, res) => {
    const u = users.get(req.params.id);
    const password = generatePassword();
    await users.setPassword(u.id, password, actor(res), { oneTime: true }); // one change, audited with it
    sessions.deleteForUser(u.id, 'password-reset');
    res.status(201).json({ oneTimePassword: password });
  });

  r.post('/:id/tokens', async (req, res) => {
    const u = users.get(req.params.id);
    const { name } = parseBody(NewToken, req.body);
    const token = await users.createToken(u.id, name, actor(res));
    res.status(201).json({ token });
  });

  r.delete('/:id/tokens/:tokenId', async (req, res) => {
    await users.revokeToken(req.params.id, req.params.tokenId, actor(res));
    res.status(204).end();
  });

  return r;
}
