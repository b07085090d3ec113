// The directory sign for lift lobbies and corridor junctions: the floor in an inverted header; a row per room of this
// floor — an arrow (as its reader faces the sign), the room number, its services; the other floors at the bottom.
import type { Arrow, DirectorySignContent } from '../content.js';
import type { PanelProfile } from '../panels.js';
import { singleLine } from '../escape.js';
import { fitBlocks } from '../text-fit.js';
import { placedLines, rect, svgDocument } from './svg.js';
import type { LayoutResult } from './door-sign.js';

const M = 24;

/** An arrow in a `s`×`s` box at (x, y): a shaft and head pointing up, turned by the direction. */
export function arrowSvg(arrow: Arrow, x: number, y: number, s: number, fill: '#000' | '#fff'): string {
  const c = s / 2;
  if (arrow === 'here') return `<circle cx="${x + c}" cy="${y + c}" r="${Math.round(s * 0.3)}" fill="${fill}"/>`;
  if (arrow === 'up' || arrow === 'down') {
    // Floors: a solid triangle over a bar (up) or under it (down), unlike the walking arrows.
    const t = Math.round(s * 0.12);
    const tri = arrow === 'up' ? `M${x} ${y + s - 2 * t}L${x + c} ${y}L${x + s} ${y + s - 2 * t}Z` : `M${x} ${y + 2 * t}L${x + c} ${y + s}L${x + s} ${y + 2 * t}Z`;
    const bar = arrow === 'up' ? `M${x} ${y + s - t}h${s}v${t}h${-s}Z` : `M${x} ${y}h${s}v${t}h${-s}Z`;
    return `<path d="${tri}${bar}" fill="${fill}"/>`;
  }
  const deg = { ahead: 0, right: 90, back: 180, left: 270 }[arrow];
  const w = s * 0.18;
  const head = s * 0.5;
  const d = `M${c} 0L${s} ${head}H${c + w}V${s}H${c - w}V${head}H0Z`;
  return `<path transform="translate(${x} ${y}) rotate(${deg} ${c} ${c})" d="${d}" fill="${fill}"/>`;
}

export function layoutDirectorySign(c: DirectorySignContent, panel: PanelProfile): LayoutResult {
  const W = panel.width;
  const H = panel.height;
  const warnings: string[] = [];
  const body: string[] = [];

  const headerH = Math.round(H * 0.17);
  body.push(rect(0, 0, W, headerH, '#000'));
  const head = fitBlocks([{ text: singleLine(c.floor), scale: 1, weight: 'bold', maxLines: 1, gapAfter: 0 }], { width: W * 0.6, height: headerH - 12 }, { max: 46, min: 20 });
  body.push(...placedLines(M, Math.round((headerH - head.height) / 2), head.lines, '#fff'));
  const headEn = fitBlocks([{ text: singleLine(c.floorEn), scale: 1, weight: 'regular', maxLines: 1, gapAfter: 0 }], { width: W * 0.35 - M, height: headerH - 12 }, { max: 30, min: 16 });
  body.push(...placedLines(W - M, Math.round((headerH - headEn.height) / 2), headEn.lines, '#fff', 'end'));

  // Bottom: a notice for the floor (inverted), then the other floors.
  let bottom = H - M / 2;
  const floors = [...c.otherFloors].reverse();
  const floorRow = 30;
  for (const f of floors) {
    const top = bottom - floorRow;
    body.push(arrowSvg(f.arrow, M, top + 4, 22, '#000'));
    const fit = fitBlocks([{ text: `${singleLine(f.floor)}: ${singleLine(f.label)}`, scale: 1, weight: 'regular', maxLines: 1, gapAfter: 0 }], { width: W - 2 * M - 36, height: floorRow }, { max: 20, min: 14 });
    if (fit.shortened) warnings.push(`other floors: "${f.floor}" shortened`);
    body.push(...placedLines(M + 36, top + 2, fit.lines, '#000'));
    bottom = top;
  }
  if (floors.length) {
    body.push(rect(M, bottom - 8, W - 2 * M, 2, '#000'));
    bottom -= 16;
  }
  if (c.notice) {
    const pad = 10;
    const fit = fitBlocks([{ text: singleLine(c.notice), scale: 1, weight: 'bold', maxLines: 2, gapAfter: 0 }], { width: W - 2 * M - 2 * pad, height: 70 }, { max: 24, min: 16 });
    if (fit.shortened) warnings.push('notice shortened');
    const boxH = Math.ceil(fit.height + 2 * pad);
    body.push(rect(M, bottom - boxH, W - 2 * M, boxH, panel.colors === 'bwr' ? '#f00' : '#000'));
    body.push(...placedLines(M + pad, bottom - boxH + pad, fit.lines, '#fff'));
    bottom -= boxH + 10;
  }

  // Rows: one per room, sized to fit all of them if at all legible.
  const top = headerH + 12;
  const avail = bottom - top;
  const n = c.entries.length;
  const rowH = n ? Math.min(56, Math.floor(avail / n)) : 0;
  const shown = rowH >= 22 ? n : Math.max(0, Math.floor(avail / 22) - 1);
  const h = rowH >= 22 ? rowH : 22;
  if (shown < n) warnings.push(`rooms: ${n - shown} left out for lack of space`);
  const size = Math.max(14, Math.min(26, Math.floor(h * 0.55)));
  const numW = Math.round(size * 3.4);
  c.entries.slice(0, shown).forEach((e, i) => {
    const y = top + i * h;
    const icon = Math.min(h - 6, 34);
    body.push(arrowSvg(e.arrow, M, y + Math.round((h - icon) / 2), icon, '#000'));
    const numberFit = fitBlocks([{ text: singleLine(e.number), scale: 1, weight: 'bold', maxLines: 1, gapAfter: 0 }], { width: numW, height: h }, { max: size, min: 14 });
    body.push(...placedLines(M + icon + 14, y + Math.round((h - numberFit.height) / 2), numberFit.lines, '#000'));
    const labelX = M + icon + 24 + numW;
    const both = e.labelEn && e.labelEn !== e.label ? `${singleLine(e.label)} · ${singleLine(e.labelEn)}` : singleLine(e.label);
    const box = { width: W - M - labelX, height: h };
    let fit = fitBlocks([{ text: both, scale: 1, weight: 'regular', maxLines: 1, gapAfter: 0 }], box, { max: size, min: size });
    if (fit.shortened) fit = fitBlocks([{ text: singleLine(e.label), scale: 1, weight: 'regular', maxLines: 1, gapAfter: 0 }], box, { max: size, min: 14 });
    if (fit.shortened) warnings.push(`room ${e.number}: services shortened`);
    body.push(...placedLines(labelX, y + Math.round((h - fit.height) / 2), fit.lines, '#000'));
    if (i < shown - 1) body.push(rect(labelX, y + h - 1, W - M - labelX, 1, '#000'));
  });
  if (shown < n) {
    const fit = fitBlocks([{ text: `+ ${n - shown} weitere · more`, scale: 1, weight: 'regular', maxLines: 1, gapAfter: 0 }], { width: W - 2 * M, height: 22 }, { max: 16, min: 14 });
    body.push(...placedLines(M, top + shown * h, fit.lines, '#000'));
  }
  return { svg: svgDocument(W, H, body), warnings };
}
