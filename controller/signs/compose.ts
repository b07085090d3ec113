// What a display should show, as a pure function of the stored state (and, later, the clock).
import type { Arrow, DirectorySignContent, DoorSignContent, SignContent } from '../../renderer/content.js';
import type { BulkNotice, Data, Display, Floor, Move, Person, Room } from '../domain/model.js';
import { summarize } from '../domain/hours.js';
import { graphIndexFor, type GraphIndex, type WalkNode } from '../wayfinding/graph.js';
import { route } from '../wayfinding/route.js';
import { floorNameEn } from '../wayfinding/directions.js';

/** Day and month in the site's time zone, e.g. "Fr 28.11." (deterministic for a given instant). */
function shortDate(ms: number): string {
  return new Intl.DateTimeFormat('de-DE', { timeZone: SIGN_TIMEZONE, weekday: 'short', day: '2-digit', month: '2-digit' }).format(new Date(ms)).replace(',', '');
}

/** The time zone dates on signs are written in (set from config at start). */
export let SIGN_TIMEZONE = 'Europe/Berlin';
export function setSignTimezone(tz: string): void {
  SIGN_TIMEZONE = tz;
}

/** Where visitors' phones reach the server: door signs carry a QR code to `<url>/find?from=<door>` (set from config). */
export let SIGN_PUBLIC_URL = 'http://localhost:8080';
export function setSignPublicUrl(url: string): void {
  SIGN_PUBLIC_URL = url.replace(/\/+$/, '');
}

/** The visitors' page with the route starting at a walk-graph node. */
export function findUrl(nodeId: string): string {
  return `${SIGN_PUBLIC_URL}/find?from=${encodeURIComponent(nodeId)}`;
}

/** A person's absence at `now`, as the sign states it: back on which day (the last day away), and where instead. */
function away(data: Readonly<Data>, p: Person, now: number): DoorSignContent['occupants'][number]['away'] {
  const a = p.absence;
  if (!a || !noticeActive({ from: a.from, until: a.until }, now)) return null;
  const sub = a.substituteRoomId ? data.rooms.find((r) => r.id === a.substituteRoomId) : undefined;
  return { until: shortDate(Date.parse(a.until) - 1), substitute: sub ? { number: sub.number, name: sub.name } : null };
}

/** Whether a notice is shown at `now` (ms): from ≤ now < until, open ends allowed. */
export function noticeActive(n: { from: string | null; until: string | null }, now: number): boolean {
  return (n.from === null || Date.parse(n.from) <= now) && (n.until === null || now < Date.parse(n.until));
}

/** A room's occupants at `now`, with the moves due by then applied (a stored move may not have been written yet). */
export function occupantsAt(data: Readonly<Data>, room: Room, now: number): string[] {
  let ids = [...room.occupantIds];
  for (const m of [...data.moves].sort((a, b) => Date.parse(a.effectiveAt) - Date.parse(b.effectiveAt))) {
    if (Date.parse(m.effectiveAt) > now) continue;
    if (m.fromRoomId === room.id || (m.fromRoomId === null && m.toRoomId !== room.id)) ids = ids.filter((x) => x !== m.personId);
    if (m.toRoomId === room.id && !ids.includes(m.personId)) ids.push(m.personId);
  }
  return ids;
}

/**
 * The rooms whose occupants a planned move changes, named or implied (with `fromRoomId: null`, every room the person
 * sits in at that moment), by the same rule the signs and MoveApplier use (`occupantsAt`): each room is compared
 * with and without the move at its moment and at every later planned move's. For a stored move, that is what
 * cancelling it changes.
 */
export function roomsAlteredByMove(data: Readonly<Data>, move: Move): string[] {
  const others = data.moves.filter((m) => m.id !== move.id);
  const at = Date.parse(move.effectiveAt);
  const moments = [at, ...others.map((m) => Date.parse(m.effectiveAt)).filter((t) => t > at)];
  const without = { ...data, moves: others };
  const withMove = { ...data, moves: [...others, move] };
  const changed: string[] = [];
  for (const room of data.rooms) {
    if (moments.some((t) => occupantsAt(without, room, t).join('\n') !== occupantsAt(withMove, room, t).join('\n'))) changed.push(room.id);
  }
  return changed;
}

export function composeDoorSign(data: Readonly<Data>, roomId: string, now: number = Date.now()): DoorSignContent {
  const room = data.rooms.find((r) => r.id === roomId);
  if (!room) throw new Error(`room "${roomId}" not found`);
  const unit = room.unitId ? data.units.find((u) => u.id === room.unitId) : undefined;
  const byId = <T extends { id: string }>(xs: readonly T[], ids: readonly string[]) =>
    ids.map((id) => xs.find((x) => x.id === id)).filter((x): x is T => x !== undefined);
  let notice: DoorSignContent['notice'] = null;
  // A bulk notice covering this room wins over the room's own (the newest, if several); when it ends, the room's
  // own notice is back by itself.
  const shown = shownNotice(data, room, now);
  if (shown) {
    const target = shown.redirectRoomId && shown.redirectRoomId !== room.id ? data.rooms.find((r) => r.id === shown.redirectRoomId) : undefined;
    notice = { text: shown.text, redirect: target ? { number: target.number, name: target.name } : null };
  }
  const door = data.graph.nodes.find((n) => n.kind === 'door' && n.roomId === room.id);
  return {
    kind: 'door',
    roomNumber: room.number,
    roomName: room.name,
    unit: unit?.name ?? null,
    occupants: byId(data.people, occupantsAt(data, room, now)).map((p) => ({ name: p.name, title: p.title, away: away(data, p, now) })),
    services: byId(data.services, room.serviceIds).map((s) => ({ de: s.nameDe, en: s.nameEn })),
    officeHours: [summarize(room.hours), room.officeHours.trim()].filter(Boolean).join(' · '),
    notice,
    qr: door ? findUrl(door.id) : null,
  };
}

/** Which way a room's door lies from a sign, as its reader faces it: toward the first point of the way 3 m off. */
function arrowTo(index: GraphIndex, sign: WalkNode, door: string): Arrow {
  const r = route(index, sign.id, door, { stepFree: false, closed: new Set() });
  if (!r.ok) return 'here';
  const nodes = r.nodes.map((id) => index.nodes[index.byId.get(id) as number] as WalkNode);
  const far = nodes.find((n) => n.floorId === sign.floorId && Math.hypot(n.x - sign.x, n.y - sign.y) >= 3) ?? nodes.at(-1);
  if (!far || Math.hypot(far.x - sign.x, far.y - sign.y) < 0.5) return 'here';
  const bearing = (Math.atan2(far.x - sign.x, -(far.y - sign.y)) * 180) / Math.PI;
  let d = (bearing - (sign.facing ?? 0)) % 360;
  if (d > 180) d -= 360;
  if (d <= -180) d += 360;
  if (Math.abs(d) <= 45) return 'ahead';
  if (Math.abs(d) >= 135) return 'back';
  return d > 0 ? 'right' : 'left';
}

const ARROW_ORDER: Arrow[] = ['left', 'ahead', 'right', 'back', 'here', 'up', 'down'];

/** A directory sign at a walk-graph node: its floor's rooms (services, or name and unit), arrows, other floors. */
export function composeDirectory(data: Readonly<Data>, nodeId: string, now: number): DirectorySignContent {
  const index = graphIndexFor(data.graph, data.floors);
  const sign = index.nodes[index.byId.get(nodeId) ?? -1];
  if (!sign) throw new Error(`walk-graph node "${nodeId}" not found`);
  const floor = data.floors.find((f) => f.id === sign.floorId) as Floor;
  const services = new Map(data.services.map((x) => [x.id, x]));
  const units = new Map(data.units.map((u) => [u.id, u]));
  const doors = new Map(data.graph.nodes.filter((n) => n.kind === 'door' && n.roomId).map((n) => [n.roomId as string, n.id]));
  const entries: DirectorySignContent['entries'] = [];
  for (const room of data.rooms.filter((r) => r.floorId === floor.id)) {
    const offered = room.serviceIds.map((id) => services.get(id)).filter((x) => x !== undefined);
    // Rooms offering nothing to visitors (meeting rooms, waiting areas) are left off unless they carry a unit.
    const unit = room.unitId ? units.get(room.unitId) : undefined;
    if (!offered.length && !unit) continue;
    let label = offered.length ? offered.map((x) => x.nameDe).join(', ') : [room.name, unit?.name].filter(Boolean).join(' · ');
    let labelEn = offered.length ? offered.map((x) => x.nameEn || x.nameDe).join(', ') : (unit?.nameEn ?? '');
    const shown = shownNotice(data, room, now);
    const target = shown?.redirectRoomId ? data.rooms.find((r) => r.id === shown.redirectRoomId) : undefined;
    if (target) {
      label = `→ ${target.number}: ${label}`;
      labelEn = labelEn ? `→ ${target.number}: ${labelEn}` : '';
    }
    const door = doors.get(room.id);
    entries.push({ arrow: door ? arrowTo(index, sign, door) : 'here', number: room.number, label, labelEn });
  }
  entries.sort((a, b) => ARROW_ORDER.indexOf(a.arrow) - ARROW_ORDER.indexOf(b.arrow) || a.number.localeCompare(b.number, 'de', { numeric: true }));
  const otherFloors = [...data.floors]
    .filter((f) => f.id !== floor.id && f.buildingId === floor.buildingId)
    .sort((a, b) => b.level - a.level)
    .map((f) => {
      const names = [...new Set(data.rooms.filter((r) => r.floorId === f.id && r.unitId).map((r) => units.get(r.unitId as string)?.name ?? ''))].filter(Boolean);
      return { arrow: f.level > floor.level ? ('up' as const) : ('down' as const), floor: f.name, label: names.join(', ') || '—' };
    });
  const bulk = data.bulkNotices.filter((n) => (n.scope.kind === 'building' || (n.scope.kind === 'floor' && n.scope.id === floor.id)) && noticeActive(n, now)).at(-1);
  return { kind: 'directory', floor: floor.name, floorEn: floorNameEn(floor), entries, otherFloors, notice: bulk ? bulk.text : null };
}

/** The content for one display at `now`; a display not assigned to a room says so instead of showing stale content. */
export function composeForDisplay(data: Readonly<Data>, display: Display, now: number): SignContent {
  if (display.roomId) return composeDoorSign(data, display.roomId, now);
  if (display.nodeId && data.graph.nodes.some((n) => n.id === display.nodeId)) return composeDirectory(data, display.nodeId, now);
  return {
    kind: 'door',
    roomNumber: '—',
    roomName: `Anzeige ${display.id}`,
    unit: 'Nicht zugeordnet · Not assigned',
    occupants: [],
    services: [],
    officeHours: '',
    notice: null,
  };
}

/**
 * The notice a room's sign shows at `now`: a bulk notice covering the room wins over the room's own (the newest, if
 * several); when it ends, the room's own is back by itself. Signs, directory signs and visitor search all use this.
 */
export function shownNotice(data: Readonly<Data>, room: Room, now: number): { text: string; redirectRoomId: string | null } | null {
  const bulk = bulkNoticesFor(data, room).filter((n) => noticeActive(n, now)).at(-1);
  return bulk ?? (room.notice && noticeActive(room.notice, now) ? room.notice : null);
}

/** The bulk notices whose scope covers a room, oldest first. */
export function bulkNoticesFor(data: Readonly<Data>, room: Room): BulkNotice[] {
  return data.bulkNotices.filter(
    (n) => n.scope.kind === 'building' || (n.scope.kind === 'floor' && n.scope.id === room.floorId) || (n.scope.kind === 'unit' && n.scope.id === room.unitId),
  );
}

/** Future moments (ms, ascending) after `now` at which this display's content may change by itself. */
export function transitions(data: Readonly<Data>, display: Display, now: number): number[] {
  const room = display.roomId ? data.rooms.find((r) => r.id === display.roomId) : undefined;
  const out: number[] = [];
  if (!room && display.nodeId) {
    // A directory sign changes with the notices of its floor's rooms and the bulk notices.
    const floorId = data.graph.nodes.find((n) => n.id === display.nodeId)?.floorId;
    const times = [...data.rooms.filter((r) => r.floorId === floorId).flatMap((r) => [r.notice?.from, r.notice?.until]), ...data.bulkNotices.flatMap((n) => [n.from, n.until])];
    for (const t of times) if (t && Date.parse(t) > now) out.push(Date.parse(t));
    return out.sort((a, b) => a - b);
  }
  const bulk = room ? bulkNoticesFor(data, room).flatMap((n) => [n.from, n.until]) : [];
  const absences = room ? data.people.filter((p) => room.occupantIds.includes(p.id) && p.absence).flatMap((p) => [p.absence?.from, p.absence?.until]) : [];
  const moves = room ? data.moves.filter((m) => m.toRoomId === room.id || m.fromRoomId === room.id || m.fromRoomId === null).map((m) => m.effectiveAt) : [];
  for (const t of [room?.notice?.from, room?.notice?.until, ...bulk, ...absences, ...moves]) {
    if (t) {
      const ms = Date.parse(t);
      if (ms > now) out.push(ms);
    }
  }
  return out.sort((a, b) => a - b);
}
