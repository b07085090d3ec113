// Log in, see who you are, change your password, log out.
import { Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../controller/errors.js';
import { SESSION_COOKIE, SESSION_IDLE_MS } from '../../controller/auth/sessions.js';
import { auth, csrfOk } from '../auth.js';
import type { WebDeps } from '../services.js';
import { parseBody } from '../validation.js';
import { clientAddress } from '../client-limits.js';

export const Login = z.strictObject({ username: z.string().min(1).max(64), password: z.string().min(1).max(200) });
export const PasswordChange = z.strictObject({
  currentPassword: z.string().min(1).max(200),
  newPassword: z.string().min(12, 'at least 12 characters').max(200),
});

export function sessionRouter(deps: WebDeps): Router {
  const { users, sessions, limiter, audit, ctx } = deps;
  const r = Router();

  r.post('/', async (req, res) => {
    const { username, password } = parseBody(Login, req.body);
    // The client's address (X-Forwarded-For only from a trusted proxy): limits count per user name + address.
    const address = clientAddress(req);
    const wait = limiter.blockedFor(username, address);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      res.set('Retry-After', String(seconds));
      throw new AppError(429, 'too_many_attempts', `too many failed logins for this user name from your address; try again in ${seconds < 120 ? `${seconds} s` : `${Math.ceil(seconds / 60)} min`}`);
    }
    const user = await users.verify(username, password);
    if (!user) {
      limiter.fail(username, address);
      ctx.log.warn({ username, address }, 'refused login: wrong user name or password');
      throw new AppError(401, 'bad_credentials', 'wrong user name or password');
    }
    limiter.succeed(username, address);
    const session = sessions.create(user.id);
    // Secure over https: a TLS socket, or X-Forwarded-Proto from a trusted proxy (req.secure follows `trust proxy`).
    res.cookie(SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: SESSION_IDLE_MS });
    await audit.record({ user: user.username, action: 'login', entity: 'session', id: user.id, before: {}, after: {} });
    res.json({ user, csrfToken: session.csrf });
  });

  r.get('/', (_req, res) => {
    const a = auth(res);
    if (!a) throw new AppError(401, 'unauthenticated', 'not logged in');
    res.json({ user: a.user, csrfToken: a.session?.csrf ?? null });
  });

  r.delete('/', (req, res) => {
    const a = auth(res);
    if (a?.session) {
      // Logging out needs the CSRF token too: a foreign page must not be able to log you out either.
      if (!csrfOk(req, a.session)) throw new AppError(403, 'csrf', 'missing or wrong CSRF token (X-CSRF-Token)');
      sessions.delete(a.session.id, 'logout');
    }
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    res.status(204).end();
  });

  r.post('/password', async (req, res, next) => {
    // The one-time password change is allowed before anything else, so this skips the change-required gate.
    const a = auth(res);
    if (!a) throw new AppError(401, 'unauthenticated', 'log in first');
    if (a.via === 'session' && !csrfOk(req, a.session)) {
      return next(new AppError(403, 'csrf', 'missing or wrong CSRF token (X-CSRF-Token)'));
    }
    const { currentPassword, newPassword } = parseBody(PasswordChange, req.body);
    if (!(await users.verify(a.user.username, currentPassword))) throw new AppError(400, 'invalid', 'currentPassword: wrong password', [{ field: 'currentPassword', message: 'wrong password' }]);
    if (newPassword === currentPassword) throw new AppError(400, 'invalid', 'newPassword: must differ from the current one', [{ field: 'newPassword', message: 'must differ from the current one' }]);
    await users.setPassword(a.user.id, newPassword, a.user.username); // audited with the change
    sessions.deleteForUser(a.user.id, 'password-changed', a.session?.id);
    res.status(204).end();
  });

  return r;
}
