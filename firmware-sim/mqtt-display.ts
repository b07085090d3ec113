// A simulated display on Wi-Fi: the SimDevice core behind an MQTT client that connects like a real one
// (availability with last will, hello on connect, frames in, ack/nak out; its client id is its user name, the
// display id). When the controller announces itself (bridge/state "online", live — not a retained copy) the display
// says hello again: that is how a controller that was cut off learns what every display shows. A battery display
// sleeps: it wakes every check-in interval, says so (availability "online" + check-in), listens a moment — longer
// while a transfer is coming in — then says "asleep" and turns its radio off: frames sent while it sleeps never
// reach it.
import { EventEmitter } from 'node:events';
import { rename, writeFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../controller/protocol/topics.js';
import type { CheckIn } from '../controller/protocol/topics.js';
import type { AuthenticatedLeaf } from '../controller/protocol/device-message.js';
import { systemClock, type Clock } from '../controller/clock.js';
import type { PanelProfile } from '../renderer/panels.js';
import { SimDevice, type CheckInBody } from './device.js';
import { FaultyLink, NO_FAULTS, seededRandom, type SimFaults } from './faults.js';
import type { SimStateStore } from './state-file.js';

export interface MqttSimOptions {
  id: string;
  panel: PanelProfile;
  /** the display's own secret: frame authentication */
  secret: Buffer;
  /** its broker password (the user name is the display id) */
  mqttPassword: string;
  url: string;
  prefix?: string;
  batteryMv?: number;
  /** link and device faults (default: none) */
  faults?: Partial<SimFaults>;
  /** seed for the fault generator */
  seed?: number;
  /** time base (tests: a simulated clock shared with the controller) */
  clock?: Clock;
  /** sleep between check-ins, seconds, until the controller sets it; null/absent: always listening */
  checkInSeconds?: number | null;
  /** how long it listens after a check-in, ms (default 2000) */
  listenMs?: number;
  /** its clock's drift, ppm, and initial error, ms */
  driftPpm?: number;
  clockOffsetMs?: number;
  /** wait between reconnect attempts, ms (default 1000) */
  reconnectMs?: number;
  /** its flash (lastSeq, frames, message counter): read at start, written as it changes; default: in memory */
  state?: SimStateStore;
  /** 0: behave as a v1.0 display (untagged messages); default 1 (v1.1) */
  protocolMinor?: 0 | 1;
  /** the largest chunk it accepts (default 4096) */
  maxChunk?: number;
}

export interface MqttSimEvents {
  displayed: [hash: string];
  /** every frame chunk its radio received (before link faults), as sent */
  chunk: [payload: Buffer];
  /** its MQTT connection is up (first connect and every reconnect) */
  connected: [];
  hello: [];
  refused: [reason: string];
  checkin: [checkIn: CheckInBody];
  /** a device message it published (signed), as it went on the wire */
  sent: [leaf: AuthenticatedLeaf, payload: Buffer];
  /** it lost power between persisting a sequence number and showing its frame (a simulated fault), and rebooted */
  'power-loss': [];
  sleep: [];
}

export class MqttSimDisplay extends EventEmitter<MqttSimEvents> {
  readonly device: SimDevice;
  readonly link: FaultyLink;
  private client: MqttClient | null = null;
  private readonly t: ReturnType<typeof topics>;
  private readonly clock: Clock;
  private awake = true;
  private started = false;
  private wakeTimer: { cancel(): void } | null = null;
  private sleepTimer: { cancel(): void } | null = null;
  /** frame chunks that arrived while the radio was off */
  missedAsleep = 0;
  checkIns = 0;
  /** control messages received (accepted or not) */
  controlMessages = 0;
  /** MQTT connections made (1 + reconnects) and hellos published */
  connects = 0;
  hellos = 0;
  /** what it publishes, in order: signing a message may wait for its counter reservation to reach flash */
  private outbox: Promise<void> = Promise.resolve();

  constructor(readonly opts: MqttSimOptions) {
    super();
    this.clock = opts.clock ?? systemClock;
    this.device = new SimDevice({
      id: opts.id,
      panel: opts.panel,
      secret: opts.secret,
      batteryMv: opts.batteryMv,
      clock: this.clock,
      driftPpm: opts.driftPpm,
      clockOffsetMs: opts.clockOffsetMs,
      onShow: (hash) => this.emit('displayed', hash),
      ...(opts.state ? { state: opts.state } : {}),
      ...(opts.protocolMinor !== undefined ? { protocolMinor: opts.protocolMinor } : {}),
      ...(opts.maxChunk !== undefined ? { maxChunk: opts.maxChunk } : {}),
    });
    if (opts.checkInSeconds) this.device.checkInSeconds = opts.checkInSeconds;
    this.t = topics(opts.prefix ?? 'wegweiser');
    this.link = new FaultyLink({ ...NO_FAULTS, ...opts.faults }, seededRandom(opts.seed ?? 1));
  }

  get id(): string {
    return this.opts.id;
  }

  /** Its radio is on (always, for an always-listening display). */
  get isAwake(): boolean {
    return this.awake;
  }

  get sleepy(): boolean {
    return (this.device.checkInSeconds ?? 0) > 0;
  }

  async start(): Promise<void> {
    const id = this.opts.id;
    // Power on: what it accepted and shows comes from its flash, so a restart never reopens a replay window.
    if (!this.started) await this.device.restore();
    this.started = true;
    const client = mqtt.connect(this.opts.url, {
      clientId: id, // the only client id its login may use
      reconnectPeriod: this.opts.reconnectMs ?? 1000,
      clean: true,
      connectTimeout: 10_000,
      username: id,
      password: this.opts.mqttPassword,
      will: { topic: this.t.availability(id), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    // Chunks are processed strictly in arrival order, one at a time, as a device's radio task would.
    let queue: Promise<void> = Promise.resolve();
    const handle = async (chunk: Buffer) => {
      const outcome = await this.device.receive(chunk);
      if (outcome?.type === 'ack') {
        // Signed whether or not the radio then loses it: a lost reply still used its counter.
        this.send('ack', outcome.ack, this.link.replyPasses());
        if (outcome.changed) this.emit('displayed', outcome.ack.hash);
      } else if (outcome?.type === 'nak') {
        this.send('nak', outcome.nak, this.link.replyPasses());
        this.emit('refused', outcome.nak.reason);
      } else if (outcome?.type === 'power-loss') {
        // It rebooted with the new lastSeq in flash and the old frame on screen, and says so.
        this.emit('power-loss');
        this.sayHello();
        return;
      }
      if (this.link.rebootNow()) {
        // A reboot mid-transfer: RAM is gone; the screen and flash keep the last verified frame. It says hello.
        this.device.powerLoss();
        this.sayHello();
      }
    };
    client.on('message', (topic, payload, packet) => {
      if (topic === this.t.bridgeState) {
        // A live "online" (not the retained copy a fresh subscription gets) means the controller (re)connected and
        // asks what we show. Asleep, the radio is off: the next check-in tells it.
        if (!packet.retain && payload.toString('utf8') === 'online' && this.awake) this.sayHello();
        return;
      }
      if (topic === this.t.control(id)) {
        this.controlMessages++;
        this.device.applyControl(payload);
        return;
      }
      if (topic !== this.t.frame(id)) return;
      this.emit('chunk', Buffer.from(payload));
      if (!this.awake) {
        this.missedAsleep++;
        return;
      }
      for (const chunk of this.link.incoming(payload)) queue = queue.then(() => handle(chunk));
    });
    client.on('connect', () => {
      this.connects++;
      this.emit('connected');
      client.subscribe([this.t.frame(id), this.t.control(id), this.t.bridgeState], { qos: 1 }, (err) => {
        if (err) return;
        this.sayHello();
        if (this.sleepy) this.wake('boot');
        else this.publishAvailability('online');
      });
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        client.removeListener('connect', onConnect);
        reject(err);
      };
      const onConnect = () => {
        client.removeListener('error', onError);
        resolve();
      };
      client.once('connect', onConnect);
      client.once('error', onError);
    });
  }

  /**
   * Publishes a device message — signed (v1.1), in call order with everything else it publishes. `passes` false: the
   * radio loses it (a link fault) after it was signed.
   */
  private send(leaf: AuthenticatedLeaf, body: object, passes = true): void {
    this.enqueue(async (client) => {
      const payload = await this.device.message(leaf, body);
      if (!payload || !passes) return;
      client.publish(this.t[leaf](this.id), payload, { qos: 1 });
      this.emit('sent', leaf, payload);
    });
  }

  private publishAvailability(state: 'online' | 'asleep'): void {
    this.enqueue((client) => {
      client.publish(this.t.availability(this.id), state, { qos: 1, retain: true });
    });
  }

  private enqueue(job: (client: MqttClient) => Promise<void> | void): void {
    const client = this.client;
    if (!client) return;
    this.outbox = this.outbox.then(() => job(client)).catch(() => undefined);
  }

  private sayHello(): void {
    this.hellos++;
    this.send('hello', this.device.hello());
    this.emit('hello');
  }

  /** Reports battery, RSSI and temperature (an always-listening display does so now and then). */
  reportTelemetry(): void {
    this.send('telemetry', { batteryMv: this.device.batteryMv, rssi: -61, temperatureC: 21.5 });
  }

  /** Loses its next `n` replies (acks and naks) on the radio, as after an interference burst. */
  dropNextReplies(n: number): void {
    this.link.dropNextReplies(n);
  }

  /** Its MQTT connection is up now. */
  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  private wake(reason: CheckIn['wakeReason']): void {
    const client = this.client;
    if (!client) return;
    this.wakeTimer = null;
    this.awake = true;
    this.checkIns++;
    const listenMs = this.opts.listenMs ?? 2000;
    const c = this.device.checkIn(reason, listenMs, this.device.checkInSeconds ?? 60);
    this.publishAvailability('online');
    this.send('checkin', c);
    this.emit('checkin', c);
    this.sleepTimer?.cancel();
    this.sleepTimer = this.clock.setTimeout(() => this.trySleep(listenMs * 10), listenMs);
  }

  /** Sleeps unless a transfer is still coming in (then waits for it, up to `graceMs`). */
  private trySleep(graceMs: number): void {
    const client = this.client;
    if (!client) return;
    if (this.device.decoder.busy && graceMs > 0) {
      this.sleepTimer = this.clock.setTimeout(() => this.trySleep(graceMs - 250), 250);
      return;
    }
    this.sleepTimer = null;
    if (!this.sleepy) return; // the controller made it an always-listening display meanwhile
    this.awake = false;
    this.device.decoder.abandon();
    this.publishAvailability('asleep');
    this.emit('sleep');
    const seconds = this.device.checkInSeconds ?? 60;
    this.wakeTimer = this.clock.setTimeout(() => this.wake('timer'), seconds * 1000);
  }

  /** Resolves when the display shows the frame with this hash (at once if it already does). */
  waitFor(hash: string, timeoutMs = 10_000): Promise<void> {
    if (this.device.framebuffer?.hash === hash) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('displayed', on);
        reject(new Error(`display ${this.id}: frame ${hash.slice(0, 12)} not shown within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (h: string) => {
        if (h !== hash) return;
        clearTimeout(timer);
        this.off('displayed', on);
        resolve();
      };
      this.on('displayed', on);
    });
  }

  /** Writes what the display shows as PNG, atomically (a viewer of the folder never sees half a file). */
  async writePng(file: string): Promise<boolean> {
    const png = await this.device.screenshot();
    if (!png) return false;
    const tmp = `${file}.${process.pid}.${Math.random().toString(16).slice(2)}.tmp`;
    await writeFile(tmp, png);
    await rename(tmp, file);
    return true;
  }

  /** Graceful shutdown: says "offline" itself (a crash would leave that to the last will). */
  async stop(): Promise<void> {
    this.wakeTimer?.cancel();
    this.sleepTimer?.cancel();
    const client = this.client;
    if (!client) return;
    await this.outbox;
    this.client = null;
    if (client.connected) {
      await client.publishAsync(this.t.availability(this.opts.id), 'offline', { qos: 1, retain: true }).catch(() => undefined);
    }
    await client.endAsync();
  }
}
