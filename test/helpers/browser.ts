// Real Chromium from the Debian package, driven by playwright-core (no downloaded browser).
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, requireBinary } from './env.js';

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
