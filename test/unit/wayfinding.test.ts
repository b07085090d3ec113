// Routing on a hand-made 3-floor building whose shortest and step-free routes are known by hand.
import { describe, expect, it } from 'vitest';
import { checkGraph, GraphIndex, WalkGraph } from '../../controller/wayfinding/graph.js';
import { route } from '../../controller/wayfinding/route.js';
import { generatedGraph } from '../../bench/route.js';
import { seededRandom } from '../../firmware-sim/faults.js';

//  floor 0:  K0 -2- E -10- C0 -10- S0          C0 -5- L0        C0 -3- D0 (room r-0)
//  stairs:   S0 -12- S1 -12- S2                 lift: L0 -20- L1 -20- L2
//  floor 1:  S1 -8- C1,  L1 -6- C1,  C1 -4- D1 (room r-1)
//  floor 2:  S2 -8- C2,  L2 -30- C2 (the lift is at the far end),  C2 -4- D2 (room r-2)
const node = (id: string, floorId: string, kind: string, roomId: string | null = null) => ({ id, floorId, kind, x: 0, y: 0, roomId });
const edge = (a: string, b: string, length: number, kind = 'walk') => ({ id: `${a}-${b}`, a, b, length, kind });
const building = WalkGraph.parse({
  nodes: [
    node('K0', 'f0', 'kiosk'),
    node('E', 'f0', 'entrance'),
    node('C0', 'f0', 'corridor'),
    node('S0', 'f0', 'stairs'),
    node('L0', 'f0', 'lift'),
    node('D0', 'f0', 'door', 'r-0'),
    node('S1', 'f1', 'stairs'),
    node('L1', 'f1', 'lift'),
    node('C1', 'f1', 'corridor'),
    node('D1', 'f1', 'door', 'r-1'),
    node('S2', 'f2', 'stairs'),
    node('L2', 'f2', 'lift'),
    node('C2', 'f2', 'corridor'),
    node('D2', 'f2', 'door', 'r-2'),
  ],
  edges: [
    edge('K0', 'E', 2),
    edge('E', 'C0', 10),
    edge('C0', 'S0', 10),
    edge('C0', 'L0', 5),
    edge('C0', 'D0', 3),
    edge('S0', 'S1', 12, 'stairs'),
    edge('S1', 'S2', 12, 'stairs'),
    edge('L0', 'L1', 20, 'lift'),
    edge('L1', 'L2', 20, 'lift'),
    edge('S1', 'C1', 8),
    edge('L1', 'C1', 6),
    edge('C1', 'D1', 4),
    edge('S2', 'C2', 8),
    edge('L2', 'C2', 30),
    edge('C2', 'D2', 4),
  ],
});
const index = new GraphIndex(building, new Map([['f0', 0], ['f1', 1], ['f2', 2]]));
const open = { stepFree: false, closed: new Set<string>() };

describe('routing', () => {
  it('takes the stairs when that is shortest (56 m to room r-2)', () => {
    const r = route(index, 'E', 'D2', open);
    expect(r).toMatchObject({ ok: true, length: 56, nodes: ['E', 'C0', 'S0', 'S1', 'S2', 'C2', 'D2'] });
  });

  it('step-free excludes stairs outright and takes the lift (89 m), however much longer', () => {
    const r = route(index, 'E', 'D2', { ...open, stepFree: true });
    expect(r).toMatchObject({ ok: true, length: 89, nodes: ['E', 'C0', 'L0', 'L1', 'L2', 'C2', 'D2'] });
    if (r.ok) expect(r.edges.some((e) => e.kind === 'stairs')).toBe(false);
  });

  it('starts anywhere, a kiosk or a sign ("you are here")', () => {
    expect(route(index, 'K0', 'D1', open)).toMatchObject({ ok: true, length: 46 });
    // D2 -4- C2 -30- L2 -20- L1 -20- L0 -5- C0 -3- D0 = 82
    expect(route(index, 'D2', 'D0', { ...open, stepFree: true })).toMatchObject({ ok: true, length: 82 });
  });

  it('a lift out of order takes effect at once: step-free says it cannot, never offers the stairs', () => {
    // Every stop closed: the lift is out of use.
    const closed = new Set(['L0', 'L1', 'L2']);
    const r = route(index, 'E', 'D2', { stepFree: true, closed });
    expect(r).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    expect(route(index, 'E', 'D2', { stepFree: false, closed })).toMatchObject({ ok: true, length: 56 });
    // the same index, the closure lifted: back to the lift
    expect(route(index, 'E', 'D2', { stepFree: true, closed: new Set() })).toMatchObject({ ok: true, length: 89 });
  });

  it('closing one lift stop closes only that stop: the lift rides through it, nobody gets on or off there', () => {
    const closed = new Set(['L1']);
    // Floor 0 → floor 2 through the closed stop on floor 1: the same 89 m ride.
    expect(route(index, 'E', 'D2', { stepFree: true, closed })).toMatchObject({ ok: true, length: 89, nodes: ['E', 'C0', 'L0', 'L1', 'L2', 'C2', 'D2'] });
    expect(route(index, 'D2', 'D0', { stepFree: true, closed })).toMatchObject({ ok: true, length: 82 });
    // Floor 1 itself cannot be reached step-free (or left by lift); with stairs it can.
    expect(route(index, 'E', 'D1', { stepFree: true, closed })).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    expect(route(index, 'D1', 'D0', { stepFree: true, closed })).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    expect(route(index, 'E', 'D1', { stepFree: false, closed })).toMatchObject({ ok: true, length: 44, nodes: ['E', 'C0', 'S0', 'S1', 'C1', 'D1'] });
    // Not a walk-through: from floor 1's corridor the lift lobby cannot be crossed on foot either.
    expect(route(index, 'C1', 'L1', { stepFree: false, closed })).toMatchObject({ ok: false, reason: 'unreachable' });
    // Closed at the ground floor: nobody can board, so floors 1 and 2 are out of step-free reach.
    const ground = new Set(['L0']);
    expect(route(index, 'E', 'D2', { stepFree: true, closed: ground })).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    // Reachability follows the same rule: L1 is passed, not reached; floor 2 is.
    const reached = index.reachable(['E'], { stepFree: true, closed });
    expect([...reached].sort()).toEqual(['C0', 'C2', 'D0', 'D2', 'E', 'K0', 'L0', 'L2', 'S0', 'S2']);
  });

  it('a closed corridor reroutes; a closed everything says unreachable; unknown places are named', () => {
    // Without the ground-floor stairs: the lift to floor 1, then the stairs from there
    // (E -10- C0 -5- L0 -20- L1 -6- C1 -8- S1 -12- S2 -8- C2 -4- D2 = 73), shorter than the lift all the way (89).
    expect(route(index, 'E', 'D2', { stepFree: false, closed: new Set(['C0-S0']) })).toMatchObject({
      ok: true,
      length: 73,
      nodes: ['E', 'C0', 'L0', 'L1', 'C1', 'S1', 'S2', 'C2', 'D2'],
    });
    expect(route(index, 'E', 'D2', { stepFree: false, closed: new Set(['C2']) })).toMatchObject({ ok: false, reason: 'unreachable' });
    expect(route(index, 'E', 'nowhere', open)).toMatchObject({ ok: false, reason: 'unknown-node', message: 'unknown place "nowhere"' });
  });
});

describe('graph checks', () => {
  const rooms = new Map([['r-0', '0.01'], ['r-1', '1.01'], ['r-2', '2.01']]);

  it('accepts the hand-made building', () => {
    expect(checkGraph(building, rooms)).toEqual([]);
  });

  it('names a room that cannot be reached, a dangling node, a bad reference, an unknown room', () => {
    const broken = WalkGraph.parse({
      nodes: [...building.nodes, node('D9', 'f2', 'door', 'r-9'), node('X', 'f1', 'corridor'), node('D8', 'f2', 'door', 'r-1')],
      edges: [...building.edges.filter((e) => e.id !== 'C2-D2'), edge('D8', 'ghost', 3)],
    });
    const messages = checkGraph(broken, rooms).map((i) => i.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        'unknown room "r-9"',
        'node "X" is not connected to anything',
        'unknown node "ghost"',
        'room 2.01 cannot be reached from an entrance',
        'room 1.01 cannot be reached from an entrance',
      ]),
    );
  });
});

/**
 * A random building of `floors` floors: corridor nodes at random plan positions (a spanning tree plus a few loops,
 * each walk edge at least its straight line), doors, an entrance; stairs whose two ends lie at different plan
 * positions (real flights do), lift shafts with a stop per floor, and ramps between floors with far-apart ends.
 * Bounded: at most 4 floors of at most 12 corridor nodes.
 */
function randomBuilding(rnd: () => number, floors: number): { graph: WalkGraph; levels: Map<string, number> } {
  const nodes: Record<string, unknown>[] = [];
  const edges: Record<string, unknown>[] = [];
  const pos = new Map<string, [number, number]>();
  const add = (id: string, f: number, kind: string, x: number, y: number, roomId: string | null = null) => {
    nodes.push({ id, floorId: `f${f}`, kind, x, y, roomId });
    pos.set(id, [x, y]);
  };
  const at = () => [Math.round(rnd() * 300) / 10, Math.round(rnd() * 150) / 10] as [number, number];
  const dist = (a: string, b: string) => Math.hypot((pos.get(a) as number[])[0]! - (pos.get(b) as number[])[0]!, (pos.get(a) as number[])[1]! - (pos.get(b) as number[])[1]!);
  // Lengths: the straight line times 1–1.5, plus 0–3 m (a climb, a lift's wait); never shorter than the line.
  const link = (a: string, b: string, kind: string, extra = 0) => edges.push({ id: `${a}_${b}_${edges.length}`, a, b, kind, length: Math.max(0.1, dist(a, b) * (1 + rnd() * 0.5) + extra) });
  const corridors: string[][] = [];
  for (let f = 0; f < floors; f++) {
    const ids: string[] = [];
    const count = 4 + Math.floor(rnd() * 9);
    for (let i = 0; i < count; i++) {
      const id = `c${f}-${i}`;
      add(id, f, 'corridor', ...at());
      if (i > 0) link(ids[Math.floor(rnd() * ids.length)] as string, id, 'walk');
      ids.push(id);
    }
    for (let i = 0; i < 3; i++) {
      const [a, b] = [ids[Math.floor(rnd() * count)] as string, ids[Math.floor(rnd() * count)] as string];
      if (a !== b && !edges.some((e) => (e.a === a && e.b === b) || (e.a === b && e.b === a))) link(a, b, 'walk');
    }
    for (let i = 0; i < 2; i++) {
      const id = `d${f}-${i}`;
      add(id, f, 'door', ...at(), `r${f}-${i}`);
      link(ids[Math.floor(rnd() * count)] as string, id, 'walk');
    }
    corridors.push(ids);
  }
  add('E', 0, 'entrance', ...at());
  link(corridors[0]?.[0] as string, 'E', 'walk');
  const near = (f: number, id: string) => link((corridors[f] as string[])[Math.floor(rnd() * (corridors[f] as string[]).length)] as string, id, 'walk');
  for (let f = 0; f + 1 < floors; f++) {
    // One or two flights per pair of floors, the upper end 2–14 m away on the plan from the lower one.
    for (let k = 0; k < 1 + Math.floor(rnd() * 2); k++) {
      const [x, y] = at();
      const angle = rnd() * 2 * Math.PI;
      const run = 4 + rnd() * 10;
      add(`s${f}-${k}a`, f, 'stairs', x, y);
      add(`s${f}-${k}b`, f + 1, 'stairs', Math.round((x + Math.cos(angle) * run) * 10) / 10, Math.round((y + Math.sin(angle) * run) * 10) / 10);
      link(`s${f}-${k}a`, `s${f}-${k}b`, 'stairs', rnd() * 3);
      near(f, `s${f}-${k}a`);
      near(f + 1, `s${f}-${k}b`);
      // A door right by the top of the flight: where an overestimate at its foot would show.
      add(`d${f}-${k}s`, f + 1, 'door', (pos.get(`s${f}-${k}b`) as number[])[0]! + 1, (pos.get(`s${f}-${k}b`) as number[])[1]!, `r${f}-${k}s`);
      link(`s${f}-${k}b`, `d${f}-${k}s`, 'walk');
    }
    if (rnd() < 0.4) {
      const [x, y] = at();
      add(`ramp${f}a`, f, 'ramp', x, y);
      add(`ramp${f}b`, f + 1, 'ramp', Math.min(60, x + 20 + rnd() * 20), y);
      link(`ramp${f}a`, `ramp${f}b`, 'ramp');
      near(f, `ramp${f}a`);
      near(f + 1, `ramp${f}b`);
    }
  }
  // Lift shafts: a stop on every floor, nearly above one another, rides of 5–25 m per floor (the wait included).
  for (let k = 0; k < 1 + Math.floor(rnd() * 2); k++) {
    const [x, y] = at();
    for (let f = 0; f < floors; f++) {
      add(`L${k}-${f}`, f, 'lift', x + Math.round(rnd() * 20) / 10, y);
      near(f, `L${k}-${f}`);
      if (f > 0) link(`L${k}-${f - 1}`, `L${k}-${f}`, 'lift', 3 + rnd() * 12);
    }
  }
  return { graph: WalkGraph.parse({ nodes, edges }), levels: new Map(Array.from({ length: floors }, (_, f) => [`f${f}`, f])) };
}

/** The same graph with every node at the origin and no levels: the estimate is 0, A* becomes plain Dijkstra. */
const blindIndex = (g: WalkGraph) => new GraphIndex({ ...g, nodes: g.nodes.map((n) => ({ ...n, x: 0, y: 0 })) });
const roomsOf = (g: WalkGraph) => new Map(g.nodes.flatMap((n) => (n.roomId ? [[n.roomId, n.roomId] as const] : [])));

describe('A* is exact', () => {
  it('a staircase whose ends lie apart on the plan: the 11.05 m route, not the 15 m lift (regression)', () => {
    // E and the foot of the stairs on floor 0, the top of the flight 10 m further on floor 1, the door beside it; a
    // lift from the entrance straight to the door. The old estimate (plan distance plus the climb) counted the
    // flight's 10 m twice at its foot (20.06 m left, 10.55 m true) and took the lift.
    const g = WalkGraph.parse({
      nodes: [
        { id: 'E', floorId: 'f0', kind: 'entrance', x: 0, y: 0 },
        { id: 'S0', floorId: 'f0', kind: 'stairs', x: 0, y: 0 },
        { id: 'S1', floorId: 'f1', kind: 'stairs', x: 10, y: 0 },
        { id: 'D', floorId: 'f1', kind: 'door', x: 10, y: 0.5, roomId: 'r' },
      ],
      edges: [
        { id: 'E-S0', a: 'E', b: 'S0', length: 0.5, kind: 'walk' },
        { id: 'S0-S1', a: 'S0', b: 'S1', length: 10.05, kind: 'stairs' },
        { id: 'S1-D', a: 'S1', b: 'D', length: 0.5, kind: 'walk' },
        { id: 'E-D', a: 'E', b: 'D', length: 15, kind: 'lift' },
      ],
    });
    expect(checkGraph(g, new Map([['r', '1.01']]))).toEqual([]);
    const r = route(new GraphIndex(g, new Map([['f0', 0], ['f1', 1]])), 'E', 'D', open);
    expect(r).toMatchObject({ ok: true, nodes: ['E', 'S0', 'S1', 'D'] });
    if (r.ok) expect(r.length).toBeCloseTo(11.05, 9);
  });

  it('finds the same lengths as plain Dijkstra on random buildings with offset stairs, lifts, ramps and closures', () => {
    const rnd = seededRandom(2027);
    let routes = 0;
    const wrong: string[] = [];
    for (let b = 0; b < 80; b++) {
      const { graph: g, levels } = randomBuilding(rnd, 2 + Math.floor(rnd() * 3));
      expect(checkGraph(g, roomsOf(g))).toEqual([]);
      const guided = new GraphIndex(g, levels);
      const blind = blindIndex(g);
      const ids = g.nodes.map((n) => n.id);
      const lifts = g.nodes.filter((n) => n.kind === 'lift').map((n) => n.id);
      const doors = g.nodes.filter((n) => n.kind === 'door').map((n) => n.id);
      const pick = (xs: string[]) => xs[Math.floor(rnd() * xs.length)] as string;
      for (let i = 0; i < 150; i++) {
        // Closures: none, lift stops (ridden through), any nodes, any edges.
        const closed = new Set<string>();
        const c = rnd();
        if (c > 0.3) for (let k = Math.floor(rnd() * 3); k >= 0; k--) closed.add(pick(lifts));
        if (c > 0.6) for (let k = Math.floor(rnd() * 3); k >= 0; k--) closed.add(rnd() < 0.5 ? pick(ids) : (g.edges[Math.floor(rnd() * g.edges.length)]?.id as string));
        const opts = { stepFree: rnd() < 0.5, closed };
        // Half the routes end at a door (many beside the top of a flight).
        const [a, z] = [pick(ids), rnd() < 0.5 ? pick(doors) : pick(ids)];
        const x = route(guided, a, z, opts);
        const y = route(blind, a, z, opts);
        if (y.ok) routes++;
        if (x.ok !== y.ok || (x.ok && y.ok && Math.abs(x.length - y.length) > 1e-9)) {
          wrong.push(`building ${b}: ${a}→${z}${opts.stepFree ? ' step-free' : ''}, closed ${[...closed].join(',') || 'none'}: A* ${x.ok ? x.length : x.reason}, Dijkstra ${y.ok ? y.length : y.reason}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(routes).toBeGreaterThan(5000);
  });

  it('finds the same lengths as plain Dijkstra on a large generated building, across random pairs, modes and closures', () => {
    const g = generatedGraph(4, 250);
    const levels = new Map(Array.from({ length: 4 }, (_, f) => [`f${f}`, f]));
    const guided = new GraphIndex(g, levels);
    const blind = blindIndex(g);
    const rnd = seededRandom(7);
    const ids = g.nodes.map((n) => n.id);
    const pick = () => ids[Math.floor(rnd() * ids.length)] as string;
    for (let i = 0; i < 300; i++) {
      const closed = new Set(Array.from({ length: Math.floor(rnd() * 20) }, pick));
      const opts = { stepFree: rnd() < 0.5, closed };
      const [a, b] = [pick(), pick()];
      const x = route(guided, a, b, opts);
      const y = route(blind, a, b, opts);
      expect(x.ok, `${a}→${b}`).toBe(y.ok);
      if (x.ok && y.ok) expect(x.length).toBeCloseTo(y.length, 9);
    }
    expect(checkGraph(g, roomsOf(g))).toEqual([]);
  });
});
