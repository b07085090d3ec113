import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { encodeTransfer } from '../../controller/protocol/frame-v1.js';
import { SimDevice } from '../../firmware-sim/device.js';
import { renderSign, PANELS, frameToPng } from '../../renderer/index.js';
import { missingGlyphs, textWidth } from '../../renderer/fonts/fonts.js';
import { fitBlocks, wrapEm } from '../../renderer/text-fit.js';
import type { DoorSignContent } from '../../renderer/content.js';

const panel = PANELS['epd-7in5-bw'];
const content: DoorSignContent = {
  kind: 'door',
  roomNumber: '1.07',
  roomName: 'Familiennachzug',
  unit: 'Sachgebiet Aufenthalt',
  occupants: [{ name: 'Birgit Groß', title: 'Sachbearbeiterin' }],
  services: [{ de: 'Familiennachzug', en: 'Family reunification' }],
  officeHours: 'Mo, Di, Do 8–12 Uhr',
  notice: { text: 'Heute nur Abholungen.', redirect: { number: '0.03', name: 'Schalter 1' } },
};

describe('renderer', () => {
  it('is deterministic: the same content gives a byte-identical frame and PNG', async () => {
    const a = await renderSign(content, panel);
    const b = await renderSign(structuredClone(content), panel);
    expect(a.frame.hash).toBe(b.frame.hash);
    expect(Buffer.from(a.frame.planes[0] ?? []).equals(Buffer.from(b.frame.planes[0] ?? []))).toBe(true);
    expect((await frameToPng(a.frame)).equals(await frameToPng(b.frame))).toBe(true);
  });

  it('one changed letter changes the frame', async () => {
    const a = await renderSign(content, panel);
    const b = await renderSign({ ...content, occupants: [{ name: 'Birgit Gross', title: 'Sachbearbeiterin' }] }, panel);
    expect(a.frame.hash).not.toBe(b.frame.hash);
  });

  it('has every German letter in the bundled fonts and draws ß differently from ss', async () => {
    expect(missingGlyphs('ÄÖÜäöüßẞ „Anführung“ – … € § ° · → Ayşe Yılmaz Łódź')).toEqual([]);
    const a = await renderSign({ ...content, roomName: 'Straße' }, panel);
    const b = await renderSign({ ...content, roomName: 'Strasse' }, panel);
    expect(a.frame.hash).not.toBe(b.frame.hash);
  });

  it('draws ink: the inverted header is black, the margin white (polarity: 1 = ink)', async () => {
    const { frame } = await renderSign(content, panel);
    const plane = frame.planes[0] as Uint8Array;
    expect(plane[0]).toBe(0xff); // top-left: header, black
    const lastRow = (frame.height - 1) * 100;
    expect(plane[lastRow + 99]).toBe(0x00); // bottom-right corner: paper
  });

  it('reports text it had to leave out', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ name: `Person Nummer ${i + 1} mit langem Namen`, title: 'Sachbearbeitung' }));
    const r = await renderSign({ ...content, occupants: many }, panel);
    expect(r.warnings.join(' ')).toMatch(/occupants: \d+ item\(s\) left out/);
  });
});

describe('text fitting', () => {
  it('wraps at word boundaries within the width', () => {
    const lines = wrapEm('Aufenthaltstitel verlängern und Niederlassungserlaubnis beantragen', 10, 'regular');
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(textWidth(l, 1)).toBeLessThanOrEqual(10.001);
  });

  it('breaks a single over-long word rather than overflowing', () => {
    const lines = wrapEm('Donaudampfschifffahrtsgesellschaftskapitänsmütze', 8, 'bold');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('')).toBe('Donaudampfschifffahrtsgesellschaftskapitänsmütze');
  });

  it('shrinks before it shortens, and shortens only when told the minimum size is reached', () => {
    const short = fitBlocks([{ text: 'Kurz', scale: 1, weight: 'bold', maxLines: 1, gapAfter: 0 }], { width: 400, height: 100 }, { max: 40, min: 12 });
    expect(short.baseSize).toBe(40);
    expect(short.shortened).toBe(0);
    const long = fitBlocks([{ text: 'Ein sehr langer Text '.repeat(20), scale: 1, weight: 'regular', maxLines: 2, gapAfter: 0 }], { width: 300, height: 60 }, { max: 40, min: 12 });
    expect(long.baseSize).toBe(12);
    expect(long.shortened).toBe(1);
    expect(long.lines.at(-1)?.text.endsWith('…')).toBe(true);
  });
});

describe('rasterizing shortcut', () => {
  it('packing channel 0 of RGBA gives the same frame as a true greyscale conversion', async () => {
    const { layout } = await import('../../renderer/index.js');
    const { rasterize } = await import('../../renderer/rasterize.js');
    const { packGrey: pack, makeFrame } = await import('../../renderer/frame.js');
    const { svg } = layout(content, panel);
    const fast = await rasterize(svg, panel);
    const { data } = await sharp(Buffer.from(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
    const slow = makeFrame(panel.width, panel.height, [pack(data, panel.width, panel.height, panel.threshold)]);
    expect(fast.hash).toBe(slow.hash);
  });
});

describe('black/white/red panels', () => {
  it('carry two planes: the notice box in red, text in black, decoded by a display as sent', async () => {
    const bwr = PANELS['epd-7in5-bwr'];
    const { frame } = await renderSign(content, bwr);
    expect(frame.planes).toHaveLength(2);
    const [black, red] = frame.planes as [Uint8Array, Uint8Array];
    const ink = (p: Uint8Array, y0: number, y1: number) => p.subarray(y0 * 100, y1 * 100).reduce((n, b) => n + (b ? 1 : 0), 0);
    // The header is black, not red; the notice (lower body) is red.
    expect(ink(black, 0, 100)).toBeGreaterThan(1000);
    expect(ink(red, 0, 100)).toBe(0);
    expect(ink(red, 200, 420)).toBeGreaterThan(1000);
    // No pixel is both.
    expect(black.every((b, i) => (b & (red[i] ?? 0)) === 0)).toBe(true);
    const dev = new SimDevice({ id: 'ds-r', panel: bwr, secret: Buffer.alloc(32, 5) });
    const t = encodeTransfer({ displayId: 'ds-r', seq: 1, frame, base: null, secret: Buffer.alloc(32, 5), mtu: 4096 });
    let out = null;
    for (const c of t.chunks) out = (await dev.receive(c)) ?? out;
    expect(out?.type).toBe('ack');
    expect(dev.framebuffer?.hash).toBe(frame.hash);
    const png = await frameToPng(frame);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    let reds = 0;
    for (let i = 0; i < data.length; i += 3) if (data[i] === 200 && data[i + 1] === 0) reds++;
    expect(reds).toBeGreaterThan(1000);
  });
});
