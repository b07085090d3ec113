// Configuration: defaults ← environment (WEGWEISER_*) ← command-line flags, validated by one zod schema.
// A bad value stops start-up with a message naming the setting.
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

/** A reverse proxy whose X-Forwarded-For/-Proto are believed: an address, a CIDR range, or loopback/linklocal/uniquelocal. */
export const TrustedProxy = z.string().refine((s) => {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(s)) return true;
  const [addr = '', bits, ...rest] = s.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}, 'an IP address, a CIDR range (e.g. 10.0.0.0/8) or loopback, linklocal, uniquelocal');

/** "a, b" or repeated flags → the list of entries. */
export function proxyList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

export const Config = z.strictObject({
  dataDir: z.string().min(1),
  http: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    /**
     * reverse proxies in front of the server: only their X-Forwarded-For (the client's address, for the login and
     * visitor limits) and X-Forwarded-Proto (https: Secure cookies) are believed; empty: nobody's
     */
    trustedProxies: z.array(TrustedProxy).max(64),
    /** requests per minute one client address may make to the visitors' API (/api/public); 0: no limit */
    publicRateLimit: z.number().int().min(0).max(1_000_000),
  }),
  mqtt: z.strictObject({
    /** external broker; when unset the controller runs an embedded aedes broker */
    url: z.url().optional(),
    embeddedHost: z.string().min(1),
    embeddedPort: z.number().int().min(0).max(65535),
    topicPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'topic segments of letters, digits, _ and -'),
  }),
  log: z.strictObject({
    level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    format: z.enum(['json', 'pretty', 'auto']),
  }),
  demo: z.strictObject({
    /** seed the demo building when the data file does not exist yet */
    seed: z.boolean(),
    /** run one simulated display per configured display, in-process */
    sims: z.boolean(),
  }),
  delivery: z.strictObject({
    /** how long to wait for an ack after the last chunk went out */
    ackTimeoutMs: z.number().int().positive(),
    /** transfers of one frame before the display is marked failed (re-checked after `recheckBaseMs`, or when it reports) */
    maxAttempts: z.number().int().positive(),
    /** retry backoff: base · 2^(attempt−1), capped, times a random factor in [0.5, 1] */
    retryBaseMs: z.number().int().nonnegative(),
    retryMaxMs: z.number().int().nonnegative(),
    /** a failed display is tried again after base · 2^(round−1), capped, times a random factor in [0.5, 1] */
    recheckBaseMs: z.number().int().positive(),
    recheckMaxMs: z.number().int().positive(),
    /** largest chunk on the wire, header included (docs/protocol.md) */
    mtu: z.number().int().min(32).max(65_535),
    /** local hour (0–23) at which every display gets a full refresh against ghosting; null: never */
    fullRefreshHour: z.number().int().min(0).max(23).nullable(),
  }),
  /**
   * where visitors' phones reach this server (the QR codes on door signs point here); its host is also served.
   * null: the address the admin UI is actually bound to (host and real port) — see `defaultPublicUrl`
   */
  publicUrl: z
    .url({ protocol: /^https?$/, message: 'an http(s) URL, e.g. https://wegweiser.example.org' })
    .transform((u) => u.replace(/\/+$/, ''))
    .nullable(),
  /** the site's time zone (IANA name), for local hours */
  timezone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone, e.g. Europe/Berlin'),
});

export type Config = z.infer<typeof Config>;

export type ConfigInput = {
  [K in keyof Config]?: Config[K] extends object ? Partial<Config[K]> : Config[K];
};

export function defaultConfig(): Config {
  return {
    dataDir: path.resolve('data'),
    http: { host: '127.0.0.1', port: 8080, trustedProxies: [], publicRateLimit: 300 },
    mqtt: { embeddedHost: '127.0.0.1', embeddedPort: 1883, topicPrefix: 'wegweiser' },
    log: { level: 'info', format: 'auto' },
    demo: { seed: true, sims: true },
    delivery: { ackTimeoutMs: 10_000, maxAttempts: 5, retryBaseMs: 1000, retryMaxMs: 60_000, recheckBaseMs: 120_000, recheckMaxMs: 1_800_000, mtu: 4096, fullRefreshHour: 3 },
    timezone: 'Europe/Berlin',
    publicUrl: null,
  };
}

/**
 * The public URL when none is configured: the address the server really listens on — its host, and the port it got
 * (also when asked for port 0). Bound to every interface (0.0.0.0, ::), the machine's first external IPv4 address
 * stands in (a phone on the same network can reach it); without one, localhost.
 */
export function defaultPublicUrl(host: string, port: number): string {
  let h = host;
  if (host === '0.0.0.0' || host === '::' || host === '') {
    let interfaces: ReturnType<typeof os.networkInterfaces> = {};
    try {
      interfaces = os.networkInterfaces();
    } catch {
      // a sandbox without netlink sockets: no address to offer
    }
    const external = Object.entries(interfaces)
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([, addrs]) => addrs ?? [])
      .find((a) => a.family === 'IPv4' && !a.internal);
    h = external?.address ?? 'localhost';
  }
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** Whether a URL points to this machine only (loopback): phones cannot follow a QR code there. */
export function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '[::1]';
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new ConfigError(`${name}: expected a whole number, got "${v}"`);
  return n;
}

function bool(name: string, v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`${name}: expected true or false, got "${v}"`);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment overrides; unknown WEGWEISER_* variables are ignored. */
export function configFromEnv(env: NodeJS.ProcessEnv): ConfigInput {
  const out: ConfigInput = {};
  const set = <K extends keyof Config>(k: K, v: ConfigInput[K]) => {
    out[k] = { ...(out[k] as object), ...(v as object) } as ConfigInput[K];
  };
  if (env.WEGWEISER_DATA) out.dataDir = env.WEGWEISER_DATA;
  if (env.WEGWEISER_TIMEZONE) out.timezone = env.WEGWEISER_TIMEZONE;
  if (env.WEGWEISER_PUBLIC_URL) out.publicUrl = env.WEGWEISER_PUBLIC_URL;
  const host = env.WEGWEISER_HTTP_HOST;
  const port = num('WEGWEISER_HTTP_PORT', env.WEGWEISER_HTTP_PORT);
  const publicRateLimit = num('WEGWEISER_PUBLIC_RATE_LIMIT', env.WEGWEISER_PUBLIC_RATE_LIMIT);
  set('http', {
    ...(host ? { host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(env.WEGWEISER_TRUSTED_PROXY !== undefined ? { trustedProxies: proxyList([env.WEGWEISER_TRUSTED_PROXY]) } : {}),
    ...(publicRateLimit !== undefined ? { publicRateLimit } : {}),
  });
  const mqttPort = num('WEGWEISER_MQTT_PORT', env.WEGWEISER_MQTT_PORT);
  set('mqtt', {
    ...(env.WEGWEISER_MQTT_URL ? { url: env.WEGWEISER_MQTT_URL } : {}),
    ...(env.WEGWEISER_MQTT_HOST ? { embeddedHost: env.WEGWEISER_MQTT_HOST } : {}),
    ...(mqttPort !== undefined ? { embeddedPort: mqttPort } : {}),
    ...(env.WEGWEISER_MQTT_PREFIX ? { topicPrefix: env.WEGWEISER_MQTT_PREFIX } : {}),
  });
  set('log', {
    ...(env.WEGWEISER_LOG_LEVEL ? { level: env.WEGWEISER_LOG_LEVEL as Config['log']['level'] } : {}),
    ...(env.WEGWEISER_LOG_FORMAT ? { format: env.WEGWEISER_LOG_FORMAT as Config['log']['format'] } : {}),
  });
  const mtu = num('WEGWEISER_MTU', env.WEGWEISER_MTU);
  if (mtu !== undefined) out.delivery = { mtu };
  const sims = bool('WEGWEISER_DEMO_SIMS', env.WEGWEISER_DEMO_SIMS);
  const seed = bool('WEGWEISER_DEMO_SEED', env.WEGWEISER_DEMO_SEED);
  set('demo', { ...(sims !== undefined ? { sims } : {}), ...(seed !== undefined ? { seed } : {}) });
  return out;
}

export function mergeConfig(...layers: ConfigInput[]): Config {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      const prev = merged[k];
      merged[k] = typeof v === 'object' && v !== null && typeof prev === 'object' && prev !== null ? { ...prev, ...v } : v;
    }
  }
  const parsed = Config.safeParse(merged);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${msg}`);
  }
  return { ...parsed.data, dataDir: path.resolve(parsed.data.dataDir) };
}
