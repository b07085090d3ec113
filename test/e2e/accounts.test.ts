// Accounts in real Chromium: two colleagues editing the same room (the second sees both versions, nothing is
// overwritten), an editor limited to their unit, the first admin's one-time password, logging out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { Controller } from '../../controller/main.js';
import { api, CHROMIUM, needs } from '../helpers/env.js';
import { startUiFixture, type UiFixture } from '../helpers/browser.js';

const ARTIFACTS = 'test-artifacts';
const PW = 'Straßenbahn-Haltestelle-7';

describe.runIf(needs(CHROMIUM, 'chromium'))('accounts in Chromium', () => {
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

  const login = (page: Page, username: string, password: string, path = '/') => ui.login(page, username, password, path);

  it('the first admin logs in with the one-time password and must choose a new one', async () => {
    const page = await browser.newPage();
    expect(ctl.bootstrap?.username).toBe('admin');
    await login(page, 'admin', ctl.bootstrap?.password ?? '', '/displays');
    await expect.poll(() => page.locator('#change').isVisible()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/login-change-password.png` });
    await page.getByLabel('Neues Passwort · New password', { exact: true }).fill('mein-eigenes-Passwort-2026');
    await page.getByLabel('Wiederholen · Repeat', { exact: true }).fill('mein-eigenes-Passwort-2026');
    await page.getByRole('button', { name: 'Speichern' }).click();
    await page.waitForURL((u) => u.pathname === '/displays');
    await expect.poll(() => page.locator('#user').textContent()).toContain('Administrator');
    await page.close();
  });

  it('a second colleague saving a stale version gets the conflict view; nothing is overwritten', async () => {
    const first = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const second = await browser.newPage({ viewport: { width: 1400, height: 1000 } }); // its own context
    await login(first, 'ina', PW, '/room?id=r-b');
    await login(second, 'eve', PW, '/room?id=r-b');
    for (const p of [first, second]) await expect.poll(() => p.locator('#name').inputValue()).toBe('Service-Center');

    await first.locator('#officeHours').fill('Mo–Do 8–12 Uhr');
    await first.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(() => first.locator('#message').textContent()).toContain('Gespeichert');

    await second.locator('#officeHours').fill('Mo–Fr 9–11 Uhr');
    await second.getByRole('button', { name: 'Speichern' }).click();
    await expect.poll(() => second.locator('#conflict').isVisible()).toBe(true);
    const text = (await second.locator('#conflict').textContent()) ?? '';
    expect(text).toContain('Mo–Fr 9–11 Uhr'); // theirs
    expect(text).toContain('Mo–Do 8–12 Uhr'); // the saved one
    await second.screenshot({ path: `${ARTIFACTS}/conflict-view.png`, fullPage: true });
    expect(((await (await api(ctl, '/api/rooms/r-b')).json()) as { officeHours: string }).officeHours).toBe('Mo–Do 8–12 Uhr');

    await second.locator('#take-saved').click();
    await expect.poll(() => second.locator('#officeHours').inputValue()).toBe('Mo–Do 8–12 Uhr');
    await first.close();
    await second.close();
  });

  it('posts one notice to the whole building: every sign shows it', async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await login(page, 'ina', PW, '/notices');
    await expect.poll(() => page.locator('#scope option').count()).toBeGreaterThan(2);
    await page.getByLabel('Für · For').selectOption({ label: 'ganzes Gebäude · whole building' });
    await page.getByLabel('Text', { exact: true }).fill('Heute wegen Personalversammlung geschlossen');
    const until = new Date(Date.now() + 2 * 3600_000);
    const local = new Date(until.getTime() - until.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await page.getByLabel('Bis · Until').fill(local);
    const before = ctl.sims.map((s) => s.device.framebuffer?.hash);
    await page.getByRole('button', { name: 'Veröffentlichen' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('Veröffentlicht auf 3 Schildern');
    await expect.poll(() => page.locator('tr[data-notice]').count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/bulk-notice.png`, fullPage: true });
    await expect
      .poll(() => ctl.sims.every((s, i) => s.device.framebuffer?.hash !== before[i] && ctl.delivery.status(s.id).inSync), { timeout: 15_000 })
      .toBe(true);
    await page.getByRole('button', { name: 'Beenden' }).click();
    await expect.poll(() => page.locator('tr[data-notice]').count()).toBe(0);
    await page.close();
  });

  it('marks a colleague away with a substitute room in the directory: their door sign says so', async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await login(page, 'eve', PW, '/directory');
    const row = page.locator('tr[data-person="p-1"]');
    await expect.poll(() => row.locator('select').count()).toBe(1);
    await row.locator('select').selectOption('r-b');
    const before = ctl.sims.find((s) => s.id === 'ds-a')?.device.framebuffer?.hash;
    await row.getByRole('button', { name: 'Abwesend melden' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('abwesend gemeldet');
    await expect.poll(() => row.textContent()).toContain('Vertretung: 1.02');
    await page.screenshot({ path: `${ARTIFACTS}/directory.png`, fullPage: true });
    await expect
      .poll(() => {
        const sim = ctl.sims.find((s) => s.id === 'ds-a');
        return sim?.device.framebuffer?.hash !== before && ctl.delivery.status('ds-a').inSync;
      }, { timeout: 15_000 })
      .toBe(true);
    await page.close();
  });

  it('an admin creates an account and reads the audit log, filtered', async () => {
    const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
    await login(page, 'ina', PW, '/admin');
    await expect.poll(() => page.locator('tr[data-user]').count()).toBeGreaterThan(2);
    await page.getByLabel('Benutzername · User name').fill('karl');
    await page.getByLabel('Name', { exact: true }).fill('Karl Kühn');
    await page.getByLabel('Rolle · Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Anlegen' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toMatch(/Konto karl angelegt\. Einmal-Passwort .*: [a-z2-9]{5}-/);
    await expect.poll(() => page.locator('tr[data-user="karl"]').count()).toBe(1);
    await page.getByLabel('Bereich · Entity').selectOption('room');
    await page.getByRole('button', { name: 'Filtern' }).click();
    await expect.poll(() => page.locator('#audit tr').first().textContent()).toContain('update room');
    await page.screenshot({ path: `${ARTIFACTS}/admin.png`, fullPage: true });
    await page.close();
  });

  it('an editor sees another unit\'s room read-only, and logs out', async () => {
    const page = await browser.newPage();
    await login(page, 'eve', PW, '/room?id=r-c');
    await expect.poll(() => page.locator('#message').textContent()).toContain('Nur lesen');
    expect(await page.locator('#save').isDisabled()).toBe(true);
    expect(await page.locator('#name').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Abmelden' }).click();
    await page.waitForURL((u) => u.pathname === '/login');
    await page.goto(`${ctl.httpUrl}/room?id=r-a`);
    await page.waitForURL((u) => u.pathname === '/login'); // the session is gone
    await page.close();
  });
});
