// Shortest routes on the walk graph: A* (Dijkstra guided by the straight-line distance on the plan, which never
// overestimates because no edge is shorter than the line between its ends — checkGraph enforces it), binary heap. Step-free routes never use stairs; closed nodes
// and edges are skipped per query. A destination that cannot be reached says so — and whether it could be
// reached with stairs, so a kiosk can tell a wheelchair user the truth instead of offering a stair route.
import type { GraphIndex, RouteOptions, WalkEdge } from './graph.js';

export type RouteResult =
  | { ok: true; nodes: string[]; edges: WalkEdge[]; length: number }
  | { ok: false; reason: 'unknown-node' | 'unreachable' | 'unreachable-step-free'; message: string };

/** A minimal binary heap of [priority, node] pairs. */
class Heap {
  private readonly prio: number[] = [];
  private readonly item: number[] = [];
  get size(): number {
    return this.item.length;
  }
  push(p: number, x: number): void {
    this.prio.push(p);
    this.item.push(x);
    let i = this.item.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((this.prio[parent] as number) <= p) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.prio[0] as number, this.item[0] as number];
    const lastP = this.prio.pop() as number;
    const lastX = this.item.pop() as number;
    if (this.item.length) {
      this.prio[0] = lastP;
      this.item[0] = lastX;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.item.length && (this.prio[l] as number) < (this.prio[m] as number)) m = l;
        if (r < this.item.length && (this.prio[r] as number) < (this.prio[m] as number)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
  private swap(a: number, b: number): void {
    [this.prio[a], this.prio[b]] = [this.prio[b] as number, this.prio[a] as number];
    [this.item[a], this.item[b]] = [this.item[b] as number, this.item[a] as number];
  }
}

export function route(index: GraphIndex, from: string, to: string, opts: RouteOptions): RouteResult {
  const s = index.byId.get(from);
  const t = index.byId.get(to);
  if (s === undefined || t === undefined) return { ok: false, reason: 'unknown-node', message: `unknown place "${s === undefined ? from : to}"` };
  // Scratch buffers are reused across queries: a new generation number makes all old entries stale at once.
  const sc = index.scratch;
  const gen = ++sc.generation;
  const { dist, via, viaEdge, stamp, done } = sc;
  const seen = (v: number) => stamp[v] === gen;
  const tx = index.xs[t] as number;
  const ty = index.ys[t] as number;
  const tl = index.levels[t] as number;
  const rise = opts.stepFree ? index.risePerLevel.stepFree : index.risePerLevel.any;
  // Straight line on the plan plus the cheapest climb: never more than the true remaining distance.
  const h = (v: number) => Math.hypot((index.xs[v] as number) - tx, (index.ys[v] as number) - ty) + Math.abs((index.levels[v] as number) - tl) * rise;
  stamp[s] = gen;
  dist[s] = 0;
  via[s] = -1;
  viaEdge[s] = undefined;
  const heap = new Heap();
  heap.push(h(s), s);
  while (heap.size) {
    const [, u] = heap.pop();
    if (done[u] === gen) continue;
    done[u] = gen;
    if (u === t) break;
    const d = dist[u] as number;
    for (const arc of index.arcs[u] ?? []) {
      const v = arc.to;
      if (done[v] === gen || !index.usable(arc, opts)) continue;
      const nd = d + arc.length;
      if (!seen(v) || nd < (dist[v] as number)) {
        stamp[v] = gen;
        dist[v] = nd;
        via[v] = u;
        viaEdge[v] = arc.edge;
        heap.push(nd + h(v), v);
      }
    }
  }
  if (!seen(t)) {
    if (opts.stepFree && route(index, from, to, { ...opts, stepFree: false }).ok) {
      return { ok: false, reason: 'unreachable-step-free', message: `"${to}" cannot be reached without stairs right now` };
    }
    return { ok: false, reason: 'unreachable', message: `"${to}" cannot be reached from "${from}" right now` };
  }
  const nodes: string[] = [];
  const edges: WalkEdge[] = [];
  const length = dist[t] as number;
  for (let v = t; v !== -1; v = via[v] as number) {
    nodes.push(index.ids[v] as string);
    const e = viaEdge[v];
    if (e) edges.push(e);
  }
  return { ok: true, nodes: nodes.reverse(), edges: edges.reverse(), length };
}
