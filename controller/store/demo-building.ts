// The demo building's plans and walk graph: three floors of 60 × 20 m around a central corridor, stairs at both ends,
// a lift in the middle, the entrance and an information kiosk in the ground-floor foyer, and a directory sign in every
// lift lobby. Generated from the room slots below, so plan and graph always agree.
import type { FloorPlan, PlanArea, Point } from '../domain/building.js';
import type { WalkEdge, WalkGraph, WalkNode } from '../wayfinding/graph.js';

const W = 60;
const H = 20;
const CORRIDOR = { top: 8.5, bottom: 11.5, y: 10 };
/** walking-equivalent length of one floor: two flights of stairs, or a lift ride with the wait */
const STAIRS_PER_FLOOR = 15;
const LIFT_PER_FLOOR = 20;

type Side = 'n' | 's';
/** [room id, side of the corridor, from x, to x] */
type Slot = [roomId: string, side: Side, x0: number, x1: number];

const FIXED: { side: Side; x0: number; x1: number; kind: PlanArea['kind']; label: string }[] = [
  { side: 'n', x0: 0, x1: 4, kind: 'stairs', label: 'Treppe' },
  { side: 'n', x0: 4, x1: 8, kind: 'wc', label: 'WC' },
  { side: 'n', x0: 28, x1: 32, kind: 'lift', label: 'Aufzug' },
  { side: 'n', x0: 56, x1: 60, kind: 'stairs', label: 'Treppe' },
];

const SLOTS: Record<string, Slot[]> = {
  'f-0': [
    ['r-0.01', 's', 22, 28],
    ['r-0.02', 's', 32, 42],
    ['r-0.03', 's', 42, 48],
    ['r-0.04', 's', 48, 54],
    ['r-0.05', 's', 54, 60],
    ['r-0.06', 'n', 20, 28],
    ['r-0.07', 'n', 32, 44],
    ['r-0.08', 'n', 44, 50],
    ['r-0.09', 'n', 50, 56],
  ],
  'f-1': [
    ['r-1.01', 'n', 8, 14],
    ['r-1.02', 'n', 14, 20],
    ['r-1.03', 'n', 20, 28],
    ['r-1.04', 'n', 32, 38],
    ['r-1.05', 'n', 38, 44],
    ['r-1.06', 'n', 44, 50],
    ['r-1.07', 'n', 50, 56],
    ['r-1.08', 's', 0, 10],
    ['r-1.09', 's', 10, 18],
    ['r-1.10', 's', 18, 26],
    ['r-1.11', 's', 34, 42],
    ['r-1.12', 's', 42, 50],
  ],
  'f-2': [
    ['r-2.01', 'n', 8, 16],
    ['r-2.02', 'n', 16, 22],
    ['r-2.03', 'n', 22, 28],
    ['r-2.10', 'n', 32, 38],
    ['r-2.11', 'n', 38, 44],
    ['r-2.12', 'n', 44, 50],
    ['r-2.14', 's', 32, 40],
    ['r-2.15', 's', 40, 48],
    ['r-2.16', 's', 48, 56],
  ],
};

const FLOORS = ['f-0', 'f-1', 'f-2'];

function box(side: Side, x0: number, x1: number): Point[] {
  const [y0, y1] = side === 'n' ? [0, CORRIDOR.top] : [CORRIDOR.bottom, H];
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
  ];
}

/** Stretches of a side not taken by rooms or fixed areas: drawn as other (non-public) space. */
function gaps(taken: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  let x = 0;
  for (const [a, b] of [...taken].sort((p, q) => p[0] - q[0])) {
    if (a > x) out.push([x, a]);
    x = Math.max(x, b);
  }
  if (x < W) out.push([x, W]);
  return out;
}

export function demoPlans(): FloorPlan[] {
  return FLOORS.map((floorId, level) => {
    const areas: PlanArea[] = [{ kind: 'corridor', roomId: null, label: '', points: [[0, CORRIDOR.top], [W, CORRIDOR.top], [W, CORRIDOR.bottom], [0, CORRIDOR.bottom]] }];
    const taken: Record<Side, [number, number][]> = { n: [], s: [] };
    for (const f of FIXED) {
      areas.push({ kind: f.kind, roomId: null, label: f.label, points: box(f.side, f.x0, f.x1) });
      taken[f.side].push([f.x0, f.x1]);
    }
    if (level === 0) {
      areas.push({ kind: 'corridor', roomId: null, label: 'Foyer', points: box('s', 28, 32) });
      taken.s.push([28, 32]);
    }
    for (const [roomId, side, x0, x1] of SLOTS[floorId] ?? []) {
      areas.push({ kind: 'room', roomId, label: '', points: box(side, x0, x1) });
      taken[side].push([x0, x1]);
    }
    for (const side of ['n', 's'] as const) for (const [a, b] of gaps(taken[side])) areas.push({ kind: 'other', roomId: null, label: '', points: box(side, a, b) });
    return { floorId, width: W, height: H, outline: [[0, 0], [W, 0], [W, H], [0, H]], areas };
  });
}

export function demoGraph(): WalkGraph {
  const nodes: WalkNode[] = [];
  const edges: WalkEdge[] = [];
  const node = (id: string, floorId: string, kind: WalkNode['kind'], x: number, y: number, extra: Partial<WalkNode> = {}) =>
    nodes.push({ id, floorId, kind, x, y, roomId: null, label: '', facing: null, ...extra });
  const edge = (a: string, b: string, length: number, kind: WalkEdge['kind'] = 'walk') => edges.push({ id: `${a}_${b}`, a, b, length, kind });

  FLOORS.forEach((floorId, level) => {
    const c = (x: number) => `c${level}-${x}`;
    const xs = new Set<number>([2, 30, 33, 58]);
    for (const [roomId, side, x0, x1] of SLOTS[floorId] ?? []) {
      const x = (x0 + x1) / 2;
      xs.add(x);
      node(`d-${roomId.slice(2)}`, floorId, 'door', x, side === 'n' ? CORRIDOR.top : CORRIDOR.bottom, { roomId });
    }
    const sorted = [...xs].sort((a, b) => a - b);
    for (const x of sorted) node(c(x), floorId, 'corridor', x, CORRIDOR.y);
    sorted.slice(1).forEach((x, i) => edge(c(sorted[i] as number), c(x), x - (sorted[i] as number)));
    for (const [roomId, , x0, x1] of SLOTS[floorId] ?? []) edge(`d-${roomId.slice(2)}`, c((x0 + x1) / 2), 1.5);
    node(`stairs-w-${level}`, floorId, 'stairs', 2, 5);
    node(`stairs-e-${level}`, floorId, 'stairs', 58, 5);
    node(`lift-${level}`, floorId, 'lift', 30, 5);
    edge(`stairs-w-${level}`, c(2), 5);
    edge(`stairs-e-${level}`, c(58), 5);
    edge(`lift-${level}`, c(30), 5);
    // The directory sign hangs on the corridor wall beside the lift; its reader faces north.
    node(`sign-${level}`, floorId, 'sign', 33, CORRIDOR.top + 0.1, { label: 'Wegweiser am Aufzug', facing: 0 });
    edge(`sign-${level}`, c(33), 1.5);
    if (level > 0) {
      edge(`stairs-w-${level - 1}`, `stairs-w-${level}`, STAIRS_PER_FLOOR, 'stairs');
      edge(`stairs-e-${level - 1}`, `stairs-e-${level}`, STAIRS_PER_FLOOR, 'stairs');
      edge(`lift-${level - 1}`, `lift-${level}`, LIFT_PER_FLOOR, 'lift');
    }
  });
  node('entrance', 'f-0', 'entrance', 30, H, { label: 'Haupteingang' });
  node('foyer', 'f-0', 'corridor', 30, 15);
  node('kiosk-foyer', 'f-0', 'kiosk', 32, 15, { label: 'Infoterminal Foyer', facing: 0 });
  edge('entrance', 'foyer', 5);
  edge('foyer', 'c0-30', 5);
  edge('kiosk-foyer', 'foyer', 2);
  return { nodes, edges };
}
