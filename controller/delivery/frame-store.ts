// Frames stored once by hash, compressed: content-addressed files DATA_DIR/frames/<hash>.wgf, and the same
// compressed bytes in memory (an 800×480 sign is ~3–8 KB deflated instead of 48 KB). Delivery needs the frame a
// display confirmed as the base for a delta, also after a restart.
// File: "WGF1" | width (2) | height (2) | planes (1) | deflate of the planes.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { frameHash, rowBytes, type Frame } from '../../renderer/frame.js';
import { atomicWriter } from '../store/durable.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../store/private-file.js';

const MAGIC = Buffer.from('WGF1');
const NAME = /^([0-9a-f]{64})\.wgf$/;

export class FrameStore {
  private readonly packed = new Map<string, Buffer>();
  /** hashes whose file is written (a failed write — a full disk — is tried again at the next put) */
  private readonly onDisk = new Set<string>();
  /** writes in progress, so stopping can wait for them */
  private readonly writing = new Set<Promise<void>>();

  private constructor(readonly dir: string) {}

  static async open(dataDir: string): Promise<FrameStore> {
    const dir = path.join(dataDir, 'frames');
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    return new FrameStore(dir);
  }

  private file(hash: string): string {
    return path.join(this.dir, `${hash}.wgf`);
  }

  /** Stores a frame (once: an existing hash is not written again). Temp files a crash leaves are removed at start. */
  async put(frame: Frame): Promise<void> {
    if (this.onDisk.has(frame.hash)) return;
    const head = Buffer.alloc(9);
    MAGIC.copy(head, 0);
    head.writeUInt16BE(frame.width, 4);
    head.writeUInt16BE(frame.height, 6);
    head.writeUInt8(frame.planes.length, 8);
    const blob = Buffer.concat([head, deflateRawSync(Buffer.concat(frame.planes.map((p) => Buffer.from(p))), { level: 6 })]);
    this.packed.set(frame.hash, blob);
    const file = this.file(frame.hash);
    // No fsync: a frame can always be rendered again, and a damaged file is never used (its hash is checked).
    const write = existsSync(file) ? Promise.resolve() : atomicWriter.write(file, blob, { mode: PRIVATE_FILE_MODE, durable: false });
    this.writing.add(write);
    try {
      await write;
    } finally {
      this.writing.delete(write);
    }
    this.onDisk.add(frame.hash);
  }

  /** Waits for the writes in progress (at stop: nothing is left writing into the data directory). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.writing]);
  }

  /** The frame with this hash, from memory or disk; null if unknown or damaged (a damaged file is never used). */
  async get(hash: string): Promise<Frame | null> {
    let blob = this.packed.get(hash);
    if (!blob) {
      blob = await readFile(this.file(hash)).catch(() => undefined);
      if (!blob) return null;
    }
    const frame = decode(blob);
    if (!frame || frame.hash !== hash) return null;
    this.packed.set(hash, blob);
    return frame;
  }

  /** Synchronous look-up in memory only (what `get` loaded or `put` stored). */
  cached(hash: string): Frame | null {
    const blob = this.packed.get(hash);
    return blob ? decode(blob) : null;
  }

  /** Removes every frame not in `keep`, from memory and disk. */
  async retainOnly(keep: Set<string>): Promise<number> {
    for (const h of this.packed.keys()) if (!keep.has(h)) this.packed.delete(h);
    for (const h of this.onDisk) if (!keep.has(h)) this.onDisk.delete(h);
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      const m = NAME.exec(name);
      if (m?.[1] && !keep.has(m[1])) {
        await unlink(path.join(this.dir, name)).catch(() => undefined);
        removed++;
      }
    }
    return removed;
  }

  get memoryBytes(): number {
    let n = 0;
    for (const b of this.packed.values()) n += b.length;
    return n;
  }
}

function decode(blob: Buffer): Frame | null {
  if (blob.length < 9 || !blob.subarray(0, 4).equals(MAGIC)) return null;
  const width = blob.readUInt16BE(4);
  const height = blob.readUInt16BE(6);
  const planes = blob.readUInt8(8);
  const per = rowBytes(width) * height;
  let raw: Buffer;
  try {
    raw = inflateRawSync(blob.subarray(9), { maxOutputLength: per * planes + 1 });
  } catch {
    return null;
  }
  if (raw.length !== per * planes) return null;
  const ps = Array.from({ length: planes }, (_, i) => new Uint8Array(raw.subarray(i * per, (i + 1) * per)));
  return { width, height, planes: ps, hash: frameHash(width, height, ps) };
}
