// The boundary between delivery and a transport (MQTT now, serial later): frames go out, display events come in.
import type { Ack, Hello, Nak } from '../protocol/topics.js';

export interface DisplayEventHandler {
  onHello(id: string, hello: Hello): void;
  onAck(id: string, ack: Ack): void;
  onNak(id: string, nak: Nak): void;
  onAvailability(id: string, online: boolean): void;
}

export interface FrameTransport {
  /** sends one transfer's chunks in order */
  sendChunks(displayId: string, chunks: Buffer[]): Promise<void>;
}
