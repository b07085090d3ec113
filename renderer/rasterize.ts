// SVG → 1-bit planes through sharp (librsvg + pango). The SVG is always handed over as a Buffer: from a file path
// librsvg would resolve relative references next to that file.
import sharp from 'sharp';
import { configureFonts } from './fonts/fonts.js';
import { makeFrame, packGrey, type Frame } from './frame.js';
import type { PanelProfile } from './panels.js';

export async function rasterize(svg: string, panel: PanelProfile): Promise<Frame> {
  configureFonts();
  // Layouts draw only black, white and the neutral greys of anti-aliasing, so the red channel already is the grey
  // level: reading raw RGBA and packing channel 0 skips sharp's greyscale conversion, which costs as much as the
  // whole SVG render (bench: 22.7 → 11.8 ms). test/unit/render.test.ts checks both give identical frames.
  const { data, info } = await sharp(Buffer.from(svg, 'utf8'), { limitInputPixels: panel.width * panel.height * 4 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== panel.width || info.height !== panel.height) {
    throw new Error(`rendered ${info.width}×${info.height}, panel is ${panel.width}×${panel.height}`);
  }
  if (panel.colors === 'bwr') return makeFrame(panel.width, panel.height, splitBlackRed(data, panel.width, panel.height, panel.threshold, info.channels));
  return makeFrame(panel.width, panel.height, [packGrey(data, panel.width, panel.height, panel.threshold, info.channels)]);
}

/**
 * Black and red planes from an RGB(A) render: a pixel is red where red clearly dominates (anti-aliased edges of
 * red areas included), else black where its luminance is at or below the threshold, else paper.
 */
export function splitBlackRed(data: Uint8Array, width: number, height: number, threshold: number, channels: number): [Uint8Array, Uint8Array] {
  const stride = Math.ceil(width / 8);
  const black = new Uint8Array(stride * height);
  const red = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * channels;
      const r = data[p] ?? 255;
      const g = data[p + 1] ?? 255;
      const b = data[p + 2] ?? 255;
      const bit = 0x80 >> (x & 7);
      const i = y * stride + (x >> 3);
      if (r >= 128 && r - Math.max(g, b) >= 96) red[i] = (red[i] ?? 0) | bit;
      else if ((r * 299 + g * 587 + b * 114) / 1000 <= threshold) black[i] = (black[i] ?? 0) | bit;
    }
  }
  return [black, red];
}
