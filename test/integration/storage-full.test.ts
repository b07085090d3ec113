// A real full disk and a real read-only file system: the real server (`wegweiser start`) runs in its own mount
// namespace on a small tmpfs. Edits while the disk is full or read-only answer 503 storage_unavailable, the API and
// the file agree afterwards, nothing is lost once the disk is back, and start-up on a read-only directory refuses
// with a message naming it. Needs `unshare -m` (root, as on this project's machines and CI); skipped with a note
// where mount namespaces are not allowed.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../controller/auth/users.js';
import { DATA_FILE } from '../../controller/store/store.js';
import { Data } from '../../controller/domain/model.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { freePort, tempDir, waitUntil, writeData } from '../helpers/env.js';

const run = promisify(execFile);
const namespaces = spawnSync('unshare', ['-m', 'true']).status === 0 && spawnSync('nsenter', ['--version']).status === 0;
if (!namespaces) console.warn('skipping the full-disk / read-only tests: `unshare -m` is not permitted here (needs root)');

/** The shell run inside the new mount namespace: a tmpfs over DIR with the prepared data, then the command. */
const IN_NAMESPACE = 'mount -t tmpfs -o size=$1 tmpfs "$2" && cp -a "$3"/. "$2"/ && chmod 700 "$2" && { [ -z "$READ_ONLY" ] || mount -o remount,ro "$2"; } && shift 3 && exec "$@"';

describe.runIf(namespaces)('a full or read-only disk (real tmpfs in a mount namespace)', () => {
  let t: { dir: string; cleanup(): Promise<void> };
  let src: string;
  let mnt: string;
  let token: string;
  let server: ChildProcess | null = null;
  let url = '';

  /** The data as prepared for each server: the small building and an admin with an API token. */
  beforeAll(async () => {
    t = await tempDir();
    src = path.join(t.dir, 'src');
    mnt = path.join(t.dir, 'mnt');
    await mkdir(mnt);
    await writeData(src, smallBuilding());
    const users = await UserStore.open(src);
    const { user } = await users.add({ username: 'ina', name: 'Ina', role: 'admin', password: 'a-long-password-1234', mustChangePassword: false });
    token = await users.createToken(user.id, 'test');
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await t?.cleanup();
  });

  function start(opts: { readOnly?: boolean } = {}, port = 0): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(
      'unshare',
      ['-m', '--propagation', 'private', 'sh', '-c', IN_NAMESPACE, 'sh', '2m', mnt, src, process.execPath, 'bin/wegweiser.js', 'start', '--data', mnt, '--port', String(port), '--mqtt-port', '0', '--no-sims', '--no-demo', '--log-format', 'json', '--log-level', 'warn'],
      { env: { ...process.env, ...(opts.readOnly ? { READ_ONLY: '1' } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output: () => out, exited };
  }

  /** A shell command inside the server's mount namespace (fill the disk, remount). */
  const inside = (cmd: string) => run('nsenter', ['-t', String(server?.pid), '-m', 'sh', '-c', cmd]);
  /** The data file as the server's namespace sees it. */
  const fileData = async () => Data.parse(JSON.parse(await readFile(`/proc/${server?.pid}/root${path.join(mnt, DATA_FILE)}`, 'utf8')));
  const call = (p: string, init: RequestInit = {}) =>
    fetch(`${url}${p}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  const patchRoom = (id: string, body: object) => call(`/api/rooms/${id}`, { method: 'PATCH', body: JSON.stringify(body) });
  const roomsByApi = async () => ((await (await call('/api/rooms')).json()) as (Data['rooms'][number] & { displayIds?: string[] })[]).map(({ displayIds: _d, ...r }) => r);

  it('answers 503 storage_unavailable while the disk is full or read-only; API and file agree; nothing lost after', async () => {
    const port = await freePort();
    const s = start({}, port);
    server = s.child;
    url = `http://127.0.0.1:${port}`;
    await waitUntil(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok, `server to start (${s.output()})`, 30_000);
    expect((await patchRoom('r-a', { name: 'Vorher' })).status).toBe(200);

    // Fill the disk. A new file (each atomic write makes one) gets no page; the audit log may still append into the
    // slack of its last page — so both ways a change can fail (before or after its audit entry) are possible.
    await inside(`dd if=/dev/zero of=${mnt}/filler bs=4k 2>/dev/null; dd if=/dev/zero of=${mnt}/filler2 bs=1 2>/dev/null; true`);
    const full = await Promise.all([patchRoom('r-a', { name: 'Voll 1' }), patchRoom('r-b', { officeHours: 'Voll 2' }), patchRoom('r-a', { officeHours: 'Voll 3' })]);
    for (const r of full) {
      expect(r.status).toBe(503);
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('storage_unavailable');
      expect(body.error.message).toMatch(/could not be saved.*nothing was changed/);
    }
    const users = await call('/api/users', { method: 'POST', body: JSON.stringify({ username: 'voll', name: 'Voll', role: 'viewer', unitIds: [] }) });
    expect(users.status).toBe(503);
    // What the API says is what the file holds.
    expect(await roomsByApi()).toEqual((await fileData()).rooms);
    expect((await roomsByApi()).find((r) => r.id === 'r-a')?.name).toBe('Vorher');

    // The disk is back: the next edits are saved, and none of the earlier ones appears or gets lost.
    await inside(`rm ${mnt}/filler ${mnt}/filler2`);
    expect((await patchRoom('r-b', { name: 'Danach' })).status).toBe(200);
    expect((await patchRoom('r-a', { officeHours: 'Mo 8–12' })).status).toBe(200);
    const rooms = await roomsByApi();
    expect(rooms).toEqual((await fileData()).rooms);
    expect(rooms.find((r) => r.id === 'r-a')).toMatchObject({ name: 'Vorher', officeHours: 'Mo 8–12', version: 3 });
    expect(rooms.find((r) => r.id === 'r-b')).toMatchObject({ name: 'Danach', version: 2 });
    // The audit log lists exactly the stored changes.
    const audit = (await (await call('/api/audit?entity=room')).json()) as { id: string; after: Record<string, unknown> }[];
    expect(audit.map((e) => [e.id, e.after])).toEqual([
      ['r-a', { officeHours: 'Mo 8–12' }],
      ['r-b', { name: 'Danach' }],
      ['r-a', { name: 'Vorher' }],
    ]);

    // Read-only: the same truthful 503, and the same agreement.
    // A file open for writing at that moment (a frame, the delivery records) makes the remount busy: try again.
    await waitUntil(async () => inside(`mount -o remount,ro ${mnt}`).then(() => true, () => false), 'the remount read-only', 10_000);
    const ro = await patchRoom('r-c', { name: 'Nur lesen' });
    expect(ro.status).toBe(503);
    expect(((await ro.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'storage_unavailable', message: expect.stringContaining('read-only') });
    expect(await roomsByApi()).toEqual((await fileData()).rooms);
    await inside(`mount -o remount,rw ${mnt}`);
    expect((await patchRoom('r-c', { name: 'Wieder da' })).status).toBe(200);
    expect((await fileData()).rooms.find((r) => r.id === 'r-c')?.name).toBe('Wieder da');

    server.kill('SIGTERM');
    await s.exited;
    server = null;
  }, 120_000);

  it('refuses to start on a read-only data directory, naming it', async () => {
    const s = start({ readOnly: true });
    server = s.child;
    const code = await Promise.race([s.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 20_000))]);
    expect(code, s.output()).not.toBe('running');
    expect(code).not.toBe(0);
    expect(s.output()).toContain(`data directory ${mnt} is not writable`);
    expect(s.output()).toContain('read-only');
    server = null;
  }, 60_000);
});
