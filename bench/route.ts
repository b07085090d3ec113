// Scenario "route": route latency on a generated 10-floor building of 5,000 walk-graph nodes (corridor grids with
// doors, two stair cores and two lifts per floor), normal and step-free, random pairs, a fixed seed.
import { GraphIndex, WalkGraph, type WalkEdge, type WalkNode } from '../controller/wayfinding/graph.js';
import { route } from '../controller/wayfinding/route.js';
import { seededRandom } from '../firmware-sim/faults.js';
import { percentile } from './stats.js';

export function generatedGraph(floors = 10, perFloor = 500): WalkGraph {
  const nodes: WalkNode[] = [];
  const edges: WalkEdge[] = [];
  const cols = 25;
  const rows = Math.floor(perFloor / cols);
  const id = (f: number, i: number) => `n${f}-${i}`;
  for (let f = 0; f < floors; f++) {
    for (let i = 0; i < rows * cols; i++) {
      const x = (i % cols) * 4;
      const y = Math.floor(i / cols) * 4;
      const isDoor = i % 3 === 1;
      const kind = f === 0 && i === 0 ? 'entrance' : i === 5 || i === rows * cols - 6 ? 'stairs' : i === 12 || i === rows * cols - 13 ? 'lift' : isDoor ? 'door' : 'corridor';
      nodes.push({ id: id(f, i), floorId: `f${f}`, kind, x, y, roomId: kind === 'door' ? `r${f}-${i}` : null, label: '', facing: null });
      if (i % cols) edges.push({ id: `e${f}-${i}h`, a: id(f, i - 1), b: id(f, i), length: 4, kind: 'walk' });
      if (i >= cols) edges.push({ id: `e${f}-${i}v`, a: id(f, i - cols), b: id(f, i), length: 4, kind: 'walk' });
    }
    if (f > 0) {
      for (const i of [5, rows * cols - 6]) edges.push({ id: `s${f}-${i}`, a: id(f - 1, i), b: id(f, i), length: 12, kind: 'stairs' });
      for (const i of [12, rows * cols - 13]) edges.push({ id: `l${f}-${i}`, a: id(f - 1, i), b: id(f, i), length: 15, kind: 'lift' });
    }
  }
  return WalkGraph.parse({ nodes, edges });
}

export interface RouteBench {
  nodes: number;
  normal: { p50: number; p95: number };
  stepFree: { p50: number; p95: number };
}

export function benchRoute(queries = 2000): RouteBench {
  const g = generatedGraph();
  const index = new GraphIndex(g, new Map(Array.from({ length: 10 }, (_, f) => [`f${f}`, f])));
  const rnd = seededRandom(42);
  const doors = g.nodes.filter((n) => n.kind === 'door').map((n) => n.id);
  const pick = () => doors[Math.floor(rnd() * doors.length)] as string;
  const measure = (stepFree: boolean) => {
    const opts = { stepFree, closed: new Set<string>() };
    for (let i = 0; i < 100; i++) route(index, pick(), pick(), opts); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < queries; i++) {
      const [a, b] = [pick(), pick()];
      const t0 = performance.now();
      const r = route(index, a, b, opts);
      samples.push(performance.now() - t0);
      if (!r.ok) throw new Error(`bench graph: ${r.message}`);
    }
    samples.sort((x, y) => x - y);
    return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
  };
  return { nodes: g.nodes.length, normal: measure(false), stepFree: measure(true) };
}

export function printRoute(r: RouteBench): string[] {
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  return [
    `## route: ${r.nodes.toLocaleString('en-US')}-node, 10-floor walk graph, random door to door`,
    '',
    '| mode | p50 | p95 |',
    '|---|---|---|',
    `| normal | ${ms(r.normal.p50)} | ${ms(r.normal.p95)} |`,
    `| step-free | ${ms(r.stepFree.p50)} | ${ms(r.stepFree.p95)} |`,
    '',
    `Target p95 ≤ 1 ms: ${r.normal.p95 <= 1 && r.stepFree.p95 <= 1 ? 'met' : 'not met'} (A* — straight line plus the least climb beyond an edge's plan extent, or the cheapest climb if larger — with a binary heap on a prebuilt adjacency and reused buffers; closures per query).`,
  ];
}
