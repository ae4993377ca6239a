import { defineConfig } from 'vitest/config';

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
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration files each create their own database and queue prefix, so they can run in
    // parallel; two forks match the two cores CI has.
    pool: 'forks',
    maxWorkers: 2,
  },
});
