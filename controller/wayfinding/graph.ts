// The building's walk graph: where people can go, floor by floor, and how floors connect (stairs, lifts, ramps).
// Nodes are doors, corridor points, stairs/lift/ramp landings, entrances and kiosks/signs ("you are here");
// edges carry a length in metres and what kind of way they are. Validated like the rest of the data: every
// reference exists, nothing dangles, and every room's door can be reached from an entrance.
import { z } from 'zod';
import { Id } from '../domain/ids.js';

export const NodeKind = z.enum(['door', 'corridor', 'stairs', 'lift', 'ramp', 'entrance', 'kiosk', 'sign']);
export const EdgeKind = z.enum(['walk', 'stairs', 'lift', 'ramp']);

export const WalkNode = z.strictObject({
  id: Id,
  floorId: Id,
  kind: NodeKind,
  /** position on the floor plan, metres */
  x: z.number(),
  y: z.number(),
  /** for a door: the room it opens */
  roomId: Id.nullable().default(null),
  /** what a kiosk or sign is called where it stands ("Infoterminal Foyer") */
  label: z.string().max(80).default(''),
  /** for kiosks and signs: the way a visitor reading it faces, degrees clockwise from plan north (up) */
  facing: z.number().min(0).lt(360).nullable().default(null),
});

export const WalkEdge = z.strictObject({
  id: Id,
  a: Id,
  b: Id,
  /** metres (a lift ride counts as its equivalent walking distance, waiting included) */
  length: z.number().positive().max(10_000),
  kind: EdgeKind,
});

export const WalkGraph = z.strictObject({ nodes: z.array(WalkNode), edges: z.array(WalkEdge) });

export type WalkNode = z.infer<typeof WalkNode>;
export type WalkEdge = z.infer<typeof WalkEdge>;
export type WalkGraph = z.infer<typeof WalkGraph>;

export interface GraphIssue {
  path: string;
  message: string;
}

/**
 * Structural checks: unique ids, edges between existing nodes, no node without an edge, doors naming known rooms
 * (`rooms`: id → number, for messages), and every door reachable from some entrance (ignoring closures).
 */
export function checkGraph(g: WalkGraph, rooms: ReadonlyMap<string, string>): GraphIssue[] {
  const issues: GraphIssue[] = [];
  const nodes = new Map<string, WalkNode>();
  g.nodes.forEach((n, i) => {
    if (nodes.has(n.id)) issues.push({ path: `nodes.${i}.id`, message: `duplicate node "${n.id}"` });
    nodes.set(n.id, n);
    if (n.kind === 'door' && !n.roomId) issues.push({ path: `nodes.${i}.roomId`, message: `door "${n.id}" names no room` });
    if (n.roomId && !rooms.has(n.roomId)) issues.push({ path: `nodes.${i}.roomId`, message: `unknown room "${n.roomId}"` });
  });
  const degree = new Map<string, number>();
  const edgeIds = new Set<string>();
  g.edges.forEach((e, i) => {
    if (edgeIds.has(e.id)) issues.push({ path: `edges.${i}.id`, message: `duplicate edge "${e.id}"` });
    edgeIds.add(e.id);
    for (const end of ['a', 'b'] as const) {
      if (!nodes.has(e[end])) issues.push({ path: `edges.${i}.${end}`, message: `unknown node "${e[end]}"` });
      degree.set(e[end], (degree.get(e[end]) ?? 0) + 1);
    }
    if (e.a === e.b) issues.push({ path: `edges.${i}`, message: 'an edge must join two different nodes' });
    // Routing estimates remaining distance by the straight line on the plan (A*): no edge may be shorter than it.
    const a = nodes.get(e.a);
    const b = nodes.get(e.b);
    if (a && b && e.length + 1e-9 < Math.hypot(a.x - b.x, a.y - b.y)) {
      issues.push({ path: `edges.${i}.length`, message: `shorter (${e.length} m) than the straight line between its ends` });
    }
  });
  g.nodes.forEach((n, i) => {
    if (!degree.get(n.id)) issues.push({ path: `nodes.${i}`, message: `node "${n.id}" is not connected to anything` });
  });
  const entrances = g.nodes.filter((n) => n.kind === 'entrance').map((n) => n.id);
  if (entrances.length === 0) issues.push({ path: 'nodes', message: 'the building has no entrance' });
  else {
    const index = new GraphIndex(g);
    const reached = index.reachable(entrances, { stepFree: false, closed: new Set() });
    g.nodes.forEach((n, i) => {
      if (n.kind === 'door' && !reached.has(n.id)) issues.push({ path: `nodes.${i}`, message: `room ${rooms.get(n.roomId ?? '') ?? n.roomId} cannot be reached from an entrance` });
    });
  }
  return issues;
}

export interface RouteOptions {
  /** exclude stairs entirely (never a penalty: a stair route is not offered as step-free) */
  stepFree: boolean;
  /** node and edge ids out of use right now (a lift out of order): checked per query, nothing rebuilt */
  closed: ReadonlySet<string>;
}

interface Arc {
  to: number;
  length: number;
  edge: WalkEdge;
}

/**
 * Adjacency built once per graph (nodes as dense numbers, arcs both ways); queries take options instead of
 * rebuilding, so a closure takes effect at once.
 */
export class GraphIndex {
  readonly ids: string[];
  readonly byId = new Map<string, number>();
  readonly arcs: Arc[][];
  readonly nodes: WalkNode[];
  /** plan coordinates, for A*'s straight-line estimate */
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  /** floor level per node (0 when levels were not given) */
  readonly levels: Int32Array;
  /** 1 where the node is a lift stop (closed stops are ridden through) */
  readonly isLift: Uint8Array;
  /** the cheapest way up or down one level: any kind, and without stairs (for A*'s estimate) */
  readonly risePerLevel: { any: number; stepFree: number };
  /** the least length per level a level-changing edge has beyond its straight line on the plan (for A*'s estimate) */
  readonly climbPerLevel: { any: number; stepFree: number };
  /** per-query scratch, reused; entries count only where `stamp` equals the query's generation */
  readonly scratch: { dist: Float64Array; via: Int32Array; viaEdge: (WalkEdge | undefined)[]; stamp: Uint32Array; done: Uint32Array; generation: number };

  constructor(
    readonly graph: WalkGraph,
    floorLevels: ReadonlyMap<string, number> = new Map(),
  ) {
    this.nodes = graph.nodes;
    this.xs = Float64Array.from(graph.nodes, (n) => n.x);
    this.ys = Float64Array.from(graph.nodes, (n) => n.y);
    this.levels = Int32Array.from(graph.nodes, (n) => floorLevels.get(n.floorId) ?? 0);
    this.isLift = Uint8Array.from(graph.nodes, (n) => (n.kind === 'lift' ? 1 : 0));
    const n = graph.nodes.length;
    this.scratch = { dist: new Float64Array(n), via: new Int32Array(n), viaEdge: new Array(n), stamp: new Uint32Array(n), done: new Uint32Array(n), generation: 0 };
    this.ids = graph.nodes.map((n) => n.id);
    this.ids.forEach((id, i) => this.byId.set(id, i));
    this.arcs = this.ids.map(() => []);
    const rise = { any: Infinity, stepFree: Infinity };
    const climb = { any: Infinity, stepFree: Infinity };
    for (const e of graph.edges) {
      const a = this.byId.get(e.a);
      const b = this.byId.get(e.b);
      if (a === undefined || b === undefined) continue;
      this.arcs[a]?.push({ to: b, length: e.length, edge: e });
      this.arcs[b]?.push({ to: a, length: e.length, edge: e });
      const levels = Math.abs((this.levels[a] as number) - (this.levels[b] as number));
      if (levels > 0) {
        const beyond = Math.max(0, e.length - Math.hypot((this.xs[a] as number) - (this.xs[b] as number), (this.ys[a] as number) - (this.ys[b] as number))) / levels;
        rise.any = Math.min(rise.any, e.length / levels);
        climb.any = Math.min(climb.any, beyond);
        if (e.kind !== 'stairs') {
          rise.stepFree = Math.min(rise.stepFree, e.length / levels);
          climb.stepFree = Math.min(climb.stepFree, beyond);
        }
      }
    }
    const finite = (x: number) => (Number.isFinite(x) ? x : 0);
    this.risePerLevel = { any: finite(rise.any), stepFree: finite(rise.stepFree) };
    this.climbPerLevel = { any: finite(climb.any), stepFree: finite(climb.stepFree) };
  }

  /**
   * Whether a route standing at node `u` may follow `arc`. Closed edges and (step-free) stairs never. A closed node
   * cannot be entered — except a closed lift stop, which the lift still passes: it is entered and left by lift edges
   * only (nobody gets on or off there), so closing the lift on floor 1 does not cut floor 2 off. `start` (where the
   * route begins) may always be left. The rule depends on the node and edge alone, so routes stay a plain shortest
   * path over nodes.
   */
  usable(u: number, arc: Arc, opts: RouteOptions, start = -1): boolean {
    if (opts.stepFree && arc.edge.kind === 'stairs') return false;
    if (!opts.closed.size) return true;
    if (opts.closed.has(arc.edge.id)) return false;
    const riding = arc.edge.kind === 'lift';
    if (u !== start && !riding && opts.closed.has(this.ids[u] as string)) return false;
    if (opts.closed.has(this.ids[arc.to] as string)) return riding && this.isLift[arc.to] === 1;
    return true;
  }

  /** The places reachable from `from` (a closed lift stop the lift only passes is not one of them). */
  reachable(from: string[], opts: RouteOptions): Set<string> {
    const seen = new Set<number>();
    const starts = from.map((id) => this.byId.get(id)).filter((x): x is number => x !== undefined);
    const stack = [...starts];
    for (const s of stack) seen.add(s);
    while (stack.length) {
      const u = stack.pop() as number;
      const start = starts.includes(u) ? u : -1;
      for (const arc of this.arcs[u] ?? []) {
        if (!seen.has(arc.to) && this.usable(u, arc, opts, start)) {
          seen.add(arc.to);
          stack.push(arc.to);
        }
      }
    }
    const ids = [...seen].filter((i) => starts.includes(i) || !opts.closed.has(this.ids[i] as string));
    return new Set(ids.map((i) => this.ids[i] as string));
  }
}

/** Indexes by graph object: signs and visitor queries on one stored state build it once (a new state, a new graph). */
const indexCache = new WeakMap<WalkGraph, GraphIndex>();
export function graphIndexFor(graph: WalkGraph, floors: readonly { id: string; level: number }[]): GraphIndex {
  let index = indexCache.get(graph);
  if (!index) {
    index = new GraphIndex(graph, new Map(floors.map((f) => [f.id, f.level])));
    indexCache.set(graph, index);
  }
  return index;
}
