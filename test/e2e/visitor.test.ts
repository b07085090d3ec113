// The visitors' page in real Chromium on the demo building, no login: on the kiosk, search a service, pick it, get the
// steps and the plans; switch to English; ask step-free. The URL in a door sign's QR code opens with the route
// starting at that door. Checked with axe-core (WCAG 2.1 A/AA) on a phone-sized screen; screenshots as artifacts.
import { createRequire } from 'node:module';
import { mkdir, readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Controller } from '../../controller/main.js';
import { demoData } from '../../controller/store/demo.js';
import { composeForDisplay } from '../../controller/signs/compose.js';
import { CHROMIUM, needs, startTestController, tempDir, writeData } from '../helpers/env.js';
import { launchChromium } from '../helpers/browser.js';

describe.runIf(needs(CHROMIUM, 'chromium'))("visitors' wayfinding page", () => {
  let ctl: Controller;
  let browser: Browser;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeData(t.dir, demoData());
    ctl = await startTestController(t.dir);
    browser = await launchChromium();
    await mkdir('test-artifacts', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await ctl?.stop();
    await cleanup?.();
  });

  /** WCAG 2.1 A/AA violations axe-core finds on the page (the context must bypass CSP for the injected script). */
  async function axeViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8') });
    return page.evaluate(async () => {
      const a = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: { id: string; help: string }[] }> } }).axe;
      return (await a.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => `${v.id}: ${v.help}`);
    });
  }

  async function planImagesLoaded(page: Page): Promise<number> {
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('#plans img')].every((i) => i.complete && i.naturalWidth > 0));
    return page.locator('#plans img').count();
  }

  it('kiosk: search a service → the nearest room open now, steps and plans; English; step-free', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${ctl.httpUrl}/kiosk`);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(page.locator('#here').textContent()).resolves.toBe('Sie sind hier: Infoterminal Foyer');
    await page.getByLabel('Leistung, Name oder Zimmernummer').fill('Aufenthaltstitel verlaengern');
    await page.getByRole('button', { name: 'Suchen' }).click();
    const first = page.locator('#results .hit').first();
    await expect(first.locator('.hit-title').textContent()).resolves.toBe('Aufenthaltstitel verlängern');
    await first.click();
    await page.locator('#steps li').first().waitFor();
    const steps = await page.locator('#steps li').allTextContents();
    expect(steps[0]).toBe('Sie sind hier: Infoterminal Foyer (Erdgeschoss).');
    expect(steps.join(' ')).toMatch(/Nehmen Sie den Aufzug ins 1\. Obergeschoss\./);
    expect(steps.at(-1)).toMatch(/^Zimmer 1\.\d\d ist die \w+ Tür (links|rechts)\.$/);
    expect(await planImagesLoaded(page)).toBe(2);
    await page.screenshot({ path: 'test-artifacts/visitor-kiosk-route.png', fullPage: true });

    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await page.waitForFunction(() => document.querySelector('#steps li')?.textContent?.startsWith('You are here'));
    expect((await page.locator('#steps li').allTextContents()).join(' ')).toContain('Take the lift to the 1st floor.');

    // Step-free with the lift out of order: said plainly, no stair route offered.
    await ctl.ctx.store.addClosure({ id: 'lift-0', reason: 'Wartung', createdBy: 'test', createdAt: new Date().toISOString() });
    await page.getByLabel('Step-free (no stairs)').check();
    await page.locator('#message').getByText('cannot be reached step-free').waitFor();
    expect(await page.locator('#steps li').count()).toBe(0);
    await ctl.ctx.store.removeClosure('lift-0');
    await page.close();
  });

  it("a door sign's QR code opens the page with the way starting at that door; axe finds nothing on a phone", async () => {
    const data = ctl.ctx.store.data;
    const display = data.displays.find((d) => d.id === 'ds-2-14');
    const content = composeForDisplay(data, display as NonNullable<typeof display>, Date.now());
    const url = content.kind === 'door' ? content.qr : null;
    // No public URL configured: the sign carries the address the server listens on (its real port).
    expect(url).toBe(`${ctl.httpUrl}/find?from=d-2.14`);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'de-DE', bypassCSP: true });
    const page = await context.newPage();
    await page.goto(url as string);
    await page.waitForSelector('body[data-ready="true"]');
    await expect(page.locator('#here').textContent()).resolves.toBe('Sie sind hier: Zimmer 2.14');
    await page.getByLabel('Leistung, Name oder Zimmernummer').fill('Kasse');
    await page.getByLabel('Leistung, Name oder Zimmernummer').press('Enter');
    await page.locator('#results .hit').first().click();
    await page.locator('#steps li').first().waitFor();
    const steps = await page.locator('#steps li').allTextContents();
    expect(steps[0]).toBe('Sie sind hier: Zimmer 2.14 (2. Obergeschoss).');
    expect(steps.join(' ')).toContain('ins Erdgeschoss');
    expect(await planImagesLoaded(page)).toBe(2);
    expect(new URL(page.url()).searchParams.get('from')).toBe('d-2.14');
    await page.screenshot({ path: 'test-artifacts/visitor-phone-route.png', fullPage: true });

    expect(await axeViolations(page)).toEqual([]);
    await context.close();
  });

  it('staff: the displays page places every display on its floor plan; a lift closed on the notices page reroutes at once', async () => {
    await ctl.users.add({ username: 'flora', name: 'Flora Admin', role: 'admin', password: 'Grundriss-geprüft-2026', mustChangePassword: false });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(`${ctl.httpUrl}/login?next=${encodeURIComponent('/displays')}`);
    await page.getByLabel('Benutzername · User name', { exact: true }).fill('flora');
    await page.getByLabel('Passwort · Password', { exact: true }).fill('Grundriss-geprüft-2026');
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((u) => u.pathname === '/displays');
    await page.locator('#floor-view').waitFor();
    await page.getByLabel('Etage · Floor').selectOption('f-2');
    const visible = page.locator('#floorplan a.pin:not([hidden])');
    await page.waitForFunction(() => document.querySelectorAll('#floorplan a.pin:not([hidden])').length === 10);
    expect(await visible.count()).toBe(10); // nine door signs and the lift-lobby directory sign
    const pin = page.locator('#floorplan a.pin[href="#row-ds-2-14"]');
    await expect(pin.getAttribute('aria-label')).resolves.toMatch(/^ds-2-14 · 2\.14: /);
    // Where it hangs: room 2.14's door, at x = 36 m, y = 11.5 m on a 60 × 20 m plan.
    const box = await pin.boundingBox();
    const plan = await page.locator('#floorplan-img').boundingBox();
    expect(box && plan && Math.abs((box.x + box.width / 2 - plan.x) / plan.width - (24 + 36 * 20) / 1248)).toBeLessThan(0.01);
    await page.getByLabel('Suchen · Search').fill('2.14');
    await page.waitForFunction(() => document.querySelectorAll('#floorplan a.pin:not([hidden])').length === 1);
    await page.screenshot({ path: 'test-artifacts/displays-floor-view.png', fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    // A lift stop out of order, closed on the notices page: a visitor's step-free route is refused at once; reopened, back.
    await page.goto(`${ctl.httpUrl}/notices`);
    await page.locator('#closures').waitFor();
    await page.getByLabel('Ort · Place').selectOption('lift-1');
    await page.getByLabel('Grund · Reason').fill('Aufzug außer Betrieb');
    await page.getByRole('button', { name: 'Sperren · Close' }).click();
    await page.locator('#closure-rows tr[data-closure="lift-1"]').waitFor();
    // The 1st-floor stop is closed: the 1st floor cannot be reached step-free; the lift still serves the 2nd.
    const refused = (await (await fetch(`${ctl.httpUrl}/api/public/route?to=r-1.07&stepFree=1`)).json()) as { ok: boolean; reason: string };
    expect(refused).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    expect(((await (await fetch(`${ctl.httpUrl}/api/public/route?to=r-2.16&stepFree=1`)).json()) as { ok: boolean }).ok).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('#closure-rows tr[data-closure="lift-1"]').getByRole('button', { name: 'Wieder öffnen · Reopen' }).click();
    await page.locator('#closure-rows tr[data-closure="lift-1"]').waitFor({ state: 'detached' });
    expect(((await (await fetch(`${ctl.httpUrl}/api/public/route?to=r-1.07&stepFree=1`)).json()) as { ok: boolean }).ok).toBe(true);
    await context.close();
  });
});
