// The boundary between delivery and a transport (MQTT now, serial later): frames go out, display events come in.
import type { Ack, CheckIn, Hello, Nak, Telemetry } from '../protocol/topics.js';

export interface DisplayEventHandler {
  onHello(id: string, hello: Hello): void;
  onCheckIn(id: string, checkIn: CheckIn): void;
  onTelemetry(id: string, telemetry: Telemetry): void;
  onAck(id: string, ack: Ack): void;
  onNak(id: string, nak: Nak): void;
  onAvailability(id: string, availability: 'online' | 'asleep' | 'offline'): void;
  /** a message on one display's topic the protocol does not allow (refused; `reason` names the field) */
  onInvalid(id: string, leaf: string, reason: string): void;
  /**
   * The transport's own link went up (subscribed, displays asked for their state) or down (nothing sent or heard
   * until it is back).
   */
  onLink(up: boolean): void;
}

/** A send refused because the transport's link is down (nothing was queued). */
export class LinkDownError extends Error {
  readonly code = 'link_down';
  constructor(message = 'not connected to the broker') {
    super(message);
    this.name = 'LinkDownError';
  }
}

export interface FrameTransport {
  /** sends one transfer's chunks in order; rejects with LinkDownError while the link is down */
  sendChunks(displayId: string, chunks: Buffer[]): Promise<void>;
  /** sends a control message (time, check-in interval) */
  sendControl(displayId: string, message: Buffer): Promise<void>;
}
