// What a simulated display keeps in "flash" across power loss and restarts (docs/protocol.md, "Persistence"): the
// last accepted sequence number, the frame on screen and the held frame (with their hashes), and the reservation of
// its message counter. In-process simulators keep it in DATA_DIR/sim-state/<id>.json, `wegweiser sim` in
// --state-dir: so a restarted controller never brings them back with lastSeq null (a replay window). Written
// atomically (mode 0600); frames are stored deflated.
import { mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { makeFrame, type Frame } from '../renderer/frame.js';
import { atomicWriter, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../controller/store/durable.js';
import { DataFileError, describeIssues, parseJsonFile } from '../controller/store/json-file.js';

export interface SimState {
  /** null: nothing accepted yet */
  lastSeq: number | null;
  shown: Frame | null;
  held: { frame: Frame; seq: number; activateAt: number } | null;
  /** the highest message counter the display may use before it reserves the next block */
  ctrReserved: number;
}

/** The display's flash. */
export interface SimStateStore {
  load(): Promise<SimState | null>;
  save(state: SimState): Promise<void>;
}

const StoredFrame = z.strictObject({
  width: z.number().int().positive().max(4096),
  height: z.number().int().positive().max(4096),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** each plane raw-deflated, base64 */
  planes: z.array(z.string()).min(1).max(2),
});
const StateFile = z.strictObject({
  version: z.literal(1),
  lastSeq: z.number().int().min(1).max(0xffff_ffff).nullable(),
  ctrReserved: z.number().int().min(0).max(0xffff_ffff),
  shown: StoredFrame.nullable(),
  held: z.strictObject({ frame: StoredFrame, seq: z.number().int().min(1).max(0xffff_ffff), activateAt: z.number().int().nonnegative() }).nullable(),
});
type StoredFrame = z.infer<typeof StoredFrame>;

function storeFrame(f: Frame): StoredFrame {
  return { width: f.width, height: f.height, hash: f.hash, planes: f.planes.map((p) => deflateRawSync(p).toString('base64')) };
}

function loadFrame(s: StoredFrame, file: string): Frame {
  let f: Frame;
  try {
    f = makeFrame(s.width, s.height, s.planes.map((p) => new Uint8Array(inflateRawSync(Buffer.from(p, 'base64')))));
  } catch {
    throw new DataFileError(file, 'a stored frame cannot be read');
  }
  if (f.hash !== s.hash) throw new DataFileError(file, 'a stored frame does not match its hash');
  return f;
}

export class SimStateFile implements SimStateStore {
  /** `onDamaged`: told when the file cannot be used (it is set aside and the display starts factory-new) */
  constructor(
    readonly file: string,
    private readonly onDamaged: (err: DataFileError) => void = (err) => {
      throw err;
    },
  ) {}

  /**
   * The state in the file; null when there is none yet. A damaged file is set aside (never overwritten) and
   * reported; the display then starts factory-new (as a display whose flash failed).
   */
  async load(): Promise<SimState | null> {
    const raw = await readFile(this.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (raw === null) return null;
    try {
      const parsed = StateFile.safeParse(parseJsonFile(this.file, raw));
      if (!parsed.success) throw new DataFileError(this.file, `invalid: ${describeIssues(parsed.error.issues, { revealKeys: true })}`);
      const d = parsed.data;
      return {
        lastSeq: d.lastSeq,
        ctrReserved: d.ctrReserved,
        shown: d.shown ? loadFrame(d.shown, this.file) : null,
        held: d.held ? { frame: loadFrame(d.held.frame, this.file), seq: d.held.seq, activateAt: d.held.activateAt } : null,
      };
    } catch (err) {
      if (!(err instanceof DataFileError)) throw err;
      const aside = `${this.file}.damaged-${process.pid}-${Math.floor(performance.now())}`;
      await rename(this.file, aside);
      this.onDamaged(new DataFileError(this.file, `${err.problem}; set aside as ${path.basename(aside)}, starting factory-new`));
      return null;
    }
  }

  async save(state: SimState): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: PRIVATE_DIR_MODE });
    const doc = {
      version: 1,
      lastSeq: state.lastSeq,
      ctrReserved: state.ctrReserved,
      shown: state.shown ? storeFrame(state.shown) : null,
      held: state.held ? { frame: storeFrame(state.held.frame), seq: state.held.seq, activateAt: state.held.activateAt } : null,
    };
    await atomicWriter.write(this.file, `${JSON.stringify(doc)}\n`, { mode: PRIVATE_FILE_MODE });
  }
}

/** The state file of display `id` in a state directory. */
export function simStateFile(dir: string, id: string, onDamaged?: (err: DataFileError) => void): SimStateFile {
  return new SimStateFile(path.join(dir, `${id}.json`), onDamaged);
}

/** Where in-process simulators keep their state: in the data directory. */
export const SIM_STATE_DIR = 'sim-state';
