// The project works from any folder, under npm and under a service manager: a copy under a dot-folder serves every
// page (/kiosk too); door-sign QR codes carry the address the server really listens on (and start-up warns when
// phones cannot reach it); SIGTERM to `npm start` or `npx wegweiser start` stops the whole process tree; and the
// Dockerfile and the systemd unit in docs/ are checked (docker itself is not available here).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import sharp from 'sharp';
import { demoData } from '../../controller/store/demo.js';
import { api, startTestController, tempDir, waitUntil, writeData } from '../helpers/env.js';

// jsqr is CommonJS (module.exports is the decoder); its types describe an ES default export.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;
const run = promisify(execFile);
const ROOT = process.cwd();

/** What the running server needs, copied (node_modules linked) to `dir`. */
async function copyProject(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const entry of ['bin', 'controller', 'renderer', 'firmware-sim', 'web-admin', 'package.json', 'tsconfig.json']) {
    await cp(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
  }
  await symlink(await realpath(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
}

/** A started process with its output collected. */
function launch(command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): { child: ChildProcess; output: () => string } {
  const child = spawn(command, args, { cwd: opts.cwd, env: { ...process.env, WEGWEISER_LOG_FORMAT: 'json', npm_config_update_notifier: 'false', ...opts.env } });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out };
}

const runningUrl = (out: string) => /Wegweiser is running: open (http:\/\/\S+?)"/.exec(out)?.[1] ?? null;

/** Live (not zombie) processes: pid → parent pid. */
function processTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') table.set(Number(name), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

function descendants(root: number): number[] {
  const table = processTable();
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of table) if (ppid === out[i]) out.push(pid);
  return out;
}

describe('a copy of the project under a dot-folder, run the way people run it', () => {
  let base: string;
  let project: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempDir();
    base = t.dir;
    cleanup = t.cleanup;
    // Like a clone in ~/.cache or a global install under ~/.nvm.
    project = path.join(base, '.cache', 'wegweiser');
    await copyProject(project);
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('serves /kiosk, /find and the staff pages; QR codes carry the real port, and start-up warns they are loopback', async () => {
    const { child, output } = launch(process.execPath, ['bin/wegweiser.js', 'start', '--data', path.join(base, 'data'), '--port', '0', '--mqtt-port', '0', '--no-sims', '--no-demo'], { cwd: project });
    try {
      const url = await waitUntil(() => runningUrl(output()), 'the controller to start', 30_000);
      for (const page of ['/kiosk', '/find', '/login', '/style.css', '/find.js']) {
        const r = await fetch(`${url}${page}`);
        expect(r.status, page).toBe(200);
      }
      expect(await (await fetch(`${url}/kiosk`)).text()).toContain('find.js');
      const port = new URL(url).port;
      expect(port).not.toBe('0');
      expect(output()).toContain(`"msg":"door-sign QR codes point to http://127.0.0.1:${port}/find"`);
      const warning = output()
        .split('\n')
        .find((l) => l.includes('"level":40') && l.includes('phones cannot'));
      expect(warning).toContain(`http://127.0.0.1:${port}`);
      expect(warning).toContain('--public-url (WEGWEISER_PUBLIC_URL)');
    } finally {
      child.kill('SIGTERM');
      expect(await new Promise((resolve) => child.once('exit', (code) => resolve(code)))).toBe(0);
    }
  });

  // npm runs scripts through `sh -c`, and dash does not pass signals on: the forwarded SIGTERM used to kill the
  // shell and leave node running.
  for (const [name, command, args] of [
    ['npm start', 'npm', ['start', '--']],
    ['npx wegweiser start', 'npx', ['wegweiser', 'start']],
  ] as const) {
    it(`SIGTERM to \`${name}\` stops the whole process tree`, async () => {
      const data = path.join(base, `data-${command}`);
      const { child, output } = launch(command, [...args, '--data', data, '--port', '0', '--mqtt-port', '0', '--no-sims', '--no-demo'], {
        cwd: project,
        // npx links the project into its cache: a private one, and never the network.
        env: { npm_config_cache: path.join(base, 'npm-cache'), npm_config_offline: 'true' },
      });
      let tree: number[] = [child.pid as number];
      try {
        const url = await waitUntil(() => runningUrl(output()), `${name} to start`, 60_000);
        tree = descendants(child.pid as number);
        const server = tree.filter((pid) => pid !== child.pid && cmdline(pid).includes('wegweiser') && cmdline(pid).includes('start'));
        expect(server.length, `the server among ${tree.map(cmdline).join(' | ')}`).toBeGreaterThan(0);
        child.kill('SIGTERM');
        await waitUntil(() => {
          const live = processTable();
          return tree.every((pid) => !live.has(pid));
        }, `every process of \`${name}\` to end (${tree.join(', ')})`, 15_000);
        expect(output()).toMatch(/stopping…/);
        await expect(fetch(`${url}/api/health`)).rejects.toThrow();
      } finally {
        // Whatever failed, leave nothing running (these are the ids this test started).
        const live = processTable();
        for (const pid of tree) if (live.has(pid)) process.kill(pid, 'SIGKILL');
      }
    });
  }
});

describe('the public URL follows the address the server listens on', () => {
  it('port 0: the door signs carry the real port (decoded from the frame the display is sent), and a loopback warning', async () => {
    const t = await tempDir();
    await writeData(t.dir, demoData());
    const lines: string[] = [];
    const ctl = await startTestController(t.dir, {}, pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }));
    try {
      await ctl.signs.idle();
      expect(ctl.ctx.config.publicUrl).toBe(ctl.httpUrl);
      const png = Buffer.from(await (await api(ctl, '/api/displays/ds-2-14/preview.png')).arrayBuffer());
      const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(jsQR(new Uint8ClampedArray(data), info.width, info.height)?.data).toBe(`${ctl.httpUrl}/find?from=d-2.14`);
      expect(lines.some((l) => l.includes('"level":40') && l.includes(`door-sign QR codes point to ${ctl.httpUrl}, which only this machine can open`))).toBe(true);
    } finally {
      await ctl.stop();
      await t.cleanup();
    }
  });

  it('a configured public URL wins and, reachable by phones, gets no warning', async () => {
    const t = await tempDir();
    await writeData(t.dir, demoData());
    const lines: string[] = [];
    const ctl = await startTestController(t.dir, { publicUrl: 'https://wegweiser.example.org/' }, pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }));
    try {
      await ctl.signs.idle();
      const png = Buffer.from(await (await api(ctl, '/api/displays/ds-2-14/preview.png')).arrayBuffer());
      const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(jsQR(new Uint8ClampedArray(data), info.width, info.height)?.data).toBe('https://wegweiser.example.org/find?from=d-2.14');
      expect(lines.some((l) => l.includes('"level":40') && l.includes('phones cannot'))).toBe(false);
    } finally {
      await ctl.stop();
      await t.cleanup();
    }
  });
});

describe('running it under a service manager: the Dockerfile and the systemd unit', () => {
  /** Dockerfile instructions: continuation lines joined, comments dropped. */
  function instructions(text: string): { op: string; args: string }[] {
    const joined = text.replace(/\\\n/g, ' ');
    return joined
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const [op = '', ...rest] = l.split(/\s+/);
        return { op: op.toUpperCase(), args: rest.join(' ') };
      });
  }
  const dockerfile = instructions(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
  const all = (op: string) => dockerfile.filter((i) => i.op === op);

  it('Dockerfile: node:20-bookworm-slim, npm ci --omit=dev, exec-form CMD running node bin/wegweiser.js start', () => {
    expect(dockerfile[0]).toEqual({ op: 'FROM', args: 'node:20-bookworm-slim' });
    expect(all('RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r.args))).toBe(true);
    const cmd = all('CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0]?.args ?? '')).toEqual(['node', 'bin/wegweiser.js', 'start']);
    expect(all('ENTRYPOINT')).toEqual([]);
  });

  it('Dockerfile: a non-root USER before CMD, a data volume, the ports, a health check against /api/health', () => {
    const users = dockerfile.map((x, i) => ({ ...x, i })).filter((x) => x.op === 'USER');
    const last = users.at(-1);
    expect(last && !/^(root|0)(:|$)/.test(last.args)).toBe(true);
    expect(last?.i).toBeLessThan(dockerfile.findIndex((x) => x.op === 'CMD'));
    const env = all('ENV').map((e) => e.args).join(' ');
    expect(env).toMatch(/WEGWEISER_HTTP_HOST=0\.0\.0\.0/);
    const dataDir = /WEGWEISER_DATA=(\S+)/.exec(env)?.[1];
    expect(dataDir).toBeDefined();
    expect(JSON.parse(all('VOLUME')[0]?.args ?? '[]')).toContain(dataDir);
    expect(all('EXPOSE').flatMap((e) => e.args.split(/\s+/))).toEqual(expect.arrayContaining(['8080', '1883']));
    const health = all('HEALTHCHECK')[0]?.args ?? '';
    expect(health).toMatch(/CMD \[/); // exec form: no shell needed
    expect(health).toContain('/api/health');
  });

  it('Dockerfile: every COPY source exists and is not excluded by .dockerignore; the image needs no dev dependency', () => {
    const ignored = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const sources = all('COPY').flatMap((c) => {
      const parts = c.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      return parts.slice(0, -1);
    });
    expect(sources.length).toBeGreaterThan(3);
    for (const s of sources) {
      expect(existsSync(path.join(ROOT, s)), `COPY ${s}`).toBe(true);
      expect(ignored.includes(s.replace(/\/$/, '')), `${s} is in .dockerignore`).toBe(false);
    }
    for (const must of ['node_modules', 'data', '.git', 'test-artifacts']) expect(ignored).toContain(must);
    // What the server runs is what the image copies; everything it imports is a runtime dependency.
    const copied = sources.filter((s) => !s.endsWith('.json'));
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : /\.(ts|js)$/.test(e.name) ? [path.join(dir, e.name)] : []));
    const missing = new Set<string>();
    for (const file of copied.flatMap((s) => walk(path.join(ROOT, s)))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^'.][^']*)'|import\('([^'.][^']*)'\)/g)) {
        const spec = (m[1] ?? m[2]) as string;
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (!(name in pkg.dependencies)) missing.add(`${path.relative(ROOT, file)}: ${spec}`);
      }
    }
    // Type-only imports vanish at run time.
    const runtimeMissing = [...missing].filter((m) => !/^[^:]+: (@types\/|playwright-core$|vitest)/.test(m));
    expect(runtimeMissing).toEqual([]);
  });

  it('systemd unit: node bin/wegweiser.js start directly, a dedicated user, hardened, the data directory writable', async () => {
    const text = await readFile(path.join(ROOT, 'docs', 'wegweiser.service'), 'utf8');
    const keys = new Map<string, string[]>();
    let section = '';
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || line.startsWith(';')) continue;
      const s = /^\[(\w+)\]$/.exec(line);
      if (s) {
        section = s[1] as string;
        continue;
      }
      const eq = line.indexOf('=');
      expect(eq, `not key=value: ${line}`).toBeGreaterThan(0);
      const key = `${section}.${line.slice(0, eq)}`;
      keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
    }
    const one = (k: string) => keys.get(k)?.at(-1);
    expect(one('Service.ExecStart')).toMatch(/^\/\S*\/node bin\/wegweiser\.js start$/);
    expect(one('Service.User')).toMatch(/^(?!root$)[a-z_][a-z0-9_-]*$/);
    expect(one('Service.NoNewPrivileges')).toBe('yes');
    expect(one('Service.ProtectSystem')).toBe('strict');
    expect(one('Service.PrivateTmp')).toBe('yes');
    const data = (keys.get('Service.Environment') ?? []).map((e) => /^WEGWEISER_DATA=(\S+)$/.exec(e)?.[1]).find(Boolean);
    expect(data).toBeDefined();
    expect(one('Service.ReadWritePaths')?.split(/\s+/)).toContain(data);
    expect(one('Install.WantedBy')).toBe('multi-user.target');
    const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
    if (analyze) {
      // The node binary's place differs between machines: verify the unit with this one's.
      const t = await tempDir();
      try {
        const unit = path.join(t.dir, 'wegweiser.service');
        await writeFile(unit, text.replace(/^ExecStart=\S+/m, `ExecStart=${process.execPath}`));
        const r = await run(analyze, ['verify', unit]).catch((err: { stdout: string; stderr: string; code: number }) => ({ ...err, failed: true }));
        expect(`${r.stdout}${r.stderr}`.trim(), 'systemd-analyze verify').toBe('');
      } finally {
        await t.cleanup();
      }
    }
  });
});
