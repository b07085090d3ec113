// The `wegweiser` command line: start | render | sim | help.
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { configFromEnv, ConfigError, defaultConfig, defaultPublicUrl, mergeConfig, proxyList, type ConfigInput } from './config.js';
import { startController } from './main.js';
import { StoreLoadError, DATA_FILE, describePath } from './store/store.js';
import { DataFileError, parseJsonFile } from './store/json-file.js';
import { SecretStore } from './store/secrets.js';
import { MqttAccess } from './gateways/mqtt/access.js';
import { Role, UserStore } from './auth/users.js';
import { AuditLog } from './audit/audit-log.js';
import { systemClock } from './clock.js';
import { AppError } from './errors.js';
import { generatePassword } from './auth/passwords.js';
import { Data } from './domain/model.js';
import { composeForDisplay, composeDoorSign, setSignPublicUrl, setSignTimezone } from './signs/compose.js';
import { createLogger } from './log.js';
import { renderSign, frameToPng, PANELS, panelById } from '../renderer/index.js';
import { MqttSimDisplay } from '../firmware-sim/mqtt-display.js';
import { simStateFile } from '../firmware-sim/state-file.js';
import { userText } from '../web-admin/validation.js';

const HELP = `wegweiser — door signs and wayfinding for e-paper displays

Usage:
  wegweiser start [options]          run the controller (admin UI, MQTT gateway, renderer)
  wegweiser render ROOM|DISPLAY      render a room's door sign (id or number, e.g. 2.14) or a display's sign
                                     (e.g. dir-2, a directory sign) to PNG
  wegweiser sim [options]            run simulated displays against a broker
  wegweiser mqtt-files [options]     write Mosquitto password + ACL files for the displays (external broker)
  wegweiser user add NAME [options]  create an account (prints a one-time password)
  wegweiser user list | token NAME | passwd NAME
                                     list accounts; print a new API token; set a new one-time password
  wegweiser help

start options:
  --data DIR            data directory (env WEGWEISER_DATA, default ./data)
  --host HOST           admin UI address (env WEGWEISER_HTTP_HOST, default 127.0.0.1)
  --port N              admin UI port (env WEGWEISER_HTTP_PORT, default 8080)
  --mqtt-url URL        use an external broker (env WEGWEISER_MQTT_URL); default: embedded broker
  --mqtt-port N         embedded broker port (env WEGWEISER_MQTT_PORT, default 1883)
  --no-sims             do not run simulated displays in-process (env WEGWEISER_DEMO_SIMS=false)
  --no-demo             start with an empty building instead of the demo (env WEGWEISER_DEMO_SEED=false)
  --log-level LEVEL     trace|debug|info|warn|error (env WEGWEISER_LOG_LEVEL, default info)
  --log-format FORMAT   json|pretty|auto (env WEGWEISER_LOG_FORMAT, default auto: pretty on a terminal)
  --public-url URL      where visitors' phones reach this server; door-sign QR codes point there
                        (env WEGWEISER_PUBLIC_URL; default: the address it listens on, real port)
  --trusted-proxy LIST  reverse proxies whose X-Forwarded-For/-Proto are believed: addresses, CIDR ranges or
                        loopback, comma-separated or repeated (env WEGWEISER_TRUSTED_PROXY, default none)
  --public-rate-limit N requests per minute per client address to the visitors' API, 0 = off
                        (env WEGWEISER_PUBLIC_RATE_LIMIT, default 300)
  --mtu N               largest frame chunk sent to a display, bytes, 32–65535 (env WEGWEISER_MTU, default 4096;
                        a display asking for less in its hello gets less)

render options:
  --data DIR            data directory (default ./data)
  --out FILE            PNG to write (default sign-ROOM.png)
  --svg FILE            also write the SVG

mqtt-files options:
  --data DIR            data directory (default ./data); secrets are created for displays that have none
  --out DIR             where to write passwd and acl (default DATA/mosquitto)
  --prefix P            MQTT topic prefix (default wegweiser)

user options:
  --data DIR            data directory (default ./data)
  --role ROLE           admin | editor | viewer (default editor)
  --unit ID             a unit whose rooms an editor may change (repeatable)
  --name TEXT           display name
  --token-name TEXT     label for a new API token (default "cli")

sim options:
  --mqtt-url URL        broker (default mqtt://127.0.0.1:1883)
  --ids A,B,C           display ids to simulate
  --displays N          simulate the first N displays of --data
  --data DIR            data directory with the displays and their secrets (default ./data)
  --png-dir DIR         write each display's screen as DIR/ID.png whenever it changes
  --state-dir DIR       keep each display's state (last sequence number, frames, message counter) in DIR/ID.json
                        across restarts, as a display's flash does (default: in memory only)
  --prefix P            MQTT topic prefix (default wegweiser)
  --drop P              probability a chunk or reply is lost (0–1; also --duplicate, --reorder, --corrupt,
                        --reboot: per chunk); --seed N makes a run repeatable
`;

function fail(message: string, code = 1): never {
  process.stderr.write(`wegweiser: ${message}\n`);
  process.exit(code);
}

/** An unexpected error's message, unless it may quote a file (JSON syntax errors do). */
function safeMessage(err: unknown): string {
  if (err instanceof SyntaxError) return 'malformed JSON';
  return err instanceof Error ? err.message : String(err);
}

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) fail(`${name}: expected a whole number, got "${v}"`, 2);
  return n;
}

async function loadData(dataDir: string): Promise<Data> {
  const file = path.join(dataDir, DATA_FILE);
  const raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) =>
    fail(err.code === 'ENOENT' ? `no data file at ${file} (run "wegweiser start" once to create the demo)` : `${file}: cannot read: ${err.message}`),
  );
  const json = parseJsonFile(file, raw);
  const parsed = Data.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.slice(0, 3).map((i) => `${describePath(json, i.path)}: ${i.message}`);
    throw new DataFileError(file, `invalid data: ${details.join('; ')}${parsed.error.issues.length > 3 ? ` (and ${parsed.error.issues.length - 3} more)` : ''}`);
  }
  return parsed.data;
}

/**
 * Stops cleanly on SIGINT and SIGTERM — and when the npm process that started us goes away. `npm start` and
 * `npx wegweiser start` run the command through `sh -c`, and dash neither forwards signals nor execs the command:
 * the SIGTERM npm forwards kills the shell and leaves this process running, reparented. (The start script execs
 * node, so there npm's signal arrives directly; npx cannot be told to.) So when started by npm — it sets
 * npm_lifecycle_event — a changed parent means our launcher was stopped. Under systemd or in a container node is
 * started directly and this never applies; a process deliberately left running by its shell is not affected either.
 */
function onShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (reason: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`\n${reason}: stopping…\n`);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
  if (process.env.npm_lifecycle_event) {
    const launcher = process.ppid;
    const watch = setInterval(() => {
      if (process.ppid === launcher) return;
      clearInterval(watch);
      handler('npm, which started Wegweiser, has stopped');
    }, 500);
    watch.unref();
  }
}

async function cmdStart(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'mqtt-url': { type: 'string' },
      'mqtt-port': { type: 'string' },
      'no-sims': { type: 'boolean' },
      'no-demo': { type: 'boolean' },
      'log-level': { type: 'string' },
      'log-format': { type: 'string' },
      'public-url': { type: 'string' },
      'trusted-proxy': { type: 'string', multiple: true },
      'public-rate-limit': { type: 'string' },
      mtu: { type: 'string' },
    },
    strict: true,
  });
  const port = int('--port', values.port);
  const mtu = int('--mtu', values.mtu);
  const publicRateLimit = int('--public-rate-limit', values['public-rate-limit']);
  const mqttPort = int('--mqtt-port', values['mqtt-port']);
  const flags: ConfigInput = {
    ...(values.data ? { dataDir: values.data } : {}),
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    http: {
      ...(values.host ? { host: values.host } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(values['trusted-proxy'] ? { trustedProxies: proxyList(values['trusted-proxy']) } : {}),
      ...(publicRateLimit !== undefined ? { publicRateLimit } : {}),
    },
    mqtt: { ...(values['mqtt-url'] ? { url: values['mqtt-url'] } : {}), ...(mqttPort !== undefined ? { embeddedPort: mqttPort } : {}) },
    log: {
      ...(values['log-level'] ? { level: values['log-level'] as never } : {}),
      ...(values['log-format'] ? { format: values['log-format'] as never } : {}),
    },
    demo: { ...(values['no-sims'] ? { sims: false } : {}), ...(values['no-demo'] ? { seed: false } : {}) },
    ...(mtu !== undefined ? { delivery: { mtu } } : {}),
  };
  let config;
  try {
    config = mergeConfig(defaultConfig(), configFromEnv(process.env), flags);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  try {
    const c = await startController(config);
    if (c.bootstrap) {
      process.stderr.write(
        `\n  First start: log in at ${c.httpUrl} as "${c.bootstrap.username}" with the one-time password\n\n      ${c.bootstrap.password}\n\n  You will be asked to choose your own. (Or create accounts with: wegweiser user add NAME --role admin)\n\n`,
      );
    }
    c.ctx.log.info(`Wegweiser is running: open ${c.httpUrl}`);
    onShutdown(() => c.stop());
  } catch (err) {
    if (err instanceof StoreLoadError || err instanceof DataFileError) fail(`refusing to start: ${err.message}`);
    fail(`cannot start: ${safeMessage(err)}`);
  }
}

async function cmdRender(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { data: { type: 'string' }, out: { type: 'string' }, svg: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const which = positionals[0];
  if (!which) fail('render: name a room (id or number) or a display id, e.g. "wegweiser render 2.14" or "wegweiser render dir-2"', 2);
  let config;
  try {
    config = mergeConfig(defaultConfig(), configFromEnv(process.env));
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  setSignTimezone(config.timezone);
  // As a running controller with this configuration would: the configured URL, or its address.
  setSignPublicUrl(config.publicUrl ?? defaultPublicUrl(config.http.host, config.http.port));
  const data = await loadData(path.resolve(values.data ?? process.env.WEGWEISER_DATA ?? 'data'));
  const room = data.rooms.find((r) => r.id === which || r.number === which);
  const byId = data.displays.find((d) => d.id === which);
  if (!room && !byId) fail(`render: no room or display "${which}"`);
  const display = byId ?? data.displays.find((d) => d.roomId === room?.id);
  const panel = panelById(display?.panel ?? 'epd-7in5-bw') ?? PANELS['epd-7in5-bw'];
  const content = room ? composeDoorSign(data, room.id) : composeForDisplay(data, display as NonNullable<typeof display>, Date.now());
  const { frame, svg, warnings } = await renderSign(content, panel);
  const name = room ? room.number : (display?.id ?? which);
  const out = values.out ?? `sign-${name.replace(/[^A-Za-z0-9._-]/g, '_')}.png`;
  await writeFile(out, await frameToPng(frame));
  if (values.svg) await writeFile(values.svg, svg);
  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  process.stdout.write(`${out}  ${panel.width}×${panel.height}  frame ${frame.hash.slice(0, 16)}\n`);
}

async function cmdSim(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'mqtt-url': { type: 'string' },
      ids: { type: 'string' },
      displays: { type: 'string' },
      data: { type: 'string' },
      'png-dir': { type: 'string' },
      'state-dir': { type: 'string' },
      prefix: { type: 'string' },
      drop: { type: 'string' },
      duplicate: { type: 'string' },
      reorder: { type: 'string' },
      corrupt: { type: 'string' },
      reboot: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
  });
  const prob = (name: 'drop' | 'duplicate' | 'reorder' | 'corrupt' | 'reboot') => {
    const v = values[name];
    if (v === undefined) return 0;
    const n = Number(v);
    if (!(n >= 0 && n <= 1)) fail(`--${name}: expected a probability from 0 to 1, got "${v}"`, 2);
    return n;
  };
  const faults = { drop: prob('drop'), duplicate: prob('duplicate'), reorder: prob('reorder'), corrupt: prob('corrupt'), reboot: prob('reboot') };
  const seed = int('--seed', values.seed) ?? Date.now() % 1_000_000;
  const log = createLogger({ level: process.env.WEGWEISER_LOG_LEVEL ?? 'info', format: 'auto', name: 'wegweiser-sim' });
  const url = values['mqtt-url'] ?? process.env.WEGWEISER_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  let displays: { id: string; panel: string; checkInSeconds?: number | null; protocol?: '1.0' | '1.1' }[];
  const dataDir = path.resolve(values.data ?? process.env.WEGWEISER_DATA ?? 'data');
  const secrets = await SecretStore.read(dataDir);
  if (values.ids) displays = values.ids.split(',').filter(Boolean).map((id) => ({ id, panel: 'epd-7in5-bw' }));
  else {
    const n = int('--displays', values.displays) ?? 1;
    if (!existsSync(path.join(dataDir, DATA_FILE))) fail(`sim: no data file in ${dataDir}; name displays with --ids`);
    const data = await loadData(dataDir);
    displays = data.displays.slice(0, n).map((d) => ({ id: d.id, panel: d.panel, checkInSeconds: d.checkInSeconds, ...(d.protocol ? { protocol: d.protocol } : {}) }));
  }
  for (const d of displays) if (!secrets.has(d.id)) fail(`sim: no secret for display "${d.id}" in ${secrets.file}`);
  const pngDir = values['png-dir'];
  if (pngDir) await mkdir(pngDir, { recursive: true });
  const stateDir = values['state-dir'] ? path.resolve(values['state-dir']) : null;
  const sims = displays.map(
    (d, i) =>
      new MqttSimDisplay({
        faults,
        seed: seed + i,
        id: d.id,
        panel: panelById(d.panel) ?? PANELS['epd-7in5-bw'],
        secret: secrets.frameKey(d.id),
        mqttPassword: secrets.mqttPassword(d.id),
        checkInSeconds: d.checkInSeconds ?? null,
        url,
        prefix: values.prefix ?? 'wegweiser',
        ...(stateDir ? { state: simStateFile(stateDir, d.id, (err) => log.warn({ display: d.id }, err.message)) } : {}),
        ...(d.protocol === '1.0' ? { protocolMinor: 0 as const } : {}),
      }),
  );
  for (const sim of sims) {
    sim.on('displayed', (hash) => {
      log.info({ display: sim.id, hash: hash.slice(0, 12) }, 'frame shown');
      if (pngDir) void sim.writePng(path.join(pngDir, `${sim.id}.png`));
    });
    sim.on('refused', (reason) => log.warn({ display: sim.id, reason }, 'frame refused'));
    await sim.start().catch((err: Error) => fail(`cannot connect to ${url}: ${err.message}`));
  }
  log.info({ count: sims.length, url, faults, seed }, 'simulated displays running (Ctrl-C to stop)');
  onShutdown(async () => {
    await Promise.all(sims.map((s) => s.stop()));
  });
}

async function cmdMqttFiles(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { data: { type: 'string' }, out: { type: 'string' }, prefix: { type: 'string' } }, strict: true });
  const dataDir = path.resolve(values.data ?? process.env.WEGWEISER_DATA ?? 'data');
  const data = await loadData(dataDir);
  const secrets = await SecretStore.open(dataDir, data.displays.map((d) => d.id));
  const access = new MqttAccess(values.prefix ?? process.env.WEGWEISER_MQTT_PREFIX ?? 'wegweiser', secrets);
  const files = await access.writeMosquittoFiles(path.resolve(values.out ?? path.join(dataDir, 'mosquitto')));
  process.stdout.write(
    `wrote ${files.passwd} and ${files.acl} (${data.displays.length} displays + the controller)\n\n` +
      `In mosquitto.conf, after the listener line (the files must be readable by the mosquitto user):\n` +
      MqttAccess.mosquittoConf(files).map((l) => `  ${l}\n`).join(''),
  );
}

async function cmdUser(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      role: { type: 'string' },
      unit: { type: 'string', multiple: true },
      name: { type: 'string' },
      'token-name': { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const [action, username] = positionals;
  const dataDir = path.resolve(values.data ?? process.env.WEGWEISER_DATA ?? 'data');
  await mkdir(dataDir, { recursive: true });
  // A running server may be writing users.json too: every change takes the file's lock and applies to the file as it
  // is now, and is audited as "cli" like a change made in the admin UI.
  const users = await UserStore.open(dataDir, { audit: new AuditLog(dataDir, systemClock) });
  const by = 'cli';
  const find = () => {
    const u = users.list().find((x) => x.username === username);
    if (!u) fail(`user: no account "${username ?? ''}"`);
    return u;
  };
  switch (action) {
    case 'add': {
      if (!username) fail('user add: name the account, e.g. "wegweiser user add anna --role editor --unit u-aufenthalt"', 2);
      const role = Role.safeParse(values.role ?? 'editor');
      if (!role.success) fail(`--role: expected admin, editor or viewer, got "${values.role}"`, 2);
      // The same text rule as the API's for a display name (trimmed, no control characters, drawable).
      const name = userText(120, { min: 1 }).safeParse(values.name ?? username);
      if (!name.success) fail(`--name: ${name.error.issues[0]?.message ?? 'invalid'}`, 2);
      const { user, password } = await users.add({ username, name: name.data, role: role.data, unitIds: values.unit ?? [] }, by);
      process.stdout.write(`created ${user.username} (${user.role}${user.unitIds.length ? `, units ${user.unitIds.join(', ')}` : ''})\none-time password: ${password}\n`);
      return;
    }
    case 'list':
      for (const u of users.list()) process.stdout.write(`${u.username}\t${u.role}\t${u.unitIds.join(',') || '-'}\t${u.name}${u.mustChangePassword ? '\t(one-time password)' : ''}\n`);
      return;
    case 'token': {
      const u = find();
      process.stdout.write(`${await users.createToken(u.id, values['token-name'] ?? 'cli', by)}\n`);
      return;
    }
    case 'passwd': {
      const u = find();
      const password = generatePassword();
      await users.setPassword(u.id, password, by, { oneTime: true });
      process.stdout.write(`one-time password for ${u.username}: ${password}\n`);
      return;
    }
    default:
      fail('user: expected add, list, token or passwd', 2);
  }
}

const [command = 'help', ...rest] = process.argv.slice(2);
try {
  switch (command) {
    case 'start':
      await cmdStart(rest);
      break;
    case 'render':
      await cmdRender(rest);
      break;
    case 'sim':
      await cmdSim(rest);
      break;
    case 'mqtt-files':
      await cmdMqttFiles(rest);
      break;
    case 'user':
      // A refusal (name taken, storage full or locked) is a message, not a stack trace.
      await cmdUser(rest).catch((err: unknown) => {
        if (err instanceof AppError) fail(`user: ${err.message}`);
        throw err;
      });
      break;
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      break;
    default:
      fail(`unknown command "${command}"\n\n${HELP}`, 2);
  }
} catch (err) {
  if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) fail(err.message, 2);
  // A damaged file is named with what is wrong with it; nothing else reaches the terminal (no stack trace).
  if (err instanceof DataFileError || err instanceof StoreLoadError) fail(err.message);
  fail(`${command}: ${safeMessage(err)}`);
}
