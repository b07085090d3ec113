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

export function usersRouter({ users, sessions, audit, ctx }: WebDeps): Router {
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
    const { user, password } = await users.add(body);
    await audit.record({ user: actor(res), action: 'create', entity: 'user', id: user.id, before: {}, after: { username: user.username, role: user.role, unitIds: user.unitIds } });
    res.status(201).json({ user, oneTimePassword: password });
  });

  r.patch('/:id', async (req, res) => {
    const before = users.get(req.params.id);
    const body = parseBody(UserPatch, req.body);
    if (body.unitIds) knownUnits(body.unitIds, 'unitIds');
    const after = await users.update(before.id, body);
    await audit.record({ user: actor(res), action: 'update', entity: 'user', id: after.id, before: { role: before.role, unitIds: before.unitIds, name: before.name }, after: { role: after.role, unitIds: after.unitIds, name: after.name } });
    res.json(after);
  });

  r.delete('/:id', async (req, res) => {
    const u = users.get(req.params.id);
    await users.remove(u.id);
    sessions.deleteForUser(u.id, 'user-deleted');
    await audit.record({ user: actor(res), action: 'delete', entity: 'user', id: u.id, before: { username: u.username, role: u.role }, after: {} });
    res.status(204).end();
  });

  r.post('/:id/password-reset', async (req, res) => {
    const u = users.get(req.params.id);
    const password = generatePassword();
    await users.setPassword(u.id, password);
    await users.requirePasswordChange(u.id);
    sessions.deleteForUser(u.id, 'password-reset');
    await audit.record({ user: actor(res), action: 'reset-password', entity: 'user', id: u.id, before: {}, after: { username: u.username } });
    res.status(201).json({ oneTimePassword: password });
  });

  r.post('/:id/tokens', async (req, res) => {
    const u = users.get(req.params.id);
    const { name } = parseBody(NewToken, req.body);
    const token = await users.createToken(u.id, name);
    await audit.record({ user: actor(res), action: 'create-token', entity: 'user', id: u.id, before: {}, after: { token: name } });
    res.status(201).json({ token });
  });

  r.delete('/:id/tokens/:tokenId', async (req, res) => {
    await users.revokeToken(req.params.id, req.params.tokenId);
    await audit.record({ user: actor(res), action: 'revoke-token', entity: 'user', id: req.params.id, before: { token: req.params.tokenId }, after: {} });
    res.status(204).end();
  });

  return r;
}
