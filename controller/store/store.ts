// The JSON store: one file in the data directory, validated with zod on load, the staff-edited data in memory.
// Every change goes through one serialised commit path: a copy is changed, validated as a whole, audited, written
// atomically (temp file + fsync + rename), and only then becomes current — so a refused or failed change leaves
// memory and file exactly as they were, and two changes never overlap (the second starts from what the first left).
// A failed write is the typed 503 storage_unavailable. A file that fails validation is never overwritten: start-up
// stops and names the file and the bad record.
import { readFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PRIVATE_DIR_MODE } from './private-file.js';
import type { Bus, BusEvents } from '../bus.js';
import { overlaps, sortSlots, type Slot } from '../domain/hours.js';
import { bulkNoticesFor, occupantsAt } from '../signs/compose.js';
import { diff, type AuditDraft, type AuditLog } from '../audit/audit-log.js';
import { atomicWriter, persist, SerialQueue, sha256, type FileWriter } from './durable.js';

type BusEntity = BusEvents['store.changed']['entity'];
import type { Clock } from '../clock.js';
import { conflict, invalid, notFound, type FieldIssue } from '../errors.js';
import { describeJsonError } from './json-file.js';
import { Data, type Closure, type FloorPlan, type WalkGraph, type BulkNotice, type Move, type Room, type Person, type Service, type Unit, type Floor, type Display, type Notice } from '../domain/model.js';

export const DATA_FILE = 'wegweiser.json';

export class StoreLoadError extends Error {
  override name = 'StoreLoadError';
}

export interface StoreDeps {
  bus: Bus;
  clock: Clock;
  seed: () => Data;
  /** every change is audited before it is written (absent: not audited, e.g. in unit tests) */
  audit?: AuditLog | null;
  /** the file-system boundary (tests inject failing writes) */
  writer?: FileWriter;
}

const asRecord = (x: object | null) => x as Record<string, unknown> | null;

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
  private readonly queue = new SerialQueue();

  private constructor(
    readonly file: string,
    /** what the file holds: replaced only after a successful write */
    private current: Data,
    /** sha256 of the file's text (the audit log ties each change to it) */
    private fileHash: string,
    private readonly deps: StoreDeps,
  ) {}

  /**
   * Opens the data file. A missing file is created from `seed()`; an unreadable, malformed or invalid one is refused
   * (StoreLoadError naming file and record) and left untouched. With an audit log, a change that was audited but
   * never reached the file (a crash in between) is marked aborted.
   */
  static async open(dataDir: string, deps: StoreDeps): Promise<Store> {
    await mkdir(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = path.join(dataDir, DATA_FILE);
    let raw: string | null = null;
    try {
      raw = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreLoadError(`${file}: cannot read: ${(err as Error).message}`);
    }
    let data: Data;
    if (raw === null) {
      data = Data.parse(deps.seed());
      raw = serialise(data);
      await persist(deps.writer ?? atomicWriter, file, raw);
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
    const hash = sha256(raw);
    // Only this process writes the data file, and nothing is in flight yet: the last audited change is settled here.
    await deps.audit?.reconcile(DATA_FILE, hash);
    return new Store(file, data, hash, deps);
  }

  /** Current data. Treat as read-only: all changes go through the methods below. */
  get data(): Readonly<Data> {
    return this.current;
  }

  floors(): readonly Floor[] {
    return [...this.current.floors].sort((a, b) => a.level - b.level);
  }
  units(): readonly Unit[] {
    return this.current.units;
  }
  people(): readonly Person[] {
    return this.current.people;
  }
  services(): readonly Service[] {
    return this.current.services;
  }
  rooms(): readonly Room[] {
    return this.current.rooms;
  }
  displays(): readonly Display[] {
    return this.current.displays;
  }

  room(id: string): Room {
    const r = this.current.rooms.find((x) => x.id === id);
    if (!r) throw notFound('room', id);
    return r;
  }

  /** Displays by id, rebuilt only when the list changes (delivery asks for one on every status). */
  private displayIndex: { of: readonly Display[]; byId: Map<string, Display> } | null = null;

  private displaysById(): Map<string, Display> {
    const list = this.current.displays;
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
   * The one commit path. In turn with every other change: `mutate` edits a copy of the current data (and may refuse
   * with an AppError — version checks belong there, against the data as it is now) and returns its audit entries;
   * the copy is validated as a whole (every reference), the entries are appended, the file is written, and only then
   * is the copy current. Returns the committed data.
   */
  private commit(by: string | undefined, entity: BusEntity, id: string, mutate: (d: Data) => AuditDraft[]): Promise<Data> {
    return this.queue.run(async () => {
      const draft = structuredClone(this.current);
      const audit = mutate(draft);
      const checked = Data.safeParse(draft);
      if (!checked.success) {
        throw invalid(checked.error.issues.map((i) => ({ field: i.path.slice(2).map(String).join('.') || String(i.path[0] ?? ''), message: i.message })));
      }
      const text = serialise(checked.data);
      const next = sha256(text);
      const write = () => persist(this.deps.writer ?? atomicWriter, this.file, text);
      if (this.deps.audit) await this.deps.audit.recordChange(by ?? 'system', audit, { file: DATA_FILE, prev: this.fileHash, next }, write);
      else await write();
      this.current = checked.data;
      this.fileHash = next;
      this.deps.bus.emit('store.changed', { entity, id });
      return checked.data;
    });
  }

  person(id: string): Person {
    const p = this.current.people.find((x) => x.id === id);
    if (!p) throw notFound('person', id);
    return p;
  }

  service(id: string): Service {
    const x = this.current.services.find((y) => y.id === id);
    if (!x) throw notFound('service', id);
    return x;
  }

  async addPerson(p: Omit<Person, 'version'>, by?: string): Promise<Person> {
    const d = await this.commit(by, 'person', p.id, (draft) => {
      if (draft.people.some((x) => x.id === p.id)) throw conflict(`person "${p.id}" exists`);
      const person = { ...p, version: 1 };
      draft.people.push(person);
      return [{ action: 'create', entity: 'person', id: p.id, ...diff(null, person) }];
    });
    return found(d.people, p.id);
  }

  /** The one versioned update: a stale `expectedVersion` is refused (409), nothing is overwritten. */
  private async updateVersioned<K extends 'people' | 'services'>(
    collection: K,
    entity: 'person' | 'service',
    id: string,
    patch: object,
    expectedVersion: number | undefined,
    by: string | undefined,
  ): Promise<Data> {
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return this.commit(by, entity, id, (d) => {
      const list: { id: string; version: number }[] = d[collection];
      const i = list.findIndex((x) => x.id === id);
      const old = list[i];
      if (!old) throw notFound(entity, id);
      if (expectedVersion !== undefined && expectedVersion !== old.version) {
        throw conflict(`${entity} "${id}" was changed by someone else (version ${old.version}, you edited ${expectedVersion})`);
      }
      const next = { ...old, ...defined, version: old.version + 1 };
      list[i] = next;
      return [{ action: 'update', entity, id, ...diff(asRecord(old), asRecord(next)) }];
    });
  }

  async updatePerson(id: string, patch: Partial<Omit<Person, 'id' | 'version'>>, expectedVersion?: number, by?: string): Promise<Person> {
    return found((await this.updateVersioned('people', 'person', id, patch, expectedVersion, by)).people, id);
  }

  async removePerson(id: string, by?: string): Promise<Person> {
    let removed: Person | undefined;
    await this.commit(by, 'person', id, (d) => {
      const p = found(d.people, id);
      const rooms = d.rooms.filter((r) => r.occupantIds.includes(id)).map((r) => r.number);
      if (rooms.length) throw conflict(`${p.name} still sits in room ${rooms.join(', ')}: take them out of the room first`);
      d.people = d.people.filter((x) => x.id !== id);
      removed = p;
      return [{ action: 'delete', entity: 'person', id, ...diff(p, null) }];
    });
    return removed as Person;
  }

  async addService(x: Omit<Service, 'version'>, by?: string): Promise<Service> {
    const d = await this.commit(by, 'service', x.id, (draft) => {
      if (draft.services.some((y) => y.id === x.id)) throw conflict(`service "${x.id}" exists`);
      const service = { ...x, version: 1 };
      draft.services.push(service);
      return [{ action: 'create', entity: 'service', id: x.id, ...diff(null, service) }];
    });
    return found(d.services, x.id);
  }

  async updateService(id: string, patch: Partial<Omit<Service, 'id' | 'version'>>, expectedVersion?: number, by?: string): Promise<Service> {
    return found((await this.updateVersioned('services', 'service', id, patch, expectedVersion, by)).services, id);
  }

  async removeService(id: string, by?: string): Promise<Service> {
    let removed: Service | undefined;
    await this.commit(by, 'service', id, (d) => {
      const x = found(d.services, id);
      const rooms = d.rooms.filter((r) => r.serviceIds.includes(id)).map((r) => r.number);
      if (rooms.length) throw conflict(`"${x.nameDe}" is still offered in room ${rooms.join(', ')}`);
      d.services = d.services.filter((y) => y.id !== id);
      removed = x;
      return [{ action: 'delete', entity: 'service', id, ...diff(x, null) }];
    });
    return removed as Service;
  }

  moves(): readonly Move[] {
    return this.current.moves;
  }

  async addMove(m: Move, by?: string): Promise<Move> {
    await this.commit(by, 'room', m.toRoomId, (d) => {
      d.moves.push(m);
      return [{ action: 'plan-move', entity: 'person', id: m.personId, before: { room: m.fromRoomId }, after: { room: m.toRoomId, effectiveAt: m.effectiveAt } }];
    });
    return m;
  }

  async removeMove(id: string, by?: string): Promise<Move> {
    const m = this.current.moves.find((x) => x.id === id);
    if (!m) throw notFound('move', id);
    await this.commit(by, 'room', m.toRoomId, (d) => {
      if (!d.moves.some((x) => x.id === id)) throw notFound('move', id);
      d.moves = d.moves.filter((x) => x.id !== id);
      return [{ action: 'cancel-move', entity: 'person', id: m.personId, before: { room: m.toRoomId, effectiveAt: m.effectiveAt }, after: {} }];
    });
    return m;
  }

  /**
   * Writes the moves that are due into the rooms' occupants and drops them; returns what was applied. Signs show a
   * move from its moment on already (compose applies due moves); this keeps the data true.
   */
  async applyDueMoves(now: number): Promise<Move[]> {
    if (!this.current.moves.some((m) => Date.parse(m.effectiveAt) <= now)) return [];
    let due: Move[] = [];
    const first = this.current.moves.find((m) => Date.parse(m.effectiveAt) <= now);
    await this.commit('system', 'room', first?.toRoomId ?? '', (d) => {
      due = d.moves.filter((m) => Date.parse(m.effectiveAt) <= now);
      const dueIds = new Set(due.map((m) => m.id));
      for (const room of d.rooms) {
        const next = occupantsAt({ ...d, moves: due }, room, now);
        if (JSON.stringify(next) !== JSON.stringify(room.occupantIds)) {
          room.occupantIds = next;
          room.version++;
          room.updatedAt = new Date(now).toISOString();
        }
      }
      d.moves = d.moves.filter((m) => !dueIds.has(m.id));
      return due.map((m) => ({ action: 'move', entity: 'person', id: m.personId, before: { room: m.fromRoomId }, after: { room: m.toRoomId } }));
    });
    return due;
  }

  bulkNotices(): readonly BulkNotice[] {
    return this.current.bulkNotices;
  }

  /** Replaces the walk graph (and the plans, when given): validated as a whole, closures of removed places dropped. */
  async setBuilding(graph: WalkGraph, plans?: FloorPlan[], by?: string): Promise<void> {
    await this.commit(by, 'building', 'graph', (d) => {
      const before = { nodes: d.graph.nodes.length, edges: d.graph.edges.length };
      d.graph = graph;
      if (plans) d.plans = plans;
      const places = new Set([...graph.nodes.map((n) => n.id), ...graph.edges.map((e) => e.id)]);
      d.closures = d.closures.filter((c) => places.has(c.id));
      return [{ action: 'update-building', entity: 'building', id: 'graph', before, after: { nodes: graph.nodes.length, edges: graph.edges.length } }];
    });
  }

  async addClosure(c: Closure, by?: string): Promise<Closure> {
    await this.commit(by, 'building', c.id, (d) => {
      if (d.closures.some((x) => x.id === c.id)) throw conflict(`"${c.id}" is already closed`);
      d.closures.push(c);
      return [{ action: 'close-place', entity: 'building', id: c.id, before: {}, after: { reason: c.reason } }];
    });
    return c;
  }

  async removeClosure(id: string, by?: string): Promise<Closure> {
    let removed: Closure | undefined;
    await this.commit(by, 'building', id, (d) => {
      const c = d.closures.find((x) => x.id === id);
      if (!c) throw notFound('closure', id);
      d.closures = d.closures.filter((x) => x.id !== id);
      removed = c;
      return [{ action: 'reopen-place', entity: 'building', id, before: { reason: c.reason }, after: {} }];
    });
    return removed as Closure;
  }

  /** Adds a bulk notice (references checked by the schema); on disk before it resolves. Ended ones are dropped. */
  async addBulkNotice(n: BulkNotice, by?: string): Promise<BulkNotice> {
    await this.commit(by, 'notice', n.id, (d) => {
      const now = this.deps.clock.now();
      d.bulkNotices = [...d.bulkNotices.filter((x) => Date.parse(x.until) > now), n];
      const rooms = d.rooms.filter((room) => bulkNoticesFor({ ...d, bulkNotices: [n] }, room).length > 0).length;
      return [{ action: 'create', entity: 'notice', id: n.id, before: {}, after: { scope: n.scope, text: n.text, until: n.until, rooms } }];
    });
    return n;
  }

  async removeBulkNotice(id: string, by?: string): Promise<BulkNotice> {
    let removed: BulkNotice | undefined;
    await this.commit(by, 'notice', id, (d) => {
      const n = d.bulkNotices.find((x) => x.id === id);
      if (!n) throw notFound('notice', id);
      d.bulkNotices = d.bulkNotices.filter((x) => x.id !== id);
      removed = n;
      return [{ action: 'delete', entity: 'notice', id, before: { text: n.text, until: n.until }, after: {} }];
    });
    return removed as BulkNotice;
  }

  /**
   * Applies a patch to a room after checking every reference. With `expectedVersion`, a stale edit is refused
   * with 409 instead of overwriting a colleague's change. Resolves once the change is on disk.
   */
  async updateRoom(id: string, patch: RoomPatch, expectedVersion?: number, by?: string): Promise<Room> {
    const d = await this.commit(by, 'room', id, (draft) => {
      const i = draft.rooms.findIndex((r) => r.id === id);
      const room = draft.rooms[i];
      if (!room) throw notFound('room', id);
      if (expectedVersion !== undefined && expectedVersion !== room.version) {
        throw conflict(`room "${id}" was changed by someone else (version ${room.version}, you edited ${expectedVersion})`);
      }
      const issues = checkRoomPatch(draft, id, patch);
      if (issues.length) throw invalid(issues);
      const next: Room = {
        ...room,
        ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
        ...(patch.hours ? { hours: sortSlots(patch.hours) } : {}),
        version: room.version + 1,
        updatedAt: new Date(this.deps.clock.now()).toISOString(),
      };
      draft.rooms[i] = next;
      return [{ action: 'update', entity: 'room', id, ...diff(asRecord(room), asRecord(next)) }];
    });
    return found(d.rooms, id);
  }
}

/** The file's text: the format lowdb wrote before, so old and new files compare byte for byte. */
function serialise(d: Data): string {
  return JSON.stringify(d, null, 2);
}

/** The record with this id in a committed list (it is there: the commit put it there). */
function found<T extends { id: string }>(list: readonly T[], id: string): T {
  const x = list.find((y) => y.id === id);
  if (!x) throw notFound('record', id);
  return x;
}
