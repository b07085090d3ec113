// Durable delivery records, one per display: what it should show, what it confirmed, and the next sequence number
// (a reservation: every number below it may have been sent, so a restart never numbers below what a display holds).
// Kept in DATA_DIR/delivery.json (apart from the staff-edited data, so acks never rewrite that file). Writes are
// coalesced — many acks, one write — and atomic (temp file + rename, mode 0600). A damaged file is set aside
// (renamed, never overwritten) and delivery starts from what displays report in their hellos.
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { PrivateJsonFile } from '../store/private-file.js';
import { z } from 'zod';
import type { Logger } from 'pino';
import { DataFileError, describeIssues, parseJsonFile } from '../store/json-file.js';

const Hash = z.string().regex(/^[0-9a-f]{64}$/);
export const DeliveryRecord = z.strictObject({
  desiredHash: Hash.nullable(),
  confirmedHash: Hash.nullable(),
  confirmedAt: z.number().int().nullable(),
  /**
   * The first sequence number a restarted controller may use. With `seqKnown`, numbers are reserved here before they
   * are sent, so no display can have accepted one at or above it. An impossible value (beyond uint32, from an older
   * version that adopted a display's word) is not trusted on load.
   */
  nextSeq: z.number().int().positive(),
  /** false: the numbering is not ours to vouch for (new display, after a reset): the display's own lastSeq is learned */
  seqKnown: z.boolean().default(true),
  lastSeen: z.number().int().nullable(),
  firmware: z.string().nullable(),
  batteryMv: z.number().int().nullable(),
  partialsSinceFull: z.number().int().nonnegative().default(0),
  /** the highest device-message counter accepted from it (a lower or equal one is a replay); null: none since reset */
  ctrHighest: z.number().int().min(1).max(0xffff_ffff).nullable().default(null),
  /** the protocol version its last hello declared */
  protocol: z.enum(['1.0', '1.1']).nullable().default(null),
  /** the largest chunk it accepts (its hello's maxChunk) */
  maxChunk: z.number().int().min(32).max(65_535).nullable().default(null),
});
export type DeliveryRecord = z.infer<typeof DeliveryRecord>;

const RecordsFile = z.strictObject({ version: z.literal(1), displays: z.record(z.string(), DeliveryRecord) });
type RecordsFile = z.infer<typeof RecordsFile>;

export const DELIVERY_FILE = 'delivery.json';

export class DeliveryRecords {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  writes = 0;

  private constructor(
    private readonly db: Low<RecordsFile>,
    private readonly log: Logger,
    private readonly delayMs: number,
  ) {}

  static async open(dataDir: string, log: Logger, delayMs = 100): Promise<DeliveryRecords> {
    const file = path.join(dataDir, DELIVERY_FILE);
    let data: RecordsFile = { version: 1, displays: {} };
    const raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (raw !== null) {
      let problem: string;
      try {
        const parsed = RecordsFile.safeParse(parseJsonFile(file, raw));
        if (parsed.success) data = parsed.data;
        problem = parsed.success ? '' : `invalid: ${describeIssues(parsed.error.issues, { revealKeys: true })}`;
      } catch (err) {
        if (!(err instanceof DataFileError)) throw err;
        problem = err.problem;
      }
      if (problem) {
        const aside = `${file}.damaged-${Date.now()}`;
        await rename(file, aside);
        log.error({ file, problem, movedTo: aside }, `delivery records damaged (${file}: ${problem}): set aside; displays will report their state on check-in`);
      }
    }
    return new DeliveryRecords(new Low(new PrivateJsonFile<RecordsFile>(file), data), log, delayMs);
  }

  get(id: string): DeliveryRecord | undefined {
    return this.db.data.displays[id];
  }

  all(): Readonly<Record<string, DeliveryRecord>> {
    return this.db.data.displays;
  }

  /** Updates a record in memory and schedules one coalesced write. */
  set(id: string, record: DeliveryRecord): void {
    this.db.data.displays[id] = record;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.delayMs);
    this.timer.unref();
  }

  remove(id: string): void {
    delete this.db.data.displays[id];
  }

  /** Writes now (and waits for any write in progress); whether everything set before the call is on disk. */
  async flush(): Promise<boolean> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const write = this.writing.then(async () => {
      try {
        await this.db.write();
        this.writes++;
        return true;
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'could not write delivery records');
        return false;
      }
    });
    this.writing = write.then(() => undefined);
    return write;
  }
}
