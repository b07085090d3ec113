// Real Chromium from the Debian package, driven by playwright-core (no downloaded browser).
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { Controller } from '../../controller/main.js';
import type { Role } from '../../controller/auth/users.js';
import { smallBuilding } from '../fixtures/small-building.js';
import { CHROMIUM, requireBinary, startTestController, tempDir, waitUntil, writeData } from './env.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: requireBinary(CHROMIUM, 'chromium'), args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** The small building with in-process displays, accounts to log in with, and Chromium: what the UI suites share. */
export interface UiFixture {
  ctl: Controller;
  browser: Browser;
  /** Logs in through the login page (the caller waits for where it lands). */
  login(page: Page, username: string, password: string, path?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startUiFixture(accounts: { username: string; name: string; role: Role; unitIds?: string[]; password: string }[]): Promise<UiFixture> {
  const t = await tempDir();
  await writeData(t.dir, smallBuilding());
  const ctl = await startTestController(t.dir, { demo: { sims: true } });
  await waitUntil(() => ctl.delivery.allStatus().every((s) => s.inSync), 'displays in sync');
  for (const a of accounts) await ctl.users.add({ ...a, mustChangePassword: false });
  const browser = await launchChromium();
  await mkdir('test-artifacts', { recursive: true });
  return {
    ctl,
    browser,
    async login(page, username, password, path = '/') {
      await page.goto(`${ctl.httpUrl}/login?next=${encodeURIComponent(path)}`);
      await page.getByLabel('Benutzername · User name', { exact: true }).fill(username);
      await page.getByLabel('Passwort · Password', { exact: true }).fill(password);
      await page.getByRole('button', { name: 'Anmelden' }).click();
    },
    async stop() {
      await browser.close();
      await ctl.stop();
      await t.cleanup();
    },
  };
}
