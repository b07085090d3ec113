// Step-by-step directions from a route, in German and English: "Biegen Sie links ab und gehen Sie 12 m",
// "Nehmen Sie den Aufzug ins 2. Obergeschoss", "Zimmer 2.14 ist die dritte Tür rechts".
// Geometry is read from the plan coordinates (x east, y south): straight stretches are merged, turns are left or
// right by the sign of the cross product, and the arrival counts the doors on the target's side of the last stretch.
import type { Floor } from '../domain/model.js';
import type { GraphIndex, WalkEdge, WalkNode } from './graph.js';

export type Turn = 'straight' | 'left' | 'right' | 'back';

export type Step =
  | { kind: 'start'; place: string; floor: Floor }
  | { kind: 'walk'; turn: Turn | null; metres: number; until: 'lift' | 'stairs' | 'ramp' | null }
  | { kind: 'level'; via: 'lift' | 'stairs' | 'ramp'; up: boolean; floor: Floor }
  | { kind: 'arrive'; room: string; ordinal: number | null; side: 'left' | 'right' | 'ahead' | 'behind' }
  | { kind: 'here'; room: string };

export interface Directions {
  steps: Step[];
  de: string[];
  en: string[];
}

const STRAIGHT_DEG = 35;

function bearing(a: WalkNode, b: WalkNode): number | null {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (Math.hypot(dx, dy) < 0.01) return null;
  return (Math.atan2(dx, -dy) * 180) / Math.PI;
}

/** The turn from one bearing to the next, degrees in (−180, 180]: positive is to the right. */
function delta(from: number, to: number): number {
  let d = (to - from) % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  return d;
}

function turnOf(d: number): Turn {
  if (Math.abs(d) < STRAIGHT_DEG) return 'straight';
  if (Math.abs(d) > 150) return 'back';
  return d > 0 ? 'right' : 'left';
}

interface Run {
  nodes: WalkNode[];
  bearing: number;
  metres: number;
  turn: Turn | null;
}

/**
 * Builds the steps for a route (node ids, edges in order). `startLabel` names where the visitor stands; `roomNumber`
 * the destination; `floors` gives floor records by id.
 */
export function directions(index: GraphIndex, nodeIds: readonly string[], edges: readonly WalkEdge[], opts: { startLabel: string; roomNumber: string; floors: ReadonlyMap<string, Floor> }): Directions {
  const node = (id: string) => index.nodes[index.byId.get(id) as number] as WalkNode;
  const path = nodeIds.map(node);
  const first = path[0] as WalkNode;
  const steps: Step[] = [];
  const floorOf = (n: WalkNode) => opts.floors.get(n.floorId) as Floor;
  steps.push({ kind: 'start', place: opts.startLabel, floor: floorOf(first) });
  if (path.length < 2) {
    steps.push({ kind: 'here', room: opts.roomNumber });
    return render(steps);
  }
  // The last edge leads from the corridor through the door: it is described by the arrival, not walked.
  const last = path[path.length - 1] as WalkNode;
  const endsAtDoor = last.kind === 'door' && path.length >= 2;
  const walkEnd = endsAtDoor ? path.length - 2 : path.length - 1;

  // Facing at the start: a kiosk or sign says which way its reader faces; at a door, the reader faces the door.
  let heading: number | null = first.facing;
  if (heading === null && first.kind === 'door' && path[1]) heading = bearing(path[1], first);

  // Stepping away from a door, sign or kiosk into the corridor is not a step of its own: the first turn is told
  // relative to the way the reader faces.
  const e0 = edges[0];
  const skipFirst = (first.kind === 'door' || first.kind === 'sign' || first.kind === 'kiosk') && path.length > 2 && e0 !== undefined && e0.kind === 'walk' && e0.length <= 3;

  let run: Run | null = null;
  let finalRun: Run | null = null;
  const flush = (until: 'lift' | 'stairs' | 'ramp' | null) => {
    if (!run) return;
    steps.push({ kind: 'walk', turn: run.turn, metres: Math.round(run.metres), until });
    heading = run.bearing;
    finalRun = run;
    run = null;
  };
  let levelStep: Extract<Step, { kind: 'level' }> | null = null;
  for (let i = skipFirst ? 1 : 0; i < walkEnd; i++) {
    const a = path[i] as WalkNode;
    const b = path[i + 1] as WalkNode;
    const e = edges[i] as WalkEdge;
    const fromLevel = index.levels[index.byId.get(a.id) as number] as number;
    const toLevel = index.levels[index.byId.get(b.id) as number] as number;
    if (fromLevel !== toLevel) {
      const via = e.kind === 'walk' ? 'stairs' : e.kind;
      flush(via);
      finalRun = null;
      if (levelStep && levelStep.via === via) levelStep.floor = floorOf(b);
      else {
        levelStep = { kind: 'level', via, up: toLevel > fromLevel, floor: floorOf(b) };
        steps.push(levelStep);
      }
      heading = null;
      continue;
    }
    levelStep = null;
    const br = bearing(a, b);
    if (br === null) continue;
    if (run && Math.abs(delta(run.bearing, br)) < STRAIGHT_DEG) {
      run.metres += e.length;
      run.nodes.push(b);
      continue;
    }
    flush(null);
    const h: number | null = heading;
    run = { nodes: [a, b], bearing: br, metres: e.length, turn: h === null ? null : turnOf(delta(h, br)) };
  }
  const untilAtEnd = last.kind === 'lift' || last.kind === 'stairs' || last.kind === 'ramp' ? last.kind : null;
  flush(untilAtEnd);

  if (endsAtDoor) {
    const corridor = path[path.length - 2] as WalkNode;
    const fr = finalRun as Run | null;
    steps.push(arrival(index, opts.roomNumber, last, corridor, fr?.bearing ?? heading, fr));
  } else steps.push({ kind: 'here', room: opts.roomNumber });
  return render(steps);
}

function arrival(index: GraphIndex, room: string, door: WalkNode, corridor: WalkNode, dir: number | null, run: Run | null): Step {
  if (dir === null) return { kind: 'arrive', room, ordinal: null, side: 'ahead' };
  const rad = (dir * Math.PI) / 180;
  const hx = Math.sin(rad);
  const hy = -Math.cos(rad);
  // Right of the heading (hx, hy), with y pointing south, is (−hy, hx).
  const sideOf = (n: WalkNode, from: WalkNode) => (n.x - from.x) * -hy + (n.y - from.y) * hx;
  const along = (n: WalkNode, from: WalkNode) => (n.x - from.x) * hx + (n.y - from.y) * hy;
  const s = sideOf(door, corridor);
  const ahead = along(door, corridor);
  if (Math.abs(s) < 0.3) return { kind: 'arrive', room, ordinal: null, side: ahead >= 0 ? 'ahead' : 'behind' };
  const side = s > 0 ? 'right' : 'left';
  if (!run) return { kind: 'arrive', room, ordinal: null, side };
  // Doors passed on that side: those opening off the stretch's corridor points after its start, up to the target.
  const origin = run.nodes[0] as WalkNode;
  const passed = new Set<string>();
  const onRun = new Set(run.nodes.slice(1).map((n) => n.id));
  for (const id of onRun) {
    const i = index.byId.get(id) as number;
    const from = index.nodes[i] as WalkNode;
    for (const arc of index.arcs[i] ?? []) {
      const n = index.nodes[arc.to] as WalkNode;
      if (n.kind !== 'door' || onRun.has(n.id)) continue;
      if ((sideOf(n, from) > 0.3 && side === 'right') || (sideOf(n, from) < -0.3 && side === 'left')) {
        if (along(n, origin) <= along(door, origin) + 0.01) passed.add(n.id);
      }
    }
  }
  passed.add(door.id);
  const ordinal = passed.size;
  return { kind: 'arrive', room, ordinal: ordinal <= 10 ? ordinal : null, side };
}

// --- text ---

const ORD_DE = ['erste', 'zweite', 'dritte', 'vierte', 'fünfte', 'sechste', 'siebte', 'achte', 'neunte', 'zehnte'];
const ORD_EN = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

/** "ins 2. Obergeschoss", "ins Erdgeschoss"; other names: "zur Ebene „Galerie“". */
function toFloorDe(f: Floor): string {
  return /geschoss$/i.test(f.name) ? `ins ${f.name}` : `zur Ebene „${f.name}“`;
}

export function floorNameEn(f: Floor): string {
  if (f.nameEn) return f.nameEn;
  if (f.level === 0) return 'ground floor';
  const n = Math.abs(f.level);
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return f.level > 0 ? `${n}${suffix} floor` : `basement ${n}`;
}

function toFloorEn(f: Floor): string {
  const name = floorNameEn(f);
  return `to the ${name.charAt(0).toLowerCase()}${name.slice(1)}`;
}

const TURN_DE: Record<Turn, string> = { straight: 'geradeaus', left: 'nach links', right: 'nach rechts', back: 'zurück' };
const UNTIL_DE = { lift: ' bis zum Aufzug', stairs: ' bis zur Treppe', ramp: ' bis zur Rampe' } as const;
const UNTIL_EN = { lift: ' to the lift', stairs: ' to the stairs', ramp: ' to the ramp' } as const;

const LEAVE_DE = { lift: 'Verlassen Sie den Aufzug', stairs: 'Verlassen Sie das Treppenhaus', ramp: 'Verlassen Sie die Rampe' } as const;
const LEAVE_EN = { lift: 'Leave the lift', stairs: 'Leave the stairwell', ramp: 'Leave the ramp' } as const;

function textDe(s: Step, i: number, prev: Step | undefined): string {
  switch (s.kind) {
    case 'start':
      return `Sie sind hier: ${s.place} (${s.floor.name}).`;
    case 'walk': {
      const until = s.until ? UNTIL_DE[s.until] : '';
      const m = `${s.metres} m`;
      if (s.turn === null) return prev?.kind === 'level' ? `${LEAVE_DE[prev.via]} und gehen Sie ${m}${until}.` : `Gehen Sie ${m}${until}.`;
      if (s.turn === 'straight') return `Gehen Sie ${m} geradeaus${until}.`;
      if (s.turn === 'back') return `Drehen Sie sich um und gehen Sie ${m}${until}.`;
      return i <= 1 ? `Gehen Sie ${TURN_DE[s.turn]}, ${m}${until}.` : `Biegen Sie ${s.turn === 'left' ? 'links' : 'rechts'} ab und gehen Sie ${m}${until}.`;
    }
    case 'level':
      if (s.via === 'lift') return `Nehmen Sie den Aufzug ${toFloorDe(s.floor)}.`;
      if (s.via === 'ramp') return `Nehmen Sie die Rampe ${toFloorDe(s.floor)}.`;
      return `Gehen Sie die Treppe ${s.up ? 'hinauf' : 'hinunter'} ${toFloorDe(s.floor)}.`;
    case 'arrive': {
      if (s.side === 'ahead') return `Zimmer ${s.room} liegt vor Ihnen.`;
      if (s.side === 'behind') return `Zimmer ${s.room} liegt hinter Ihnen.`;
      const side = s.side === 'left' ? 'links' : 'rechts';
      return s.ordinal ? `Zimmer ${s.room} ist die ${ORD_DE[s.ordinal - 1]} Tür ${side}.` : `Zimmer ${s.room} liegt ${side}.`;
    }
    case 'here':
      return `Sie sind bereits bei Zimmer ${s.room}.`;
  }
}

function textEn(s: Step, i: number, prev: Step | undefined): string {
  switch (s.kind) {
    case 'start':
      return `You are here: ${s.place} (${floorNameEn(s.floor)}).`;
    case 'walk': {
      const until = s.until ? UNTIL_EN[s.until] : '';
      const m = `${s.metres} m`;
      if (s.turn === null) return prev?.kind === 'level' ? `${LEAVE_EN[prev.via]} and walk ${m}${until}.` : `Walk ${m}${until}.`;
      if (s.turn === 'straight') return `Walk ${m} straight ahead${until}.`;
      if (s.turn === 'back') return `Turn around and walk ${m}${until}.`;
      return i <= 1 ? `Go ${s.turn}, ${m}${until}.` : `Turn ${s.turn} and walk ${m}${until}.`;
    }
    case 'level':
      if (s.via === 'lift') return `Take the lift ${toFloorEn(s.floor)}.`;
      if (s.via === 'ramp') return `Take the ramp ${toFloorEn(s.floor)}.`;
      return `Take the stairs ${s.up ? 'up' : 'down'} ${toFloorEn(s.floor)}.`;
    case 'arrive': {
      if (s.side === 'ahead') return `Room ${s.room} is ahead of you.`;
      if (s.side === 'behind') return `Room ${s.room} is behind you.`;
      return s.ordinal ? `Room ${s.room} is the ${ORD_EN[s.ordinal - 1]} door on the ${s.side}.` : `Room ${s.room} is on the ${s.side}.`;
    }
    case 'here':
      return `You are already at room ${s.room}.`;
  }
}

function render(steps: Step[]): Directions {
  return { steps, de: steps.map((s, i) => textDe(s, i, steps[i - 1])), en: steps.map((s, i) => textEn(s, i, steps[i - 1])) };
}
