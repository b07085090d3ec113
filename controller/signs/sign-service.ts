// Keeps every display's frames in step with the stored data and the clock. On any change it recomposes all signs (a
// cheap, pure step) and re-renders only those whose content differs — so "which displays does this change touch"
// is answered by the content itself, including indirect effects (a renamed room that others redirect to).
// It also looks ahead: where a sign will change by itself (a notice valid from 08:00), the future frame is rendered
// now and handed to delivery with its time, so a sleeping display can switch on its own clock exactly then.
import type { AppContext } from '../context.js';
import type { Delivery } from '../delivery/delivery.js';
import { composeForDisplay, transitions } from './compose.js';
import { renderSign, frameToPng, panelById, type SignContent, type Frame } from '../../renderer/index.js';

type Job = { id: string; kind: 'now' } | { id: string; kind: 'next'; at: number };

interface Slot {
  /** key (panel + content JSON) of what the display should show now, and of its scheduled future frame */
  key: string | null;
  nextKey: string | null;
  nextAt: number | null;
  pendingNow: SignContent | null;
  pendingNext: { content: SignContent; at: number } | null;
}

interface Rendered {
  frame: Frame;
  warnings: string[];
}

/** Renders run through sharp's thread pool; more in parallel only adds queueing. */
const MAX_PARALLEL_RENDERS = 2;
/** How far ahead future frames are rendered and sent. */
const LOOKAHEAD_MS = 48 * 3600 * 1000;

export class SignService {
  private readonly slots = new Map<string, Slot>();
  /** rendered frames by content key: a scheduled frame becomes the present one without rendering again */
  private readonly rendered = new Map<string, Rendered>();
  private readonly pngCache = new Map<string, Buffer>();
  private active = 0;
  private readonly queue: Job[] = [];
  private idleWaiters: (() => void)[] = [];
  private unsubscribe: (() => void) | null = null;
  private timer: { cancel(): void; at: number } | null = null;

  constructor(
    private readonly ctx: AppContext,
    private readonly delivery: Delivery,
  ) {}

  /** Renders every sign once, then follows store changes and the clock. */
  async start(): Promise<void> {
    this.reconcile();
    this.unsubscribe = this.ctx.bus.on('store.changed', () => this.reconcile());
    await this.idle();
  }

  stop(): void {
    this.unsubscribe?.();
    this.timer?.cancel();
    this.timer = null;
  }

  private slot(id: string): Slot {
    let slot = this.slots.get(id);
    if (!slot) {
      slot = { key: null, nextKey: null, nextAt: null, pendingNow: null, pendingNext: null };
      this.slots.set(id, slot);
    }
    return slot;
  }

  /** Recomposes every display's content, now and at its next change, and queues renders for what changed. */
  reconcile(): void {
    const data = this.ctx.store.data;
    const now = this.ctx.clock.now();
    let wakeAt = Infinity;
    for (const display of data.displays) {
      const slot = this.slot(display.id);
      const content = composeForDisplay(data, display, now);
      const key = JSON.stringify([display.panel, content]);
      if (key !== slot.key) {
        slot.key = key;
        const hit = this.rendered.get(key);
        if (hit) this.delivery.setDesired(display.id, hit.frame, hit.warnings);
        else {
          slot.pendingNow = content;
          this.enqueue({ id: display.id, kind: 'now' });
        }
      }
      const at = transitions(data, display, now).find((t) => t - now <= LOOKAHEAD_MS);
      if (at !== undefined) wakeAt = Math.min(wakeAt, at);
      const future = at === undefined ? null : composeForDisplay(data, display, at);
      const futureKey = future ? JSON.stringify([display.panel, future]) : null;
      if (!future || futureKey === key) {
        if (slot.nextKey !== null) {
          slot.nextKey = null;
          slot.nextAt = null;
          slot.pendingNext = null;
          this.delivery.setScheduled(display.id, null, 0);
        }
      } else if (futureKey !== slot.nextKey || at !== slot.nextAt) {
        slot.nextKey = futureKey;
        slot.nextAt = at ?? null;
        const hit = futureKey ? this.rendered.get(futureKey) : undefined;
        if (hit && at !== undefined) this.delivery.setScheduled(display.id, hit.frame, at);
        else if (at !== undefined) {
          slot.pendingNext = { content: future, at };
          this.enqueue({ id: display.id, kind: 'next', at });
        }
      }
    }
    this.armTimer(wakeAt);
    this.drain();
  }

  /** Wakes at the next moment a sign changes by itself (one timer for all displays). */
  private armTimer(at: number): void {
    if (this.timer?.at === at) return;
    this.timer?.cancel();
    this.timer = null;
    if (!Number.isFinite(at)) return;
    const t = this.ctx.clock.setTimeout(() => {
      this.timer = null;
      this.reconcile();
    }, Math.max(0, at - this.ctx.clock.now()));
    this.timer = { cancel: () => t.cancel(), at };
  }

  private enqueue(job: Job): void {
    if (!this.queue.some((j) => j.id === job.id && j.kind === job.kind)) this.queue.push(job);
  }

  private drain(): void {
    while (this.active < MAX_PARALLEL_RENDERS && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      const slot = this.slots.get(job.id);
      const pending = job.kind === 'now' ? slot?.pendingNow : slot?.pendingNext?.content;
      if (!slot || !pending) continue;
      const at = job.kind === 'next' ? slot.pendingNext?.at : undefined;
      if (job.kind === 'now') slot.pendingNow = null;
      else slot.pendingNext = null;
      this.active++;
      void this.renderOne(job.id, pending).then((r) => {
        if (!r) return;
        // Hand over only if it is still what the slot wants (a newer edit may have superseded it meanwhile).
        if (job.kind === 'now' && slot.key === r.key) this.delivery.setDesired(job.id, r.frame, r.warnings);
        if (job.kind === 'next' && slot.nextKey === r.key && at !== undefined) this.delivery.setScheduled(job.id, r.frame, at);
      }).finally(() => {
        this.active--;
        this.drain();
      });
    }
    if (this.active === 0 && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async renderOne(id: string, content: SignContent): Promise<(Rendered & { key: string }) | null> {
    const display = this.ctx.store.data.displays.find((d) => d.id === id);
    if (!display) return null;
    const panel = panelById(display.panel);
    if (!panel) {
      this.ctx.log.error({ display: id, panel: display.panel }, 'unknown panel profile');
      return null;
    }
    const key = JSON.stringify([display.panel, content]);
    try {
      const t0 = performance.now();
      const { frame, warnings } = await renderSign(content, panel);
      for (const w of warnings) this.ctx.log.warn({ display: id }, `layout: ${w}`);
      this.ctx.log.debug({ display: id, ms: +(performance.now() - t0).toFixed(1), hash: frame.hash.slice(0, 12) }, 'rendered');
      if (this.rendered.size > 4 * this.slots.size + 16) this.rendered.delete(this.rendered.keys().next().value as string);
      this.rendered.set(key, { frame, warnings });
      return { frame, warnings, key };
    } catch (err) {
      this.ctx.log.error({ display: id, err: (err as Error).message }, 'render failed');
      return null;
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
