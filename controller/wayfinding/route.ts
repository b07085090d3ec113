// Shortest routes on the walk graph: A* with a binary heap. Step-free routes never use stairs; closed nodes and
// edges are skipped per query (a closed lift stop is ridden through, never boarded or left — GraphIndex.usable).
// A destination that cannot be reached says so — and whether it could be reached with stairs, so a kiosk can tell
// a wheelchair user the truth instead of offering a stair route.
//
// The estimate h(v) = max(P(v) + C·|ΔL(v)|, R·|ΔL(v)|), where P is the straight line on the plan to the target, ΔL
// the floor levels between v and the target, R the least length per level of any edge that changes level, and C the
// least length per level such an edge has *beyond* its own straight line on the plan (R and C over the edges the
// route may take: for step-free routes, all but stairs). It never overestimates and is consistent, so A* that
// settles each node once finds the shortest route. For every edge u–v of length ℓ, crossing k ≥ 0 levels, whose ends
// lie d apart on the plan:
//  - checkGraph refuses ℓ < d, and by the choice of R and C, ℓ ≥ R·k and ℓ ≥ d + C·k (for k = 0 too).
//  - P + C·|ΔL| is consistent: P(u) ≤ d + P(v) (triangle inequality) and |ΔL(u)| ≤ k + |ΔL(v)|, so
//    P(u) + C·|ΔL(u)| ≤ d + C·k + P(v) + C·|ΔL(v)| ≤ ℓ + (P(v) + C·|ΔL(v)|).
//  - R·|ΔL| is consistent: R·|ΔL(u)| ≤ R·k + R·|ΔL(v)| ≤ ℓ + R·|ΔL(v)|.
//  - The larger of two consistent estimates is consistent: max(a(u), b(u)) ≤ max(ℓ + a(v), ℓ + b(v)) =
//    ℓ + max(a(v), b(v)); both are 0 at the target, and consistent with h(target) = 0 means admissible.
//  Closures only remove edges, which keeps every bound.
// Plan distance plus R·|ΔL| (used before) is not a bound: a flight of stairs whose ends lie apart on the plan covers
// plan distance and levels with the same metres (C ≈ 0 there), and counting them twice made A* return a longer route.
// Where floors are joined by vertical cores (stairs and lifts straight above one another, C = R) the estimate is as
// sharp as that sum was.
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

function unreachable(from: string, to: string): RouteResult {
  return { ok: false, reason: 'unreachable', message: `"${to}" cannot be reached from "${from}" right now` };
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
  const climb = opts.stepFree ? index.climbPerLevel.stepFree : index.climbPerLevel.any;
  // See the proof at the top.
  const h = (v: number) => {
    const levels = Math.abs((index.levels[v] as number) - tl);
    return Math.max(Math.hypot((index.xs[v] as number) - tx, (index.ys[v] as number) - ty) + climb * levels, rise * levels);
  };
  // A closed place is no destination (a closed lift stop is only ridden through), unless the route starts there.
  if (t !== s && opts.closed.has(to)) return unreachable(from, to);
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
      if (done[v] === gen || !index.usable(u, arc, opts, s)) continue;
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
    return unreachable(from, to);
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
