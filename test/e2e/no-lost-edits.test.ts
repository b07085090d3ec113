// Nothing a person saved (or typed) is lost, in real Chromium: two colleagues editing the same room in two browsers
// get a field-level merge (each keeps the other's change; asked only where both changed the same field), and leaving
// a page with unsaved edits asks first — but not after a save or a discard.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Dialog, Page } from 'playwright-core';
import type { Controller } from '../../controller/main.js';
import { api, CHROMIUM, needs } from '../helpers/env.js';
import { startUiFixture, type UiFixture } from '../helpers/browser.js';

const ARTIFACTS = 'test-artifacts';
/** Polls like expect.poll, with room for a busy machine (pages load in well under a second when it is not). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 10_000 });
const PW = 'Rathaus-Schlüssel-2026-ok';

interface StoredRoom {
  name: string;
  officeHours: string;
  hours: { day: string; from: string; to: string }[];
  version: number;
}

describe.runIf(needs(CHROMIUM, 'chromium'))('no lost edits in Chromium', () => {
  let ctl: Controller;
  let browser: Browser;
  let ui: UiFixture;

  beforeAll(async () => {
    ui = await startUiFixture([
      { username: 'ina', name: 'Ina Admin', role: 'admin', password: PW },
      { username: 'eve', name: 'Eve Editor', role: 'editor', unitIds: ['u-1'], password: PW },
    ]);
    ({ ctl, browser } = ui);
  });
  afterAll(async () => {
    await ui?.stop();
  });

  /** A logged-in page in its own browser context (a second tab of another person), at `path`. */
  async function open(username: string, path: string, opts: { bypassCSP?: boolean } = {}): Promise<Page> {
    // bypassCSP lets axe-core's injected script run (the site's CSP forbids inline scripts).
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, ...opts });
    await ui.login(page, username, PW, path);
    await page.waitForURL((u) => u.pathname === path.split('?')[0]);
    return page;
  }
  const stored = async (id: string) => (await (await api(ctl, `/api/rooms/${id}`)).json()) as StoredRoom;

  it('tab A changes Monday 8–12 to 7–13, tab B renames the room: after B resolves, the room has both', async () => {
    await api(ctl, '/api/rooms/r-a', { method: 'PATCH', body: JSON.stringify({ hours: [{ day: 'mo', from: '08:00', to: '12:00' }] }) });
    const a = await open('ina', '/room?id=r-a');
    const b = await open('eve', '/room?id=r-a');
    for (const p of [a, b]) await poll(() => p.locator('#h-mo').inputValue()).toBe('8–12');

    await a.locator('#h-mo').fill('7–13');
    await a.getByRole('button', { name: 'Speichern' }).click();
    await poll(() => a.locator('#message').textContent()).toContain('Gespeichert · Saved');

    await b.locator('#name').fill('Aufenthalt und Visa');
    await b.getByRole('button', { name: 'Speichern' }).click();
    await poll(() => b.locator('#conflict').isVisible()).toBe(true);
    // Every field that differs is shown — the hours A changed too, not only the name — and nothing is asked.
    expect(await b.locator('#conflict tr[data-field]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.field))).toEqual(['name', 'hours.mo']);
    const monday = (await b.locator('#conflict tr[data-field="hours.mo"]').textContent()) ?? '';
    expect(monday).toContain('8–12'); // B's form still had the old Monday
    expect(monday).toContain('7–13'); // the stored one
    expect(await b.locator('#conflict input[type=radio]').count()).toBe(0);
    await b.screenshot({ path: `${ARTIFACTS}/conflict-merge.png`, fullPage: true });
    expect((await stored('r-a')).name).toBe('Aufenthalt'); // nothing was overwritten

    await b.locator('#merge-save').click();
    await poll(() => b.locator('#message').textContent()).toContain('Gespeichert · Saved');
    const room = await stored('r-a');
    expect(room.name).toBe('Aufenthalt und Visa'); // B's name
    expect(room.hours).toEqual([{ day: 'mo', from: '07:00', to: '13:00' }]); // and A's Monday
    expect(await b.locator('#h-mo').inputValue()).toBe('7–13');
    await a.close();
    await b.close();
  });

  it('both changed the same field: the view asks, and the chosen value is saved', async () => {
    const a = await open('ina', '/room?id=r-b');
    const b = await open('eve', '/room?id=r-b', { bypassCSP: true });
    for (const p of [a, b]) await poll(() => p.locator('#name').inputValue()).toBe('Service-Center');

    await a.locator('#officeHours').fill('nur mit Termin');
    await a.getByRole('button', { name: 'Speichern' }).click();
    await poll(() => a.locator('#message').textContent()).toContain('Gespeichert · Saved');

    await b.locator('#officeHours').fill('Termine online buchen');
    await b.locator('#h-tu').fill('9–11');
    await b.getByRole('button', { name: 'Speichern' }).click();
    await poll(() => b.locator('#conflict').isVisible()).toBe(true);
    expect(await b.locator('#conflict tr[data-field]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.field))).toEqual(['officeHours', 'hours.tu']);
    expect(await b.locator('#conflict input[type=radio]').count()).toBe(2); // one question: the note both changed
    // The conflict view passes the same accessibility checks as every page (labelled choices, table headers).
    await b.addScriptTag({ content: await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8') });
    const violations = await b.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (ctx: Element, opts: object) => Promise<{ violations: { id: string }[] }> } }).axe;
      return (await axe.run(document.getElementById('message') as Element, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })).violations.map((v) => v.id);
    });
    expect(violations).toEqual([]);

    await b.locator('#merge-save').click(); // without an answer nothing is saved
    await poll(() => b.locator('#message').textContent()).toContain('Bitte wählen');
    expect((await stored('r-b')).officeHours).toBe('nur mit Termin');

    await b.locator('#conflict input[name="choice-officeHours"][value="mine"]').check();
    await b.locator('#merge-save').click();
    await poll(() => b.locator('#message').textContent()).toContain('Gespeichert · Saved');
    const room = await stored('r-b');
    expect(room.officeHours).toBe('Termine online buchen');
    expect(room.hours).toEqual([{ day: 'tu', from: '09:00', to: '11:00' }]);
    await a.close();
    await b.close();
  });

  /** Collects dialogs; answers each with `answer` (dismiss: stay on the page). */
  function dialogs(page: Page) {
    const seen: string[] = [];
    let answer: 'accept' | 'dismiss' = 'dismiss';
    page.on('dialog', (d: Dialog) => {
      seen.push(d.type());
      void (answer === 'accept' ? d.accept() : d.dismiss());
    });
    return { seen, answer: (a: 'accept' | 'dismiss') => (answer = a) };
  }
  /** Types like a person (a click and key presses: the browser only asks before unload after a real interaction). */
  async function type(page: Page, selector: string, text: string) {
    await page.locator(selector).click();
    await page.keyboard.press('End');
    await page.keyboard.type(text);
  }

  it('the room editor asks before leaving or reloading with unsaved edits, not after saving or discarding', async () => {
    const page = await open('ina', '/room?id=r-c');
    const d = dialogs(page);
    await poll(() => page.locator('#name').inputValue()).toBe('Einbürgerung');

    await type(page, '#name', ' Ost');
    await page.getByRole('link', { name: /Verzeichnis/ }).click(); // an in-page navigation link
    await poll(() => d.seen).toEqual(['beforeunload']);
    expect(new URL(page.url()).pathname).toBe('/room'); // stayed
    await page.evaluate(() => location.reload());
    await poll(() => d.seen).toEqual(['beforeunload', 'beforeunload']);
    expect(await page.locator('#name').inputValue()).toBe('Einbürgerung Ost'); // the edit is still there
    await page.getByRole('button', { name: 'Abmelden' }).click(); // logging out asks too
    await poll(() => d.seen).toEqual(['beforeunload', 'beforeunload', 'confirm']);
    expect(new URL(page.url()).pathname).toBe('/room');

    await page.getByRole('button', { name: 'Speichern' }).click();
    await poll(() => page.locator('#message').textContent()).toContain('Gespeichert · Saved');
    await page.getByRole('link', { name: /Verzeichnis/ }).click();
    await page.waitForURL((u) => u.pathname === '/directory'); // saved: no question
    expect(d.seen).toHaveLength(3);

    await page.goto(`${ctl.httpUrl}/room?id=r-c`);
    await poll(() => page.locator('#name').inputValue()).toBe('Einbürgerung Ost');
    await type(page, '#h-we', '8–12');
    await page.getByRole('button', { name: 'Verwerfen' }).click();
    expect(await page.locator('#h-we').inputValue()).toBe('');
    await page.getByRole('link', { name: /Hinweise/ }).click();
    await page.waitForURL((u) => u.pathname === '/notices'); // discarded: no question
    expect(d.seen).toHaveLength(3);

    // The notices form asks too; accepting the question leaves.
    await poll(() => page.locator('#scope option').count()).toBeGreaterThan(0);
    await type(page, '#text', 'Heute geschlossen');
    await page.getByRole('link', { name: /Räume/ }).click();
    await poll(() => d.seen).toEqual(['beforeunload', 'beforeunload', 'confirm', 'beforeunload']);
    expect(new URL(page.url()).pathname).toBe('/notices');
    d.answer('accept');
    await type(page, '#text', '!'); // Chromium asks once per user interaction
    await page.getByRole('link', { name: /Räume/ }).click();
    await page.waitForURL((u) => u.pathname === '/');
    expect(d.seen).toHaveLength(5);
    await page.close();
  });

  it('the directory and admin forms ask before leaving with unsaved edits', async () => {
    const page = await open('ina', '/directory');
    const d = dialogs(page);
    await poll(() => page.locator('tr[data-person]').count()).toBe(3);
    await page.getByRole('link', { name: /Anzeigen/ }).click();
    await page.waitForURL((u) => u.pathname === '/displays'); // nothing typed: no question
    await page.goto(`${ctl.httpUrl}/directory`);
    await poll(() => page.locator('tr[data-person]').count()).toBe(3);
    await type(page, '#s-de', 'Beglaubigung');
    await page.getByRole('link', { name: /Räume/ }).click();
    await poll(() => d.seen).toEqual(['beforeunload']);
    expect(new URL(page.url()).pathname).toBe('/directory');

    d.answer('accept');
    await page.getByRole('link', { name: /Verwaltung/ }).click(); // accepted: leaves
    await page.waitForURL((u) => u.pathname === '/admin');
    await poll(() => page.locator('tr[data-user]').count()).toBeGreaterThan(0);
    d.answer('dismiss');
    await type(page, '#u-username', 'neu');
    await page.evaluate(() => location.reload());
    await poll(() => d.seen).toEqual(['beforeunload', 'beforeunload', 'beforeunload']);
    expect(await page.locator('#u-username').inputValue()).toBe('neu');
    await page.close();
  });
});
