// WCAG 2.1 A/AA basics, checked by axe-core inside real Chromium on every page staff use: labelled fields,
// contrast, landmarks, names for buttons and images, valid ARIA.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Controller } from '../../controller/main.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { CHROMIUM, needs, startTestController, tempDir, writeData } from '../helpers/env.js';
import { launchChromium } from '../helpers/browser.js';

const PW = 'Barrierefrei-geprüft-2026';

interface AxeViolation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: string[] }[];
}

describe.runIf(needs(CHROMIUM, 'chromium'))('accessibility (axe-core, WCAG 2.1 A/AA)', () => {
  let ctl: Controller;
  let browser: Browser;
  let cleanup: () => Promise<void>;
  let axeSource: string;
  let page: Page;

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeData(t.dir, smallBuilding());
    ctl = await startTestController(t.dir, { demo: { sims: true } });
    await ctl.users.add({ username: 'ina', name: 'Ina Admin', role: 'admin', password: PW, mustChangePassword: false });
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    browser = await launchChromium();
    // Our CSP forbids inline scripts; the test context lets axe's injected script run (the site's CSP stays).
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await ctl?.stop();
    await cleanup?.();
  });

  async function violations(): Promise<AxeViolation[]> {
    await page.addScriptTag({ content: axeSource });
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
      const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) }));
    });
  }

  const describeAll = (vs: AxeViolation[]) => vs.map((v) => `${v.id} (${v.impact}): ${v.help} — ${JSON.stringify(v.nodes.map((n) => n.target))}`).join('\n');

  it('the login page', async () => {
    await page.goto(`${ctl.httpUrl}/login`);
    const v = await violations();
    expect(v, describeAll(v)).toEqual([]);
    await page.getByLabel('Benutzername · User name', { exact: true }).fill('ina');
    await page.getByLabel('Passwort · Password', { exact: true }).fill(PW);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((u) => u.pathname === '/');
  });

  it('the room editor fits a tablet in portrait (768×1024) without sideways scrolling', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    try {
      await page.goto(`${ctl.httpUrl}/room?id=r-a`);
      await page.locator('#preview[src]').waitFor({ state: 'attached' });
      const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
      expect(scroll).toBeLessThanOrEqual(width);
      const v = await violations();
      expect(v, describeAll(v)).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('switches the labels to English only (and back), remembered across pages, still passing the checks', async () => {
    await page.goto(`${ctl.httpUrl}/`);
    await page.locator('a.card').first().waitFor({ state: 'attached' });
    expect(await page.locator('h1').textContent()).toBe('Räume nach Etage · Rooms by floor');
    await page.getByLabel('Sprache · Language').selectOption('en');
    expect(await page.locator('h1').textContent()).toBe('Rooms by floor');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    await page.goto(`${ctl.httpUrl}/room?id=r-a`);
    await page.locator('#preview[src]').waitFor({ state: 'attached' });
    expect(await page.getByRole('button', { name: 'Save', exact: true }).count()).toBe(1);
    // Script-built lines follow the choice too: the display's status is in English only.
    await page.waitForFunction(() => /^confirmed by the display at \d\d:\d\d:\d\d$/.test(document.querySelector('#display-status')?.textContent ?? ''));
    const v = await violations();
    expect(v, describeAll(v)).toEqual([]);
    await page.getByLabel('Sprache · Language').selectOption('de'); // the picker stays bilingual, as language pickers do
    expect(await page.getByRole('button', { name: 'Speichern', exact: true }).count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('de');
    await page.getByLabel('Sprache · Language').selectOption('both');
  });

  it('catches a planted violation (so the checks above can fail)', async () => {
    await page.goto(`${ctl.httpUrl}/directory`);
    await page.evaluate(() => {
      const img = document.createElement('img');
      img.src = '/favicon.png';
      document.querySelector('main')?.append(img, document.createElement('input'));
    });
    const ids = (await violations()).map((v) => v.id);
    expect(ids).toContain('image-alt');
    expect(ids).toContain('label');
  });

  for (const [name, path, ready] of [
    ['rooms by floor', '/', 'a.card'],
    ['room editor', '/room?id=r-a', '#preview[src]'],
    ['directory', '/directory', 'tr[data-person]'],
    ['notices', '/notices', '#scope option'],
    ['displays', '/displays', 'tr[data-display]'],
    ['admin', '/admin', 'tr[data-user]'],
  ] as const) {
    it(`the ${name} page`, async () => {
      await page.goto(`${ctl.httpUrl}${path}`);
      await page.locator(ready).first().waitFor({ state: 'attached' });
      const v = await violations();
      expect(v, describeAll(v)).toEqual([]);
    });
  }
});
