// Test environment helpers: temp dirs, free ports, quiet controllers, and "required in CI" checks for the real
// Mosquitto and Chromium (a developer machine without them skips those tests; CI, where .ci/run installs them, fails).
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';
import { defaultConfig, mergeConfig, type Config, type ConfigInput } from '../../controller/config.js';
import { startController, type Controller } from '../../controller/main.js';
import { DATA_FILE } from '../../controller/store/store.js';
import type { Data } from '../../controller/domain/model.js';
import type { Clock } from '../../controller/clock.js';

export async function tempDir(prefix = 'wegweiser-test-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** For a test file: `dir()` makes a temp dir that is removed after the test that made it. Call at module level. */
export function tempDirsPerTest(): () => Promise<string> {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  return async () => {
    const t = await tempDir();
    cleanups.push(t.cleanup);
    return t.dir;
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function writeData(dir: string, data: Data): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, DATA_FILE), JSON.stringify(data, null, 2));
}

export function testConfig(dataDir: string, over: ConfigInput = {}): Config {
  return mergeConfig(
    defaultConfig(),
    {
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      mqtt: { embeddedHost: '127.0.0.1', embeddedPort: 0, topicPrefix: `wwtest${process.pid}` },
      log: { level: 'silent', format: 'json' },
      demo: { seed: false, sims: false },
      delivery: { ackTimeoutMs: 3000, maxAttempts: 5, retryBaseMs: 50, retryMaxMs: 500, mtu: 4096, fullRefreshHour: null },
    },
    over,
  );
}

export async function startTestController(dataDir: string, over: ConfigInput = {}, logger?: Logger, clock?: Clock): Promise<Controller> {
  const config = testConfig(dataDir, over);
  const log = logger ?? pino({ level: process.env.WEGWEISER_TEST_LOG ?? 'silent' });
  return startController(config, { log, ...(clock ? { clock } : {}) });
}

/** Waits until `check` returns a truthy value; polls, bounded by `timeoutMs`. */
export async function waitUntil<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? null;
export const CHROMIUM = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;

/**
 * Whether a test needing a system binary runs. In CI a missing binary is an error (the test runs and fails),
 * elsewhere it is skipped with a note.
 */
export function needs(binary: string | null, name: string): boolean {
  if (binary) return true;
  if (process.env.CI) return true;
  console.warn(`skipping ${name} tests: not installed (run .ci/run or apt-get install ${name})`);
  return false;
}

export function requireBinary(binary: string | null, name: string): string {
  if (!binary) throw new Error(`${name} is not installed; .ci/run installs it (apt-get install ${name})`);
  return binary;
}

const tokens = new WeakMap<Controller, Promise<string>>();

/** An API token of the controller's first admin (created once per controller). */
export function adminToken(ctl: Controller): Promise<string> {
  let t = tokens.get(ctl);
  if (!t) {
    const admin = ctl.users.list().find((u) => u.role === 'admin');
    if (!admin) throw new Error('no admin account');
    t = ctl.users.createToken(admin.id, 'tests');
    tokens.set(ctl, t);
  }
  return t;
}

/** fetch against the controller's API as its admin (bearer token). */
export async function api(ctl: Controller, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${await adminToken(ctl)}`);
  if (init.body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${ctl.httpUrl}${path}`, { ...init, headers });
}
