// The controller's own broker link in the header of every staff page, in real Chromium: connected; when the broker
// goes away, "unreachable since …" on every page (German, English or both) and every display "unknown"; and
// connected again once it is back. The broker is ours (aedes), stopped and started on the same port. And a display's
// fault on the displays page, cleared by an admin's "Reset delivery".
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import mqtt from 'mqtt';
import { topics } from '../../controller/protocol/topics.js';
import type { Controller } from '../../controller/main.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { aedesBroker, restartableBroker, type RestartableBroker } from '../helpers/brokers.js';
import { launchChromium } from '../helpers/browser.js';
import { api, CHROMIUM, needs, startTestController, tempDir, testConfig, waitUntil, writeData } from '../helpers/env.js';

const PW = 'Verbindung-prüfen-2026';
const PAGES = ['/', '/room?id=r-a', '/directory', '/notices', '/admin', '/displays'];

describe.runIf(needs(CHROMIUM, 'chromium'))('broker link in the header (Chromium)', () => {
  let ctl: Controller;
  let broker: RestartableBroker;
  let browser: Browser;
  let page: Page;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    await writeData(t.dir, smallBuilding());
    broker = await restartableBroker(aedesBroker, t.dir, testConfig(t.dir).mqtt.topicPrefix, ['ds-a', 'ds-b', 'ds-c']);
    ctl = await startTestController(t.dir, { mqtt: { url: broker.url } });
    await ctl.users.add({ username: 'ina', name: 'Ina Admin', role: 'admin', password: PW, mustChangePassword: false });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    await mkdir('test-artifacts', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await ctl?.stop();
    await broker?.stop();
    await cleanup?.();
  });

  const broker$ = () => page.locator('#broker');
  const setLanguage = async (lang: 'both' | 'de' | 'en') => {
    await page.locator('#ui-lang').selectOption(lang);
  };

  it('says connected, then unreachable since when on every staff page, then connected again', async () => {
    await page.goto(`${ctl.httpUrl}/login?next=${encodeURIComponent('/')}`);
    await page.getByLabel('Benutzername · User name', { exact: true }).fill('ina');
    await page.getByLabel('Passwort · Password', { exact: true }).fill(PW);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await expect.poll(() => broker$().textContent()).toBe('Broker verbunden · Broker connected');

    await broker.down();
    await waitUntil(() => ctl.delivery.brokerStatus().state === 'reconnecting', 'the controller to notice');
    for (const path of PAGES) {
      await page.goto(`${ctl.httpUrl}${path}`);
      await expect.poll(() => broker$().getAttribute('data-state'), { timeout: 10_000 }).toBe('reconnecting');
      expect(await broker$().textContent()).toMatch(/^Broker nicht erreichbar seit \d\d:\d\d:\d\d – Anzeigen unbekannt · Broker unreachable since \d\d:\d\d:\d\d – displays unknown$/);
    }
    // On the displays page (the last one) every display says why its state is unknown.
    await expect.poll(() => page.locator('#row-ds-a .status').first().textContent()).toBe('unbekannt – keine Verbindung zum Broker · unknown – no connection to the broker');
    await page.screenshot({ path: 'test-artifacts/broker-unreachable.png' });

    await setLanguage('en');
    await expect.poll(() => broker$().textContent()).toMatch(/^Broker unreachable since \d\d:\d\d:\d\d – displays unknown$/);
    await setLanguage('de');
    await expect.poll(() => broker$().textContent()).toMatch(/^Broker nicht erreichbar seit \d\d:\d\d:\d\d – Anzeigen unbekannt$/);

    await broker.restart();
    await expect.poll(() => broker$().textContent(), { timeout: 20_000 }).toBe('Broker verbunden');
    await setLanguage('en');
    await expect.poll(() => broker$().textContent()).toBe('Broker connected');
    await setLanguage('both');
  });

  it('shows a display\'s fault, and an admin clears it with "Reset delivery" (audited)', async () => {
    // A hello no display may send (a sequence number beyond uint32), on ds-a's own topic with its own login.
    const t = topics(ctl.ctx.config.mqtt.topicPrefix);
    const rogue = await mqtt.connectAsync(broker.url, { clientId: 'ds-a', username: 'ds-a', password: ctl.secrets.mqttPassword('ds-a'), reconnectPeriod: 0 });
    await rogue.publishAsync(
      t.hello('ds-a'),
      JSON.stringify({ id: 'ds-a', protocol: 1, firmware: 'x', panel: 'epd-7in5-bw', width: 800, height: 480, shownHash: null, scheduledHash: null, lastSeq: 2 ** 32, batteryMv: 3000 }),
      { qos: 1 },
    );
    await rogue.endAsync();
    await page.goto(`${ctl.httpUrl}/displays`);
    const fault = page.locator('#row-ds-a .fault');
    await expect.poll(() => fault.textContent(), { timeout: 10_000 }).toMatch(/^Störung · Fault \(\d\d:\d\d:\d\d\): hello refused: lastSeq: /);
    await page.locator('#row-ds-a').getByRole('button', { name: 'Zustellung zurücksetzen · Reset delivery' }).click();
    await expect.poll(() => page.locator('#message').textContent()).toContain('Delivery for ds-a reset');
    await expect.poll(() => fault.count()).toBe(0);
    const audit = (await (await api(ctl, '/api/audit?entity=display')).json()) as { action: string; id: string; user: string }[];
    expect(audit[0]).toMatchObject({ action: 'reset-delivery', id: 'ds-a', user: 'ina' });
  });
});
