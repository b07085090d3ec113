// The boundary between delivery and a transport (MQTT now, serial later): frames go out, display events come in.
import type { Ack, CheckIn, Hello, Nak, Telemetry } from '../protocol/topics.js';

export interface DisplayEventHandler {
  onHello(id: string, hello: Hello): void;
  onCheckIn(id: string, checkIn: CheckIn): void;
  onTelemetry(id: string, telemetry: Telemetry): void;
  onAck(id: string, ack: Ack): void;
  onNak(id: string, nak: Nak): void;
  onAvailability(id: string, availability: 'online' | 'asleep' | 'offline'): void;
}

export interface FrameTransport {
  /** sends one transfer's chunks in order */
  sendChunks(displayId: string, chunks: Buffer[]): Promise<void>;
  /** sends a control message (time, check-in interval) */
  sendControl(displayId: string, message: Buffer): Promise<void>;
}
