// Writes planned moves into the stored rooms when they fall due (signs already show them from that moment:
// composition applies due moves itself). One timer, for the earliest move; overdue ones are applied at start.
// The store audits each applied move with the change itself.
import type { AppContext } from '../context.js';

export class MoveApplier {
  private timer: { cancel(): void; at: number } | null = null;
  private off: (() => void) | null = null;

  constructor(private readonly ctx: AppContext) {}

  async start(): Promise<void> {
    await this.applyDue();
    this.off = this.ctx.bus.on('store.changed', () => this.arm());
    this.arm();
  }

  stop(): void {
    this.off?.();
    this.timer?.cancel();
  }

  private arm(): void {
    const next = Math.min(...this.ctx.store.moves().map((m) => Date.parse(m.effectiveAt)));
    if (this.timer?.at === next) return;
    this.timer?.cancel();
    this.timer = null;
    if (!Number.isFinite(next)) return;
    // After a failure, a due move is retried in a minute, not in a tight loop.
    const delay = this.failedAt !== null && next <= this.ctx.clock.now() ? 60_000 : Math.max(0, next - this.ctx.clock.now());
    const t = this.ctx.clock.setTimeout(() => {
      this.timer = null;
      void this.applyDue().then(() => this.arm());
    }, delay);
    this.timer = { cancel: () => t.cancel(), at: next };
  }

  private failedAt: number | null = null;

  private async applyDue(): Promise<void> {
    try {
      const applied = await this.ctx.store.applyDueMoves(this.ctx.clock.now());
      for (const m of applied) this.ctx.log.info({ person: m.personId, to: m.toRoomId, planned: m.createdBy }, 'planned move applied');
      this.failedAt = null;
    } catch (err) {
      this.failedAt = this.ctx.clock.now();
      if (this.timer) this.timer.at = NaN; // re-arm with the retry delay
      this.ctx.log.error({ err: (err as Error).message }, 'could not apply planned moves; retrying in a minute');
    }
  }
}
