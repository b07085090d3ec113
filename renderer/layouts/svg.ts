// Small SVG builders shared by layouts. Every string passes through escapeXml.
import { escapeXml } from '../escape.js';
import { FONT_FAMILY } from '../fonts/fonts.js';
import type { PlacedLine } from '../text-fit.js';

/** Black, white (paper), and red — drawn only on black/white/red panels. */
export type Ink = '#000' | '#fff' | '#f00';

export function rect(x: number, y: number, w: number, h: number, fill: Ink): string {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="${fill}"/>`;
}

export function textLine(
  x: number,
  y: number,
  line: Pick<PlacedLine, 'text' | 'size' | 'weight'>,
  fill: Ink,
  anchor: 'start' | 'end' = 'start',
): string {
  const weight = line.weight === 'bold' ? ' font-weight="bold"' : '';
  const a = anchor === 'end' ? ' text-anchor="end"' : '';
  return `<text x="${x}" y="${y}" font-family="${FONT_FAMILY}" font-size="${line.size}"${weight}${a} fill="${fill}">${escapeXml(line.text)}</text>`;
}

export function placedLines(x: number, top: number, lines: PlacedLine[], fill: Ink, anchor: 'start' | 'end' = 'start'): string[] {
  return lines.map((l) => textLine(x, top + l.baseline, l, fill, anchor));
}

export function svgDocument(width: number, height: number, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" shape-rendering="crispEdges">`,
    // An explicit white background: transparent areas would otherwise threshold to black.
    rect(0, 0, width, height, '#fff'),
    ...body,
    '</svg>',
  ].join('\n');
}
