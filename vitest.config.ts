import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Browser and broker round trips: expect.poll's 1 s default is too short on a loaded 2-core machine.
    expect: { poll: { timeout: 8_000, interval: 50 } },
    // Integration tests start brokers and Chromium; two cores: keep files from starving each other.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
