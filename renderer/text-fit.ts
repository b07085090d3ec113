// Fits text into boxes: wrap at word boundaries, shrink within a size range, and only as a last resort shorten
// with an ellipsis — which is always reported back so the caller can warn (text is never cut silently).
import { textWidthEm, fontMetrics, type FontWeight } from './fonts/fonts.js';

export const LINE_HEIGHT = 1.22;
/**
 * No line is drawn smaller than this (px): below it, 1-bit thresholding eats thin strokes (an "i" loses its dot).
 * Secondary lines (scale < 1) are clamped up to it, so a block may grow; the fitter accounts for that.
 */
export const MIN_TEXT_PX = 14;
const ELLIPSIS = '…';

export interface Block {
  text: string;
  /** size relative to the base size chosen by the fitter (1 = base) */
  scale: number;
  weight: FontWeight;
  /** most lines this block may wrap to before it is shortened */
  maxLines: number;
  /** extra space after the block, in base-size em */
  gapAfter: number;
}

export interface PlacedLine {
  text: string;
  size: number;
  weight: FontWeight;
  /** baseline, relative to the top of the box */
  baseline: number;
}

export interface FitResult {
  lines: PlacedLine[];
  baseSize: number;
  /** blocks left out entirely because even the smallest size had no room */
  dropped: number;
  /** blocks that were shortened with an ellipsis */
  shortened: number;
  height: number;
}

function splitLongWord(word: string, maxEm: number, weight: FontWeight): string[] {
  const parts: string[] = [];
  let current = '';
  for (const ch of word) {
    if (current && textWidthEm(current + ch, weight) > maxEm) {
      parts.push(current);
      current = ch;
    } else current += ch;
  }
  if (current) parts.push(current);
  return parts;
}

/** Greedy word wrap; `maxEm` is the box width divided by the font size. Explicit newlines start a new line. */
export function wrapEm(text: string, maxEm: number, weight: FontWeight): string[] {
  const lines: string[] = [];
  const space = textWidthEm(' ', weight);
  for (const paragraph of text.split('\n')) {
    const words = paragraph.split(/\s+/u).filter(Boolean);
    let line = '';
    let lineEm = 0;
    for (const word of words) {
      let w = textWidthEm(word, weight);
      let pieces = [word];
      if (w > maxEm) pieces = splitLongWord(word, maxEm, weight);
      for (const piece of pieces) {
        w = pieces.length === 1 ? w : textWidthEm(piece, weight);
        if (!line) {
          line = piece;
          lineEm = w;
        } else if (lineEm + space + w <= maxEm) {
          line += ' ' + piece;
          lineEm += space + w;
        } else {
          lines.push(line);
          line = piece;
          lineEm = w;
        }
      }
    }
    if (line) lines.push(line);
  }
  return lines;
}

function ellipsize(line: string, maxEm: number, weight: FontWeight): string {
  let s = line;
  while (s.length > 0 && textWidthEm(s + ELLIPSIS, weight) > maxEm) s = Array.from(s).slice(0, -1).join('').trimEnd();
  return s + ELLIPSIS;
}

interface Wrapped {
  lines: string[];
  size: number;
  weight: FontWeight;
  shortened: boolean;
  gapAfter: number;
}

function wrapBlock(b: Block, base: number, width: number): Wrapped {
  const size = Math.max(MIN_TEXT_PX, Math.round(base * b.scale));
  const maxEm = width / size;
  let lines = wrapEm(b.text, maxEm, b.weight);
  let shortened = false;
  if (lines.length > b.maxLines) {
    lines = lines.slice(0, b.maxLines);
    lines[lines.length - 1] = ellipsize(lines[lines.length - 1] ?? '', maxEm, b.weight);
    shortened = true;
  }
  return { lines, size, weight: b.weight, shortened, gapAfter: b.gapAfter * base };
}

function heightOf(ws: Wrapped[]): number {
  let h = 0;
  ws.forEach((w, i) => {
    h += w.lines.length * w.size * LINE_HEIGHT;
    if (i < ws.length - 1) h += w.gapAfter;
  });
  return h;
}

function place(ws: Wrapped[]): PlacedLine[] {
  const out: PlacedLine[] = [];
  let y = 0;
  ws.forEach((w) => {
    const { ascent } = fontMetrics(w.weight);
    for (const text of w.lines) {
      // Centre the glyphs in their line box: half the leading above, then the ascent.
      out.push({ text, size: w.size, weight: w.weight, baseline: Math.round(y + w.size * ((LINE_HEIGHT - 1) / 2 + ascent)) });
      y += w.size * LINE_HEIGHT;
    }
    y += w.gapAfter;
  });
  return out;
}

/**
 * Chooses the largest base size in [minSize, maxSize] at which every block fits unshortened. If none does, uses
 * minSize, shortens blocks to their maxLines and, when still too tall, drops trailing blocks and adds the line
 * produced by `overflowLabel(n)`.
 */
export function fitBlocks(
  blocks: Block[],
  box: { width: number; height: number },
  sizes: { max: number; min: number },
  overflowLabel: (dropped: number) => string = (n) => `+${n}`,
): FitResult {
  if (blocks.length === 0) return { lines: [], baseSize: sizes.max, dropped: 0, shortened: 0, height: 0 };
  for (let base = sizes.max; base >= sizes.min; base--) {
    const ws = blocks.map((b) => wrapBlock(b, base, box.width));
    if (ws.some((w) => w.shortened)) continue;
    const h = heightOf(ws);
    if (h <= box.height) return { lines: place(ws), baseSize: base, dropped: 0, shortened: 0, height: h };
  }
  const base = sizes.min;
  const all = blocks.map((b) => wrapBlock(b, base, box.width));
  const kept: Wrapped[] = [];
  for (let i = 0; i < all.length; i++) {
    const candidate = [...kept, all[i] as Wrapped];
    const remaining = all.length - candidate.length;
    const labelH = remaining > 0 ? base * LINE_HEIGHT : 0;
    if (heightOf(candidate) + labelH <= box.height) kept.push(all[i] as Wrapped);
    else break;
  }
  // A single block taller than the box keeps the lines that fit.
  if (kept.length === 0 && all[0]) {
    const first = all[0];
    const fitLines = Math.max(1, Math.floor(box.height / (first.size * LINE_HEIGHT)));
    const lines = first.lines.slice(0, fitLines);
    const maxEm = box.width / first.size;
    if (lines.length < first.lines.length) lines[lines.length - 1] = ellipsize(lines[lines.length - 1] ?? '', maxEm, first.weight);
    kept.push({ ...first, lines, shortened: first.shortened || lines.length < first.lines.length });
  }
  const dropped = all.length - kept.length;
  if (dropped > 0) {
    const last = kept[kept.length - 1];
    if (last) last.gapAfter = 0;
    kept.push({ lines: [overflowLabel(dropped)], size: base, weight: 'regular', shortened: false, gapAfter: 0 });
  }
  return {
    lines: place(kept),
    baseSize: base,
    dropped,
    shortened: kept.filter((w) => w.shortened).length,
    height: heightOf(kept),
  };
}
