// A floor's plan as SVG, with a route drawn on it: outline, areas (the destination highlighted), room numbers, the
// route as a line, "you are here" and the destination marked, closed places crossed out. The same SVG is shown in
// the browser and rasterised to PNG for export. Every label passes through escapeXml.
import type { Data } from '../domain/model.js';
import type { PlanArea } from '../domain/building.js';
import { escapeXml } from '../../renderer/escape.js';
import { FONT_FAMILY } from '../../renderer/fonts/fonts.js';

export const PX_PER_M = 20;
export const PLAN_MARGIN = 24;
const MARGIN = PLAN_MARGIN;

const FILL: Record<PlanArea['kind'], string> = {
  room: '#ffffff',
  corridor: '#e8eef5',
  stairs: '#d9d9d9',
  lift: '#d6dcf0',
  wc: '#ececec',
  other: '#f2f2f2',
};

export interface PlanRoute {
  /** the route's points on this floor, plan metres, in walking order */
  points: [number, number][];
  /** whether the route starts / ends on this floor */
  startsHere: boolean;
  endsHere: boolean;
}

export interface PlanOptions {
  lang: 'de' | 'en';
  route?: PlanRoute | null;
  highlightRoomId?: string | null;
}

const n = (v: number) => Number(v.toFixed(1));

/** The drawing's size in SVG pixels (20 px per metre plus the margin): the coordinates the floor view relies on. */
export function planPixelSize(plan: { width: number; height: number }): { width: number; height: number } {
  return { width: Math.round(plan.width * PX_PER_M + 2 * MARGIN), height: Math.round(plan.height * PX_PER_M + 2 * MARGIN) };
}

export function planSvg(data: Readonly<Data>, floorId: string, opts: PlanOptions): string {
  const plan = data.plans.find((p) => p.floorId === floorId);
  const floor = data.floors.find((f) => f.id === floorId);
  if (!plan || !floor) throw new Error(`no plan for floor "${floorId}"`);
  const { width: W, height: H } = planPixelSize(plan);
  const X = (x: number) => n(MARGIN + x * PX_PER_M);
  const Y = (y: number) => n(MARGIN + y * PX_PER_M);
  const pts = (ps: readonly (readonly [number, number])[]) => ps.map(([x, y]) => `${X(x)},${Y(y)}`).join(' ');
  const rooms = new Map(data.rooms.map((r) => [r.id, r]));
  const out: string[] = [];
  const title = opts.lang === 'de' ? `Plan ${floor.name}` : `Plan, ${floor.nameEn || floor.name}`;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(title)}" font-family="${FONT_FAMILY}, sans-serif">`);
  out.push(`<title>${escapeXml(title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<polygon points="${pts(plan.outline)}" fill="#f7f7f7" stroke="#222" stroke-width="4"/>`);
  for (const a of plan.areas) {
    const target = a.roomId !== null && a.roomId === opts.highlightRoomId;
    out.push(`<polygon points="${pts(a.points)}" fill="${target ? '#ffd54f' : FILL[a.kind]}" stroke="#666" stroke-width="${target ? 3 : 1.5}"/>`);
    const xs = a.points.map((p) => p[0]);
    const ys = a.points.map((p) => p[1]);
    const cx = X((Math.min(...xs) + Math.max(...xs)) / 2);
    const cy = Y((Math.min(...ys) + Math.max(...ys)) / 2);
    const room = a.roomId ? rooms.get(a.roomId) : undefined;
    const label = room ? room.number : a.label;
    if (room) out.push(`<text x="${cx}" y="${n(cy + 6)}" text-anchor="middle" font-size="17" font-weight="bold" fill="#222">${escapeXml(label)}</text>`);
    // Other labels (Treppe, Aufzug, WC, Foyer) sit at the top of their area, clear of the route's markers.
    else if (label) out.push(`<text x="${cx}" y="${n(Y(Math.min(...ys)) + 17)}" text-anchor="middle" font-size="13" fill="#333">${escapeXml(label)}</text>`);
  }
  // Closed places (a lift out of order): a cross over the node.
  const closed = new Set(data.closures.map((c) => c.id));
  for (const node of data.graph.nodes) {
    if (node.floorId !== floorId || !closed.has(node.id)) continue;
    const x = X(node.x);
    const y = Y(node.y);
    out.push(`<path d="M${x - 12},${y - 12}L${x + 12},${y + 12}M${x - 12},${y + 12}L${x + 12},${y - 12}" stroke="#b00020" stroke-width="5"/>`);
  }
  const r = opts.route;
  if (r && r.points.length) {
    if (r.points.length > 1) out.push(`<polyline points="${pts(r.points)}" fill="none" stroke="#c62828" stroke-width="7" stroke-linecap="round" stroke-linejoin="round"/>`);
    const [sx, sy] = r.points[0] as [number, number];
    const [ex, ey] = r.points[r.points.length - 1] as [number, number];
    const here = opts.lang === 'de' ? 'Sie sind hier' : 'You are here';
    const start = r.startsHere ? here : opts.lang === 'de' ? 'weiter hier' : 'continue here';
    out.push(`<circle cx="${X(sx)}" cy="${Y(sy)}" r="11" fill="#1565c0" stroke="#fff" stroke-width="3"/>`);
    out.push(`<text x="${X(sx)}" y="${n(Y(sy) - 17)}" text-anchor="middle" font-size="15" font-weight="bold" fill="#1565c0" stroke="#fff" stroke-width="4" paint-order="stroke">${escapeXml(start)}</text>`);
    out.push(`<circle cx="${X(ex)}" cy="${Y(ey)}" r="11" fill="#c62828" stroke="#fff" stroke-width="3"/>`);
    if (!r.endsHere) {
      const on = opts.lang === 'de' ? 'weiter' : 'go on';
      out.push(`<text x="${X(ex)}" y="${n(Y(ey) + 30)}" text-anchor="middle" font-size="15" font-weight="bold" fill="#c62828" stroke="#fff" stroke-width="4" paint-order="stroke">${escapeXml(on)}</text>`);
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
