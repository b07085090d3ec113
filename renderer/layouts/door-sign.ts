// The door sign: room number and unit in an inverted header, occupants left, services right, office hours in the
// footer, and — when set — a notice with its redirect room as an inverted box, the most prominent thing after the number.
import type { DoorSignContent } from '../content.js';
import type { PanelProfile } from '../panels.js';
import { singleLine } from '../escape.js';
import { fitBlocks, type Block, type FitResult } from '../text-fit.js';
import { placedLines, rect, svgDocument } from './svg.js';
import { qrModules, qrSvg } from './qr.js';

export interface LayoutResult {
  svg: string;
  warnings: string[];
}

const M = 24; // outer margin

function report(warnings: string[], what: string, fit: FitResult): void {
  if (fit.dropped > 0) warnings.push(`${what}: ${fit.dropped} item(s) left out for lack of space (shown as "+${fit.dropped}")`);
  if (fit.shortened > 0) warnings.push(`${what}: ${fit.shortened} text(s) shortened with "…" at ${fit.baseSize}px`);
}

/** Fits the first variant that fits whole; if none does, the one that loses least. */
function fitFirst(variants: Block[][], box: { width: number; height: number }, sizes: { max: number; min: number }, overflow: (n: number) => string): FitResult {
  let best: FitResult | null = null;
  for (const v of variants) {
    const fit = fitBlocks(v, box, sizes, overflow);
    if (fit.dropped === 0 && fit.shortened === 0) return fit;
    if (!best || fit.dropped < best.dropped || (fit.dropped === best.dropped && fit.shortened < best.shortened)) best = fit;
  }
  return best as FitResult;
}

export function layoutDoorSign(c: DoorSignContent, panel: PanelProfile): LayoutResult {
  const W = panel.width;
  const H = panel.height;
  const warnings: string[] = [];
  const body: string[] = [];

  // Header: number (left), unit + room name (right).
  const headerH = Math.round(H * 0.27);
  body.push(rect(0, 0, W, headerH, '#000'));
  const numberFit = fitBlocks(
    [{ text: singleLine(c.roomNumber), scale: 1, weight: 'bold', maxLines: 1, gapAfter: 0 }],
    { width: W * 0.42, height: headerH - 16 },
    { max: Math.round(headerH * 0.78), min: Math.round(headerH * 0.3) },
  );
  report(warnings, 'room number', numberFit);
  body.push(...placedLines(M, Math.round((headerH - numberFit.height) / 2), numberFit.lines, '#fff'));

  const headBlocks: Block[] = [];
  if (c.unit) headBlocks.push({ text: singleLine(c.unit), scale: 1, weight: 'bold', maxLines: 2, gapAfter: 0.15 });
  if (c.roomName) headBlocks.push({ text: singleLine(c.roomName), scale: 0.8, weight: 'regular', maxLines: 2, gapAfter: 0 });
  if (headBlocks.length) {
    const fit = fitBlocks(headBlocks, { width: W * 0.5 - M, height: headerH - 20 }, { max: 32, min: 16 });
    report(warnings, 'unit and room name', fit);
    body.push(...placedLines(W - M, Math.round((headerH - fit.height) / 2), fit.lines, '#fff', 'end'));
  }

  // QR code (bottom right): opens the visitors' page with the route starting at this door.
  let qr: { left: number; top: number } | null = null;
  if (c.qr) {
    const module = Math.max(3, Math.floor(124 / (qrModules(c.qr) + 4)));
    const size = (qrModules(c.qr) + 4) * module;
    const left = W - M - size + 2 * module;
    const top = H - size;
    body.push(qrSvg(c.qr, left, top, module).svg);
    qr = { left, top };
  }
  const fullW = (qr ? qr.left - 12 : W - M) - M;

  // Footer: office hours.
  let bottom = H - M / 2;
  const hours = singleLine(c.officeHours);
  if (hours) {
    const fit = fitBlocks(
      [
        { text: 'Sprechzeiten · Office hours', scale: 0.7, weight: 'bold', maxLines: 1, gapAfter: 0.1 },
        { text: hours, scale: 1, weight: 'regular', maxLines: 2, gapAfter: 0 },
      ],
      { width: fullW, height: Math.round(H * 0.17) },
      { max: 24, min: 14 },
    );
    report(warnings, 'office hours', fit);
    const top = bottom - fit.height;
    body.push(rect(M, Math.round(top - 10), fullW, 2, '#000'));
    body.push(...placedLines(M, Math.round(top), fit.lines, '#000'));
    bottom = Math.round(top - 18);
  }

  // Notice: inverted box at the bottom of the body, sized to its text.
  const bodyTop = headerH + 16;
  if (c.notice) {
    const blocks: Block[] = [
      { text: 'Hinweis · Notice', scale: 0.6, weight: 'bold', maxLines: 1, gapAfter: 0.15 },
      { text: c.notice.text.trim(), scale: 1, weight: 'bold', maxLines: 4, gapAfter: 0.25 },
    ];
    if (c.notice.redirect) {
      const r = c.notice.redirect;
      const target = r.name ? `${singleLine(r.number)} · ${singleLine(r.name)}` : singleLine(r.number);
      blocks.push({ text: `→ Bitte gehen Sie zu Raum ${target}`, scale: 0.9, weight: 'bold', maxLines: 2, gapAfter: 0.1 });
      blocks.push({ text: `Please go to room ${singleLine(r.number)}`, scale: 0.65, weight: 'regular', maxLines: 1, gapAfter: 0 });
    }
    const pad = 14;
    const maxH = Math.round((bottom - bodyTop) * 0.62);
    const fit = fitBlocks(blocks, { width: fullW - 2 * pad, height: maxH - 2 * pad }, { max: 34, min: 16 });
    report(warnings, 'notice', fit);
    const boxH = Math.ceil(fit.height + 2 * pad);
    const top = bottom - boxH;
    // On a black/white/red panel the notice stands out in red.
    body.push(rect(M, top, fullW, boxH, panel.colors === 'bwr' ? '#f00' : '#000'));
    body.push(...placedLines(M + pad, top + pad, fit.lines, '#fff'));
    bottom = top - 14;
  }

  // Body columns: occupants (left), services (right).
  const colH = bottom - bodyTop;
  // The services column ends above the QR code.
  const rightColH = qr ? Math.min(colH, qr.top - 12 - bodyTop) : colH;
  const leftW = Math.round((W - 2 * M) * 0.52);
  const rightX = M + leftW + 24;
  const rightW = W - M - rightX;
  if (colH > 20) {
    const people = (withTitles: boolean): Block[] => {
      const blocks = c.occupants.flatMap((o): Block[] => {
        const title = withTitles && o.title ? singleLine(o.title) : '';
        const name: Block = { text: singleLine(o.name), scale: 1, weight: 'bold', maxLines: 2, gapAfter: title || o.away ? 0.05 : 0.45 };
        const out: Block[] = [name];
        if (title) out.push({ text: title, scale: 0.68, weight: 'regular', maxLines: 2, gapAfter: o.away ? 0.05 : 0.45 });
        if (o.away) {
          // Absence is never dropped for space: it is what the visitor at the door most needs to know.
          const where = o.away.substitute ? ` · Vertretung: Raum ${singleLine(o.away.substitute.number)}` : '';
          out.push({ text: `Abwesend bis ${singleLine(o.away.until)}${where}`, scale: 0.68, weight: 'bold', maxLines: 2, gapAfter: 0.45 });
        }
        return out;
      });
      if (blocks.length === 0) blocks.push({ text: 'Derzeit nicht besetzt · Currently unoccupied', scale: 0.8, weight: 'regular', maxLines: 2, gapAfter: 0 });
      return blocks;
    };
    const more = (n: number) => `+ ${n} weitere · more`;
    const box = { width: leftW, height: colH };
    const pf = fitFirst([people(true), people(false)], box, { max: 32, min: 14 }, more);
    report(warnings, 'occupants', pf);
    body.push(...placedLines(M, bodyTop, pf.lines, '#000'));

    if (c.services.length) {
      // On a crowded sign the English lines go before any service does.
      const services = (withEnglish: boolean): Block[] => {
        const blocks: Block[] = [{ text: 'Leistungen · Services', scale: 0.75, weight: 'bold', maxLines: 1, gapAfter: 0.3 }];
        for (const s of c.services) {
          const de = singleLine(s.de);
          const en = withEnglish ? singleLine(s.en) : '';
          const both = en !== '' && en !== de;
          blocks.push({ text: de, scale: 1, weight: 'regular', maxLines: 2, gapAfter: both ? 0 : 0.35 });
          if (both) blocks.push({ text: en, scale: 0.72, weight: 'regular', maxLines: 1, gapAfter: 0.35 });
        }
        return blocks;
      };
      const sf = fitFirst([services(true), services(false)], { width: rightW, height: rightColH }, { max: 24, min: 16 }, more);
      report(warnings, 'services', sf);
      body.push(rect(rightX - 14, bodyTop, 2, Math.round(Math.min(rightColH, sf.height)), '#000'));
      body.push(...placedLines(rightX, bodyTop, sf.lines, '#000'));
    }
  } else {
    warnings.push('occupants and services: no room left on the sign (notice and office hours fill it)');
  }

  return { svg: svgDocument(W, H, body), warnings };
}
