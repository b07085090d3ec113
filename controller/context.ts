// AppContext: the one argument every module takes. No global singletons: config and clock are injected.
import type { Logger } from 'pino';
import type { Bus } from './bus.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Store } from './store/store.js';

export interface AppContext {
  config: Config;
  clock: Clock;
  log: Logger;
  bus: Bus;
  store: Store;
}
