// SVG → 1-bit planes through sharp (librsvg + pango). The SVG is always handed over as a Buffer: from a file path
// librsvg would resolve relative references next to that file.
import sharp from 'sharp';
import { configureFonts } from './fonts/fonts.js';
import { makeFrame, packGrey, type Frame } from './frame.js';
import type { PanelProfile } from './panels.js';

export async function rasterize(svg: string, panel: PanelProfile): Promise<Frame> {
  configureFonts();
  const { data, info } = await sharp(Buffer.from(svg, 'utf8'), { limitInputPixels: panel.width * panel.height * 4 })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== panel.width || info.height !== panel.height) {
    throw new Error(`rendered ${info.width}×${info.height}, panel is ${panel.width}×${panel.height}`);
  }
  // After greyscale(), raw output may still carry an alpha channel if the SVG had transparency; take channel 0.
  let grey: Uint8Array = data;
  if (info.channels > 1) {
    grey = new Uint8Array(info.width * info.height);
    for (let i = 0; i < grey.length; i++) grey[i] = data[i * info.channels] ?? 255;
  }
  return makeFrame(panel.width, panel.height, [packGrey(grey, panel.width, panel.height, panel.threshold)]);
}
