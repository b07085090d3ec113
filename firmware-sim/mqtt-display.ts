// A simulated display on Wi-Fi: the SimDevice core behind an MQTT client that connects like a real one
// (availability with last will, hello on every connect, frames in, ack/nak out).
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../controller/protocol/topics.js';
import type { PanelProfile } from '../renderer/panels.js';
import { SimDevice } from './device.js';
import { FaultyLink, NO_FAULTS, seededRandom, type SimFaults } from './faults.js';

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
}

export interface MqttSimEvents {
  displayed: [hash: string];
  refused: [reason: string];
}

export class MqttSimDisplay extends EventEmitter<MqttSimEvents> {
  readonly device: SimDevice;
  readonly link: FaultyLink;
  private client: MqttClient | null = null;
  private readonly t: ReturnType<typeof topics>;

  constructor(readonly opts: MqttSimOptions) {
    super();
    this.device = new SimDevice({ id: opts.id, panel: opts.panel, secret: opts.secret, batteryMv: opts.batteryMv });
    this.t = topics(opts.prefix ?? 'wegweiser');
    this.link = new FaultyLink({ ...NO_FAULTS, ...opts.faults }, seededRandom(opts.seed ?? 1));
  }

  get id(): string {
    return this.opts.id;
  }

  async start(): Promise<void> {
    const id = this.opts.id;
    const client = mqtt.connect(this.opts.url, {
      clientId: `wegweiser-display-${id}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      username: id,
      password: this.opts.mqttPassword,
      will: { topic: this.t.availability(id), payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    // Handlers before subscribing, or a message arriving with the SUBACK could be missed.
    // Chunks are processed strictly in arrival order, one at a time, as a device's radio task would.
    let queue: Promise<void> = Promise.resolve();
    const handle = async (chunk: Buffer) => {
      const outcome = await this.device.receive(chunk);
      if (outcome?.type === 'ack') {
        if (this.link.replyPasses()) client.publish(this.t.ack(id), JSON.stringify(outcome.ack), { qos: 1 });
        if (outcome.changed) this.emit('displayed', outcome.ack.hash);
      } else if (outcome?.type === 'nak') {
        if (this.link.replyPasses()) client.publish(this.t.nak(id), JSON.stringify(outcome.nak), { qos: 1 });
        this.emit('refused', outcome.nak.reason);
      }
      if (this.link.rebootNow()) {
        // A reboot mid-transfer: RAM is gone; the screen and flash keep the last verified frame. It says hello.
        this.device.powerLoss();
        client.publish(this.t.hello(id), JSON.stringify(this.device.hello()), { qos: 1 });
      }
    };
    client.on('message', (topic, payload) => {
      if (topic !== this.t.frame(id)) return;
      for (const chunk of this.link.incoming(payload)) queue = queue.then(() => handle(chunk));
    });
    client.on('connect', () => {
      client.subscribe(this.t.frame(id), { qos: 1 }, (err) => {
        if (err) return;
        client.publish(this.t.availability(id), 'online', { qos: 1, retain: true });
        client.publish(this.t.hello(id), JSON.stringify(this.device.hello()), { qos: 1 });
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

  async writePng(file: string): Promise<boolean> {
    const png = await this.device.screenshot();
    if (!png) return false;
    await writeFile(file, png);
    return true;
  }

  /** Graceful shutdown: says "offline" itself (a crash would leave that to the last will). */
  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    if (client.connected) {
      await client.publishAsync(this.t.availability(this.opts.id), 'offline', { qos: 1, retain: true }).catch(() => undefined);
    }
    await client.endAsync();
  }
}
