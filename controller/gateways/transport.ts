// The boundary between delivery and a transport (MQTT now, serial later): frames go out, display events come in.
import type { Ack, CheckIn, Hello, Nak, Telemetry } from '../protocol/topics.js';
import type { AuthenticatedLeaf } from '../protocol/device-message.js';

/** How a device message was authenticated: its verified tag and counter, or nothing (a v1.0 message). */
export type MessageAuth = { tag: string; ctr: number } | null;

export interface DisplayEventHandler {
  onHello(id: string, hello: Hello): void;
  onCheckIn(id: string, checkIn: CheckIn): void;
  onTelemetry(id: string, telemetry: Telemetry): void;
  onAck(id: string, ack: Ack): void;
  onNak(id: string, nak: Nak): void;
  onAvailability(id: string, availability: 'online' | 'asleep' | 'offline'): void;
  /**
   * A message on one display's topic the protocol does not allow (refused; `reason` names the field): invalid, or
   * (`forged-message`) a device message whose tag does not verify under the display's frame key.
   */
  onInvalid(id: string, leaf: string, reason: string, code?: 'invalid-message' | 'forged-message'): void;
  /**
   * May this device message, its tag already verified (or absent), be used? Checks the counter (no replay) and, for
   * an untagged message, that the display is a v1.0 display by explicit opt-in and was never seen authenticating.
   * A refused message is recorded as the display's fault.
   */
  admit(id: string, leaf: AuthenticatedLeaf, auth: MessageAuth): boolean;
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
