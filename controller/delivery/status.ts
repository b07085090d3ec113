// What the API, the ws channel and the UI know about one display, and about the controller's own broker link.

/** The controller's connection to the MQTT broker: while it is down nothing can be sent or heard. */
export interface BrokerLinkStatus {
  state: 'connected' | 'reconnecting';
  /** ISO time of the last change */
  since: string;
}

/** Something a display reported that cannot be true; it was refused, and stays shown until an admin resets delivery. */
export interface DisplayFault {
  /**
   * impossible-seq: a sequence number beyond what this controller ever sent (or stored beyond uint32);
   * seq-exhausted: one that would use up the uint32 space; invalid-message: a message the protocol does not allow;
   * forged-message: a device message whose tag does not verify; replayed-message: one whose counter is not above
   * the highest accepted; unauthenticated-message: an untagged (v1.0) message from a display not opted in to v1.0
   */
  code: 'impossible-seq' | 'seq-exhausted' | 'invalid-message' | 'forged-message' | 'replayed-message' | 'unauthenticated-message';
  message: string;
  at: string;
}

export interface DisplayStatus {
  id: string;
  roomId: string | null;
  /**
   * from the display's availability topic: "online", "asleep" (until its next check-in), last will "offline";
   * "unknown" until it reports, and while the controller is not connected to the broker
   */
  availability: 'online' | 'asleep' | 'offline' | 'unknown';
  /** the controller's broker link is up: false means availability and confirmations cannot be current */
  brokerConnected: boolean;
  desiredHash: string | null;
  confirmedHash: string | null;
  /** ISO time of the last ack that confirmed the desired frame */
  confirmedAt: string | null;
  /** the display confirmed it shows what it should */
  inSync: boolean;
  /** a frame is on its way and not yet acknowledged */
  sending: boolean;
  /** bytes of the transfer in flight (0 when none) */
  pendingBytes: number;
  /** bytes put on the wire for this display since start (all attempts) */
  bytesSent: number;
  /** delivery gave up after the configured attempts; tried again at `nextAttemptAt` (backoff), or at its next report */
  failed: boolean;
  attempts: number;
  /** ISO time of the next retry or re-check, if one is waiting */
  nextAttemptAt: string | null;
  lastError: string | null;
  /** a report that cannot be true (refused); cleared by an admin's reset */
  fault: DisplayFault | null;
  firmware: string | null;
  batteryMv: number | null;
  lastSeen: string | null;
  /** layout warnings for the desired frame (text shortened or left out) */
  warnings: string[];
  /** configured check-in interval (null: always listening) and when the next check-in is expected */
  checkInSeconds: number | null;
  nextCheckInAt: string | null;
  rssi: number | null;
  temperatureC: number | null;
  wakeReason: string | null;
  /** a pre-rendered frame for a future moment, and whether the display holds it */
  scheduledHash: string | null;
  scheduledAt: string | null;
  scheduledConfirmed: boolean;
  /** the protocol version the display declared in its last hello ("1.0": unauthenticated messages), null: not yet */
  protocol: '1.0' | '1.1' | null;
  /** its record opts in to v1.0 ("protocol": "1.0"): its untagged reports are believed — "unauthenticated reports" */
  unauthenticatedReports: boolean;
}
