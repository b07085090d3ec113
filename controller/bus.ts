// Typed in-process event bus. A listener that throws is logged and never stops the others.
import type { Logger } from 'pino';
import type { DisplayStatus } from './delivery/status.js';

export interface BusEvents {
  /** stored data changed; `entity`/`id` say what, for listeners that care */
  'store.changed': { entity: 'room' | 'person' | 'service' | 'unit' | 'display' | 'notice' | 'building'; id: string };
  /** a display got a new desired frame (preview changed) */
  'display.desired': { displayId: string; hash: string; warnings: string[] };
  /** anything in a display's delivery status changed */
  'display.status': DisplayStatus;
}

type Listener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void;

export class Bus {
  private readonly listeners = new Map<keyof BusEvents, Set<Listener<never>>>();

  constructor(private readonly log?: Logger) {}

  on<K extends keyof BusEvents>(event: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(fn as Listener<never>);
    return () => set.delete(fn as Listener<never>);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as Listener<K>)(payload);
      } catch (err) {
        this.log?.error({ err, event }, 'bus listener failed');
      }
    }
  }
}
