// The controller's MQTT client: publishes frames, listens to displays, keeps the retained bridge state with a
// last will. Everything arriving on a display topic is validated before delivery sees it; garbage is logged with
// the reason and dropped.
import mqtt, { type MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { Ack, CheckIn, Hello, Nak, Telemetry, parseDisplayTopic, topics, type Topics } from '../../protocol/topics.js';
import type { DisplayEventHandler, FrameTransport } from '../transport.js';

const MAX_JSON_BYTES = 4096;

export class MqttGateway implements FrameTransport {
  private client: MqttClient | null = null;
  private readonly t: Topics;

  constructor(
    private readonly ctx: AppContext,
    private readonly url: string,
    private readonly handler: DisplayEventHandler,
    private readonly credentials: { username: string; password: string },
  ) {
    this.t = topics(ctx.config.mqtt.topicPrefix);
  }

  async start(): Promise<void> {
    const { log } = this.ctx;
    const client = mqtt.connect(this.url, {
      clientId: `wegweiser-controller-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      clean: true,
      reconnectPeriod: 2000,
      username: this.credentials.username,
      password: this.credentials.password,
      will: { topic: this.t.bridgeState, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('connect', () => {
      // On every (re)connect: brokers may have lost retained state, so publish it again, and resubscribe.
      client.publish(this.t.bridgeState, 'online', { qos: 1, retain: true });
      client.subscribe(
        (['hello', 'ack', 'nak', 'availability', 'checkin', 'telemetry'] as const).map((l) => this.t.allDisplays(l)),
        { qos: 1 },
        (err) => err && log.error({ err: err.message }, 'MQTT subscribe failed'),
      );
      log.info({ url: this.url }, 'connected to MQTT broker');
    });
    client.on('reconnect', () => log.warn({ url: this.url }, 'reconnecting to MQTT broker'));
    client.on('error', (err) => log.error({ err: err.message }, 'MQTT error'));
    await new Promise<void>((resolve, reject) => {
      const onErr = (err: Error) => {
        client.off('connect', onOk);
        reject(new Error(`cannot connect to MQTT broker ${this.url}: ${err.message}`));
      };
      const onOk = () => {
        client.off('error', onErr);
        resolve();
      };
      client.once('connect', onOk);
      client.once('error', onErr);
    });
  }

  private parse<T>(schema: z.ZodType<T>, id: string, leaf: string, payload: Buffer): T | null {
    if (payload.length > MAX_JSON_BYTES) {
      this.ctx.log.warn({ display: id, leaf, bytes: payload.length }, 'refused message: too large');
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      this.ctx.log.warn({ display: id, leaf }, 'refused message: not JSON');
      return null;
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      this.ctx.log.warn({ display: id, leaf, issues: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) }, 'refused message: invalid');
      return null;
    }
    return r.data;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseDisplayTopic(this.ctx.config.mqtt.topicPrefix, topic);
    if (!parsed) return;
    const { id, leaf } = parsed;
    switch (leaf) {
      case 'hello': {
        const hello = this.parse(Hello, id, leaf, payload);
        if (!hello) return;
        if (hello.id !== id) {
          this.ctx.log.warn({ display: id, claimed: hello.id }, 'refused hello: id does not match topic');
          return;
        }
        this.handler.onHello(id, hello);
        return;
      }
      case 'ack': {
        const ack = this.parse(Ack, id, leaf, payload);
        if (ack) this.handler.onAck(id, ack);
        return;
      }
      case 'nak': {
        const nak = this.parse(Nak, id, leaf, payload);
        if (nak) this.handler.onNak(id, nak);
        return;
      }
      case 'checkin': {
        const c = this.parse(CheckIn, id, leaf, payload);
        if (c) this.handler.onCheckIn(id, c);
        return;
      }
      case 'telemetry': {
        const tm = this.parse(Telemetry, id, leaf, payload);
        if (tm) this.handler.onTelemetry(id, tm);
        return;
      }
      case 'availability': {
        const s = payload.toString('utf8');
        if (s === 'online' || s === 'offline' || s === 'asleep') this.handler.onAvailability(id, s);
        else if (payload.length > 0) this.ctx.log.warn({ display: id }, 'refused availability: expected online, asleep or offline');
        return;
      }
    }
  }

  async sendChunks(displayId: string, chunks: Buffer[]): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MQTT gateway not started');
    // mqtt.js sends in call order; QoS 1 on one topic keeps that order to the one subscriber.
    await Promise.all(chunks.map((c) => client.publishAsync(this.t.frame(displayId), c, { qos: 1, retain: false })));
  }

  async sendControl(displayId: string, message: Buffer): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MQTT gateway not started');
    await client.publishAsync(this.t.control(displayId), message, { qos: 1, retain: false });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    if (client.connected) await client.publishAsync(this.t.bridgeState, 'offline', { qos: 1, retain: true }).catch(() => undefined);
    await client.endAsync();
  }
}
