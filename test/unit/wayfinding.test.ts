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
    const closed = new Set(['L1']);
    const r = route(index, 'E', 'D2', { stepFree: true, closed });
    expect(r).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    expect(route(index, 'E', 'D2', { stepFree: false, closed })).toMatchObject({ ok: true, length: 56 });
    // the same index, the closure lifted: back to the lift
    expect(route(index, 'E', 'D2', { stepFree: true, closed: new Set() })).toMatchObject({ ok: true, length: 89 });
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

describe('A* is exact', () => {
  it('finds the same lengths as plain Dijkstra (no estimate), across random pairs, modes and closures', () => {
    const g = generatedGraph(4, 250);
    const levels = new Map(Array.from({ length: 4 }, (_, f) => [`f${f}`, f]));
    const guided = new GraphIndex(g, levels);
    // The same graph with every node at the origin and no levels: the estimate is 0, A* becomes Dijkstra.
    const blind = new GraphIndex({ ...g, nodes: g.nodes.map((n) => ({ ...n, x: 0, y: 0 })) });
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
    expect(checkGraph(g, new Map(g.nodes.flatMap((n) => (n.roomId ? [[n.roomId, n.roomId] as const] : []))))).toEqual([]);
  });
});
