import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // UI polls wait for pages in real Chromium: 1 s (vitest's default) is too tight on a loaded 2-core machine, and
    // under libfaketime (the Sunday-night and DST runs) every clock read costs more, which pushed logins past it.
    expect: { poll: { timeout: 8_000, interval: 50 } },
    hookTimeout: 60_000,
    // Integration tests start brokers and Chromium; two cores: keep files from starving each other.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
