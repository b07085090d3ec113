// The stored data model, service-first: rooms offer services and seat people; displays show rooms.
// These zod schemas validate the data file on load (and so define its format); the HTTP edge has its own, stricter
// input schemas in web-admin/validation.ts.
import { z } from 'zod';
import { PANEL_IDS } from '../../renderer/panels.js';
import { Slot } from './hours.js';
import { Id } from './ids.js';
import { FloorPlan, Closure } from './building.js';
import { WalkGraph, checkGraph } from '../wayfinding/graph.js';
import { DisplayIdPattern } from '../protocol/topics.js';

export const SCHEMA_VERSION = 1;

/** Documented limits (README, OpenAPI). Longer input is refused with 400, never cut. */
export const LIMITS = {
  id: 64,
  roomNumber: 16,
  name: 120,
  title: 120,
  officeHours: 300,
  notice: 400,
  synonym: 80,
  synonyms: 30,
  listItems: 40,
} as const;

export { Id };

export const Building = z.strictObject({ id: Id, name: z.string().min(1), address: z.string() });
export const Floor = z.strictObject({
  id: Id,
  buildingId: Id,
  level: z.number().int(),
  name: z.string().min(1),
  /** English name; empty: derived from the level ("2nd floor") */
  nameEn: z.string().default(''),
});
export const Unit = z.strictObject({ id: Id, name: z.string().min(1), nameEn: z.string() });
export const Absence = z.strictObject({
  /** ISO; null: already */
  from: z.iso.datetime({ offset: true }).nullable(),
  /** ISO, exclusive */
  until: z.iso.datetime({ offset: true }),
  /** where visitors go meanwhile */
  substituteRoomId: Id.nullable(),
});

export const Person = z.strictObject({
  id: Id,
  name: z.string().min(1),
  title: z.string().nullable(),
  unitId: Id.nullable(),
  absence: Absence.nullable().default(null),
  version: z.number().int().nonnegative(),
});
export const Service = z.strictObject({
  id: Id,
  nameDe: z.string().min(1),
  nameEn: z.string(),
  synonyms: z.array(z.string()),
  version: z.number().int().nonnegative(),
});
export const Notice = z.strictObject({
  text: z.string().min(1),
  redirectRoomId: Id.nullable(),
  /** shown from this time (ISO, inclusive); null: already */
  from: z.iso.datetime({ offset: true }).nullable().default(null),
  /** shown until this time (ISO, exclusive); null: until removed */
  until: z.iso.datetime({ offset: true }).nullable().default(null),
});
export const Room = z.strictObject({
  id: Id,
  floorId: Id,
  number: z.string().min(1),
  name: z.string(),
  unitId: Id.nullable(),
  occupantIds: z.array(Id),
  serviceIds: z.array(Id),
  /** free text shown with the hours ("nur mit Termin"), or the hours themselves in older data */
  officeHours: z.string(),
  /** weekly office hours as slots; the sign shows their summary followed by `officeHours` */
  hours: z.array(Slot).max(42).default([]),
  notice: Notice.nullable(),
  version: z.number().int().nonnegative(),
  updatedAt: z.iso.datetime(),
});
/** A notice for many rooms at once (a floor, a unit, the building), shown over each room's own notice until it ends. */
export const BulkNotice = z.strictObject({
  id: Id,
  scope: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('building') }),
    z.strictObject({ kind: z.literal('floor'), id: Id }),
    z.strictObject({ kind: z.literal('unit'), id: Id }),
  ]),
  text: z.string().min(1),
  redirectRoomId: Id.nullable(),
  from: z.iso.datetime({ offset: true }).nullable(),
  until: z.iso.datetime({ offset: true }),
  createdBy: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
});

/** A person moving rooms on a date: from then on signs show them in the new room (and no longer in the old one). */
export const Move = z.strictObject({
  id: Id,
  personId: Id,
  fromRoomId: Id.nullable(),
  toRoomId: Id,
  effectiveAt: z.iso.datetime({ offset: true }),
  createdBy: z.string(),
});

export const Display = z.strictObject({
  /** 32 characters at most: the id travels in every frame header and is the display's broker login */
  id: z.string().regex(DisplayIdPattern, 'a display id: letters, digits, . _ - (max 32)'),
  panel: z.enum(PANEL_IDS),
  roomId: Id.nullable(),
  /** battery displays sleep and check in every so many seconds; null: always listening (mains powered) */
  checkInSeconds: z.number().int().min(10).max(86_400).nullable().default(null),
  /** where the display hangs (a walk-graph node): a display without a room there is a directory sign */
  nodeId: Id.nullable().default(null),
  /**
   * "1.0": an explicit opt-in for a v1.0 display, whose reports carry no tag ("unauthenticated reports"); absent or
   * "1.1": every report must be authenticated (docs/protocol.md)
   */
  protocol: z.enum(['1.0', '1.1']).optional(),
});

export const Data = z
  .strictObject({
    schemaVersion: z.literal(SCHEMA_VERSION),
    buildings: z.array(Building),
    floors: z.array(Floor),
    units: z.array(Unit),
    people: z.array(Person),
    services: z.array(Service),
    rooms: z.array(Room),
    displays: z.array(Display),
    bulkNotices: z.array(BulkNotice).default([]),
    moves: z.array(Move).default([]),
    /** per floor: outline, rooms and corridors, for drawing routes (metres) */
    plans: z.array(FloorPlan).default([]),
    /** where visitors can walk: empty until the building is mapped (then wayfinding is off) */
    graph: WalkGraph.default({ nodes: [], edges: [] }),
    /** nodes and edges out of use right now (a lift out of order) */
    closures: z.array(Closure).default([]),
  })
  .superRefine((d, ctx) => {
    // Referential integrity and unique ids: a file that passes is one every module can trust.
    const ids = (xs: { id: string }[]) => new Set(xs.map((x) => x.id));
    const sets = {
      buildings: ids(d.buildings),
      floors: ids(d.floors),
      units: ids(d.units),
      people: ids(d.people),
      services: ids(d.services),
      rooms: ids(d.rooms),
    };
    const collections = ['buildings', 'floors', 'units', 'people', 'services', 'rooms', 'displays'] as const;
    for (const c of collections) {
      const seen = new Set<string>();
      d[c].forEach((r, i) => {
        if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: [c, i, 'id'], message: `duplicate id "${r.id}"` });
        seen.add(r.id);
      });
    }
    const ref = (ok: boolean, path: (string | number)[], what: string, id: string) => {
      if (!ok) ctx.addIssue({ code: 'custom', path, message: `unknown ${what} "${id}"` });
    };
    d.floors.forEach((f, i) => ref(sets.buildings.has(f.buildingId), ['floors', i, 'buildingId'], 'building', f.buildingId));
    d.people.forEach((p, i) => {
      if (p.unitId) ref(sets.units.has(p.unitId), ['people', i, 'unitId'], 'unit', p.unitId);
      const sub = p.absence?.substituteRoomId;
      if (sub) ref(sets.rooms.has(sub), ['people', i, 'absence', 'substituteRoomId'], 'room', sub);
    });
    d.rooms.forEach((r, i) => {
      ref(sets.floors.has(r.floorId), ['rooms', i, 'floorId'], 'floor', r.floorId);
      if (r.unitId) ref(sets.units.has(r.unitId), ['rooms', i, 'unitId'], 'unit', r.unitId);
      r.occupantIds.forEach((p, j) => ref(sets.people.has(p), ['rooms', i, 'occupantIds', j], 'person', p));
      r.serviceIds.forEach((s, j) => ref(sets.services.has(s), ['rooms', i, 'serviceIds', j], 'service', s));
      const redirect = r.notice?.redirectRoomId;
      if (redirect) ref(sets.rooms.has(redirect), ['rooms', i, 'notice', 'redirectRoomId'], 'room', redirect);
    });
    d.displays.forEach((x, i) => x.roomId && ref(sets.rooms.has(x.roomId), ['displays', i, 'roomId'], 'room', x.roomId));
    d.moves.forEach((m, i) => {
      ref(sets.people.has(m.personId), ['moves', i, 'personId'], 'person', m.personId);
      ref(sets.rooms.has(m.toRoomId), ['moves', i, 'toRoomId'], 'room', m.toRoomId);
      if (m.fromRoomId) ref(sets.rooms.has(m.fromRoomId), ['moves', i, 'fromRoomId'], 'room', m.fromRoomId);
    });
    d.bulkNotices.forEach((n, i) => {
      if (n.scope.kind === 'floor') ref(sets.floors.has(n.scope.id), ['bulkNotices', i, 'scope', 'id'], 'floor', n.scope.id);
      if (n.scope.kind === 'unit') ref(sets.units.has(n.scope.id), ['bulkNotices', i, 'scope', 'id'], 'unit', n.scope.id);
      if (n.redirectRoomId) ref(sets.rooms.has(n.redirectRoomId), ['bulkNotices', i, 'redirectRoomId'], 'room', n.redirectRoomId);
    });
    d.plans.forEach((p, i) => {
      ref(sets.floors.has(p.floorId), ['plans', i, 'floorId'], 'floor', p.floorId);
      p.areas.forEach((a, j) => a.roomId && ref(sets.rooms.has(a.roomId), ['plans', i, 'areas', j, 'roomId'], 'room', a.roomId));
    });
    if (d.graph.nodes.length) {
      d.graph.nodes.forEach((n, i) => ref(sets.floors.has(n.floorId), ['graph', 'nodes', i, 'floorId'], 'floor', n.floorId));
      const numbers = new Map(d.rooms.map((r) => [r.id, r.number]));
      for (const issue of checkGraph(d.graph, numbers)) ctx.addIssue({ code: 'custom', path: ['graph', ...issue.path.split('.').map((x) => (/^\d+$/.test(x) ? Number(x) : x))], message: issue.message });
      const withDoor = new Set(d.graph.nodes.filter((n) => n.kind === 'door').map((n) => n.roomId));
      d.rooms.forEach((r, i) => {
        if (!withDoor.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rooms', i], message: `room ${r.number} has no door in the walk graph` });
      });
      const nodes = new Set(d.graph.nodes.map((n) => n.id));
      d.displays.forEach((x, i) => x.nodeId && ref(nodes.has(x.nodeId), ['displays', i, 'nodeId'], 'walk-graph node', x.nodeId));
      const places = new Set([...nodes, ...d.graph.edges.map((e) => e.id)]);
      d.closures.forEach((c, i) => ref(places.has(c.id), ['closures', i, 'id'], 'node or edge', c.id));
    } else {
      d.displays.forEach((x, i) => x.nodeId && ref(false, ['displays', i, 'nodeId'], 'walk-graph node', x.nodeId));
      d.closures.forEach((c, i) => ref(false, ['closures', i, 'id'], 'node or edge', c.id));
    }
  });

export type Building = z.infer<typeof Building>;
export type Floor = z.infer<typeof Floor>;
export type Unit = z.infer<typeof Unit>;
export type Person = z.infer<typeof Person>;
export type Absence = z.infer<typeof Absence>;
export type Service = z.infer<typeof Service>;
export type Notice = z.infer<typeof Notice>;
export type Room = z.infer<typeof Room>;
export type Display = z.infer<typeof Display>;
export type BulkNotice = z.infer<typeof BulkNotice>;
export type Move = z.infer<typeof Move>;
export type { FloorPlan, Closure } from './building.js';
export type { WalkGraph, WalkNode, WalkEdge } from '../wayfinding/graph.js';
export type Data = z.infer<typeof Data>;

export function emptyData(): Data {
  return { schemaVersion: SCHEMA_VERSION, buildings: [], floors: [], units: [], people: [], services: [], rooms: [], displays: [], bulkNotices: [], moves: [], plans: [], graph: { nodes: [], edges: [] }, closures: [] };
}
