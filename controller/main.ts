// Composition root: build the context, start modules in order, stop them in reverse.
import path from 'node:path';
import type { Logger } from 'pino';
import { Bus } from './bus.js';
import { systemClock, type Clock } from './clock.js';
import { defaultPublicUrl, isLoopbackUrl, type Config } from './config.js';
import type { AppContext } from './context.js';
import { Delivery } from './delivery/delivery.js';
import { FrameStore } from './delivery/frame-store.js';
import { DeliveryRecords } from './delivery/records.js';
import { emptyData } from './domain/model.js';
import { startEmbeddedBroker } from './gateways/mqtt/broker.js';
import { MqttGateway } from './gateways/mqtt/gateway.js';
import { MqttAccess } from './gateways/mqtt/access.js';
import { CONTROLLER_MQTT_USER } from './store/secrets.js';
import { createLogger } from './log.js';
import { SignService } from './signs/sign-service.js';
import { setSignPublicUrl, setSignTimezone } from './signs/compose.js';
import { demoData } from './store/demo.js';
import { Store } from './store/store.js';
import { prepareDataDir } from './store/durable.js';
import { SecretStore } from './store/secrets.js';
import { UserStore } from './auth/users.js';
import { SessionStore } from './auth/sessions.js';
import { LoginLimiter } from './auth/login-limiter.js';
import { AuditLog } from './audit/audit-log.js';
import { Wayfinder } from './wayfinding/wayfinder.js';
import { MoveApplier } from './store/move-applier.js';
import { listenWeb } from '../web-admin/server.js';
import { MqttSimDisplay } from '../firmware-sim/mqtt-display.js';
import { SIM_STATE_DIR, simStateFile } from '../firmware-sim/state-file.js';
import { panelById } from '../renderer/panels.js';
import { configureFonts } from '../renderer/fonts/fonts.js';

export interface Controller {
  ctx: AppContext;
  httpUrl: string;
  mqttUrl: string;
  delivery: Delivery;
  signs: SignService;
  secrets: SecretStore;
  users: UserStore;
  /** set on the first start with no accounts: the admin's one-time password, to be shown once */
  bootstrap: { username: string; password: string } | null;
  sims: MqttSimDisplay[];
  stop(): Promise<void>;
}

export async function startController(configured: Config, opts: { clock?: Clock; log?: Logger } = {}): Promise<Controller> {
  configureFonts();
  setSignTimezone(configured.timezone);
  const log = opts.log ?? createLogger(configured.log);
  const clock = opts.clock ?? systemClock;
  const bus = new Bus(log);
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
  };
  try {
    // A read-only or full data directory refuses start-up here, naming the directory; crash leftovers go.
    const { removedTempFiles } = await prepareDataDir(configured.dataDir);
    if (removedTempFiles.length) log.warn({ files: removedTempFiles }, 'removed temp files left by an earlier crash');
    // The admin UI's port first: the door signs' QR codes carry the real address unless a public URL is configured.
    const web = await listenWeb(configured.http, log);
    stops.push(() => web.close());
    const config: Config = { ...configured, publicUrl: configured.publicUrl ?? defaultPublicUrl(configured.http.host, web.port) };
    const publicUrl = config.publicUrl as string;
    setSignPublicUrl(publicUrl);
    log.info({ publicUrl }, `door-sign QR codes point to ${publicUrl}/find`);
    if (isLoopbackUrl(publicUrl)) {
      log.warn({ publicUrl }, `door-sign QR codes point to ${publicUrl}, which only this machine can open — phones cannot: set --public-url (WEGWEISER_PUBLIC_URL) to the address visitors' phones reach`);
    }
    const audit = new AuditLog(config.dataDir, clock);
    const store = await Store.open(config.dataDir, { bus, clock, seed: config.demo.seed ? demoData : emptyData, audit });
    log.info({ file: store.file, rooms: store.rooms().length, displays: store.displays().length }, 'data loaded');
    const ctx: AppContext = { config, clock, log, bus, store };
    const secrets = await SecretStore.open(config.dataDir, store.displays().map((d) => d.id));

    const access = new MqttAccess(config.mqtt.topicPrefix, secrets);
    let mqttUrl = config.mqtt.url;
    if (mqttUrl) {
      // For an external broker: the password and ACL files that give it the embedded broker's rules.
      const files = await access.writeMosquittoFiles(path.join(config.dataDir, 'mosquitto'));
      log.info(files, 'wrote Mosquitto password and ACL files for the external broker');
    } else {
      const broker = await startEmbeddedBroker(config.mqtt.embeddedHost, config.mqtt.embeddedPort, access, log);
      stops.push(() => broker.close());
      mqttUrl = broker.url;
    }

    const frames = await FrameStore.open(config.dataDir);
    stops.push(() => frames.drain()); // stopped late: after everything that stores frames
    const records = await DeliveryRecords.open(config.dataDir, log);
    const delivery = new Delivery(ctx, secrets, frames, records);
    await delivery.load();
    stops.push(() => delivery.stop());
    const signs = new SignService(ctx, delivery);
    await signs.start();
    stops.push(() => signs.stop());

    const gateway = new MqttGateway(ctx, mqttUrl, delivery, { username: CONTROLLER_MQTT_USER, password: secrets.controllerMqttPassword() }, secrets);
    await gateway.start();
    delivery.attach(gateway);
    delivery.startDailyRefresh();
    stops.push(() => gateway.stop());

    // The CLI writes users.json too (`wegweiser user …`): changes go through the file's lock, and are seen at once.
    const users = await UserStore.open(config.dataDir, { audit, watch: true, onReloadError: (err) => log.error({ err: err.message }, 'accounts file changed on disk but cannot be read; keeping the accounts in memory') });
    stops.push(() => users.close());
    let bootstrap: Controller['bootstrap'] = null;
    if (users.count() === 0) {
      // First start: an admin with a one-time password (shown once by the caller, never logged).
      const { password } = await users.add({ username: 'admin', name: 'Administrator', role: 'admin' });
      bootstrap = { username: 'admin', password };
      log.warn('no accounts yet: created user "admin" with a one-time password (printed on the console)');
    }
    const sessions = new SessionStore(clock);
    stops.push(() => sessions.stop());
    // Accounts the CLI removed or gave a new password (users.json changed on disk): their sessions end, live sockets too.
    let stamps = users.credentialStamps();
    stops.push(
      users.onExternalChange(() => {
        const next = users.credentialStamps();
        for (const [id, stamp] of stamps) {
          if (!next.has(id)) sessions.deleteForUser(id, 'user-deleted');
          else if (next.get(id) !== stamp) sessions.deleteForUser(id, 'password-reset');
        }
        stamps = next;
      }),
    );
    const moves = new MoveApplier(ctx);
    await moves.start();
    stops.push(() => moves.stop());
    const wayfinder = new Wayfinder(() => ctx.store.data, () => clock.now(), config.timezone);
    web.attach({ ctx, delivery, signs, users, sessions, limiter: new LoginLimiter(clock), audit, wayfinder });
    stops.push(() => web.close()); // again, so that on stop the web edge closes before the modules behind it

    const sims: MqttSimDisplay[] = [];
    if (config.demo.sims) {
      for (const d of store.displays()) {
        const panel = panelById(d.panel);
        if (!panel) continue;
        const sim = new MqttSimDisplay({
          id: d.id,
          panel,
          secret: secrets.frameKey(d.id),
          mqttPassword: secrets.mqttPassword(d.id),
          url: mqttUrl,
          prefix: config.mqtt.topicPrefix,
          checkInSeconds: d.checkInSeconds,
          clock,
          // its "flash": a restarted controller does not bring it back with lastSeq null (a replay window)
          state: simStateFile(path.join(config.dataDir, SIM_STATE_DIR), d.id, (err) => log.warn({ display: d.id, problem: err.problem }, `simulated display state damaged: ${err.message}`)),
          ...(d.protocol === '1.0' ? { protocolMinor: 0 as const } : {}),
        });
        await sim.start();
        sims.push(sim);
      }
      stops.push(() => Promise.all(sims.map((s) => s.stop())).then(() => undefined));
      log.info({ count: sims.length }, 'simulated displays started in-process');
    }

    return { ctx, httpUrl: web.url, mqttUrl, delivery, signs, secrets, users, bootstrap, sims, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
