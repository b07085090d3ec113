// Regenerates the README images from the real demo: node bin/run-ts.js scripts/readme-screenshots.ts
// Starts the controller on the demo building (temp data dir, in-process sims), screenshots the admin pages in
// headless Chromium and writes one sign as the display shows it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { pino } from 'pino';
import { defaultConfig, mergeConfig } from '../controller/config.js';
import { startController } from '../controller/main.js';

const OUT = 'docs/images';
const dir = await mkdtemp(path.join(tmpdir(), 'wegweiser-shots-'));
const ctl = await startController(
  mergeConfig(defaultConfig(), { dataDir: dir, http: { port: 0 }, mqtt: { embeddedPort: 0 }, log: { level: 'silent', format: 'json' } }),
  { log: pino({ level: 'silent' }) },
);
try {
  const deadline = Date.now() + 30_000;
  while (!ctl.delivery.allStatus().every((s) => s.inSync) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  await ctl.users.add({ username: 'doku', name: 'Doku Admin', role: 'admin', password: 'screenshots-only-123', mustChangePassword: false });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(`${ctl.httpUrl}/login`);
  await page.getByLabel('Benutzername · User name', { exact: true }).fill('doku');
  await page.getByLabel('Passwort · Password', { exact: true }).fill('screenshots-only-123');
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  await page.waitForFunction(() => [...document.querySelectorAll('a.card img')].slice(0, 8).every((i) => (i as HTMLImageElement).naturalWidth > 0));
  await page.screenshot({ path: `${OUT}/admin-rooms.png` });
  await page.goto(`${ctl.httpUrl}/room?id=r-0.05`);
  await page.waitForFunction(() => document.querySelector('#display-status')?.textContent?.includes('bestätigt'));
  await page.waitForFunction(() => (document.querySelector('#preview') as HTMLImageElement).naturalWidth > 0);
  await page.screenshot({ path: `${OUT}/admin-room-editor.png` });
  // The visitors' page: a search from the QR code on room 2.14's door.
  const visitor = await browser.newPage({ viewport: { width: 1100, height: 1200 } });
  await visitor.goto(`${ctl.httpUrl}/find?from=d-2.14&lang=de`);
  await visitor.waitForSelector('body[data-ready="true"]');
  await visitor.getByLabel('Leistung, Name oder Zimmernummer').fill('Kasse');
  await visitor.getByRole('button', { name: 'Suchen' }).click();
  await visitor.locator('#results .hit').first().click();
  await visitor.waitForFunction(() => [...document.querySelectorAll('#plans img')].length > 0 && [...document.querySelectorAll('#plans img')].every((i) => (i as HTMLImageElement).naturalWidth > 0));
  await visitor.screenshot({ path: `${OUT}/visitor-route.png`, fullPage: true });
  await browser.close();
  for (const [id, file] of [['ds-0-05', 'sign-0.05.png'], ['dir-2', 'directory-sign-2.png']] as const) {
    const sim = ctl.sims.find((s) => s.id === id);
    const png = await sim?.device.screenshot();
    if (png) await writeFile(`${OUT}/${file}`, png);
  }
} finally {
  await ctl.stop();
  await rm(dir, { recursive: true, force: true });
}
