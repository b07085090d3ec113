// Scenario "render": the 800×480 door sign rendered our way (SVG → sharp → 1-bit) beside the peers' way (an HTML
// page screenshotted by headless Chromium, then thresholded to 1-bit), in the same run on the same content.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { chromium, type Browser } from 'playwright-core';
import { renderSign, PANELS, type DoorSignContent } from '../renderer/index.js';
import { packGrey, makeFrame } from '../renderer/frame.js';
import { fontDir } from '../renderer/fonts/fonts.js';
import { escapeXml } from '../renderer/escape.js';
import { time, ms, type Timing } from './stats.js';

const panel = PANELS['epd-7in5-bw'];

export function benchContent(i: number): DoorSignContent {
  return {
    kind: 'door',
    roomNumber: '2.14',
    roomName: 'Fachkräfteeinwanderung',
    unit: 'Fachkräfte & Studium',
    occupants: [
      { name: 'Dr. Felix Zimmermann', title: 'Teamleiter Fachkräfte' },
      { name: 'Olena Petrova', title: 'Sachbearbeiterin Fachkräfte' },
    ],
    services: [
      { de: 'Blaue Karte EU', en: 'EU Blue Card' },
      { de: 'Beschäftigungserlaubnis', en: 'Work permit' },
      { de: 'Aufenthaltstitel verlängern', en: 'Extend residence permit' },
    ],
    officeHours: 'Mo, Di, Do 8–12 Uhr · Di 13–18 Uhr · nur mit Termin',
    // The notice changes every iteration so neither path can serve a cached result.
    notice: { text: `Heute ab ${8 + (i % 10)}:00 Uhr geschlossen. Wir bitten um Ihr Verständnis.`, redirect: { number: '2.15', name: 'Blaue Karte EU' } },
  };
}

/** The same sign as an HTML page, as Chromium-based sign systems build it. */
function html(c: DoorSignContent): string {
  const e = escapeXml;
  return `<!doctype html><html><head><meta charset="utf-8"><style>
@font-face { font-family: 'DejaVu Sans'; src: url(/DejaVuSans.ttf); }
@font-face { font-family: 'DejaVu Sans'; font-weight: bold; src: url(/DejaVuSans-Bold.ttf); }
html,body { margin:0; width:800px; height:480px; background:#fff; font-family:'DejaVu Sans'; overflow:hidden; }
header { background:#000; color:#fff; height:130px; display:flex; justify-content:space-between; align-items:center; padding:0 24px; }
.num { font-size:96px; font-weight:bold; } .unit { text-align:right; font-size:30px; font-weight:bold; } .unit small { display:block; font-size:24px; font-weight:normal; }
.cols { display:flex; gap:24px; padding:16px 24px 0; height:120px; } .cols > div { flex:1; overflow:hidden; }
.p b { font-size:26px; display:block; } .p span { font-size:18px; } .s h4 { margin:0 0 4px; font-size:16px; } .s div { font-size:18px; } .s small { font-size:13px; display:block; }
.notice { margin:8px 24px; background:#000; color:#fff; padding:12px; font-weight:bold; font-size:26px; }
.notice small { display:block; font-size:14px; } footer { position:absolute; bottom:8px; left:24px; right:24px; border-top:2px solid #000; font-size:22px; }
</style></head><body>
<header><div class="num">${e(c.roomNumber)}</div><div class="unit">${e(c.unit ?? '')}<small>${e(c.roomName)}</small></div></header>
<div class="cols"><div class="p">${c.occupants.map((o) => `<b>${e(o.name)}</b><span>${e(o.title ?? '')}</span>`).join('')}</div>
<div class="s"><h4>Leistungen · Services</h4>${c.services.map((s) => `<div>${e(s.de)}<small>${e(s.en)}</small></div>`).join('')}</div></div>
${c.notice ? `<div class="notice"><small>Hinweis · Notice</small>${e(c.notice.text)}<div>→ Raum ${e(c.notice.redirect?.number ?? '')}</div></div>` : ''}
<footer><b style="font-size:16px">Sprechzeiten · Office hours</b><br>${e(c.officeHours)}</footer>
</body></html>`;
}

async function fontServer(): Promise<{ url: string; close(): Promise<void> }> {
  const dir = fontDir();
  const server = http.createServer(async (req, res) => {
    const name = path.basename(req.url ?? '');
    if (name === 'index') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>');
      return;
    }
    if (name !== 'DejaVuSans.ttf' && name !== 'DejaVuSans-Bold.ttf') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'font/ttf', 'cache-control': 'max-age=3600' }).end(await readFile(path.join(dir, name)));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

async function screenshotToFrame(png: Buffer) {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  return makeFrame(info.width, info.height, [packGrey(data, info.width, info.height, panel.threshold)]);
}

export interface RenderBench {
  ours: Timing;
  chromiumUpdate: Timing | null;
  chromiumRebuild: Timing | null;
  note?: string;
}

export async function benchRender(opts: { iterations: number; chromium: string | null }): Promise<RenderBench> {
  const ours = await time(opts.iterations, 5, (i) => renderSign(benchContent(i), panel));
  if (!opts.chromium) return { ours, chromiumUpdate: null, chromiumRebuild: null, note: 'Chromium not installed: peer comparison skipped' };
  const fonts = await fontServer();
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({
      executablePath: opts.chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const page = await browser.newPage({ viewport: { width: panel.width, height: panel.height }, deviceScaleFactor: 1 });
    await page.goto(fonts.url + 'index');
    // Variant 1: the page is rebuilt for each frame (setContent), as template-driven systems do.
    const chromiumRebuild = await time(opts.iterations, 3, async (i) => {
      await page.setContent(html(benchContent(i)).replace(/url\(\//g, `url(${fonts.url}`), { waitUntil: 'load' });
      await screenshotToFrame(await page.screenshot({ type: 'png' }));
    });
    // Variant 2: the page stays, only the changed text is swapped in — Chromium's best case.
    const chromiumUpdate = await time(opts.iterations, 3, async (i) => {
      await page.evaluate((t) => {
        const n = document.querySelector('.notice');
        if (n?.childNodes[1]) n.childNodes[1].textContent = t;
      }, benchContent(i).notice?.text ?? '');
      await screenshotToFrame(await page.screenshot({ type: 'png' }));
    });
    return { ours, chromiumUpdate, chromiumRebuild };
  } finally {
    await browser?.close();
    await fonts.close();
  }
}

export function printRender(r: RenderBench): string[] {
  const lines = ['## render: 800×480 door sign → 1-bit frame', ''];
  const row = (name: string, t: Timing) => `| ${name} | ${ms(t.median)} | ${ms(t.p95)} | ${(1000 / t.median).toFixed(1)} |`;
  lines.push('| path | median | p95 | frames/s |', '|---|---|---|---|');
  lines.push(row('Wegweiser: SVG → sharp → 1-bit', r.ours));
  if (r.chromiumRebuild) lines.push(row('Chromium, page rebuilt per frame → threshold', r.chromiumRebuild));
  if (r.chromiumUpdate) lines.push(row('Chromium, text swapped in place → threshold', r.chromiumUpdate));
  lines.push('');
  if (r.chromiumUpdate && r.chromiumRebuild) {
    lines.push(`Speed-up vs Chromium (page rebuilt): ${(r.chromiumRebuild.median / r.ours.median).toFixed(2)}×`);
    lines.push(`Speed-up vs Chromium (best case, text swapped): ${(r.chromiumUpdate.median / r.ours.median).toFixed(2)}× (target ≥ 2×)`);
  }
  if (r.note) lines.push(r.note);
  return lines;
}
