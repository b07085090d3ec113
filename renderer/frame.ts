// Frames: packed 1-bit planes plus a content hash.
// Packing: rows top to bottom, each row ceil(width/8) bytes, pixels left to right from the most significant bit.
// Polarity: bit 1 = ink (black), bit 0 = paper (white). A bw frame has one plane.
import { createHash } from 'node:crypto';
import sharp from 'sharp';

export interface Frame {
  width: number;
  height: number;
  /** packed planes: [black] for bw panels */
  planes: Uint8Array[];
  /** hex SHA-256 over dimensions, plane count and plane bytes */
  hash: string;
}

export function rowBytes(width: number): number {
  return Math.ceil(width / 8);
}

/**
 * Packs an 8-bit image into 1 bit per pixel: value <= threshold → 1 (ink). With `channels` > 1 (interleaved
 * pixels, e.g. RGBA), channel 0 is read.
 */
export function packGrey(grey: Uint8Array, width: number, height: number, threshold = 127, channels = 1): Uint8Array {
  const stride = rowBytes(width);
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const orow = y * stride;
    for (let x = 0; x < width; x++) {
      if ((grey[(row + x) * channels] ?? 255) <= threshold) {
        const i = orow + (x >> 3);
        out[i] = (out[i] ?? 0) | (0x80 >> (x & 7));
      }
    }
  }
  return out;
}

/** Unpacks one plane to 8-bit grey: ink 0, paper 255. */
export function unpackToGrey(plane: Uint8Array, width: number, height: number): Uint8Array {
  const stride = rowBytes(width);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = ((plane[y * stride + (x >> 3)] ?? 0) >> (7 - (x & 7))) & 1;
      out[y * width + x] = bit ? 0 : 255;
    }
  }
  return out;
}

export function frameHash(width: number, height: number, planes: Uint8Array[]): string {
  const h = createHash('sha256');
  const head = Buffer.alloc(5);
  head.writeUInt16BE(width, 0);
  head.writeUInt16BE(height, 2);
  head.writeUInt8(planes.length, 4);
  h.update(head);
  for (const p of planes) h.update(p);
  return h.digest('hex');
}

export function makeFrame(width: number, height: number, planes: Uint8Array[]): Frame {
  const expected = rowBytes(width) * height;
  for (const p of planes) {
    if (p.length !== expected) throw new Error(`plane has ${p.length} bytes, expected ${expected} for ${width}×${height}`);
  }
  return { width, height, planes, hash: frameHash(width, height, planes) };
}

/** All planes back to back, as they travel on the wire. */
export function frameBytes(frame: Frame): Uint8Array {
  if (frame.planes.length === 1 && frame.planes[0]) return frame.planes[0];
  return Buffer.concat(frame.planes);
}

export function framesEqual(a: Frame, b: Frame): boolean {
  return a.width === b.width && a.height === b.height && a.hash === b.hash;
}

/** PNG of what the panel shows (deterministic: same frame, same bytes). A red plane, if any, is drawn red. */
export async function frameToPng(frame: Frame): Promise<Buffer> {
  const plane = frame.planes[0];
  if (!plane) throw new Error('frame has no planes');
  const grey = unpackToGrey(plane, frame.width, frame.height);
  const redPlane = frame.planes[1];
  if (!redPlane) {
    return sharp(grey, { raw: { width: frame.width, height: frame.height, channels: 1 } })
      .png({ compressionLevel: 9, palette: false })
      .toBuffer();
  }
  const red = unpackToGrey(redPlane, frame.width, frame.height);
  const rgb = new Uint8Array(frame.width * frame.height * 3);
  for (let i = 0; i < grey.length; i++) {
    const isRed = red[i] === 0;
    const v = grey[i] ?? 255;
    rgb[i * 3] = isRed ? 200 : v;
    rgb[i * 3 + 1] = isRed ? 0 : v;
    rgb[i * 3 + 2] = isRed ? 0 : v;
  }
  return sharp(rgb, { raw: { width: frame.width, height: frame.height, channels: 3 } })
    .png({ compressionLevel: 9, palette: false })
    .toBuffer();
}
