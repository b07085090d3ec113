// What a display should show, as a pure function of the stored state (and, later, the clock).
import type { DoorSignContent, SignContent } from '../../renderer/content.js';
import type { BulkNotice, Data, Display, Person, Room } from '../domain/model.js';
import { summarize } from '../domain/hours.js';

/** Day and month in the site's time zone, e.g. "Fr 28.11." (deterministic for a given instant). */
function shortDate(ms: number): string {
  return new Intl.DateTimeFormat('de-DE', { timeZone: SIGN_TIMEZONE, weekday: 'short', day: '2-digit', month: '2-digit' }).format(new Date(ms)).replace(',', '');
}

/** The time zone dates on signs are written in (set from config at start). */
export let SIGN_TIMEZONE = 'Europe/Berlin';
export function setSignTimezone(tz: string): void {
  SIGN_TIMEZONE = tz;
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

export function composeDoorSign(data: Readonly<Data>, roomId: string, now: number = Date.now()): DoorSignContent {
  const room = data.rooms.find((r) => r.id === roomId);
  if (!room) throw new Error(`room "${roomId}" not found`);
  const unit = room.unitId ? data.units.find((u) => u.id === room.unitId) : undefined;
  const byId = <T extends { id: string }>(xs: readonly T[], ids: readonly string[]) =>
    ids.map((id) => xs.find((x) => x.id === id)).filter((x): x is T => x !== undefined);
  let notice: DoorSignContent['notice'] = null;
  // A bulk notice covering this room wins over the room's own (the newest, if several); when it ends, the room's
  // own notice is back by itself.
  const own = room.notice && noticeActive(room.notice, now) ? room.notice : null;
  const bulk = bulkNoticesFor(data, room).filter((n) => noticeActive(n, now)).at(-1) ?? null;
  const shown = bulk ?? own;
  if (shown) {
    const target = shown.redirectRoomId && shown.redirectRoomId !== room.id ? data.rooms.find((r) => r.id === shown.redirectRoomId) : undefined;
    notice = { text: shown.text, redirect: target ? { number: target.number, name: target.name } : null };
  }
  return {
    kind: 'door',
    roomNumber: room.number,
    roomName: room.name,
    unit: unit?.name ?? null,
    occupants: byId(data.people, occupantsAt(data, room, now)).map((p) => ({ name: p.name, title: p.title, away: away(data, p, now) })),
    services: byId(data.services, room.serviceIds).map((s) => ({ de: s.nameDe, en: s.nameEn })),
    officeHours: [summarize(room.hours), room.officeHours.trim()].filter(Boolean).join(' · '),
    notice,
  };
}

/** The content for one display at `now`; a display not assigned to a room says so instead of showing stale content. */
export function composeForDisplay(data: Readonly<Data>, display: Display, now: number): SignContent {
  if (display.roomId) return composeDoorSign(data, display.roomId, now);
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
