import { defineConfig } from 'vitest/config';

// Three layers run by `npm test`:
//  - unit: pure statistics against scipy golden fixtures, and broker-free processor tests;
//  - integration: a real Kafka broker (KAFKA_BROKERS, else testcontainers, else the local
//    broker from Maven jars). The global setup fails the run when no broker can be had:
//    an integration suite never skips quietly;
//  - e2e: the HTML report of `compare --format html` in headless Chromium (/usr/bin/chromium,
//    driven by playwright-core). Fails, never skips, when Chromium is missing.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/processor/**/*.test.ts'],
          environment: 'node',
          // No test asserts on time: the limit only stops a hung test on a loaded 2-core machine.
          testTimeout: 300_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
