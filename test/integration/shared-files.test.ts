// Files the running server and `wegweiser` CLI commands both write (users.json, secrets.json): one writer at a time
// (a lock), each change applied to the file as it is now, and changes by the other seen at once — never a silent loss.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { USERS_FILE } from '../../controller/auth/users.js';
import { SecretStore, SECRETS_FILE } from '../../controller/store/secrets.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { adminToken, api, startTestController, tempDir, writeData } from '../helpers/env.js';
import { wegweiser } from '../helpers/cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});


const login = (url: string, username: string, password: string) =>
  fetch(`${url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

describe('users.json written by the CLI while the server runs', () => {
  it('an account the CLI adds survives the server\'s next write, logs in at once; CLI token and passwd take effect', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeData(t.dir, smallBuilding());
    const ctl = await startTestController(t.dir);
    try {
      await adminToken(ctl); // the server has written users.json (bootstrap admin + a token) before the CLI runs

      const add = await wegweiser(['user', 'add', 'carla', '--role', 'editor', '--unit', 'u-1', '--data', t.dir]);
      expect(add.code, add.stderr).toBe(0);
      const carlaPassword = /one-time password: (\S+)/.exec(add.stdout)?.[1] ?? '';

      // The server changes users.json after the CLI did: both accounts must be in the file.
      const created = await api(ctl, '/api/users', { method: 'POST', body: JSON.stringify({ username: 'dora', name: 'Dora', role: 'viewer', unitIds: [] }) });
      expect(created.status).toBe(201);
      const onDisk = JSON.parse(await readFile(path.join(t.dir, USERS_FILE), 'utf8')) as { users: { username: string }[] };
      expect(onDisk.users.map((u) => u.username).sort()).toEqual(['admin', 'carla', 'dora']);
      expect((await (await api(ctl, '/api/users')).json() as { username: string }[]).map((u) => u.username).sort()).toEqual(['admin', 'carla', 'dora']);

      // The CLI-made account logs in through the API at once.
      const session = await login(ctl.httpUrl, 'carla', carlaPassword);
      expect(session.status).toBe(200);
      expect(((await session.json()) as { user: { username: string; mustChangePassword: boolean } }).user).toMatchObject({ username: 'carla', mustChangePassword: true });

      // A token the CLI prints works at once.
      const token = (await wegweiser(['user', 'token', 'carla', '--data', t.dir])).stdout.trim();
      expect(token).toMatch(/^wwt_/);
      const asCarla = await fetch(`${ctl.httpUrl}/api/rooms/r-a`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ officeHours: 'Mi 10–11 Uhr' }) });
      expect(asCarla.status).toBe(200);

      // A password reset by the CLI takes effect at once: the old password no longer logs in, the new one does, and
      // the session opened with the old one ends.
      const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const me = () => fetch(`${ctl.httpUrl}/api/session`, { headers: { cookie } }).then((r) => r.status);
      expect(await me()).toBe(200);
      const passwd = await wegweiser(['user', 'passwd', 'carla', '--data', t.dir]);
      expect(passwd.code, passwd.stderr).toBe(0);
      const fresh = /one-time password for carla: (\S+)/.exec(passwd.stdout)?.[1] ?? '';
      expect((await login(ctl.httpUrl, 'carla', carlaPassword)).status).toBe(401);
      expect((await login(ctl.httpUrl, 'carla', fresh)).status).toBe(200);
      expect(await me()).toBe(401);

      // Every change, the CLI's included, is in the audit log.
      const audit = (await (await api(ctl, '/api/audit?entity=user')).json()) as { user: string; action: string }[];
      expect(audit.filter((e) => e.user === 'cli').map((e) => e.action).sort()).toEqual(['create', 'create-token', 'password-reset']);
    } finally {
      await ctl.stop();
    }
  }, 120_000); // four CLI processes and a controller: slow on a busy machine

  it('a CLI change takes over a lock whose owner died', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeData(t.dir, smallBuilding());
    const file = path.join(t.dir, USERS_FILE);
    // A lock left by a process that died (Linux hands out pids up to 2^22 at most).
    await writeFile(`${file}.lock`, '4194305\n2026-01-01T00:00:00.000Z\n');
    const add = await wegweiser(['user', 'add', 'emil', '--role', 'viewer', '--data', t.dir]);
    expect(add.code, add.stderr).toBe(0);
    const names = (JSON.parse(await readFile(file, 'utf8')) as { users: { username: string }[] }).users.map((u) => u.username);
    expect(names).toEqual(['emil']);
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});

describe('secrets.json written by `wegweiser mqtt-files` while the server has it open', () => {
  it('neither drops the other\'s secrets: the server adds to the file as it is now and uses the CLI\'s', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    const data = smallBuilding();
    await writeData(t.dir, data);
    // The server has read (no file yet); the CLI then creates the file with secrets for every display.
    const server = await SecretStore.read(t.dir, true);
    const files = await wegweiser(['mqtt-files', '--data', t.dir]);
    expect(files.code, files.stderr).toBe(0);
    const cli = JSON.parse(await readFile(path.join(t.dir, SECRETS_FILE), 'utf8')) as { controller: { mqttPassword: string }; displays: Record<string, string> };
    // The server now creates a secret for a display of its own: the CLI's secrets stay, and it uses them.
    await server.ensure(['ds-a', 'ds-b', 'ds-c', 'ds-new']);
    const after = JSON.parse(await readFile(path.join(t.dir, SECRETS_FILE), 'utf8')) as typeof cli;
    for (const id of ['ds-a', 'ds-b', 'ds-c']) expect(after.displays[id]).toBe(cli.displays[id]);
    expect(after.displays['ds-new']).toMatch(/^[0-9a-f]{64}$/);
    expect(after.controller.mqttPassword).toBe(cli.controller.mqttPassword);
    expect(server.frameKey('ds-a').toString('hex')).toBe(cli.displays['ds-a']);
    expect(server.controllerMqttPassword()).toBe(cli.controller.mqttPassword);
  });
});
