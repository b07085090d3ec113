// Bundled fonts: the renderer never depends on fonts installed on the machine.
// We point fontconfig (used by librsvg/pango inside sharp) at a generated fonts.conf that lists only the DejaVu TTF
// files from npm, and measure text with fontkit against the very same files so wrapping matches what pango draws.
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as fontkit from 'fontkit';

const require = createRequire(import.meta.url);

/** The one family every layout uses; fonts.conf makes it the only family pango can find. */
export const FONT_FAMILY = 'DejaVu Sans';

export type FontWeight = 'regular' | 'bold';

const FILES: Record<FontWeight, string> = {
  regular: 'DejaVuSans.ttf',
  bold: 'DejaVuSans-Bold.ttf',
};

export function fontDir(): string {
  const pkg = require.resolve('dejavu-fonts-ttf/package.json');
  return path.join(path.dirname(pkg), 'ttf');
}

let configured = false;

/**
 * Writes a fonts.conf naming only the bundled font directory and sets FONTCONFIG_FILE. Must run before the first
 * render (fontconfig initialises lazily on first text layout, so after `import sharp` is fine). Idempotent.
 */
export function configureFonts(): void {
  if (configured) return;
  const dir = fontDir();
  for (const file of Object.values(FILES)) {
    const p = path.join(dir, file);
    if (!existsSync(p)) throw new Error(`bundled font missing: ${p} (run npm install)`);
  }
  const confDir = path.join(tmpdir(), `wegweiser-fontconfig-${process.getuid?.() ?? 'user'}`);
  mkdirSync(confDir, { recursive: true });
  const conf = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>${escapeXmlAttr(dir)}</dir>
  <cachedir>${escapeXmlAttr(path.join(confDir, 'cache'))}</cachedir>
  <config><rescan><int>0</int></rescan></config>
</fontconfig>
`;
  const confFile = path.join(confDir, 'fonts.conf');
  writeFileSync(confFile, conf);
  process.env.FONTCONFIG_FILE = confFile;
  configured = true;
}

function escapeXmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const fonts = new Map<FontWeight, fontkit.Font>();

function font(weight: FontWeight): fontkit.Font {
  let f = fonts.get(weight);
  if (!f) {
    const opened = fontkit.openSync(path.join(fontDir(), FILES[weight]));
    if (!('layout' in opened)) throw new Error(`${FILES[weight]} is a font collection, expected a single font`);
    f = opened;
    fonts.set(weight, f);
  }
  return f;
}

const widthCache = new Map<string, number>();
const WIDTH_CACHE_MAX = 20_000;

/** Advance width of `text` in em units (multiply by the font size for pixels); kerning included. */
export function textWidthEm(text: string, weight: FontWeight = 'regular'): number {
  const key = weight[0] + text;
  const hit = widthCache.get(key);
  if (hit !== undefined) return hit;
  const f = font(weight);
  const w = f.layout(text).advanceWidth / f.unitsPerEm;
  if (widthCache.size >= WIDTH_CACHE_MAX) widthCache.clear();
  widthCache.set(key, w);
  return w;
}

export function textWidth(text: string, size: number, weight: FontWeight = 'regular'): number {
  return textWidthEm(text, weight) * size;
}

/** Ascent and descent as fractions of the font size (DejaVu: ≈0.93 and ≈0.24). */
export function fontMetrics(weight: FontWeight = 'regular'): { ascent: number; descent: number } {
  const f = font(weight);
  return { ascent: f.ascent / f.unitsPerEm, descent: -f.descent / f.unitsPerEm };
}

/**
 * Characters the bundled fonts cannot draw. Whitespace is exempt; everything else must have a glyph in both weights
 * so a name can move from a regular to a bold line without turning into a tofu box.
 */
export function missingGlyphs(text: string): string[] {
  const missing = new Set<string>();
  const regular = font('regular');
  const bold = font('bold');
  for (const ch of text) {
    if (/\s/u.test(ch)) continue;
    const cp = ch.codePointAt(0) ?? 0;
    if (!regular.hasGlyphForCodePoint(cp) || !bold.hasGlyphForCodePoint(cp)) missing.add(ch);
  }
  return [...missing];
}

export function describeCodePoints(chars: string[]): string {
  return chars
    .map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`)
    .join(', ');
}
