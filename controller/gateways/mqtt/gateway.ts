// The controller's MQTT client: publishes frames, listens to displays, keeps the retained bridge state with a
// last will. Everything arriving on a display topic is validated before delivery sees it; garbage is logged with
// the reason, reported to delivery (the display's status shows it) and dropped.
//
// The link itself is part of the state: while it is down nothing is published (mqtt.js would queue frames and send
// them, stale, after the reconnect), and transfers still queued when it dropped are discarded. After every
// (re)connect it subscribes first, then publishes bridge/state "online" — the request for every display to say
// hello (docs/protocol.md) — so no answer can arrive before the subscription.
import mqtt, { type MqttClient } from 'mqtt';
import type { z } from 'zod';
import type { AppContext } from '../../context.js';
import { Ack, CheckIn, Hello, Nak, Telemetry, parseDisplayTopic, topics, type Topics } from '../../protocol/topics.js';
import { checkDeviceMessageTag, isAuthenticatedLeaf, type AuthenticatedLeaf } from '../../protocol/device-message.js';
import { LinkDownError, type DisplayEventHandler, type FrameTransport, type MessageAuth } from '../transport.js';

/** The displays' frame keys, which authenticate their messages (the SecretStore). */
export interface DisplayKeys {
  has(id: string): boolean;
  frameKey(id: string): Buffer;
}

const MAX_JSON_BYTES = 4096;

export class MqttGateway implements FrameTransport {
  private client: MqttClient | null = null;
  private readonly t: Topics;
  /** subscribed and announced: frames may go out */
  private linkUp = false;
  private stopping = false;

  constructor(
    private readonly ctx: AppContext,
    private readonly url: string,
    private readonly handler: DisplayEventHandler,
    private readonly credentials: { username: string; password: string },
    private readonly keys: DisplayKeys,
  ) {
    this.t = topics(ctx.config.mqtt.topicPrefix);
  }

  async start(): Promise<void> {
    const { log } = this.ctx;
    const client = mqtt.connect(this.url, {
      // A login may only use its own client id (the broker refuses others, or Mosquitto replaces them with the
      // user name): nobody else's connection can be taken over.
      clientId: this.credentials.username,
      clean: true,
      reconnectPeriod: 2000,
      username: this.credentials.username,
      password: this.credentials.password,
      will: { topic: this.t.bridgeState, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('connect', () => {
      // On every (re)connect: subscribe, then announce "online" again (brokers may have lost retained state) — which
      // asks every display for a hello — and only then count the link as up.
      client.subscribe(
        (['hello', 'ack', 'nak', 'availability', 'checkin', 'telemetry'] as const).map((l) => this.t.allDisplays(l)),
        { qos: 1 },
        (err, granted) => {
          const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
          if (err || refused.length) {
            // Without its subscriptions the controller hears nothing: the link stays "reconnecting" (health 503).
            log.error({ err: err?.message, refused }, 'MQTT subscribe failed: the broker link stays down');
            return;
          }
          if (this.client !== client || !client.connected) return;
          this.setLink(true);
          client.publish(this.t.bridgeState, 'online', { qos: 1, retain: true });
        },
      );
      log.info({ url: this.url }, 'connected to MQTT broker');
    });
    client.on('close', () => {
      if (this.stopping) return;
      this.setLink(false);
      // Transfers mqtt.js still holds would be sent after the reconnect, stale: delivery has written them off.
      for (const [id, pending] of Object.entries(client.outgoing)) if (pending.cmd === 'publish') client.removeOutgoingMessage(Number(id));
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

  /** The broker link as delivery sees it: up once subscribed, down from the moment the connection closes. */
  private setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.handler.onLink(up);
  }

  /**
   * A device message, in the order docs/protocol.md prescribes: bounded size; the tag over the exact bytes, before
   * anything is parsed (a wrong one: `forged-message`); the JSON and its schema; then the counter and the v1.0 rule
   * (delivery's `admit`). Null when refused — the reason is logged and shown as the display's fault.
   */
  private parse<T extends { ctr?: number; tag?: string }>(schema: z.ZodType<T>, id: string, leaf: AuthenticatedLeaf, payload: Buffer): T | null {
    const refuse = (why: string, extra: Record<string, unknown> = {}, code: 'invalid-message' | 'forged-message' = 'invalid-message') => {
      const reason = why.length > 200 ? `${why.slice(0, 199)}…` : why; // zod may quote the sender's keys: bounded
      this.ctx.log.warn({ display: id, leaf, reason, fault: code, ...extra }, 'refused message');
      this.handler.onInvalid(id, leaf, reason, code);
      return null;
    };
    if (payload.length > MAX_JSON_BYTES) return refuse(`larger than ${MAX_JSON_BYTES} bytes`, { bytes: payload.length });
    // An unknown display has no key: its messages are refused by delivery as from an unknown id.
    const check = this.keys.has(id) ? checkDeviceMessageTag(leaf, payload, this.keys.frameKey(id)) : { kind: 'untagged' as const };
    if (check.kind === 'bad-tag') return refuse('its tag does not verify under the display\'s key (forged, or altered on the way)', {}, 'forged-message');
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return refuse('not JSON');
    }
    const r = schema.safeParse(json);
    if (!r.success) return refuse(r.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; '));
    let auth: MessageAuth = null;
    if (check.kind === 'tagged') {
      if (r.data.ctr === undefined) return refuse('ctr: required in a tagged message');
      auth = { tag: check.tag, ctr: r.data.ctr };
    }
    return this.handler.admit(id, leaf, auth) ? r.data : null;
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseDisplayTopic(this.ctx.config.mqtt.topicPrefix, topic);
    if (!parsed) return;
    const { id, leaf } = parsed;
    if (!isAuthenticatedLeaf(leaf) && leaf !== 'availability') return;
    switch (leaf) {
      case 'hello': {
        const hello = this.parse(Hello, id, leaf, payload);
        if (!hello) return;
        if (hello.id !== id) {
          this.ctx.log.warn({ display: id, claimed: hello.id }, 'refused hello: id does not match topic');
          this.handler.onInvalid(id, leaf, 'id: does not match the topic');
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
        else if (payload.length > 0) {
          this.ctx.log.warn({ display: id }, 'refused availability: expected online, asleep or offline');
          this.handler.onInvalid(id, leaf, 'expected online, asleep or offline');
        }
        return;
      }
    }
  }

  async sendChunks(displayId: string, chunks: Buffer[]): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MQTT gateway not started');
    if (!this.linkUp) throw new LinkDownError();
    // mqtt.js sends in call order; QoS 1 on one topic keeps that order to the one subscriber.
    await Promise.all(chunks.map((c) => client.publishAsync(this.t.frame(displayId), c, { qos: 1, retain: false })));
  }

  async sendControl(displayId: string, message: Buffer): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MQTT gateway not started');
    if (!this.linkUp) throw new LinkDownError();
    await client.publishAsync(this.t.control(displayId), message, { qos: 1, retain: false });
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.stopping = true;
    if (client.connected) await client.publishAsync(this.t.bridgeState, 'offline', { qos: 1, retain: true }).catch(() => undefined);
    await client.endAsync();
  }
}
