import { defineConfig } from 'vitest/config';

// Two layers run by `npm test`:
//  - unit: pure statistics against scipy golden fixtures, and broker-free processor tests;
//  - integration: a real Kafka broker (KAFKA_BROKERS, else testcontainers, else the local
//    broker from Maven jars). The global setup fails the run when no broker can be had:
//    an integration suite never skips quietly.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/processor/**/*.test.ts'],
          environment: 'node',
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
    ],
  },
});
