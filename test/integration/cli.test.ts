// The real `wegweiser` command: refuses to start on a corrupt data file (naming it and the record, leaving it
// untouched) and renders a room's sign, or any display's (a directory sign), to PNG.
import { spawn } from 'node:child_process';
import { pbkdf2Sync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { DATA_FILE } from '../../controller/store/store.js';
import { SecretStore } from '../../controller/store/secrets.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { demoData } from '../../controller/store/demo.js';
import { composeForDisplay } from '../../controller/signs/compose.js';
import { renderSign, PANELS } from '../../renderer/index.js';
import { startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';
import { wegweiser } from '../helpers/cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});


describe('wegweiser CLI', () => {
  it('refuses to start on a corrupt data file, names file and record, and leaves it untouched', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    const data = smallBuilding();
    data.displays[2] = { ...data.displays[2]!, roomId: 'r-missing' };
    await writeData(t.dir, data);
    const file = path.join(t.dir, DATA_FILE);
    const before = await readFile(file, 'utf8');
    const r = await wegweiser(['start', '--data', t.dir, '--port', '0', '--mqtt-port', '0', '--no-sims']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('displays[2] (id "ds-c").roomId: unknown room "r-missing"');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses a data file that is not JSON', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeFile(path.join(t.dir, DATA_FILE), 'not json at all');
    const r = await wegweiser(['start', '--data', t.dir, '--port', '0', '--mqtt-port', '0', '--no-sims']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not valid JSON/);
  });

  it('renders a room to an 800×480 PNG', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeData(t.dir, smallBuilding());
    const out = path.join(t.dir, 'sign.png');
    const r = await wegweiser(['render', '1.02', '--data', t.dir, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height]).toEqual([800, 480]);
  });

  it("renders a directory sign by display id, the same frame the controller composes", async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    const data = demoData();
    await writeData(t.dir, data);
    const out = path.join(t.dir, 'dir.png');
    const r = await wegweiser(['render', 'dir-2', '--data', t.dir, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const display = data.displays.find((d) => d.id === 'dir-2');
    const { frame } = await renderSign(composeForDisplay(data, display as NonNullable<typeof display>, Date.now()), PANELS['epd-7in5-bw']);
    expect(r.stdout).toContain(`frame ${frame.hash.slice(0, 16)}`);
    expect((await wegweiser(['render', 'nowhere', '--data', t.dir])).stderr).toContain('no room or display "nowhere"');
  });

  it('rejects an unknown option with usage help', async () => {
    const r = await wegweiser(['start', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/frobnicate/);
  });
});

describe('wegweiser sim', () => {
  it('runs simulated displays in their own process that confirm the controller\'s frames and write PNGs', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeData(t.dir, smallBuilding());
    const ctl = await startTestController(t.dir);
    const pngDir = path.join(t.dir, 'screens');
    const stateDir = path.join(t.dir, 'sim-flash');
    const sim = () =>
      spawn(
        process.execPath,
        ['bin/wegweiser.js', 'sim', '--ids', 'ds-a,ds-b', '--data', t.dir, '--mqtt-url', ctl.mqttUrl, '--prefix', ctl.ctx.config.mqtt.topicPrefix, '--png-dir', pngDir, '--state-dir', stateDir],
        { stdio: 'ignore', env: { ...process.env, WEGWEISER_LOG_LEVEL: 'warn' } },
      );
    let child = sim();
    try {
      await waitUntil(() => ctl.delivery.status('ds-a').inSync && ctl.delivery.status('ds-b').inSync, 'sims to confirm', 20_000);
      expect(ctl.delivery.status('ds-c').inSync).toBe(false);
      await waitUntil(() => existsSync(path.join(pngDir, 'ds-a.png')), 'PNG written', 10_000);
      const meta = await sharp(path.join(pngDir, 'ds-a.png')).metadata();
      expect(meta.width).toBe(800);
      // --state-dir is its flash: a second process comes back with the same last sequence number and screen, and
      // its message counter continues above the first's (nothing refused as a replay).
      const flash = async () => JSON.parse(await readFile(path.join(stateDir, 'ds-a.json'), 'utf8')) as { lastSeq: number | null; shown: { hash: string } | null };
      await waitUntil(async () => (await flash()).shown?.hash === ctl.delivery.status('ds-a').confirmedHash, 'ds-a\'s flash written');
      const before = await flash();
      expect(before.lastSeq).toBeGreaterThan(0);
      const seen = ctl.delivery.status('ds-a').lastSeen;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      child = sim();
      await waitUntil(() => ctl.delivery.status('ds-a').lastSeen !== seen && ctl.delivery.status('ds-a').availability === 'online', 'the second process to say hello', 20_000);
      expect(ctl.delivery.status('ds-a')).toMatchObject({ inSync: true, fault: null });
      expect((await flash()).lastSeq).toBe(before.lastSeq);
    } finally {
      child.kill('SIGTERM');
      await ctl.stop();
    }
  });
});

describe('wegweiser mqtt-files', () => {
  it('writes a Mosquitto password file that mosquitto_passwd-style PBKDF2 verifies, and an ACL', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeData(t.dir, smallBuilding());
    const r = await wegweiser(['mqtt-files', '--data', t.dir]);
    expect(r.code, r.stderr).toBe(0);
    const passwd = await readFile(path.join(t.dir, 'mosquitto', 'passwd'), 'utf8');
    const acl = await readFile(path.join(t.dir, 'mosquitto', 'acl'), 'utf8');
    const secrets = await SecretStore.read(t.dir);
    const line = passwd.split('\n').find((l) => l.startsWith('ds-b:')) as string;
    const [, iterations, salt, hash] = line.slice('ds-b:'.length).split('$').slice(1);
    expect(pbkdf2Sync(secrets.mqttPassword('ds-b'), Buffer.from(salt ?? '', 'base64'), Number(iterations), 64, 'sha512').toString('base64')).toBe(hash);
    expect(passwd).not.toContain(secrets.mqttPassword('ds-b'));
    expect(acl).toContain('pattern read wegweiser/display/%u/frame');
    expect(acl).not.toMatch(/pattern (read|readwrite) wegweiser\/#/);
    // The mosquitto.conf lines it prints are the ones the Mosquitto tests run with: one client id per login.
    expect(r.stdout).toContain('  use_username_as_clientid true\n');
    expect(r.stdout).toContain(`  acl_file ${path.join(t.dir, 'mosquitto', 'acl')}\n`);
  });
});

describe('wegweiser user', () => {
  it('creates an account with a one-time password and an API token that the API accepts', async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    await writeData(t.dir, smallBuilding());
    const add = await wegweiser(['user', 'add', 'anna', '--role', 'editor', '--unit', 'u-1', '--name', 'Anna Schön', '--data', t.dir]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/one-time password: [a-z2-9]{5}(-[a-z2-9]{5}){3}/);
    const token = (await wegweiser(['user', 'token', 'anna', '--data', t.dir])).stdout.trim();
    expect(token).toMatch(/^wwt_/);
    const list = await wegweiser(['user', 'list', '--data', t.dir]);
    expect(list.stdout).toContain('anna\teditor\tu-1\tAnna Schön\t(one-time password)');
    const ctl = await startTestController(t.dir);
    try {
      const res = await fetch(`${ctl.httpUrl}/api/rooms/r-a`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ officeHours: 'Mi 10–11 Uhr' }) });
      expect(res.status).toBe(200);
      expect(ctl.bootstrap).toBeNull(); // an account existed: no bootstrap admin was made
    } finally {
      await ctl.stop();
    }
    expect((await wegweiser(['user', 'add', 'x', '--role', 'root', '--data', t.dir])).code).toBe(2);
  }, 120_000); // four CLI processes and a controller: each CLI start takes seconds on a loaded machine
});
