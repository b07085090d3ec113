// In real Chromium: open the room editor, change the notice, save, and watch the preview update and the
// simulated display confirm — all pushed over ws, no reload.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { Controller } from '../../controller/main.js';
import { composeDoorSign } from '../../controller/signs/compose.js';
import { api, CHROMIUM, needs, waitUntil } from '../helpers/env.js';
import { startUiFixture, type UiFixture } from '../helpers/browser.js';

const ARTIFACTS = 'test-artifacts';
const PASSWORD = 'Schlüssel-Ü9-correct-horse';

describe.runIf(needs(CHROMIUM, 'chromium'))('room editor in Chromium', () => {
  let ctl: Controller;
  let browser: Browser;
  let ui: UiFixture;

  beforeAll(async () => {
    ui = await startUiFixture([{ username: 'ina', name: 'Ina Admin', role: 'admin', password: PASSWORD }]);
    ({ ctl, browser } = ui);
  });

  /** A fresh browser context, logged in through the login page, at `path`. */
  async function loggedIn(path: string, viewport = { width: 1400, height: 1000 }) {
    const page = await browser.newPage({ viewport });
    await ui.login(page, 'ina', PASSWORD, path);
    await page.waitForURL((u) => u.pathname === path.split('?')[0]);
    return page;
  }

  afterAll(async () => {
    await ui?.stop();
  });


  it('changes a notice; the preview updates and the display confirms', async () => {
    const page = await loggedIn('/room?id=r-a');
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await expect.poll(() => page.locator('#display-status').textContent()).toContain('bestätigt');
    // Opening the editor changes nothing: no "unsaved preview" appears by itself (it once did, from the form filling).
    await page.waitForTimeout(700);
    expect(await page.locator('#preview-note').textContent()).toBe('');
    const firstSrc = await page.locator('#preview').getAttribute('src');
    expect(firstSrc).toContain(ctl.delivery.status('ds-a').desiredHash as string);

    await page.getByLabel('Text (leer = kein Hinweis').fill('Heute geschlossen. Bitte gehen Sie zu Raum 1.02 – Größe & Maß');
    await page.getByLabel('Besucher schicken zu Raum').fill('1.02');
    // The preview shows the change while typing, before saving, and the display still shows the old frame.
    await expect.poll(() => page.locator('#preview').getAttribute('src'), { timeout: 10_000 }).toMatch(/^blob:/);
    await expect.poll(() => page.locator('#preview-note').textContent()).toContain('noch nicht gespeichert');
    const previewHash = await page.locator('#preview').getAttribute('data-hash');
    expect(previewHash).not.toBe(ctl.delivery.status('ds-a').desiredHash);
    await page.screenshot({ path: `${ARTIFACTS}/room-editor-live-preview.png`, fullPage: true });
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('Gespeichert');

    // The preview switches to the new frame and the display confirms it, pushed over ws.
    await expect.poll(() => page.locator('#preview').getAttribute('src'), { timeout: 10_000 }).not.toBe(firstSrc);
    const status = await waitUntil(() => {
      const s = ctl.delivery.status('ds-a');
      return s.inSync && s.desiredHash !== null && firstSrc?.includes(s.desiredHash) === false ? s : null;
    }, 'ds-a to confirm the new frame');
    const sim = ctl.sims.find((s) => s.id === 'ds-a');
    expect(sim?.device.framebuffer?.hash).toBe(status.desiredHash);
    expect(status.desiredHash).toBe(previewHash); // what was previewed is exactly what the display shows
    expect(await page.locator('#preview').getAttribute('src')).toContain(status.desiredHash);
    await expect.poll(() => page.locator('#display-status').textContent()).toMatch(/bestätigt von der Anzeige um \d\d:\d\d:\d\d/);
    // The preview image really loaded (a broken image has naturalWidth 0).
    await expect.poll(() => page.locator('#preview').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(800);
    await page.screenshot({ path: `${ARTIFACTS}/room-editor.png`, fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('enters weekly office hours per day; the sign shows them summarised', async () => {
    const page = await loggedIn('/room?id=r-b');
    await expect.poll(() => page.locator('#name').inputValue()).toBe('Service-Center');
    await page.getByLabel('Mo', { exact: true }).fill('8–12');
    await page.getByLabel('Di', { exact: true }).fill('8-12, 13:30–18');
    await page.getByLabel('Do', { exact: true }).fill('8–12');
    await page.getByLabel('Hinweis zu den Zeiten · Note').fill('nur mit Termin');
    await page.getByLabel('Fr', { exact: true }).fill('9 bis 11');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('nicht lesbar');
    await page.getByLabel('Fr', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('Gespeichert');
    const room = (await (await api(ctl, '/api/rooms/r-b')).json()) as { hours: unknown[]; officeHours: string };
    expect(room.hours).toEqual([
      { day: 'mo', from: '08:00', to: '12:00' },
      { day: 'tu', from: '08:00', to: '12:00' },
      { day: 'tu', from: '13:30', to: '18:00' },
      { day: 'th', from: '08:00', to: '12:00' },
    ]);
    expect(composeDoorSign(ctl.ctx.store.data, 'r-b', Date.now()).officeHours).toBe('Mo, Do 8–12 Uhr · Di 8–12, 13:30–18 Uhr · nur mit Termin');
    await page.close();
  });

  it('plans a move for an occupant from the room editor', async () => {
    const page = await loggedIn('/room?id=r-b');
    await expect.poll(() => page.locator('#name').inputValue()).toBe('Service-Center');
    await page.getByText('Umzug planen · Plan a move').click();
    await page.getByLabel('Nach Raum · To room').selectOption('r-c');
    await page.getByRole('button', { name: 'Umzug planen · Plan move' }).click();
    await expect.poll(() => page.locator('#moves li').count()).toBe(1);
    expect(await page.locator('#moves li').textContent()).toContain('Ayşe Öztürk 1.02 → 1.03');
    expect(ctl.ctx.store.moves()).toHaveLength(1);
    await page.getByRole('button', { name: 'Absagen · Cancel' }).click();
    await expect.poll(() => page.locator('#moves li').count()).toBe(0);
    expect(ctl.ctx.store.moves()).toHaveLength(0);
    await page.close();
  });

  it('shows a refusal with the field at fault and keeps the stored room unchanged', async () => {
    const page = await loggedIn('/room?id=r-c');
    await expect.poll(() => page.locator('#name').inputValue()).toBe('Einbürgerung');
    await page.locator('#name').fill('Raum 漢字');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('name: contains characters the displays cannot show');
    await page.locator('#name').fill('Einbürgerung');
    await page.getByLabel('Text (leer = kein Hinweis').fill('Bitte nebenan');
    await page.getByLabel('Besucher schicken zu Raum').fill('9.99');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('nicht gefunden');
    expect((await (await api(ctl, '/api/rooms/r-c')).json()).name).toBe('Einbürgerung');
    await page.close();
  });

  it('lists rooms by floor with live previews', async () => {
    const page = await loggedIn('/', { width: 1400, height: 900 });
    await expect.poll(() => page.locator('a.card').count()).toBe(3);
    await expect.poll(() => page.locator('.status.ok').count()).toBe(3);
    await expect.poll(() => page.locator('a.card img').evaluateAll((imgs) => imgs.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 800))).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/rooms.png`, fullPage: true });
    // Search folds umlauts and ß: "strassburger" finds "Grit Straßburger".
    await page.getByLabel('Suchen · Search').fill('strassburger');
    await expect.poll(() => page.locator('a.card:visible').count()).toBe(1);
    expect(await page.locator('a.card:visible').getAttribute('data-room')).toBe('r-c');
    await page.goto(`${ctl.httpUrl}/displays`);
    await expect.poll(() => page.locator('tr[data-display]').count()).toBe(3);
    await page.getByLabel('Status').selectOption('offline');
    await expect.poll(() => page.locator('tr[data-display]:visible').count()).toBe(0);
    await page.getByLabel('Status').selectOption('ok');
    await expect.poll(() => page.locator('tr[data-display]:visible').count()).toBe(3);
    await page.close();
  });
});
