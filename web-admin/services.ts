// What the web edge needs from the rest of the controller.
import type { AppContext } from '../controller/context.js';
import type { Delivery } from '../controller/delivery/delivery.js';
import type { SignService } from '../controller/signs/sign-service.js';

export interface WebDeps {
  ctx: AppContext;
  delivery: Delivery;
  signs: SignService;
}
