// What the web edge needs from the rest of the controller.
import type { AppContext } from '../controller/context.js';
import type { Delivery } from '../controller/delivery/delivery.js';
import type { SignService } from '../controller/signs/sign-service.js';
import type { UserStore } from '../controller/auth/users.js';
import type { SessionStore } from '../controller/auth/sessions.js';
import type { LoginLimiter } from '../controller/auth/login-limiter.js';
import type { AuditLog } from '../controller/audit/audit-log.js';
import type { Wayfinder } from '../controller/wayfinding/wayfinder.js';

export interface WebDeps {
  ctx: AppContext;
  delivery: Delivery;
  signs: SignService;
  users: UserStore;
  sessions: SessionStore;
  limiter: LoginLimiter;
  audit: AuditLog;
  wayfinder: Wayfinder;
}
