// Floor-plan images for visitors (SVG, and PNG to download), rendered once per content. A drawing is a pure function
// of the stored plans, floors, room numbers, walk graph and closures plus the query (floor, route, language), so its
// ETag is a hash of exactly those; a request whose ETag the client already holds gets 304 without any work, and a
// known one is served from a bounded in-memory cache. PNGs are scaled down to a bounded pixel count, whatever the
// plan's extent: rasterising costs time and memory in proportion to pixels.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { Logger } from 'pino';
import type { Data } from '../controller/domain/model.js';
import { planPixelSize } from '../controller/wayfinding/plan-svg.js';

/** PNG bounds: long side and pixel count (a 4 MP plan renders in about 0.15 s on the 2-core CI machine). */
export const PLAN_PNG_MAX_SIDE = 4096;
export const PLAN_PNG_MAX_PIXELS = 4_000_000;

const fingerprints = new WeakMap<object, string>();

/** A hash of everything in the stored state a plan drawing depends on; computed once per stored state. */
export function planFingerprint(data: Readonly<Data>): string {
  let f = fingerprints.get(data);
  if (!f) {
    const relevant = {
      plans: data.plans,
      floors: data.floors.map((x) => [x.id, x.level, x.name, x.nameEn]),
      rooms: data.rooms.map((r) => [r.id, r.number, r.floorId]),
      graph: data.graph,
      closures: data.closures.map((c) => c.id),
    };
    f = createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
    fingerprints.set(data, f);
  }
  return f;
}

/** The scale (≤ 1) at which a plan's PNG stays within the bounds. */
export function pngScale(plan: { width: number; height: number }): number {
  const { width, height } = planPixelSize(plan);
  return Math.min(1, PLAN_PNG_MAX_SIDE / Math.max(width, height), Math.sqrt(PLAN_PNG_MAX_PIXELS / (width * height)));
}

export async function svgToPng(svg: string, scale: number): Promise<Buffer> {
  // sharp reads SVG at 72 dpi as 1:1; a lower density rasterises the vector drawing smaller (never an upscale of a
  // huge bitmap). Plain deflate, no palette quantisation: that cost ten times the rendering itself.
  return sharp(Buffer.from(svg), { density: 72 * scale }).png({ compressionLevel: 6 }).toBuffer();
}

export class PlanImageCache {
  /** ETag → rendered body; insertion order is recency (least recently used first) */
  private readonly entries = new Map<string, Promise<Buffer>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;
  renders = 0;

  constructor(
    private readonly log: Logger,
    private readonly limits = { entries: 256, bytes: 32 * 1024 * 1024 },
  ) {}

  /** The ETag of a drawing of `data` for a query (format, floor, route, language: any stable string). */
  etag(data: Readonly<Data>, query: string): string {
    return `"${createHash('sha256').update(planFingerprint(data)).update('\0').update(query).digest('base64url').slice(0, 32)}"`;
  }

  /** The body for `etag`: cached, or rendered now (concurrent requests for the same drawing share one render). */
  get(etag: string, render: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.entries.get(etag);
    if (hit) {
      this.entries.delete(etag);
      this.entries.set(etag, hit);
      return hit;
    }
    this.renders++;
    const t0 = performance.now();
    // A render that throws (an unknown room in the route) becomes a rejection, uncached.
    const p = (async () => render())();
    this.entries.set(etag, p);
    p.then(
      (body) => {
        if (this.entries.get(etag) !== p) return;
        this.sizes.set(etag, body.length);
        this.bytes += body.length;
        this.log.debug({ etag, bytes: body.length, ms: Math.round(performance.now() - t0) }, 'plan image rendered');
        this.evict();
      },
      () => {
        if (this.entries.get(etag) === p) this.entries.delete(etag);
      },
    );
    return p;
  }

  private evict(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.limits.entries && this.bytes <= this.limits.bytes) break;
      const size = this.sizes.get(key);
      if (size === undefined) continue; // still rendering
      this.entries.delete(key);
      this.sizes.delete(key);
      this.bytes -= size;
    }
  }
}
