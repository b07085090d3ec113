// What the API, the ws channel and the UI know about one display.

export interface DisplayStatus {
  id: string;
  roomId: string | null;
  /** from the display's availability topic: "online", "asleep" (until its next check-in), last will "offline" */
  availability: 'online' | 'asleep' | 'offline' | 'unknown';
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
  /** delivery gave up after the configured attempts; cleared by the next success */
  failed: boolean;
  attempts: number;
  lastError: string | null;
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
}
