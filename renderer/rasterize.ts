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
  return makeFrame(panel.width, panel.height, [packGrey(data, panel.width, panel.height, panel.threshold, info.channels)]);
}
