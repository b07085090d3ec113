// The JSON store: lowdb over one file in the data directory, validated with zod on load.
// lowdb writes through steno (write to a temp file, then rename), so a crash never leaves a torn file. A file that
// fails validation is never overwritten: start-up stops and names the file and the bad record.
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { Bus, BusEvents } from '../bus.js';
import { overlaps, sortSlots, type Slot } from '../domain/hours.js';
import { occupantsAt } from '../signs/compose.js';

type BusEntity = BusEvents['store.changed']['entity'];
import type { Clock } from '../clock.js';
import { AppError, conflict, invalid, notFound, type FieldIssue } from '../errors.js';
import { describeJsonError } from './json-file.js';
import { Data, type Closure, type FloorPlan, type WalkGraph, type BulkNotice, type Move, type Room, type Person, type Service, type Unit, type Floor, type Display, type Notice } from '../domain/model.js';

export const DATA_FILE = 'wegweiser.json';

export class StoreLoadError extends Error {
  override name = 'StoreLoadError';
}

export interface RoomPatch {
  name?: string;
  unitId?: string | null;
  occupantIds?: string[];
  serviceIds?: string[];
  officeHours?: string;
  hours?: Slot[];
  notice?: Notice | null;
}

export function describePath(data: unknown, p: PropertyKey[]): string {
  const [collection, index, ...rest] = p;
  let where = String(collection ?? '(root)');
  if (typeof index === 'number') {
    const rec = (data as Record<string, unknown[]> | null)?.[String(collection)]?.[index] as { id?: unknown } | undefined;
    where += `[${index}]` + (rec && typeof rec.id === 'string' ? ` (id "${rec.id}")` : '');
  } else if (index !== undefined) where += `.${String(index)}`;
  return rest.length ? `${where}.${rest.map(String).join('.')}` : where;
}

/** Every reference in a room patch must exist; a notice cannot send visitors to its own room. */
export function checkRoomPatch(d: Readonly<Data>, id: string, patch: RoomPatch): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const has = (xs: readonly { id: string }[], x: string) => xs.some((r) => r.id === x);
  if (patch.unitId && !has(d.units, patch.unitId)) issues.push({ field: 'unitId', message: `unknown unit "${patch.unitId}"` });
  patch.occupantIds?.forEach((p, i) => {
    if (!has(d.people, p)) issues.push({ field: `occupantIds.${i}`, message: `unknown person "${p}"` });
  });
  patch.serviceIds?.forEach((x, i) => {
    if (!has(d.services, x)) issues.push({ field: `serviceIds.${i}`, message: `unknown service "${x}"` });
  });
  if (patch.hours) for (const j of overlaps(patch.hours)) issues.push({ field: `hours.${j}`, message: 'overlaps another slot of the same day' });
  const redirect = patch.notice?.redirectRoomId;
  if (redirect) {
    if (redirect === id) issues.push({ field: 'notice.redirectRoomId', message: 'a notice cannot redirect to its own room' });
    else if (!has(d.rooms, redirect)) issues.push({ field: 'notice.redirectRoomId', message: `unknown room "${redirect}"` });
  }
  return issues;
}

/** The data as it would be with a room patch applied (nothing stored): for previews. */
export function withRoomPatch(d: Readonly<Data>, id: string, patch: RoomPatch): Data {
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  return { ...d, rooms: d.rooms.map((r) => (r.id === id ? { ...r, ...defined } : r)) };
}

export class Store {
  private constructor(
    readonly file: string,
    private readonly db: Low<Data>,
    private readonly bus: Bus,
    private readonly clock: Clock,
  ) {}

  /**
   * Opens the data file. A missing file is created from `seed()`; an unreadable, malformed or invalid one is refused
   * (StoreLoadError naming file and record) and left untouched.
   */
  static async open(dataDir: string, deps: { bus: Bus; clock: Clock; seed: () => Data }): Promise<Store> {
    await mkdir(dataDir, { recursive: true });
    const file = path.join(dataDir, DATA_FILE);
    let raw: string | null = null;
    try {
      raw = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreLoadError(`${file}: cannot read: ${(err as Error).message}`);
    }
    let data: Data;
    let fresh = false;
    if (raw === null) {
      data = Data.parse(deps.seed());
      fresh = true;
    } else {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        // JSON.parse's message quotes the file: say where it breaks instead.
        throw new StoreLoadError(`${file}: ${describeJsonError(raw)}; the file was left untouched`);
      }
      const parsed = Data.safeParse(json);
      if (!parsed.success) {
        const details = parsed.error.issues.slice(0, 5).map((i) => `${describePath(json, i.path)}: ${i.message}`);
        const more = parsed.error.issues.length > 5 ? ` (and ${parsed.error.issues.length - 5} more)` : '';
        throw new StoreLoadError(`${file}: invalid data: ${details.join('; ')}${more}; the file was left untouched`);
      }
      data = parsed.data;
    }
    const db = new Low<Data>(new JSONFile<Data>(file), data);
    const store = new Store(file, db, deps.bus, deps.clock);
    if (fresh) await db.write();
    return store;
  }

  /** Current data. Treat as read-only: all changes go through the methods below. */
  get data(): Readonly<Data> {
    return this.db.data;
  }

  floors(): readonly Floor[] {
    return [...this.db.data.floors].sort((a, b) => a.level - b.level);
  }
  units(): readonly Unit[] {
    return this.db.data.units;
  }
  people(): readonly Person[] {
    return this.db.data.people;
  }
  services(): readonly Service[] {
    return this.db.data.services;
  }
  rooms(): readonly Room[] {
    return this.db.data.rooms;
  }
  displays(): readonly Display[] {
    return this.db.data.displays;
  }

  room(id: string): Room {
    const r = this.db.data.rooms.find((x) => x.id === id);
    if (!r) throw notFound('room', id);
    return r;
  }

  /** Displays by id, rebuilt only when the list changes (delivery asks for one on every status). */
  private displayIndex: { of: readonly Display[]; byId: Map<string, Display> } | null = null;

  private displaysById(): Map<string, Display> {
    const list = this.db.data.displays;
    if (this.displayIndex?.of !== list) this.displayIndex = { of: list, byId: new Map(list.map((d) => [d.id, d])) };
    return this.displayIndex.byId;
  }

  hasDisplay(id: string): boolean {
    return this.displaysById().has(id);
  }

  display(id: string): Display {
    const d = this.displaysById().get(id);
    if (!d) throw notFound('display', id);
    return d;
  }

  /**
   * Applies `mutate` to a copy of the data, validates the whole (every reference), writes it, and only then makes it
   * current — a refused or failed change leaves memory and file as they were.
   */
  private async commit(entity: BusEntity, id: string, mutate: (d: Data) => void): Promise<void> {
    const draft = structuredClone(this.db.data);
    mutate(draft);
    const checked = Data.safeParse(draft);
    if (!checked.success) {
      throw invalid(checked.error.issues.map((i) => ({ field: i.path.slice(2).map(String).join('.') || String(i.path[0] ?? ''), message: i.message })));
    }
    const before = this.db.data;
    this.db.data = checked.data;
    try {
      await this.db.write();
    } catch (err) {
      this.db.data = before;
      throw err;
    }
    this.bus.emit('store.changed', { entity, id });
  }

  person(id: string): Person {
    const p = this.db.data.people.find((x) => x.id === id);
    if (!p) throw notFound('person', id);
    return p;
  }

  service(id: string): Service {
    const x = this.db.data.services.find((y) => y.id === id);
    if (!x) throw notFound('service', id);
    return x;
  }

  async addPerson(p: Omit<Person, 'version'>): Promise<Person> {
    if (this.db.data.people.some((x) => x.id === p.id)) throw conflict(`person "${p.id}" exists`);
    await this.commit('person', p.id, (d) => void d.people.push({ ...p, version: 1 }));
    return this.person(p.id);
  }

  /** The one versioned update: a stale `expectedVersion` is refused (409), nothing is overwritten. */
  private async updateVersioned<K extends 'people' | 'services'>(
    collection: K,
    entity: 'person' | 'service',
    current: { version: number },
    id: string,
    patch: object,
    expectedVersion: number | undefined,
  ): Promise<void> {
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw conflict(`${entity} "${id}" was changed by someone else (version ${current.version}, you edited ${expectedVersion})`);
    }
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    await this.commit(entity, id, (d) => {
      // The draft is a copy: replace the record in place.
      const list: { id: string; version: number }[] = d[collection];
      const i = list.findIndex((x) => x.id === id);
      const old = list[i];
      if (old) list[i] = { ...old, ...defined, version: old.version + 1 };
    });
  }

  async updatePerson(id: string, patch: Partial<Omit<Person, 'id' | 'version'>>, expectedVersion?: number): Promise<Person> {
    await this.updateVersioned('people', 'person', this.person(id), id, patch, expectedVersion);
    return this.person(id);
  }

  async removePerson(id: string): Promise<Person> {
    const p = this.person(id);
    const rooms = this.db.data.rooms.filter((r) => r.occupantIds.includes(id)).map((r) => r.number);
    if (rooms.length) throw conflict(`${p.name} still sits in room ${rooms.join(', ')}: take them out of the room first`);
    await this.commit('person', id, (d) => {
      d.people = d.people.filter((x) => x.id !== id);
    });
    return p;
  }

  async addService(x: Omit<Service, 'version'>): Promise<Service> {
    if (this.db.data.services.some((y) => y.id === x.id)) throw conflict(`service "${x.id}" exists`);
    await this.commit('service', x.id, (d) => void d.services.push({ ...x, version: 1 }));
    return this.service(x.id);
  }

  async updateService(id: string, patch: Partial<Omit<Service, 'id' | 'version'>>, expectedVersion?: number): Promise<Service> {
    await this.updateVersioned('services', 'service', this.service(id), id, patch, expectedVersion);
    return this.service(id);
  }

  async removeService(id: string): Promise<Service> {
    const x = this.service(id);
    const rooms = this.db.data.rooms.filter((r) => r.serviceIds.includes(id)).map((r) => r.number);
    if (rooms.length) throw conflict(`"${x.nameDe}" is still offered in room ${rooms.join(', ')}`);
    await this.commit('service', id, (d) => {
      d.services = d.services.filter((y) => y.id !== id);
    });
    return x;
  }

  moves(): readonly Move[] {
    return this.db.data.moves;
  }

  async addMove(m: Move): Promise<Move> {
    await this.commit('room', m.toRoomId, (d) => void d.moves.push(m));
    return m;
  }

  async removeMove(id: string): Promise<Move> {
    const m = this.db.data.moves.find((x) => x.id === id);
    if (!m) throw notFound('move', id);
    await this.commit('room', m.toRoomId, (d) => {
      d.moves = d.moves.filter((x) => x.id !== id);
    });
    return m;
  }

  /**
   * Writes the moves that are due into the rooms' occupants and drops them; returns what was applied (for the
   * audit log). Signs show a move from its moment on already (compose applies due moves); this keeps the data true.
   */
  async applyDueMoves(now: number): Promise<Move[]> {
    const due = this.db.data.moves.filter((m) => Date.parse(m.effectiveAt) <= now);
    if (!due.length) return [];
    const dueIds = new Set(due.map((m) => m.id)); // by id: the draft is a copy
    await this.commit('room', due[0]?.toRoomId ?? '', (d) => {
      for (const room of d.rooms) {
        const next = occupantsAt({ ...d, moves: due }, room, now);
        if (JSON.stringify(next) !== JSON.stringify(room.occupantIds)) {
          room.occupantIds = next;
          room.version++;
          room.updatedAt = new Date(now).toISOString();
        }
      }
      d.moves = d.moves.filter((m) => !dueIds.has(m.id));
    });
    return due;
  }

  bulkNotices(): readonly BulkNotice[] {
    return this.db.data.bulkNotices;
  }

  /** Replaces the walk graph (and the plans, when given): validated as a whole, closures of removed places dropped. */
  async setBuilding(graph: WalkGraph, plans?: FloorPlan[]): Promise<void> {
    await this.commit('building', 'graph', (d) => {
      d.graph = graph;
      if (plans) d.plans = plans;
      const places = new Set([...graph.nodes.map((n) => n.id), ...graph.edges.map((e) => e.id)]);
      d.closures = d.closures.filter((c) => places.has(c.id));
    });
  }

  async addClosure(c: Closure): Promise<Closure> {
    if (this.db.data.closures.some((x) => x.id === c.id)) throw conflict(`"${c.id}" is already closed`);
    await this.commit('building', c.id, (d) => void d.closures.push(c));
    return c;
  }

  async removeClosure(id: string): Promise<Closure> {
    const c = this.db.data.closures.find((x) => x.id === id);
    if (!c) throw notFound('closure', id);
    await this.commit('building', id, (d) => {
      d.closures = d.closures.filter((x) => x.id !== id);
    });
    return c;
  }

  /** Adds a bulk notice (references checked by the schema); on disk before it resolves. Ended ones are dropped. */
  async addBulkNotice(n: BulkNotice): Promise<BulkNotice> {
    const d = this.db.data;
    const now = this.clock.now();
    const kept = d.bulkNotices.filter((x) => Date.parse(x.until) > now);
    const checked = Data.safeParse({ ...d, bulkNotices: [...kept, n] });
    if (!checked.success) throw invalid(checked.error.issues.map((i) => ({ field: i.path.slice(2).join('.') || 'scope', message: i.message })));
    const before = d.bulkNotices;
    d.bulkNotices = [...kept, n];
    try {
      await this.db.write();
    } catch (err) {
      d.bulkNotices = before;
      throw err;
    }
    this.bus.emit('store.changed', { entity: 'notice', id: n.id });
    return n;
  }

  async removeBulkNotice(id: string): Promise<BulkNotice> {
    const d = this.db.data;
    const n = d.bulkNotices.find((x) => x.id === id);
    if (!n) throw notFound('notice', id);
    d.bulkNotices = d.bulkNotices.filter((x) => x.id !== id);
    try {
      await this.db.write();
    } catch (err) {
      d.bulkNotices = [...d.bulkNotices, n];
      throw err;
    }
    this.bus.emit('store.changed', { entity: 'notice', id });
    return n;
  }

  /**
   * Applies a patch to a room after checking every reference. With `expectedVersion`, a stale edit is refused
   * with 409 instead of overwriting a colleague's change. Resolves once the change is on disk.
   */
  async updateRoom(id: string, patch: RoomPatch, expectedVersion?: number): Promise<Room> {
    const room = this.room(id);
    if (expectedVersion !== undefined && expectedVersion !== room.version) {
      throw conflict(`room "${id}" was changed by someone else (version ${room.version}, you edited ${expectedVersion})`);
    }
    const d = this.db.data;
    const issues = checkRoomPatch(d, id, patch);
    if (issues.length) throw invalid(issues);

    const next: Room = {
      ...room,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
      ...(patch.hours ? { hours: sortSlots(patch.hours) } : {}),
      version: room.version + 1,
      updatedAt: new Date(this.clock.now()).toISOString(),
    };
    const checked = Data.safeParse({ ...d, rooms: d.rooms.map((r) => (r.id === id ? next : r)) });
    if (!checked.success) {
      // The edge validates first; reaching here means a rule exists only in the stored schema. Say which.
      throw new AppError(400, 'invalid', checked.error.issues.map((i) => i.message).join('; '));
    }
    const idx = d.rooms.findIndex((r) => r.id === id);
    d.rooms[idx] = next;
    try {
      await this.db.write();
    } catch (err) {
      d.rooms[idx] = room; // not on disk, so not saved: keep memory and file in agreement
      throw err;
    }
    this.bus.emit('store.changed', { entity: 'room', id });
    return next;
  }
}
