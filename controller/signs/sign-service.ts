// Keeps every display's desired frame in step with the stored data. On any change it recomposes all signs (a
// cheap, pure step) and re-renders only those whose content differs — so "which displays does this change touch"
// is answered by the content itself, including indirect effects (a renamed room that others redirect to).
import type { AppContext } from '../context.js';
import type { Delivery } from '../delivery/delivery.js';
import { composeForDisplay } from './compose.js';
import { renderSign, frameToPng, panelById, type SignContent, type Frame } from '../../renderer/index.js';

interface Slot {
  /** JSON of the content last handed to the renderer */
  key: string | null;
  /** content waiting to be rendered (latest wins) */
  pending: SignContent | null;
  rendering: boolean;
}

/** Renders run through sharp's thread pool; more in parallel only adds queueing. */
const MAX_PARALLEL_RENDERS = 2;

export class SignService {
  private readonly slots = new Map<string, Slot>();
  private readonly pngCache = new Map<string, Buffer>();
  private active = 0;
  private readonly queue: string[] = [];
  private idleWaiters: (() => void)[] = [];
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly delivery: Delivery,
  ) {}

  /** Renders every sign once, then follows store changes. */
  async start(): Promise<void> {
    this.reconcile();
    this.unsubscribe = this.ctx.bus.on('store.changed', () => this.reconcile());
    await this.idle();
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /** Recomposes every display's content and queues renders for those that changed. */
  reconcile(): void {
    const data = this.ctx.store.data;
    for (const display of data.displays) {
      let slot = this.slots.get(display.id);
      if (!slot) {
        slot = { key: null, pending: null, rendering: false };
        this.slots.set(display.id, slot);
      }
      const content = composeForDisplay(data, display);
      const key = JSON.stringify([display.panel, content]);
      if (key === slot.key) continue;
      slot.key = key;
      slot.pending = content;
      if (!slot.rendering && !this.queue.includes(display.id)) this.queue.push(display.id);
    }
    this.drain();
  }

  private drain(): void {
    while (this.active < MAX_PARALLEL_RENDERS && this.queue.length > 0) {
      const id = this.queue.shift() as string;
      const slot = this.slots.get(id);
      if (!slot?.pending) continue;
      const content = slot.pending;
      slot.pending = null;
      slot.rendering = true;
      this.active++;
      void this.renderOne(id, content).finally(() => {
        slot.rendering = false;
        this.active--;
        if (slot.pending) this.queue.push(id);
        this.drain();
      });
    }
    if (this.active === 0 && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async renderOne(id: string, content: SignContent): Promise<void> {
    const display = this.ctx.store.data.displays.find((d) => d.id === id);
    if (!display) return;
    const panel = panelById(display.panel);
    if (!panel) {
      this.ctx.log.error({ display: id, panel: display.panel }, 'unknown panel profile');
      return;
    }
    try {
      const t0 = performance.now();
      const { frame, warnings } = await renderSign(content, panel);
      for (const w of warnings) this.ctx.log.warn({ display: id }, `layout: ${w}`);
      this.ctx.log.debug({ display: id, ms: +(performance.now() - t0).toFixed(1), hash: frame.hash.slice(0, 12) }, 'rendered');
      this.delivery.setDesired(id, frame, warnings);
    } catch (err) {
      this.ctx.log.error({ display: id, err: (err as Error).message }, 'render failed');
    }
  }

  /** Resolves once no render is queued or running. */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** PNG of a display's desired frame, cached by frame hash. */
  async previewPng(displayId: string): Promise<{ png: Buffer; hash: string } | null> {
    const frame: Frame | null = this.delivery.desiredFrame(displayId);
    if (!frame) return null;
    let png = this.pngCache.get(frame.hash);
    if (!png) {
      png = await frameToPng(frame);
      if (this.pngCache.size > 512) this.pngCache.clear();
      this.pngCache.set(frame.hash, png);
    }
    return { png, hash: frame.hash };
  }
}
