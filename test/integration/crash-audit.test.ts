// kill -9 in the middle of edits: the real server (`wegweiser start`) takes room edits from several clients at once
// and is killed at a random moment, a few rounds in a row. Afterwards every stored change of a room has exactly one
// audit entry (no change without its entry, no entry without its change), and every edit the API acknowledged is
// stored. The rounds are few and short (seeded, bounded) to keep this to seconds.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../controller/auth/users.js';
import { AuditLog } from '../../controller/audit/audit-log.js';
import { DATA_FILE, Store } from '../../controller/store/store.js';
import { Bus } from '../../controller/bus.js';
import { Data } from '../../controller/domain/model.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { freePort, tempDir, waitUntil, writeData } from '../helpers/env.js';

const ROUNDS = 3;
const CLIENTS = 6;

/** A small seeded generator (mulberry32): the kill moments are random but repeatable. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

describe('audit across kill -9', () => {
  it('every stored room change has its audit entry, and every acknowledged edit is stored', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeData(t.dir, smallBuilding());
    const users = await UserStore.open(t.dir);
    const { user } = await users.add({ username: 'ina', name: 'Ina', role: 'admin', password: 'a-long-password-1234', mustChangePassword: false });
    const token = await users.createToken(user.id, 'test');
    const random = rng(20261123);
    /** per room: the highest version the API acknowledged with its value */
    const acked = new Map<string, { version: number; officeHours: string }>();
    let children: ChildProcess[] = [];
    cleanups.push(async () => children.forEach((c) => c.kill('SIGKILL')));

    for (let round = 0; round < ROUNDS; round++) {
      const port = await freePort();
      const child = spawn(process.execPath, ['bin/wegweiser.js', 'start', '--data', t.dir, '--port', String(port), '--mqtt-port', '0', '--no-sims', '--no-demo', '--log-level', 'error', '--log-format', 'json'], { stdio: 'ignore' });
      children.push(child);
      const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
      const url = `http://127.0.0.1:${port}`;
      await waitUntil(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok, 'server to start', 30_000);

      let stop = false;
      const client = async (c: number) => {
        for (let n = 0; !stop && n < 10_000; n++) {
          const id = ['r-a', 'r-b', 'r-c'][(c + n) % 3] as string;
          const officeHours = `Runde ${round} Client ${c} Nr ${n}`;
          try {
            const res = await fetch(`${url}/api/rooms/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ officeHours }) });
            if (res.status === 200) {
              const room = (await res.json()) as { version: number; officeHours: string };
              if ((acked.get(id)?.version ?? 0) < room.version) acked.set(id, { version: room.version, officeHours: room.officeHours });
            }
          } catch {
            return; // killed
          }
        }
      };
      const running = Array.from({ length: CLIENTS }, (_, c) => client(c));
      await new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 400)));
      child.kill('SIGKILL');
      stop = true;
      await exited;
      await Promise.all(running);
      children = children.filter((x) => x !== child);
    }

    // Start as the server does (the store settles the last audited change against the file), then compare.
    const audit = new AuditLog(t.dir, new FakeClock());
    const store = await Store.open(t.dir, { bus: new Bus(), clock: new FakeClock(), seed: smallBuilding, audit });
    const onDisk = Data.parse(JSON.parse(await readFile(path.join(t.dir, DATA_FILE), 'utf8')));
    expect(onDisk).toEqual(store.data);
    const entries = await audit.query({ entity: 'room', limit: 1000 });
    let changes = 0;
    for (const room of store.rooms()) {
      const stored = room.version - 1; // every room starts at version 1
      changes += stored;
      expect(entries.filter((e) => e.id === room.id).length, `audit entries of ${room.id}`).toBe(stored);
      // The newest entry says what the room holds now.
      if (stored > 0) expect(entries.find((e) => e.id === room.id)?.after).toEqual({ officeHours: room.officeHours });
      const ack = acked.get(room.id);
      if (ack) expect(room.version, `acknowledged edit of ${room.id} stored`).toBeGreaterThanOrEqual(ack.version);
    }
    expect(changes).toBeGreaterThan(ROUNDS); // the rounds did change things
  }, 180_000); // a few seconds each round; server starts are slow on a busy machine
});
