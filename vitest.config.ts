import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Where a test file runs is decided by its name alone:
 * - `*.int.test.ts` beside the code, and every test under `test/` (cross-process end-to-end tests),
 *   run in the `integration` project against real Postgres and Redis;
 * - every other `*.test.ts` beside the code (and the tooling's, under `scripts/`) is a `unit` test:
 *   no Postgres, no Redis, no network beyond loopback servers the test starts itself.
 */
const INTEGRATION = ['apps/*/src/**/*.int.test.ts', 'packages/*/src/**/*.int.test.ts', 'test/**/*.test.ts'];

/**
 * Where a unit test that reaches for Postgres or Redis by accident ends up: a closed port, so it fails
 * at once (connection refused) instead of passing against whatever server happens to be running.
 */
const CLOSED_PORT_ENV = {
  DATABASE_URL: 'postgres://hoist@127.0.0.1:1/hoist',
  REDIS_URL: 'redis://127.0.0.1:1',
};

/**
 * `pnpm test:providers` (HOIST_LIVE_PROVIDERS=1): the provider conformance suite against the real
 * services whose credentials are in the environment. Never part of a normal run.
 */
const LIVE_PROVIDERS = process.env['HOIST_LIVE_PROVIDERS'] === '1';

export default defineConfig({
  resolve: {
    // Workspace packages export their TypeScript sources under this condition,
    // so tests run against src without a build step in between.
    conditions: ['@hoist/source'],
  },
  // Tests run in Vite's server (SSR) environment, which takes its conditions from here; without
  // this they would import the packages' built dist instead of their sources.
  ssr: { resolve: { conditions: ['@hoist/source'], externalConditions: ['@hoist/source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each create their own database and queue prefix, so they can run in
    // parallel; two forks match the two cores CI has.
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...INTEGRATION],
          env: CLOSED_PORT_ENV,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          globalSetup: ['test/support/global-setup.ts'],
        },
      },
      ...(LIVE_PROVIDERS ? [{ extends: true, test: { name: 'providers', include: ['test/providers/**/*.providers.ts'], testTimeout: 120_000 } }] : []),
    ],
  },
});
