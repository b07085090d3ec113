// The login page in real Chromium (issue 9, section 2): after logging in, `next` can only lead back into this site —
// the browser's own URL parser is what an attacker aims at ("/\evil", "/<tab>/evil", "//evil", "javascript:"), so
// the test watches where the browser really goes. And the admin page's login limits: seen, lifted, accessible.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Controller } from '../../controller/main.js';
import { CHROMIUM, needs } from '../helpers/env.js';
import { startUiFixture, type UiFixture } from '../helpers/browser.js';

const PW = 'Umleitung-nur-nach-Hause-9';

describe.runIf(needs(CHROMIUM, 'chromium'))('login page in Chromium', () => {
  let ctl: Controller;
  let browser: Browser;
  let ui: UiFixture;
  let origin: string;

  beforeAll(async () => {
    ui = await startUiFixture([
      { username: 'ina', name: 'Ina Admin', role: 'admin', password: PW },
      { username: 'vic', name: 'Vic Viewer', role: 'viewer', password: PW },
    ]);
    ({ ctl, browser } = ui);
    origin = new URL(ctl.httpUrl).origin;
  });
  afterAll(async () => {
    await ui?.stop();
  });

  /** A fresh browser context that records (and stops) every request leaving our origin. */
  async function watchedPage(): Promise<{ page: Page; offsite: string[] }> {
    const context = await browser.newContext();
    const offsite: string[] = [];
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin !== origin) {
        offsite.push(url);
        return route.abort();
      }
      return route.continue();
    });
    return { page: await context.newPage(), offsite };
  }

  for (const [next, landsOn] of [
    ['%2F%5Cexample.invalid%2Fphish', '/'], // "/\example.invalid/phish": a backslash is a slash to the URL parser
    ['%2F%09%2Fexample.invalid%2Fphish', '/'], // "/<tab>/example.invalid/phish": tabs are dropped → "//example…"
    ['%2F%2Fexample.invalid%2Fphish', '/'],
    ['https%3A%2F%2Fexample.invalid%2Fphish', '/'],
    ['javascript%3Aalert(document.domain)', '/'],
    ['%2F.%2F%2Fexample.invalid%2Fphish', '//example.invalid/phish'], // a same-origin path that only looks foreign
    ['%2Froom%3Fid%3Dr-a', '/room'], // an ordinary way back
  ] as const) {
    it(`next=${next} stays on this site (lands on ${landsOn})`, async () => {
      const { page, offsite } = await watchedPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`${ctl.httpUrl}/login?next=${next}`);
      await page.getByLabel('Benutzername · User name', { exact: true }).fill('ina');
      await page.getByLabel('Passwort · Password', { exact: true }).fill(PW);
      await page.getByRole('button', { name: 'Anmelden' }).click();
      await expect
        .poll(() => offsite.length > 0 || (new URL(page.url()).origin === origin && new URL(page.url()).pathname !== '/login'), { timeout: 10_000 })
        .toBe(true);
      expect(offsite).toEqual([]);
      expect(new URL(page.url()).origin).toBe(origin);
      expect(new URL(page.url()).pathname).toBe(landsOn);
      expect(dialogs).toEqual([]);
      await page.context().close();
    });
  }

  it('an admin sees a login limit on the admin page and lifts it; the page stays accessible', async () => {
    for (let i = 0; i < 6; i++) {
      await fetch(`${ctl.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vic', password: `falsch-${i}` }) });
    }
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, bypassCSP: true }); // for axe's injected script
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await ui.login(page, 'ina', PW, '/admin');
    await page.waitForURL((u) => u.pathname === '/admin');
    await page.locator('#limits tr').first().waitFor({ state: 'attached' });
    const row = page.locator('#limits tr[data-limit]', { hasText: 'vic' }).filter({ hasText: 'Name + Adresse' });
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.textContent()).toContain('127.0.0.1');
    expect(errors).toEqual([]);

    const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
    await page.addScriptTag({ content: axeSource });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; help: string }[] }> } }).axe;
      const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((v) => `${v.id}: ${v.help}`);
    });
    expect(violations).toEqual([]);

    await row.getByRole('button', { name: /^Aufheben/ }).click();
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0);
    const res = await fetch(`${ctl.httpUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vic', password: PW }) });
    expect(res.status).toBe(200);
    await context.close();
  });
});
