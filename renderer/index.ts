// The renderer's public face: SignContent + panel → SVG → 1-bit frame, with warnings for anything that did not fit.
import { contentStrings, type SignContent } from './content.js';
import { layoutDoorSign } from './layouts/door-sign.js';
import { layoutDirectorySign } from './layouts/directory-sign.js';
import { describeCodePoints, missingGlyphs } from './fonts/fonts.js';
import { rasterize } from './rasterize.js';
import { stripControl } from './escape.js';
import type { Frame } from './frame.js';
import type { PanelProfile } from './panels.js';

export class RenderError extends Error {
  constructor(
    readonly code: 'missing-glyph' | 'layout',
    message: string,
  ) {
    super(message);
    this.name = 'RenderError';
  }
}

export interface RenderResult {
  frame: Frame;
  svg: string;
  warnings: string[];
}

export function layout(content: SignContent, panel: PanelProfile): { svg: string; warnings: string[] } {
  // Control characters are stripped when drawn (escapeXml), so only what will be drawn must have a glyph.
  const missing = missingGlyphs(stripControl(contentStrings(content).join(' ')));
  if (missing.length > 0) {
    throw new RenderError('missing-glyph', `the bundled fonts have no glyph for ${describeCodePoints(missing)}`);
  }
  switch (content.kind) {
    case 'door':
      return layoutDoorSign(content, panel);
    case 'directory':
      return layoutDirectorySign(content, panel);
  }
}

export async function renderSign(content: SignContent, panel: PanelProfile): Promise<RenderResult> {
  const { svg, warnings } = layout(content, panel);
  const frame = await rasterize(svg, panel);
  return { frame, svg, warnings };
}

export type { SignContent, DoorSignContent, DirectorySignContent, Arrow } from './content.js';
export type { Frame } from './frame.js';
export { frameToPng, frameBytes, makeFrame, frameHash } from './frame.js';
export { PANELS, PANEL_IDS, panelById, type PanelProfile, type PanelId } from './panels.js';
