// The visitor's question answered from the current state: what they typed → where to go **now** → how to get there.
// An absent person leads to the substitute's room; a notice or bulk notice that redirects is followed; a service
// offered in several rooms leads to the nearest one open now. Indexes are built lazily from the data the store
// holds and rebuilt when it changes; closures are read per query, so they take effect at once. Answers are public
// (phones outside the building): a person is named with where to go, never with their title or return date.
import type { Data, Floor, Room } from '../domain/model.js';
import { isOpen } from '../domain/hours.js';
import { noticeActive, occupantsAt, shownNotice } from '../signs/compose.js';
import { graphIndexFor, type GraphIndex, type WalkNode } from './graph.js';
import { route, type RouteResult } from './route.js';
import { SearchIndex, entriesFrom, type EntryKind } from './search.js';
import { directions, floorNameEn, type Directions } from './directions.js';

export interface Text {
  de: string;
  en: string;
}

export interface Place {
  nodeId: string;
  kind: WalkNode['kind'];
  label: Text;
  floorId: string;
}

export interface Destination {
  roomId: string;
  number: string;
  name: string;
  floor: { id: string; de: string; en: string };
  /** open now by its weekly hours; null where the room has none */
  open: boolean | null;
  /** walking metres from the start; null when it cannot be reached (see `reach`) */
  metres: number | null;
  reach: 'ok' | 'unreachable' | 'unreachable-step-free';
}

export interface Hit {
  kind: EntryKind;
  id: string;
  title: string;
  subtitle: Text;
  destination: Destination | null;
  /** why the destination is not the obvious one (absence, redirect, closed), and the alternatives */
  notes: Text[];
}

export interface QueryOptions {
  from: string;
  stepFree: boolean;
}

export type RoutePlan =
  | {
      ok: true;
      from: Place;
      to: Destination;
      metres: number;
      stepFree: boolean;
      directions: Directions;
      /** the floors the route crosses, in order, with the route's points on each (plan metres) */
      floors: { floorId: string; points: [number, number][] }[];
      nodes: string[];
    }
  | { ok: false; reason: 'unreachable' | 'unreachable-step-free'; message: Text; from: Place; to: Destination };

export class WayfindingError extends Error {
  constructor(
    readonly field: 'q' | 'from' | 'to' | 'floor',
    message: string,
    readonly status: 400 | 404 | 409 = 400,
  ) {
    super(message);
  }
}

interface State {
  data: Readonly<Data>;
  graph: GraphIndex;
  search: SearchIndex;
  floors: Map<string, Floor>;
  rooms: Map<string, Room>;
  doorOf: Map<string, string>;
}

export class Wayfinder {
  private state: State | null = null;

  constructor(
    private readonly data: () => Readonly<Data>,
    private readonly now: () => number,
    private readonly timezone: string,
  ) {}

  private current(): State {
    const data = this.data();
    if (this.state?.data === data) return this.state;
    const floors = new Map(data.floors.map((f) => [f.id, f]));
    const graph = graphIndexFor(data.graph, data.floors);
    const doorOf = new Map<string, string>();
    for (const n of data.graph.nodes) if (n.kind === 'door' && n.roomId && !doorOf.has(n.roomId)) doorOf.set(n.roomId, n.id);
    this.state = { data, graph, search: new SearchIndex(entriesFrom(data)), floors, rooms: new Map(data.rooms.map((r) => [r.id, r])), doorOf };
    return this.state;
  }

  /** Whether the building is mapped (a walk graph exists). */
  get enabled(): boolean {
    return this.current().data.graph.nodes.length > 0;
  }

  /** Where a route can start: kiosks, signs and entrances, and every room's door. */
  places(): Place[] {
    const s = this.current();
    return s.data.graph.nodes.filter((n) => n.kind === 'kiosk' || n.kind === 'sign' || n.kind === 'entrance' || n.kind === 'door').map((n) => this.place(s, n));
  }

  /** The start for a query: the named node, or by default the first kiosk (else the first entrance). */
  start(from: string | undefined): Place {
    const s = this.current();
    if (!this.enabled) throw new WayfindingError('from', 'this building has no walk graph yet: wayfinding is off', 409);
    if (from) {
      const i = s.graph.byId.get(from);
      if (i === undefined) throw new WayfindingError('from', `unknown place "${from}"`);
      return this.place(s, s.graph.nodes[i] as WalkNode);
    }
    const n = s.data.graph.nodes.find((x) => x.kind === 'kiosk') ?? s.data.graph.nodes.find((x) => x.kind === 'entrance') ?? (s.data.graph.nodes[0] as WalkNode);
    return this.place(s, n);
  }

  private place(s: State, n: WalkNode): Place {
    const floor = s.floors.get(n.floorId) as Floor;
    const room = n.roomId ? s.rooms.get(n.roomId) : undefined;
    const label: Text = room
      ? { de: `Zimmer ${room.number}`, en: `Room ${room.number}` }
      : n.label
        ? { de: n.label, en: n.label }
        : n.kind === 'entrance'
          ? { de: 'Eingang', en: 'Entrance' }
          : n.kind === 'kiosk'
            ? { de: 'Infoterminal', en: 'Information kiosk' }
            : { de: `Wegweiser ${floor.name}`, en: `Sign, ${floorNameEn(floor)}` };
    return { nodeId: n.id, kind: n.kind, label, floorId: n.floorId };
  }

  private closed(s: State): Set<string> {
    return new Set(s.data.closures.map((c) => c.id));
  }

  private routeTo(s: State, from: string, roomId: string, stepFree: boolean): RouteResult {
    const door = s.doorOf.get(roomId);
    if (!door) return { ok: false, reason: 'unknown-node', message: `room "${roomId}" has no door in the walk graph` };
    return route(s.graph, from, door, { stepFree, closed: this.closed(s) });
  }

  /** A room as a destination; `r` the route to it when already computed. */
  private destination(s: State, room: Room, opts: QueryOptions, r: RouteResult = this.routeTo(s, opts.from, room.id, opts.stepFree)): Destination {
    const floor = s.floors.get(room.floorId) as Floor;
    return {
      roomId: room.id,
      number: room.number,
      name: room.name,
      floor: { id: floor.id, de: floor.name, en: floorNameEn(floor) },
      open: room.hours.length ? isOpen(room.hours, this.now(), this.timezone) : null,
      metres: r.ok ? Math.round(r.length) : null,
      reach: r.ok ? 'ok' : r.reason === 'unreachable-step-free' ? 'unreachable-step-free' : 'unreachable',
    };
  }

  /** Follows redirecting notices (a bulk notice first, then the room's own), at most a few hops, never in a circle. */
  private followRedirects(s: State, room: Room, notes: Text[]): Room {
    const now = this.now();
    const seen = new Set<string>([room.id]);
    let at = room;
    for (let hop = 0; hop < 4; hop++) {
      const notice = shownNotice(s.data, at, now);
      const target = notice?.redirectRoomId ? s.rooms.get(notice.redirectRoomId) : undefined;
      if (!notice || !target || seen.has(target.id)) break;
      notes.push({ de: `Zimmer ${at.number}: „${notice.text}“ – Sie werden zu Zimmer ${target.number} geleitet.`, en: `Room ${at.number}: “${notice.text}” – you are sent to room ${target.number}.` });
      seen.add(target.id);
      at = target;
    }
    return at;
  }

  /** Search, each hit resolved to where to go now. */
  search(query: string, opts: { from?: string; stepFree: boolean; limit?: number }): { from: Place; hits: Hit[] } {
    const q = query.trim();
    if (!q) throw new WayfindingError('q', 'type a service, a name or a room number');
    if (q.length > 200) throw new WayfindingError('q', 'at most 200 characters');
    const from = this.start(opts.from);
    const s = this.current();
    const o: QueryOptions = { from: from.nodeId, stepFree: opts.stepFree };
    const hits = s.search.search(q, opts.limit ?? 8).map((h) => this.resolve(s, h.kind, h.id, o));
    return { from, hits: hits.filter((h): h is Hit => h !== null) };
  }

  private resolve(s: State, kind: EntryKind, id: string, o: QueryOptions): Hit | null {
    const now = this.now();
    const notes: Text[] = [];
    if (kind === 'room') {
      const room = s.rooms.get(id);
      if (!room) return null;
      const target = this.followRedirects(s, room, notes);
      return { kind, id, title: `${room.number} ${room.name}`.trim(), subtitle: { de: 'Zimmer', en: 'Room' }, destination: this.destination(s, target, o), notes };
    }
    if (kind === 'person') {
      const p = s.data.people.find((x) => x.id === id);
      if (!p) return null;
      const room = s.data.rooms.find((r) => occupantsAt(s.data, r, now).includes(p.id));
      // Anyone on the internet can ask: say where to go, never a person's title or when they are back.
      const subtitle: Text = { de: 'Mitarbeiter/in', en: 'Staff' };
      const a = p.absence;
      let target = room;
      if (a && noticeActive({ from: a.from, until: a.until }, now)) {
        const sub = a.substituteRoomId ? s.rooms.get(a.substituteRoomId) : undefined;
        if (sub) {
          notes.push({ de: `${p.name} ist derzeit abwesend. Die Vertretung finden Sie in Zimmer ${sub.number}.`, en: `${p.name} is away at the moment. Their substitute is in room ${sub.number}.` });
          target = sub;
        } else notes.push({ de: `${p.name} ist derzeit abwesend.`, en: `${p.name} is away at the moment.` });
      }
      if (!target) return { kind, id, title: p.name, subtitle, destination: null, notes: [...notes, { de: 'Derzeit keinem Zimmer zugeordnet.', en: 'Not assigned to a room at the moment.' }] };
      const final = this.followRedirects(s, target, notes);
      return { kind, id, title: p.name, subtitle, destination: this.destination(s, final, o), notes };
    }
    const service = s.data.services.find((x) => x.id === id);
    if (!service) return null;
    const subtitle: Text = { de: service.nameEn ? `Leistung · ${service.nameEn}` : 'Leistung', en: `Service · ${service.nameDe}` };
    const offered = s.data.rooms.filter((r) => r.serviceIds.includes(id));
    if (offered.length === 0) return { kind, id, title: service.nameDe, subtitle, destination: null, notes: [{ de: 'Diese Leistung wird derzeit in keinem Zimmer angeboten.', en: 'This service is not offered in any room at the moment.' }] };
    // Each offering room, redirects followed; then open now before unknown before closed, nearest first.
    const candidates = new Map<string, { dest: Destination; notes: Text[] }>();
    for (const r of offered) {
      const n: Text[] = [];
      const target = this.followRedirects(s, r, n);
      if (!candidates.has(target.id)) candidates.set(target.id, { dest: this.destination(s, target, o), notes: n });
    }
    const rank = (d: Destination) => (d.reach === 'ok' ? 0 : 10) + (d.open === true ? 0 : d.open === null ? 1 : 2);
    const sorted = [...candidates.values()].sort((a, b) => rank(a.dest) - rank(b.dest) || (a.dest.metres ?? Infinity) - (b.dest.metres ?? Infinity) || a.dest.number.localeCompare(b.dest.number));
    const best = sorted[0] as { dest: Destination; notes: Text[] };
    notes.push(...best.notes);
    if (best.dest.open === false) notes.push({ de: 'Derzeit ist kein Zimmer für diese Leistung geöffnet.', en: 'No room offering this service is open right now.' });
    const others = sorted.slice(1).map((c) => c.dest.number);
    if (others.length) notes.push({ de: `Auch in Zimmer ${others.join(', ')}.`, en: `Also in room ${others.join(', ')}.` });
    return { kind, id, title: service.nameDe, subtitle, destination: best.dest, notes };
  }

  /** The way from a place to a room, with directions and the points to draw on each floor. */
  route(fromId: string | undefined, roomId: string, stepFree: boolean): RoutePlan {
    const from = this.start(fromId);
    const s = this.current();
    const room = s.rooms.get(roomId);
    if (!room) throw new WayfindingError('to', `unknown room "${roomId}"`, 404);
    const r = this.routeTo(s, from.nodeId, room.id, stepFree);
    const to = this.destination(s, room, { from: from.nodeId, stepFree }, r);
    if (!r.ok) {
      const reason = r.reason === 'unreachable-step-free' ? 'unreachable-step-free' : 'unreachable';
      const message: Text =
        reason === 'unreachable-step-free'
          ? { de: `Zimmer ${room.number} ist derzeit nicht stufenlos erreichbar (z. B. Aufzug außer Betrieb). Bitte wenden Sie sich an die Information.`, en: `Room ${room.number} cannot be reached step-free right now (e.g. a lift is out of order). Please ask at the information desk.` }
          : { de: `Zimmer ${room.number} ist derzeit nicht erreichbar.`, en: `Room ${room.number} cannot be reached right now.` };
      return { ok: false, reason, message, from, to };
    }
    const dirs = directions(s.graph, r.nodes, r.edges, { startLabel: from.label.de, roomNumber: room.number, floors: s.floors });
    // The start label is the same in both languages except for generic places; fix the English first line.
    dirs.en[0] = dirs.en[0]?.replace(`You are here: ${from.label.de}`, `You are here: ${from.label.en}`) ?? '';
    const floors: { floorId: string; points: [number, number][] }[] = [];
    for (const id of r.nodes) {
      const n = s.graph.nodes[s.graph.byId.get(id) as number] as WalkNode;
      const lastFloor = floors.at(-1);
      if (lastFloor?.floorId === n.floorId) lastFloor.points.push([n.x, n.y]);
      else floors.push({ floorId: n.floorId, points: [[n.x, n.y]] });
    }
    // Floors only ridden through (one point: the lift passing) are not drawn.
    const walked = floors.filter((f, i) => f.points.length > 1 || i === 0 || i === floors.length - 1);
    return { ok: true, from, to, metres: Math.round(r.length), stepFree, directions: dirs, floors: walked, nodes: r.nodes };
  }

  /** The data the last query used (for drawing plans consistently with it). */
  snapshot(): Readonly<Data> {
    return this.current().data;
  }
}
